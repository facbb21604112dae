"""Case-management demo data: a few hundred synthetic service users with their casework.

`load_case_demo_data()` runs after the core demo loader (`manage.py load_demo_data`): it adds a
small staff to every demo unit (fictional colleagues who cannot sign in; the demo logins stay
those of `socialdesk.core.demo`), then 300 people from `socialdesk.cases.synthetic` spread over
the demo units, each with an intake; most with a case (open, awaiting closure approval or
closed) with its workers, notes, plans, reviews, an assessment on a shipped form where the forms
are available, consents and work items (some overdue); referrals between units (several waiting
in the inboxes of the demo users' units), two outside e-referrals, and a few records that are
near-duplicates of others. The demo `worker` has open cases and intakes of their own, the
`supervisor` plans and closures to approve; `worker2` (another NGO) has their own caseload and
sees none of the first unit's people.

Rows are written in bulk (no audit entries, no notifications by email), dates are relative to
the day of loading, and everything else comes from fixed seeds. Loading again adds nothing: the
loader stops when the first demo person is already there. All people are synthetic (see
`synthetic.py`); no real person's data is used.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from socialdesk.accounts.models import User
from socialdesk.core.crypto import encrypt, lookup_hash
from socialdesk.core.models import Membership, Notification, Role, ServiceUnit

from .models import (
    Assessment,
    Case,
    CaseNote,
    CasePlan,
    CaseReview,
    CaseStatus,
    CaseWorker,
    ClosureReason,
    Consent,
    ConsentPurpose,
    HouseholdMember,
    Intake,
    IntakeSource,
    IntakeStatus,
    KeyContact,
    NoteKind,
    PlanGoal,
    PlanStatus,
    Referral,
    ReferralChannel,
    ReferralStatus,
    Relationship,
    SearchKey,
    ServiceUser,
    ServiceUserFlag,
    Urgency,
    WorkItem,
    WorkItemKind,
)
from .models import (
    Sequence as NumberSequence,
)
from .services.referrals import shared_snapshot
from .services.search import duplicate_candidates, person_keys
from .synthetic import PeopleGenerator, SyntheticPerson, generate_people

DEMO_SEED: Final = 20260917
DEMO_PEOPLE: Final = 300
DUPLICATE_RATE: Final = 0.03  # a few near-duplicate records, for the merge and matching demos
DEMO_EMAIL_DOMAIN: Final = "demo.socialdesk.invalid"
WORKER_UNIT: Final = "kcss-ifsc-sha-tin"
WORKER2_UNIT: Final = "ees-decc-yau-tsim-mong"
# People per unit: the demo users' units get more, the rest share what is left.
_UNIT_PEOPLE: Final = {WORKER_UNIT: 50, WORKER2_UNIT: 30}
# The demo worker's own caseload, and worker2's.
WORKER_OPEN_CASES: Final = 10
WORKER2_OPEN_CASES: Final = 6
DEMO_LOGINS_WITH_CASES: Final = ("worker", "supervisor", "worker2")

ELDERLY_TYPES: Final = frozenset({"decc", "nec", "rche", "ccsv"})
YOUTH_TYPES: Final = frozenset({"icysc", "ssw"})

# fmt: off
_PROBLEMS: Final[dict[str, tuple[str, ...]]] = {
    "family": (
        "夫妻關係緊張，經常爭吵，希望接受婚姻輔導。",
        "單親母親照顧兩名幼子，壓力沉重，情緒低落。",
        "失業三個月，家庭經濟困難，需要申請綜援及就業支援。",
        "與成年子女關係疏離，感到孤立無援。",
        "家中長者患認知障礙症，照顧者身心疲累。",
        "居住環境擠迫（劏房），希望申請公屋及短期租金援助。",
        "懷疑受到配偶家暴，需要安全計劃及法律資訊。",
        "子女沉迷網絡遊戲，親子衝突頻繁。",
    ),
    "youth": (
        "學業壓力大，出現失眠及焦慮情緒。",
        "經常缺課，與朋輩關係欠佳。",
        "與家人衝突後離家出走兩日，現已返家。",
        "懷疑受到網絡欺凌，情緒困擾。",
        "對升學及就業方向感到迷惘，需要生涯規劃支援。",
    ),
    "elderly": (
        "獨居長者，行動不便，需要社區支援及送飯服務。",
        "長者輕度認知障礙，家人擔心其安全。",
        "長者跌倒後出院，需要家居照顧及復康安排。",
        "護老者照顧壓力大，希望申請暫託服務。",
        "長者經濟拮据，需要申請長者生活津貼。",
        "長者情緒低落，甚少與人接觸。",
    ),
    "rehab": (
        "新入住院友，適應院舍生活有困難。",
        "院友家人希望加強探訪及溝通安排。",
        "院友情緒不穩，需要個別支援計劃。",
    ),
}
_NOTES: Final[dict[str, tuple[str, ...]]] = {
    NoteKind.HOME_VISIT: (
        "家訪，了解居住環境及家庭狀況，服務使用者情緒尚算穩定。",
        "家訪，與家人商討照顧安排，家人表示會輪流探望。",
        "家訪，居所雜物較多，已提醒注意家居安全，並轉介家居改裝評估。",
    ),
    NoteKind.PHONE: (
        "電話跟進，服務使用者表示近況好轉，已按時覆診。",
        "電話聯絡，提醒下週面談時間。",
        "致電家人，了解服務使用者近日情況，家人表示需要更多支援。",
    ),
    NoteKind.OFFICE_INTERVIEW: (
        "中心面談，檢討個案計劃進度，服務使用者同意繼續參加小組。",
        "面談，處理情緒困擾，教授放鬆技巧。",
        "面談，協助填寫津貼申請表格。",
    ),
    NoteKind.CONTACT: (
        "與學校社工聯絡，交換資料（已取得同意）。",
        "與醫務社工聯絡，商討出院安排。",
    ),
    NoteKind.CASE_CONFERENCE: ("召開多專業個案會議，訂立福利計劃，各方同意分工。",),
}
_GOALS: Final[dict[str, tuple[str, ...]]] = {
    "family": (
        "改善夫妻溝通，每週最少一次平和地商討家庭事務",
        "穩定家庭經濟，三個月內完成綜援申請",
        "減輕照顧壓力，安排每月兩日暫託服務",
        "訂立安全計劃，並認識求助途徑",
        "改善親子關係，參加親子小組八節",
    ),
    "youth": (
        "回復正常上學，出席率達九成",
        "學習處理情緒的方法，減少衝突",
        "擴闊社交圈子，參加中心興趣小組",
        "訂立升學或就業目標",
    ),
    "elderly": (
        "維持社區生活，安排送飯及家居清潔服務",
        "減少跌倒風險，完成家居安全評估",
        "增加社交接觸，每週參加中心活動一次",
        "申請長者生活津貼",
    ),
    "rehab": (
        "適應院舍生活，建立日常作息",
        "維持家人聯繫，每月最少探訪兩次",
        "參與院舍康樂活動",
    ),
}
_REFERRAL_REASONS: Final = (
    "服務使用者需要長者社區支援服務，已取得其同意轉介。",
    "家庭需要綜合家庭服務跟進，請接收。",
    "青少年需要課餘支援及輔導，轉介貴中心跟進。",
    "需要院舍照顧評估及輪候安排。",
    "照顧者需要支援服務，轉介以作跟進。",
)
_DECLINE_REASONS: Final = ("服務使用者居住地區不屬本中心服務範圍，建議轉介所屬地區中心。",)
_CLOSURE_NOTES: Final = ("已達成個案計劃目標，服務使用者同意結案。", "服務使用者已遷出服務範圍。")
# fmt: on


@dataclass
class CaseDemoSummary:
    """What the loader did: whether it created the data, and how many of each it holds."""

    created: bool
    people: int = 0
    cases: int = 0
    referrals: int = 0
    staff: int = 0


def _problem_area(unit: ServiceUnit) -> str:
    code = unit.service_type.code
    if code in ELDERLY_TYPES:
        return "elderly"
    if code in YOUTH_TYPES:
        return "youth"
    if code == "rchd":
        return "rehab"
    return "family"


# --- Staff ---


@dataclass
class _Staff:
    unit: ServiceUnit
    workers: list[User]
    supervisor: User


def _staff_user(username: str, person: SyntheticPerson) -> User:
    """A fictional colleague (demo account without a usable password)."""
    family, _, given = person.name_en.partition(" ")
    values = {
        "first_name": given.title(),
        "last_name": family.title(),
        "display_name_zh": person.name_zh,
        "email": f"{username}@{DEMO_EMAIL_DOMAIN}",
        "is_demo": True,
    }
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, **values)
        user.set_unusable_password()
        user.save()
    elif not user.is_demo:
        from socialdesk.core.demo import DemoDataError

        raise DemoDataError(f"User {username!r} exists and is not a demo account.")
    return user


def _member(user: User, unit: ServiceUnit, role: str) -> None:
    membership, _created = Membership.objects.get_or_create(
        user=user, organisation_id=unit.organisation_id, service_unit=unit, role=role
    )
    if not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active", "updated_at"])


def _ensure_staff(units: Sequence[ServiceUnit]) -> dict[str, _Staff]:
    """Every demo unit gets two or three workers and a supervisor; the demo users keep theirs."""
    names = (
        p
        for p in PeopleGenerator(DEMO_SEED + 1, duplicate_rate=0).people(10_000)
        if p.name_zh and p.spelling == "hk" and 1965 <= p.date_of_birth.year <= 2000
    )
    staff: dict[str, _Staff] = {}
    for unit in units:
        demo = {
            m.role: m.user
            for m in Membership.objects.filter(
                service_unit=unit, user__is_demo=True, user__username__in=DEMO_LOGINS_WITH_CASES
            ).select_related("user")
        }
        workers = [demo[Role.FRONTLINE_WORKER]] if Role.FRONTLINE_WORKER in demo else []
        for n in (1, 2):
            user = _staff_user(f"{unit.code}-sw{n}", next(names))
            _member(user, unit, Role.FRONTLINE_WORKER)
            workers.append(user)
        supervisor = demo.get(Role.UNIT_SUPERVISOR)
        if supervisor is None:
            supervisor = _staff_user(f"{unit.code}-sup", next(names))
            _member(supervisor, unit, Role.UNIT_SUPERVISOR)
        staff[unit.code] = _Staff(unit, workers, supervisor)
    return staff


# --- People and casework ---


@dataclass
class _Rows:
    """Rows collected before they are written in bulk."""

    intakes: list[Intake] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    case_workers: list[CaseWorker] = field(default_factory=list)
    notes: list[CaseNote] = field(default_factory=list)
    plans: list[CasePlan] = field(default_factory=list)
    goals: list[tuple[CasePlan, PlanGoal]] = field(default_factory=list)
    reviews: list[CaseReview] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    work_items: list[WorkItem] = field(default_factory=list)
    created: dict[int, datetime] = field(default_factory=dict)  # id(row) → created_at


def _moment(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _allocate_units(units: Sequence[ServiceUnit], people: int) -> list[str]:
    """A unit code per person: the demo users' units first, then the others in turn."""
    plan: list[str] = []
    for code, count in _UNIT_PEOPLE.items():
        plan += [code] * count
    others = [u.code for u in units if u.code not in _UNIT_PEOPLE]
    while len(plan) < people:
        plan.append(others[(len(plan) - sum(_UNIT_PEOPLE.values())) % len(others)])
    return plan


def _person(
    p: SyntheticPerson, unit: ServiceUnit, registrar: User, districts: dict[str, Any]
) -> ServiceUser:
    person = ServiceUser(
        name_zh=p.name_zh,
        name_en=p.name_en,
        sex=p.sex,
        date_of_birth=p.date_of_birth,
        hkid=p.hkid,
        hkid_hash=lookup_hash(p.hkid) if p.hkid else "",
        phone=p.phone,
        phone_alt=p.phone_alt,
        address=p.address,
        district=districts.get(p.district),
        language=p.language,
        registered_by=registrar,
        registered_unit=unit,
    )
    flags: list[str] = []
    if p.spelling == "other":
        flags.append(ServiceUserFlag.LANGUAGE_NEED)
    if p.index % 23 == 5:
        flags.append(ServiceUserFlag.RISK)
    if p.index % 41 == 7 and p.date_of_birth.year < 1955:
        flags.append(ServiceUserFlag.ELDER_ABUSE)
    person.flags = flags
    return person


@dataclass
class _Plan:
    """What happens to one person (decided before any row is made)."""

    # open, closure_pending, closed, intake_pending, intake_progress or no_case
    kind: str
    worker: User | None
    opened_days_ago: int = 0


def _decide(rng: random.Random, staff: _Staff, position: int) -> _Plan:
    """The fate of the `position`-th person of a unit; the demo workers' first ones are fixed."""
    own = staff.workers[0]
    fixed_open = {"worker": WORKER_OPEN_CASES, "worker2": WORKER2_OPEN_CASES}.get(own.username)
    if fixed_open is not None:
        if position < fixed_open:
            return _Plan("open", own, rng.randint(20, 600))
        if position == fixed_open:
            return _Plan("intake_pending", own)
        if position == fixed_open + 1:
            return _Plan("intake_progress", own)
        if position == fixed_open + 2:
            return _Plan("intake_pending", None)  # waiting in the unit's queue
        if position == fixed_open + 3 and own.username == "worker":
            return _Plan("closure_pending", own, rng.randint(200, 700))
    worker = rng.choice(staff.workers[1:] if fixed_open is not None else staff.workers)
    roll = rng.random()
    if roll < 0.45:
        return _Plan("open", worker, rng.randint(10, 900))
    if roll < 0.75:
        return _Plan("closed", worker, rng.randint(120, 1500))
    if roll < 0.83:
        return _Plan("intake_pending", worker if rng.random() < 0.7 else None)
    if roll < 0.9:
        return _Plan("intake_progress", worker)
    return _Plan("no_case", worker)


def _forms() -> dict[str, Any]:
    """Published shipped forms {code: FormVersion}; loaded when the forms app ships them."""
    try:
        from socialdesk.forms.models import FormVersion, VersionStatus
        from socialdesk.forms.services import form_definitions_load_shipped
    except ImportError:  # pragma: no cover - the forms app is optional for case demo data
        return {}
    wanted = {"risk_screening", "carer_stress"}
    published = FormVersion.objects.filter(
        status=VersionStatus.PUBLISHED, definition__code__in=wanted
    ).select_related("definition")
    if {v.definition.code for v in published} != wanted:
        try:
            with transaction.atomic():
                form_definitions_load_shipped()
        except Exception:  # a shipped form that does not load leaves the assessments out
            return {}
    versions: dict[str, Any] = {}
    for version in published.order_by("number"):
        versions[version.definition.code] = version  # the newest published wins
    return versions


_ASSESSMENT_ANSWERS: Final[dict[str, tuple[dict[str, Any], ...]]] = {
    "risk_screening": (
        {
            "sh_thoughts": "no", "sh_plan": "no", "sh_history": "no", "dv_harm": "no",
            "dv_fear": "unsure", "dv_escalation": "no", "children_in_household": False,
            "elders_in_household": False, "immediate_danger": False,
            "worker_notes": "暫無即時危機，兩週後再評估。",
        },
        {
            "sh_thoughts": "unsure", "sh_plan": "no", "sh_history": "no",
            "sh_details": "近期失眠，偶有負面想法，沒有具體計劃。", "dv_harm": "no",
            "dv_fear": "no", "dv_escalation": "no", "children_in_household": True,
            "cp_injury": "no", "cp_neglect": "no", "cp_disclosure": "no",
            "elders_in_household": False, "immediate_danger": False,
        },
    ),
    "carer_stress": (
        {
            "care_recipient_relationship": "spouse", "care_recipient_conditions": ["dementia"],
            "care_hours_per_week": 70, "care_years": 3, "other_helpers": False,
            "cs_worn_out": 3, "cs_sleep": 3, "cs_own_time": 4, "cs_social": 2, "cs_health": 2,
            "cs_money": 2, "cs_cope": 2, "cs_irritable": 2, "cs_family": 1, "cs_future": 3,
            "harm_thoughts": False, "services_wanted": ["respite", "support_group"],
        },
        {
            "care_recipient_relationship": "parent", "care_recipient_conditions": ["stroke"],
            "care_hours_per_week": 30, "care_years": 1.5, "other_helpers": False,
            "cs_worn_out": 2, "cs_sleep": 1, "cs_own_time": 2, "cs_social": 1, "cs_health": 1,
            "cs_money": 2, "cs_cope": 1, "cs_irritable": 1, "cs_family": 0, "cs_future": 2,
            "harm_thoughts": False, "services_wanted": ["day_care"],
        },
    ),
}  # fmt: skip


def _assessment(
    case: Case, code: str, version: Any, n: int, day: date, author: User
) -> Assessment | None:
    from socialdesk.forms import runtime as form_runtime

    answers = _ASSESSMENT_ANSWERS[code][n % len(_ASSESSMENT_ANSWERS[code])]
    cleaned, errors = form_runtime.validate_answers(version.schema, answers)
    if errors:
        return None  # the shipped form changed; its demo answers no longer fit
    score = form_runtime.score(version.schema, version.scoring, cleaned)
    # Stored as the JSON encoder of the API writes it (decimals as strings).
    cleaned, score = json.loads(json.dumps([cleaned, score], cls=DjangoJSONEncoder))
    return Assessment(
        case=case,
        form_version=version,
        answers=cleaned,
        score=score,
        assessed_on=day,
        author=author,
    )


class _Builder:
    """Builds the demo casework for people already saved, then writes it in bulk."""

    def __init__(self, today: date, staff: dict[str, _Staff], forms: dict[str, Any]) -> None:
        self.today = today
        self.staff = staff
        self.forms = forms
        self.rng = random.Random(DEMO_SEED + 2)  # noqa: S311 (demo data, not secrets)
        self.rows = _Rows()
        self.numbers: dict[str, list[Any]] = defaultdict(list)  # "C-2025" → rows numbered
        self.open_cases: list[Case] = []
        self.assessed = 0

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def person(self, person: ServiceUser, unit: ServiceUnit, plan: _Plan) -> None:
        rng = self.rng
        staff = self.staff[unit.code]
        area = _problem_area(unit)
        problem = rng.choice(_PROBLEMS[area])
        if plan.kind in ("intake_pending", "intake_progress", "no_case"):
            created = self.day(
                rng.randint(1, 20) if plan.kind != "no_case" else rng.randint(30, 400)
            )
            status = {
                "intake_pending": IntakeStatus.PENDING,
                "intake_progress": IntakeStatus.IN_PROGRESS,
                "no_case": IntakeStatus.NO_CASE,
            }[plan.kind]
            intake = Intake(
                person=person,
                unit=unit,
                source=rng.choice(
                    [IntakeSource.WALK_IN, IntakeSource.WALK_IN, IntakeSource.OUTREACH]
                ),
                status=status,
                assigned_worker=plan.worker,
                presenting_problem=problem,
                interviewed_on=created + timedelta(days=1)
                if plan.kind != "intake_pending"
                else None,
                outcome_note="已提供社區資源資料，服務使用者暫不需要個案服務。"
                if plan.kind == "no_case"
                else "",
                created_by=plan.worker or staff.supervisor,
            )
            self.rows.intakes.append(intake)
            self.rows.created[id(intake)] = _moment(created, 9 + rng.randint(0, 7))
            if plan.kind != "no_case":
                due = created + timedelta(days=7)
                self.rows.work_items.append(
                    WorkItem(
                        kind=WorkItemKind.INTAKE,
                        unit=unit,
                        assignee=plan.worker,
                        intake=intake,
                        due_on=due,
                    )
                )
            return
        assert plan.worker is not None
        opened = self.day(plan.opened_days_ago)
        intake = Intake(
            person=person,
            unit=unit,
            source=IntakeSource.WALK_IN,
            status=IntakeStatus.CASE_OPENED,
            assigned_worker=plan.worker,
            presenting_problem=problem,
            interviewed_on=opened - timedelta(days=2),
            created_by=plan.worker,
        )
        self.rows.intakes.append(intake)
        self.rows.created[id(intake)] = _moment(opened - timedelta(days=5))
        case = Case(
            person=person,
            unit=unit,
            intake=intake,
            opened_on=opened,
            opened_by=plan.worker,
            summary=problem,
        )
        self.numbers[f"C-{opened.year}"].append(case)
        self.rows.cases.append(case)
        self.rows.created[id(case)] = _moment(opened)
        self.rows.case_workers.append(CaseWorker(case=case, user=plan.worker, is_primary=True))
        others = [w for w in staff.workers if w != plan.worker]
        if others and rng.random() < 0.15:
            self.rows.case_workers.append(
                CaseWorker(case=case, user=rng.choice(others), is_primary=False)
            )
        self.rows.consents.append(
            Consent(
                person=person,
                purpose=ConsentPurpose.SERVICE,
                scope="接受服務及保存個案紀錄。",
                given_by="本人",
                given_on=opened,
                evidence="已簽署同意書並存檔",
                recorded_by=plan.worker,
            )
        )
        if plan.kind == "closed":
            self.closed(case, staff, plan.worker, area)
        else:
            self.open(
                case, staff, plan.worker, area, closure_pending=plan.kind == "closure_pending"
            )

    def notes(self, case: Case, author: User, first: date, last: date, count: int) -> None:
        rng = self.rng
        span = max((last - first).days, 1)
        for _ in range(count):
            kind = rng.choice(list(_NOTES))
            when = first + timedelta(days=rng.randint(0, span))
            self.rows.notes.append(
                CaseNote(
                    case=case,
                    kind=kind,
                    occurred_at=_moment(when, rng.randint(9, 17)),
                    body=rng.choice(_NOTES[kind]),
                    author=author,
                )
            )

    def open(
        self, case: Case, staff: _Staff, worker: User, area: str, *, closure_pending: bool
    ) -> None:
        rng = self.rng
        case.status = CaseStatus.CLOSURE_PENDING if closure_pending else CaseStatus.OPEN
        age = (self.today - case.opened_on).days
        # Reviews every 90 days; about one case in five is overdue.
        review_due = case.opened_on + timedelta(days=90 * (age // 90 + 1))
        if rng.random() < 0.2 and age > 100:
            review_due -= timedelta(days=rng.randint(95, 120))
        case.next_review_on = review_due
        self.notes(case, worker, case.opened_on, self.today, rng.randint(1, 5))
        if age > 180:
            reviewed = case.opened_on + timedelta(days=90)
            self.rows.reviews.append(
                CaseReview(
                    case=case,
                    reviewed_on=reviewed,
                    summary="檢討個案進展：部分目標已達成，繼續跟進。",
                    next_review_on=reviewed + timedelta(days=90),
                    author=worker,
                )
            )
        if closure_pending:
            case.closure_reason = ClosureReason.GOALS_ACHIEVED
            case.closure_note = _CLOSURE_NOTES[0]
            case.closure_requested_by = worker
            self.rows.work_items.append(
                WorkItem(
                    kind=WorkItemKind.CLOSURE_APPROVAL,
                    unit=case.unit,
                    for_supervisor=True,
                    case=case,
                    due_on=self.today + timedelta(days=5),
                )
            )
        else:
            self.rows.work_items.append(
                WorkItem(
                    kind=WorkItemKind.CASE_REVIEW,
                    unit=case.unit,
                    assignee=worker,
                    case=case,
                    due_on=review_due,
                )
            )
        self.plan(case, staff, worker, area, age)
        version = self.forms.get(
            "carer_stress" if area in ("elderly", "rehab") else "risk_screening"
        )
        if version is not None and self.assessed < 16 and rng.random() < 0.25:
            code = version.definition.code
            assessment = _assessment(
                case,
                code,
                version,
                self.assessed,
                self.day(rng.randint(1, min(age, 60) or 1)),
                worker,
            )
            if assessment is not None:
                self.rows.assessments.append(assessment)
                self.assessed += 1
        self.open_cases.append(case)

    def plan(self, case: Case, staff: _Staff, worker: User, area: str, age: int) -> None:
        rng = self.rng
        roll = rng.random()
        if age < 20 or roll > 0.7:
            return
        written = case.opened_on + timedelta(days=min(age - 5, rng.randint(14, 40)))
        pending = (
            worker.username == "worker"
            and sum(1 for p in self.rows.plans if p.status == PlanStatus.PENDING_APPROVAL) < 2
        )
        goals = rng.sample(_GOALS[area], k=min(len(_GOALS[area]), rng.randint(2, 3)))
        if pending:
            plan = CasePlan(
                case=case,
                status=PlanStatus.PENDING_APPROVAL,
                summary="按評估結果訂立的初步計劃，請審批。",
                review_on=self.today + timedelta(days=120),
                author=worker,
            )
            self.rows.work_items.append(
                WorkItem(
                    kind=WorkItemKind.PLAN_APPROVAL,
                    unit=case.unit,
                    for_supervisor=True,
                    case=case,
                    plan=plan,
                    due_on=self.today + timedelta(days=rng.choice((-2, 3, 6))),
                )
            )
        else:
            review_on = written + timedelta(days=180)
            while review_on < self.today - timedelta(days=rng.choice((10, 30, 400))):
                review_on += timedelta(days=180)
            plan = CasePlan(
                case=case,
                status=PlanStatus.APPROVED,
                summary="個案計劃：" + "；".join(goals),
                review_on=review_on,
                author=worker,
                approved_by=staff.supervisor,
                approved_at=_moment(written + timedelta(days=3), 15),
            )
            self.rows.work_items.append(
                WorkItem(
                    kind=WorkItemKind.PLAN_REVIEW,
                    unit=case.unit,
                    assignee=worker,
                    case=case,
                    plan=plan,
                    due_on=review_on,
                )
            )
        self.rows.plans.append(plan)
        self.rows.created[id(plan)] = _moment(written)
        for order, goal in enumerate(goals):
            progress = (
                rng.choice(list(PlanGoal.Progress.values))
                if not pending
                else PlanGoal.Progress.NOT_STARTED
            )
            self.rows.goals.append(
                (
                    plan,
                    PlanGoal(
                        order=order, description=goal, target_on=plan.review_on, progress=progress
                    ),
                )
            )

    def closed(self, case: Case, staff: _Staff, worker: User, area: str) -> None:
        rng = self.rng
        age = (self.today - case.opened_on).days
        closed_on = case.opened_on + timedelta(days=rng.randint(60, max(61, age - 30)))
        case.status = CaseStatus.CLOSED
        case.closed_on = closed_on
        case.closed_by = staff.supervisor
        case.closure_requested_by = worker
        case.closure_reason = rng.choice(
            [r for r in ClosureReason.values if r != ClosureReason.OTHER]
        )
        case.closure_note = rng.choice(_CLOSURE_NOTES)
        self.notes(case, worker, case.opened_on, closed_on, rng.randint(2, 6))

    # -- writing --

    def save(self) -> None:
        """Write every collected row: numbers first, then parents before children."""
        with transaction.atomic():
            for name, numbered in self.numbers.items():
                start = _take_numbers(name, len(numbered))
                for n, case in enumerate(numbered, start=start):
                    case.number = f"{name}-{n:06d}"
            rows = self.rows
            Intake.objects.bulk_create(rows.intakes)
            for case in rows.cases:
                case.intake_id = case.intake.pk if case.intake else None
            Case.objects.bulk_create(rows.cases)
            _relink(rows.case_workers, "case")
            CaseWorker.objects.bulk_create(rows.case_workers)
            _relink(rows.notes, "case")
            CaseNote.objects.bulk_create(rows.notes)
            _relink(rows.reviews, "case")
            CaseReview.objects.bulk_create(rows.reviews)
            _relink(rows.assessments, "case")
            Assessment.objects.bulk_create(rows.assessments)
            _relink(rows.plans, "case")
            CasePlan.objects.bulk_create(rows.plans)
            for plan, goal in rows.goals:
                goal.plan = plan
            PlanGoal.objects.bulk_create([goal for _plan, goal in rows.goals])
            Consent.objects.bulk_create(rows.consents)
            WorkItem.objects.bulk_create(rows.work_items)  # links to rows saved above
            for model, objects in (
                (Intake, rows.intakes),
                (Case, rows.cases),
                (CasePlan, rows.plans),
            ):
                _backdate(
                    model,
                    {obj.pk: rows.created[id(obj)] for obj in objects if id(obj) in rows.created},
                )


def _relink(objects: Sequence[models.Model], name: str) -> None:
    """Set the foreign key id from the related object, saved after the child was built."""
    for obj in objects:
        setattr(obj, name, getattr(obj, name))


def _take_numbers(name: str, count: int) -> int:
    """Reserve `count` numbers of the sequence `name` ("C-2025"); the first one reserved."""
    sequence, _created = NumberSequence.objects.get_or_create(name=name)
    sequence = NumberSequence.objects.select_for_update().get(pk=sequence.pk)
    first = sequence.value + 1
    sequence.value += count
    sequence.save(update_fields=["value"])
    return first


def _backdate(model: type[models.Model], created: dict[int, datetime]) -> None:
    """Give rows the creation time they would have had (bulk_create stamps "now")."""
    if not created:
        return
    whens = [models.When(pk=pk, then=models.Value(moment)) for pk, moment in created.items()]
    model._default_manager.filter(pk__in=list(created)).update(
        created_at=models.Case(*whens, output_field=models.DateTimeField())
    )


# --- Referrals ---


def _referrals(
    builder: _Builder, units: dict[str, ServiceUnit], people: dict[int, ServiceUser]
) -> list[Referral]:
    """Referrals between units: waiting (several in the demo users' inboxes), accepted (with the
    intake they opened), declined and withdrawn; and two outside e-referrals waiting."""
    rng = random.Random(DEMO_SEED + 3)  # noqa: S311
    today = builder.today
    cases = [c for c in builder.open_cases if c.status == CaseStatus.OPEN]
    rng.shuffle(cases)
    # (to unit or None for "any other", status); the first ones land in the demo users' inboxes.
    plan: list[tuple[str | None, str]] = [
        (WORKER_UNIT, ReferralStatus.SENT),
        (WORKER_UNIT, ReferralStatus.SENT),
        (WORKER2_UNIT, ReferralStatus.SENT),
        (WORKER2_UNIT, ReferralStatus.SENT),
        (WORKER_UNIT, ReferralStatus.ACCEPTED),
        (WORKER2_UNIT, ReferralStatus.DECLINED),
        *[(None, ReferralStatus.SENT)] * 6,
        *[(None, ReferralStatus.ACCEPTED)] * 5,
        *[(None, ReferralStatus.DECLINED)] * 3,
        *[(None, ReferralStatus.WITHDRAWN)] * 2,
    ]
    referrals: list[Referral] = []
    consents: list[Consent] = []
    intakes: list[Intake] = []
    items: list[WorkItem] = []
    created: list[datetime] = []
    used: set[int] = set()
    for to_code, status in plan:
        case = next((c for c in cases if c.person_id not in used and c.unit.code != to_code), None)
        if case is None:
            break
        used.add(case.person_id)
        to_unit = (
            units[to_code]
            if to_code
            else rng.choice([u for u in units.values() if u.pk != case.unit_id])
        )
        person = people[case.person_id]
        primary = next(
            cw.user for cw in builder.rows.case_workers if cw.case is case and cw.is_primary
        )
        sent = today - timedelta(
            days=rng.randint(1, 12) if status == ReferralStatus.SENT else rng.randint(15, 200)
        )
        consent = Consent(
            person=person,
            purpose=ConsentPurpose.REFERRAL,
            scope="姓名、聯絡資料及轉介原因，提供予接收轉介的服務單位。",
            given_by="本人",
            given_on=sent,
            evidence="已簽署轉介同意書",
            recorded_by=primary,
        )
        consents.append(consent)
        reason = rng.choice(_REFERRAL_REASONS)
        urgency = rng.choice([Urgency.ROUTINE, Urgency.ROUTINE, Urgency.PRIORITY, Urgency.URGENT])
        referral = Referral(
            channel=ReferralChannel.INTERNAL,
            person=person,
            from_unit=case.unit,
            from_user=primary,
            to_unit=to_unit,
            reason=reason,
            urgency=urgency,
            shared_data=shared_snapshot(person, summary=reason),
            consent=consent,
            status=status,
            respond_by=sent + timedelta(days=1 if urgency == Urgency.URGENT else 7),
        )
        receiver = builder.staff[to_unit.code]
        if status in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED):
            referral.decided_by = receiver.workers[0]
            referral.decided_at = _moment(sent + timedelta(days=3), 11)
        if status == ReferralStatus.DECLINED:
            referral.decline_reason = _DECLINE_REASONS[0]
        if status == ReferralStatus.WITHDRAWN:
            referral.withdraw_reason = "服務使用者改變主意，不再需要轉介服務。"
        if status == ReferralStatus.ACCEPTED:
            intakes.append(
                Intake(
                    person=person,
                    unit=to_unit,
                    source=IntakeSource.REFERRAL,
                    referral=referral,
                    status=IntakeStatus.PENDING,
                    assigned_worker=receiver.workers[0],
                    presenting_problem=reason,
                    created_by=receiver.workers[0],
                )
            )
        if status == ReferralStatus.SENT:
            items.append(
                WorkItem(
                    kind=WorkItemKind.REFERRAL_RESPONSE,
                    unit=to_unit,
                    referral=referral,
                    due_on=referral.respond_by or today,
                )
            )
        referrals.append(referral)
        created.append(_moment(sent, 14))
    referrals += _ereferrals(builder, units[WORKER_UNIT], people, items, created)
    for referral, moment in zip(referrals, created, strict=True):
        builder.numbers[f"R-{moment.year}"].append(referral)
    with transaction.atomic():
        for name, numbered in builder.numbers.items():
            if not name.startswith("R-"):
                continue
            start = _take_numbers(name, len(numbered))
            for n, referral in enumerate(numbered, start=start):
                referral.reference = f"{name}-{n:06d}"
        Consent.objects.bulk_create(consents)
        _relink(referrals, "consent")
        Referral.objects.bulk_create(referrals)
        _relink(intakes, "referral")
        Intake.objects.bulk_create(intakes)
        _relink(items, "referral")
        WorkItem.objects.bulk_create(items)
        _backdate(Referral, {r.pk: moment for r, moment in zip(referrals, created, strict=True)})
    _notify(units, referrals)
    return referrals


def _ereferrals(
    builder: _Builder,
    to_unit: ServiceUnit,
    people: dict[int, ServiceUser],
    items: list[WorkItem],
    created: list[datetime],
) -> list[Referral]:
    """Two outside referrals into the demo worker's unit: one of a person already registered
    (spelled differently), one of somebody new."""
    today = builder.today
    known = next(
        p
        for p in people.values()
        if p.name_zh and p.date_of_birth and p.phone and p.registered_unit_id != to_unit.pk
    )
    newcomer = next(
        p for p in generate_people(5, seed=DEMO_SEED + 4) if p.name_zh and p.spelling == "hk"
    )
    subjects: list[tuple[dict[str, Any], str, str]] = [
        (
            {
                "name_zh": known.name_zh,
                "name_en": " ".join(reversed(known.name_en.split())),
                "sex": known.sex,
                "date_of_birth": known.date_of_birth.isoformat() if known.date_of_birth else "",
                "phone": known.phone,
                "address": known.address,
                "language": known.language,
            },
            "晴川小學",
            "學生近月經常缺課，家長表示照顧有困難，請貴中心跟進家庭需要。",
        ),
        (
            {
                "name_zh": newcomer.name_zh,
                "name_en": newcomer.name_en,
                "sex": newcomer.sex,
                "date_of_birth": newcomer.date_of_birth.isoformat(),
                "phone": newcomer.phone,
                "address": newcomer.address,
                "language": newcomer.language,
            },
            "沙田醫院醫務社會服務部",
            "病人即將出院，獨居，需要家居支援及社區照顧服務。",
        ),
    ]
    referrals: list[Referral] = []
    for n, (shared, organisation, reason) in enumerate(subjects):
        born = date.fromisoformat(shared["date_of_birth"]) if shared["date_of_birth"] else None
        matches = duplicate_candidates(
            name_zh=shared["name_zh"],
            name_en=shared["name_en"],
            date_of_birth=born,
            phones=[shared["phone"]] if shared["phone"] else [],
        )
        if n == 1 and newcomer.hkid:
            shared["hkid_encrypted"] = encrypt(newcomer.hkid)
            shared["hkid_hash"] = lookup_hash(newcomer.hkid)
        shared["summary"] = reason
        shared["match"] = [c.as_dict() for c in matches[:5]]
        sent = today - timedelta(days=n + 1)
        referral = Referral(
            channel=ReferralChannel.WEB_FORM,
            to_unit=to_unit,
            referrer_organisation=organisation,
            referrer_name="陳主任" if n == 0 else "李姑娘",
            referrer_email=f"referrer{n + 1}@example.invalid",
            referrer_phone="",
            reason=reason,
            shared_data=shared,
            consent_evidence="家長已口頭同意轉介，並由本校社工見證。"
            if n == 0
            else "病人已簽署轉介同意書。",
            respond_by=sent + timedelta(days=7),
        )
        items.append(
            WorkItem(
                kind=WorkItemKind.REFERRAL_RESPONSE,
                unit=to_unit,
                referral=referral,
                due_on=sent + timedelta(days=7),
            )
        )
        referrals.append(referral)
        created.append(_moment(sent, 16))
    return referrals


def _notify(units: dict[str, ServiceUnit], referrals: Sequence[Referral]) -> None:
    """In-app notifications of the waiting referrals for the demo users (no email)."""
    waiting = [r for r in referrals if r.status == ReferralStatus.SENT]
    recipients = (
        User.objects.filter(
            is_demo=True,
            memberships__service_unit__in=[units[WORKER_UNIT], units[WORKER2_UNIT]],
            username__in=DEMO_LOGINS_WITH_CASES,
        )
        .distinct()
        .prefetch_related("memberships")
    )
    notifications: list[Notification] = []
    for user in recipients:
        unit_ids = {m.service_unit_id for m in user.memberships.all()}
        for referral in waiting:
            if referral.to_unit_id not in unit_ids:
                continue
            with translation.override(user.preferred_language or "zh-hant"):
                notifications.append(
                    Notification(
                        recipient=user,
                        kind="referral_received",
                        title=gettext("New referral %(reference)s")
                        % {"reference": referral.reference},
                        body=gettext("A referral arrived in the inbox of %(unit)s.")
                        % {"unit": referral.to_unit.name},
                        link=f"/cases/referrals/{referral.pk}/",
                    )
                )
    Notification.objects.bulk_create(notifications)


# --- Households and contacts ---


def _families(people: Sequence[tuple[ServiceUser, SyntheticPerson]], today: date) -> None:
    """Emergency contacts for older people, household members for some families."""
    rng = random.Random(DEMO_SEED + 5)  # noqa: S311
    relatives = iter(generate_people(400, seed=DEMO_SEED + 6, duplicate_rate=0))
    contacts: list[KeyContact] = []
    members: list[HouseholdMember] = []
    for person, synthetic in people:
        born = person.date_of_birth
        if born is None:
            continue
        relative = next(relatives)
        surname = synthetic.surname_zh or ""
        relative_name = (surname + relative.given_zh) if surname else relative.name_en
        if born.year < 1960 and rng.random() < 0.7:
            contacts.append(
                KeyContact(
                    person=person,
                    name=relative_name,
                    relationship="兒子" if relative.sex == "M" else "女兒",
                    phone=relative.phone or "",
                    is_emergency_contact=True,
                )
            )
            if rng.random() < 0.4:
                contacts.append(
                    KeyContact(
                        person=person,
                        name="家庭醫生",
                        relationship="家庭醫生",
                        organisation="區內普通科門診",
                    )
                )
        elif born.year > 2006 and rng.random() < 0.8:
            members.append(
                HouseholdMember(
                    person=person,
                    name=relative_name,
                    relationship=Relationship.PARENT,
                    date_of_birth=born.replace(year=born.year - rng.randint(24, 38))
                    if born.day < 29
                    else None,
                    lives_together=True,
                )
            )
    KeyContact.objects.bulk_create(contacts)
    HouseholdMember.objects.bulk_create(members)


# --- Entry point ---


def _first_person() -> SyntheticPerson:
    """The first demo person: when registered, the demo data is loaded."""
    return generate_people(1, seed=DEMO_SEED, duplicate_rate=DUPLICATE_RATE)[0]


@transaction.atomic
def load_case_demo_data(*, today: date | None = None) -> CaseDemoSummary:
    """Add the case-management demo data (after `socialdesk.core.demo.load_demo_data`).

    Idempotent: when the first demo person is already registered, nothing is added. Returns what
    was done, with counts of the demo units' people, cases and referrals."""
    from socialdesk.core.demo import SERVICE_UNITS

    today = today or timezone.localdate()
    units = {
        u.code: u
        for u in ServiceUnit.objects.filter(
            code__in=[s.code for s in SERVICE_UNITS]
        ).select_related("service_type", "organisation")
    }
    if WORKER_UNIT not in units or WORKER2_UNIT not in units:
        return CaseDemoSummary(created=False)
    ordered = [units[s.code] for s in SERVICE_UNITS if s.code in units]
    staff = _ensure_staff(ordered)
    first = _first_person()
    already = ServiceUser.objects.filter(
        name_zh=first.name_zh,
        name_en=first.name_en,
        date_of_birth=first.date_of_birth,
        registered_unit__code__in=list(units),
    ).exists()
    if not already:
        _load(today, units, ordered, staff)
    demo_people = ServiceUser.objects.filter(registered_unit__in=ordered)
    return CaseDemoSummary(
        created=not already,
        people=demo_people.count(),
        cases=Case.objects.filter(unit__in=ordered).count(),
        referrals=Referral.objects.filter(to_unit__in=ordered).count(),
        staff=sum(len(s.workers) + 1 for s in staff.values()),
    )


def _load(
    today: date,
    units: dict[str, ServiceUnit],
    ordered: Sequence[ServiceUnit],
    staff: dict[str, _Staff],
) -> None:
    from socialdesk.core.models import District

    synthetic = generate_people(DEMO_PEOPLE, seed=DEMO_SEED, duplicate_rate=DUPLICATE_RATE)
    allocation = _allocate_units(ordered, len(synthetic))
    rng = random.Random(DEMO_SEED + 7)  # noqa: S311
    # A near-duplicate is often registered again by the same unit (a supervisor then merges).
    for n, p in enumerate(synthetic):
        if p.duplicate_of is not None and rng.random() < 0.5:
            allocation[n] = allocation[p.duplicate_of]
    districts = {d.code: d for d in District.objects.all()}
    positions: dict[str, int] = defaultdict(int)
    plans: list[_Plan] = []
    people: list[ServiceUser] = []
    for p, code in zip(synthetic, allocation, strict=True):
        unit_staff = staff[code]
        plan = _decide(rng, unit_staff, positions[code])
        positions[code] += 1
        plans.append(plan)
        people.append(_person(p, units[code], plan.worker or unit_staff.workers[-1], districts))
    ServiceUser.objects.bulk_create(people)
    SearchKey.objects.bulk_create(
        [
            SearchKey(person=person, key=key)
            for person in people
            for key in sorted(person_keys(person))
        ]
    )
    builder = _Builder(today, staff, _forms())
    for person, code, plan in zip(people, allocation, plans, strict=True):
        builder.person(person, units[code], plan)
    builder.save()
    by_id = {p.pk: p for p in people}
    _referrals(builder, units, by_id)
    _families(list(zip(people, synthetic, strict=True)), today)
