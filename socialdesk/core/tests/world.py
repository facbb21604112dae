"""The test world (an NGO + SWD setup with one user per role) and two-factor-verified sign-in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialdesk.accounts.models import ApiToken, User
from socialdesk.accounts.tests.factories import TOTPDeviceFactory, UserFactory, make_token
from socialdesk.core.models import (
    BackgroundJob,
    District,
    Organisation,
    OrganisationKind,
    Role,
    ServiceType,
    ServiceUnit,
)
from socialdesk.core.tests.factories import (
    DistrictFactory,
    MembershipFactory,
    OrganisationFactory,
    ServiceTypeFactory,
    ServiceUnitFactory,
    finished_job,
)

ROLES: tuple[str, ...] = tuple(Role.values)
SWD_ROLES = frozenset({Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN})


@dataclass
class World:
    """Three organisations: NGO A (home of the agency roles), NGO B (the "other" agency nobody
    in `roles` belongs to) and SWD (home of the SWD subventions officer and the system
    administrator). Records of NGO B carry sentinel values that must never show up for staff
    who may not see them."""

    district: District
    service_type: ServiceType
    ngo_a: Organisation
    ngo_b: Organisation
    swd: Organisation
    unit_a: ServiceUnit
    unit_b: ServiceUnit
    unit_swd: ServiceUnit
    roles: dict[str, User]
    colleague_a: User  # a frontline worker in NGO A (the "own organisation" staff record)
    colleague_swd: User  # an SWD frontline worker
    staff_b: User  # a frontline worker in NGO B
    admin_b: User  # NGO B's agency administrator
    privacy_b: User  # NGO B's privacy officer
    jobs: dict[str, BackgroundJob] = field(default_factory=dict)  # one finished job per role
    job_b: BackgroundJob | None = None
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    token_b: ApiToken | None = None
    # Case records (see _case_records): "own" ones in unit_a, the frontline worker's, and
    # sentinel-valued "other" ones in unit_b; keyed "person", "case", "intake", "note", "plan",
    # "assessment", "consent", "referral", "attachment", "break_glass", "work_item".
    cases_own: dict[str, Any] = field(default_factory=dict)
    cases_other: dict[str, Any] = field(default_factory=dict)
    notifications: dict[str, Any] = field(default_factory=dict)  # one per role
    # Performance records (see _performance_records), keyed "return", "alert", "siap",
    # "agreement", "webhook" (an endpoint of the unit's organisation): unit_a's, and unit_b's
    # with sentinel values.
    performance_own: dict[str, Any] = field(default_factory=dict)
    performance_other: dict[str, Any] = field(default_factory=dict)
    notification_b: Any = None

    def home_org(self, role: str) -> Organisation:
        return self.swd if role in SWD_ROLES else self.ngo_a

    def home_unit(self, role: str) -> ServiceUnit:
        return self.unit_swd if role in SWD_ROLES else self.unit_a

    def home_colleague(self, role: str) -> User:
        return self.colleague_swd if role in SWD_ROLES else self.colleague_a


def _member(
    username: str,
    role: str,
    organisation: Organisation,
    unit: ServiceUnit | None = None,
    **extra: Any,
) -> User:
    user = UserFactory(username=username, **extra)
    MembershipFactory(user=user, organisation=organisation, role=role, service_unit=unit)
    return user


def build_world(*, with_jobs_and_tokens: bool = True, with_cases: bool = True) -> World:
    district = DistrictFactory(code="sha-tin", name_zh="沙田", name_en="Sha Tin")
    service_type = ServiceTypeFactory(
        code="ifsc",
        abbreviation="IFSC",
        name_zh="綜合家庭服務中心",
        name_en="Integrated Family Service Centre",
    )
    ngo_a = OrganisationFactory(code="ngo-a", name_zh="甲機構", name_en="Agency A")
    ngo_b = OrganisationFactory(code="ngo-b", name_zh="乙機構", name_en="Agency B")
    swd = OrganisationFactory(
        code="swd",
        kind=OrganisationKind.SWD,
        name_zh="社會福利署",
        name_en="Social Welfare Department",
    )
    common = {"district": district, "service_type": service_type}
    unit_a = ServiceUnitFactory(
        organisation=ngo_a,
        code="a-ifsc",
        name_zh="甲中心",
        name_en="Agency A Centre",
        phone="21110001",
        address_en="1 Alpha Road",
        **common,
    )
    unit_b = ServiceUnitFactory(
        organisation=ngo_b,
        code="b-ifsc",
        name_zh="乙秘密中心",
        name_en="Bravo Hidden Centre",
        phone="29220002",
        address_en="22 Sentinel Bravo Street",
        **common,
    )
    unit_swd = ServiceUnitFactory(
        organisation=swd,
        code="swd-ifsc",
        name_zh="署方中心",
        name_en="SWD Centre",
        phone="23330003",
        address_en="3 Government Road",
        **common,
    )
    roles = {
        Role.FRONTLINE_WORKER: _member("worker", Role.FRONTLINE_WORKER, ngo_a, unit_a),
        Role.UNIT_SUPERVISOR: _member("supervisor", Role.UNIT_SUPERVISOR, ngo_a, unit_a),
        Role.AGENCY_ADMIN: _member("agencyadmin", Role.AGENCY_ADMIN, ngo_a),
        Role.AGENCY_FINANCE: _member("finance", Role.AGENCY_FINANCE, ngo_a),
        Role.PRIVACY_OFFICER: _member("privacy", Role.PRIVACY_OFFICER, ngo_a),
        Role.SWD_SUBVENTIONS: _member("swdofficer", Role.SWD_SUBVENTIONS, swd),
        Role.SYSTEM_ADMIN: _member("sysadmin", Role.SYSTEM_ADMIN, swd, is_staff=True),
    }
    world = World(
        district=district,
        service_type=service_type,
        ngo_a=ngo_a,
        ngo_b=ngo_b,
        swd=swd,
        unit_a=unit_a,
        unit_b=unit_b,
        unit_swd=unit_swd,
        roles={str(k): v for k, v in roles.items()},
        colleague_a=_member(
            "colleague",
            Role.FRONTLINE_WORKER,
            ngo_a,
            unit_a,
            phone="21119999",
            email="colleague.sentinel@a.invalid",
        ),
        colleague_swd=_member(
            "swdworker",
            Role.FRONTLINE_WORKER,
            swd,
            unit_swd,
            phone="23339999",
            email="swd.sentinel@swd.invalid",
        ),
        staff_b=_member(
            "bravo",
            Role.FRONTLINE_WORKER,
            ngo_b,
            unit_b,
            phone="29229999",
            email="bravo.sentinel@b.invalid",
            display_name_zh="乙員工",
        ),
        admin_b=_member("bravoadmin", Role.AGENCY_ADMIN, ngo_b),
        privacy_b=_member("bravoprivacy", Role.PRIVACY_OFFICER, ngo_b),
    )
    if with_jobs_and_tokens:
        for role, user in world.roles.items():
            world.jobs[role] = finished_job(
                requested_by=user,
                name=f"report-{user.username}.csv",
                content=f"own,{user.username}\n".encode(),
            )
            world.tokens[role], _raw = make_token(user, name=f"token of {user.username}")
        world.job_b = finished_job(
            requested_by=world.staff_b,
            name="bravo-secret-report.csv",
            content=b"SENTINEL-JOB-BRAVO\n",
        )
        world.token_b, _raw = make_token(world.staff_b, name="Bravo sentinel token")
    if with_cases:
        _case_records(world)
        _performance_records(world)
    return world


def _performance_records(world: World) -> None:
    """A return template of the world's service type, an FSA, a draft return for 2025 Q1, an
    alert and an improvement plan for unit_a, and the same for unit_b with sentinel values."""
    from datetime import date
    from decimal import Decimal

    from socialdesk.performance.models import (
        AgreedLevel,
        Agreement,
        Alert,
        AlertKind,
        ImprovementPlan,
        Indicator,
        ReturnTemplate,
        ReturnValue,
        StatisticalReturn,
        TemplateItem,
        TemplateStatus,
        WebhookEndpoint,
    )
    from socialdesk.performance.services.returns import periods_ensure

    served = Indicator.objects.create(
        code="world_cases_served",
        kind="OS",
        measure="count",
        aggregation="sum",
        name_zh="處理個案數目",
        name_en="Cases served",
    )
    template = ReturnTemplate.objects.create(
        code="world-return",
        number=1,
        service_type=world.unit_a.service_type,
        frequency="quarterly",
        first_year=2024,
        name_zh="測試報表",
        name_en="World return",
        status=TemplateStatus.PUBLISHED,
    )
    TemplateItem.objects.create(template=template, indicator=served, order=0)
    period = periods_ensure(2025, "quarterly")[0]

    def records(unit: ServiceUnit, text: str) -> dict[str, Any]:
        agreement = Agreement.objects.create(
            unit=unit, fiscal_year=2025, template=template, reference=f"{text} FSA"
        )
        AgreedLevel.objects.create(agreement=agreement, indicator=served, level=Decimal(400))
        statistical_return = StatisticalReturn.objects.create(
            unit=unit,
            period=period,
            template=template,
            due_on=date(2025, 7, 30),
            grace_until=date(2025, 8, 13),
            return_reason=f"{text} return reason",
        )
        ReturnValue.objects.create(
            statistical_return=statistical_return,
            indicator=served,
            value=Decimal(90),
            comment=f"{text} comment",
        )
        alert = Alert.objects.create(
            unit=unit,
            fiscal_year=2025,
            kind=AlertKind.FORECAST_MISS,
            indicator=served,
            subject=served.code,
            detail={"note": f"{text} alert"},
        )
        plan = ImprovementPlan.objects.create(
            unit=unit, fiscal_year=2025, due_on=date(2025, 9, 30), analysis=f"{text} analysis"
        )
        records_made = _performance_unit_records(unit, text)
        webhook = WebhookEndpoint.objects.create(
            organisation=unit.organisation,
            name=f"{text} webhook",
            url=f"https://hooks.example.invalid/{text.lower()}",
            secret=f"whsec_{text.lower()}",
        )
        return {
            "agreement": agreement,
            "return": statistical_return,
            "alert": alert,
            "siap": plan,
            "webhook": webhook,
            **records_made,
        }

    world.performance_own = records(world.unit_a, "Own")
    world.performance_other = records(world.unit_b, "SENTINEL-BRAVO")


def _performance_unit_records(unit: ServiceUnit, text: str) -> dict[str, Any]:
    """A field assessment and a complaint of the unit and its organisation's figures for 2024,
    with `text` in their free text (sentinels for NGO B)."""
    from datetime import date
    from decimal import Decimal

    from socialdesk.performance.models import Complaint, FieldAssessment, FinancialYearFigures

    return {
        "field_assessment": FieldAssessment.objects.create(
            unit=unit,
            visited_on=date(2025, 5, 20),
            assessor=f"{text} assessor",
            outcome="partly",
            findings=f"{text} findings",
            follow_up=f"{text} follow-up",
            follow_up_due_on=date(2025, 8, 31),
        ),
        "complaint": Complaint.objects.create(
            unit=unit,
            received_on=date(2025, 6, 2),
            subject=f"{text} complaint subject",
            summary=f"{text} complaint summary",
        ),
        "finance": FinancialYearFigures.objects.create(
            organisation=unit.organisation,
            fiscal_year=2024,
            lsg_income=Decimal("40000000"),
            operating_expenditure=Decimal("42000000"),
            lsg_reserve=Decimal("12000000"),
            notes=f"{text} finance notes",
        ),
    }


# A valid HKID for the own person (A123456(3)) and one for NGO B's sentinel person.
OWN_HKID = "A1234563"
OTHER_HKID = "B9876540"


def _case_records(world: World) -> None:
    """A person with an open case assigned to NGO A's frontline worker in unit_a (with an intake,
    note, plan, assessment, consent, a referral received, a document, a work item and an ended
    break-the-glass access), and the same in NGO B with sentinel values nobody in `roles` may
    ever be shown. Rows are written directly: no policy checks, no audited reads."""
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from socialdesk.cases.models import (
        Assessment,
        Attachment,
        BreakGlassAccess,
        Case,
        CaseNote,
        CasePlan,
        CaseWorker,
        Consent,
        ConsentPurpose,
        Intake,
        IntakeSource,
        NoteKind,
        PlanGoal,
        Referral,
        ReferralChannel,
        ServiceUser,
        WorkItem,
        WorkItemKind,
    )
    from socialdesk.cases.services.search import search_keys_rebuild
    from socialdesk.core.crypto import lookup_hash
    from socialdesk.core.models import Notification
    from socialdesk.forms.models import FormDefinition, FormVersion, VersionStatus

    today = timezone.localdate()
    now = timezone.now()
    definition = FormDefinition.objects.create(
        code="world-screening",
        purpose="screening",
        name_zh="測試篩查",
        name_en="World screening",
    )
    form = FormVersion.objects.create(
        definition=definition,
        number=1,
        status=VersionStatus.PUBLISHED,
        published_at=now,
        schema=[
            {
                "key": "lives_alone",
                "type": "boolean",
                "label_zh": "獨居",
                "label_en": "Lives alone",
                "required": True,
            }
        ],
    )

    def records(
        *,
        unit: ServiceUnit,
        worker: User,
        name_zh: str,
        name_en: str,
        hkid: str,
        phone: str,
        address: str,
        number: str,
        reference: str,
        text: str,
        file_name: str,
    ) -> dict[str, Any]:
        person = ServiceUser.objects.create(
            name_zh=name_zh,
            name_en=name_en,
            sex="F",
            date_of_birth=today.replace(year=today.year - 70, day=1),
            hkid=hkid,
            hkid_hash=lookup_hash(hkid),
            phone=phone,
            address=address,
            district=world.district,
            registered_by=worker,
            registered_unit=unit,
        )
        search_keys_rebuild(person)
        intake = Intake.objects.create(
            person=person,
            unit=unit,
            source=IntakeSource.WALK_IN,
            assigned_worker=worker,
            presenting_problem=f"{text} intake",
            created_by=worker,
        )
        case = Case.objects.create(
            number=number,
            person=person,
            unit=unit,
            intake=intake,
            opened_on=today,
            opened_by=worker,
            summary=f"{text} case",
            next_review_on=today + timedelta(days=90),
        )
        CaseWorker.objects.create(case=case, user=worker, is_primary=True)
        note = CaseNote.objects.create(
            case=case,
            kind=NoteKind.HOME_VISIT,
            occurred_at=now - timedelta(hours=2),
            body=f"{text} note",
            author=worker,
        )
        plan = CasePlan.objects.create(
            case=case, summary=f"{text} plan", review_on=today + timedelta(days=60), author=worker
        )
        PlanGoal.objects.create(plan=plan, description=f"{text} goal")
        assessment = Assessment.objects.create(
            case=case,
            form_version=form,
            answers={"lives_alone": True},
            assessed_on=today,
            author=worker,
        )
        consent = Consent.objects.create(
            person=person,
            purpose=ConsentPurpose.REFERRAL,
            scope=f"{text} consent",
            given_by="The person themself",
            given_on=today,
            evidence="Signed form filed",
            recorded_by=worker,
        )
        referral = Referral.objects.create(
            reference=reference,
            channel=ReferralChannel.WEB_FORM,
            to_unit=unit,
            referrer_organisation="Outside Clinic",
            referrer_name="Dr Outside",
            referrer_phone="23456789",
            reason=f"{text} referral",
            shared_data={"name_zh": "張三", "name_en": "CHEUNG SAM", "summary": f"{text} referral"},
            consent_evidence="Verbal consent",
            respond_by=today + timedelta(days=7),
        )
        attachment = Attachment(
            original_name=file_name,
            content_type="application/pdf",
            size=9,
            sha256="0" * 64,
            person=person,
            uploaded_by=worker,
        )
        attachment.file.save(file_name, ContentFile(b"%PDF-1.4\n"), save=False)
        attachment.save()
        access = BreakGlassAccess.objects.create(
            user=worker,
            person=person,
            reason=f"{text} break-the-glass reason",
            granted_at=now - timedelta(hours=3),
            expires_at=now - timedelta(hours=2),
            ended_at=now - timedelta(hours=2),
        )
        item = WorkItem.objects.create(
            kind=WorkItemKind.FOLLOW_UP,
            unit=unit,
            assignee=worker,
            case=case,
            due_on=today + timedelta(days=3),
        )
        return {
            "person": person,
            "intake": intake,
            "case": case,
            "note": note,
            "plan": plan,
            "assessment": assessment,
            "consent": consent,
            "referral": referral,
            "attachment": attachment,
            "break_glass": access,
            "work_item": item,
        }

    world.cases_own = records(
        unit=world.unit_a,
        worker=world.roles[Role.FRONTLINE_WORKER],
        name_zh="陳美玲",
        name_en="CHAN MEI LING",
        hkid=OWN_HKID,
        phone="91234567",
        address="1 Own Street",
        number="C-2000-000001",
        reference="R-2000-000001",
        text="Own",
        file_name="own-document.pdf",
    )
    world.cases_other = records(
        unit=world.unit_b,
        worker=world.staff_b,
        name_zh="乙秘密人",
        name_en="SENTINEL BRAVO PERSON",
        hkid=OTHER_HKID,
        phone="98887777",
        address="99 Sentinel Bravo Lane",
        number="C-1999-999999",
        reference="R-1999-999999",
        text="SENTINEL-BRAVO",
        file_name="bravo-secret-document.pdf",
    )
    for role, user in world.roles.items():
        world.notifications[role] = Notification.objects.create(
            recipient=user, kind="test", title=f"Note for {user.username}", link="/"
        )
    world.notification_b = Notification.objects.create(
        recipient=world.staff_b, kind="test", title="SENTINEL-NOTE-BRAVO", link="/"
    )


def verify_second_factor(client: Client, user: User) -> TOTPDevice:
    """Mark the client's session as two-factor verified, as `django_otp.login` does after a
    correct code: the session remembers the confirmed device's persistent id."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDeviceFactory(user=user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def sign_in(client: Client, user: User, *, verified: bool = True) -> Client:
    client.force_login(user)
    if verified:
        verify_second_factor(client, user)
    return client
