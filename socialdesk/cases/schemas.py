"""Request and response schemas of the case management API. A person's HKID number is accepted
in requests but never returned: responses carry `hkid_masked` ("A123***(*)") only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from socialdesk.textsearch.identifiers import hkid_mask

from .models import (
    Attachment,
    Case,
    CaseNote,
    Consent,
    ConsentPurpose,
    Intake,
    Language,
    Referral,
    Relationship,
    ServiceUser,
    ServiceUserFlag,
    Sex,
    Urgency,
    WorkItem,
)

# Keys of a referral's shared data that never leave the server (the HKID in any form but masked).
HIDDEN_SHARED_KEYS = frozenset({"hkid_encrypted", "hkid_hash", "match"})


def masked_hkid(canonical: str) -> str:
    try:
        return hkid_mask(canonical) if canonical else ""
    except ValueError:
        return ""


# --- People ---


class PersonIn(Schema):
    """A person to register; the unit is the caller's own when they work in only one."""

    name_zh: str = Field("", max_length=50)
    name_en: str = Field("", max_length=120)
    sex: Sex = Sex.UNKNOWN
    date_of_birth: date | None = None
    date_of_birth_estimated: bool = False
    hkid: str = Field("", max_length=20, description="Accepted, never returned (see hkid_masked).")
    phone: str = Field("", max_length=30)
    phone_alt: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=300)
    district: str = Field("", max_length=40, description="District code, e.g. sha-tin.")
    language: Language = Language.CANTONESE
    flags: list[ServiceUserFlag] = Field(default_factory=list)
    unit: str = Field("", max_length=40, description="Code of the unit registering the person.")
    presenting_problem: str = Field("", max_length=5000)
    acknowledged: list[int] = Field(
        default_factory=list,
        description="Ids of possible duplicates looked at and found to be other people.",
    )


class PersonPatch(Schema):
    """Changes to a person's details; send the `version` you read."""

    version: int
    name_zh: str | None = Field(None, max_length=50)
    name_en: str | None = Field(None, max_length=120)
    sex: Sex | None = None
    date_of_birth: date | None = None
    date_of_birth_estimated: bool | None = None
    hkid: str | None = Field(None, max_length=20)
    phone: str | None = Field(None, max_length=30)
    phone_alt: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=254)
    address: str | None = Field(None, max_length=300)
    district: str | None = Field(None, max_length=40)
    language: Language | None = None
    flags: list[ServiceUserFlag] | None = None


class PersonOut(Schema):
    id: int
    reference: str
    name_zh: str
    name_en: str
    display_name: str
    sex: str
    date_of_birth: date | None
    date_of_birth_estimated: bool
    hkid_masked: str
    phone: str
    phone_alt: str
    email: str
    address: str
    district: str
    language: str
    flags: list[str]
    registered_unit: str
    merged_into: int | None
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_hkid_masked(obj: ServiceUser) -> str:
        return masked_hkid(obj.hkid)

    @staticmethod
    def resolve_district(obj: ServiceUser) -> str:
        return obj.district.code if obj.district else ""

    @staticmethod
    def resolve_registered_unit(obj: ServiceUser) -> str:
        return obj.registered_unit.code if obj.registered_unit else ""

    @staticmethod
    def resolve_merged_into(obj: ServiceUser) -> int | None:
        return obj.merged_into_id


class PersonCreatedOut(PersonOut):
    intake_id: int = Field(description="The intake opened for the person in the unit.")


class PersonHitOut(Schema):
    """One person found by the search box."""

    id: int
    reference: str
    name_zh: str
    name_en: str
    sex: str
    date_of_birth: date | None
    hkid_masked: str
    district: str
    score: float


class PeopleSearchOut(Schema):
    items: list[PersonHitOut]
    count: int


class CandidateSummaryOut(Schema):
    """As much of a possible duplicate as a worker who may not see the record needs to tell:
    the first character of the Chinese name, initials of the English name, the birth year."""

    name_zh: str
    name_en: str
    birth_year: int | None
    district: str


class DuplicateCandidateOut(Schema):
    id: int
    score: int
    reasons: list[str]
    reason_labels: list[str]
    summary: CandidateSummaryOut


class TimelineEntryOut(Schema):
    when: datetime | date
    kind: str
    title: str
    text: str
    case_id: int | None
    case_number: str
    object_id: int | None


class ConsentIn(Schema):
    purpose: ConsentPurpose
    scope: str = Field(max_length=300)
    given_by: str = Field(max_length=120)
    given_on: date
    evidence: str = Field(max_length=200)
    recipient_organisation: str = Field(
        "", max_length=40, description="Organisation code; empty: any service referred to."
    )


class ConsentOut(Schema):
    id: int
    person_id: int
    purpose: str
    scope: str
    recipient_organisation: str
    given_by: str
    given_on: date
    evidence: str
    withdrawn_on: date | None
    is_active: bool
    version: int

    @staticmethod
    def resolve_recipient_organisation(obj: Consent) -> str:
        return obj.recipient_organisation.code if obj.recipient_organisation else ""


# --- Cases ---


class CaseSummaryOut(Schema):
    id: int
    number: str
    status: str
    unit: str
    person_id: int
    person_reference: str
    person_name: str
    opened_on: date
    next_review_on: date | None
    closed_on: date | None
    version: int

    @staticmethod
    def resolve_unit(obj: Case) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_person_reference(obj: Case) -> str:
        return obj.person.reference

    @staticmethod
    def resolve_person_name(obj: Case) -> str:
        return obj.person.display_name


class CaseWorkerOut(Schema):
    username: str
    display_name: str
    is_primary: bool


class NoteIn(Schema):
    kind: str = Field(max_length=20, description="contact, home_visit, phone, …")
    occurred_at: datetime
    body: str = Field(max_length=20000)


class NoteOut(Schema):
    id: int
    case_id: int
    kind: str
    occurred_at: datetime
    body: str
    author: str
    version: int

    @staticmethod
    def resolve_author(obj: CaseNote) -> str:
        return obj.author.display_name


class PlanOut(Schema):
    id: int
    status: str
    summary: str
    review_on: date
    goals: list[str]
    version: int

    @staticmethod
    def resolve_goals(obj: Any) -> list[str]:
        return [goal.description for goal in obj.goals.all()]


class ReviewOut(Schema):
    id: int
    reviewed_on: date
    summary: str
    next_review_on: date | None


class AssessmentOut(Schema):
    id: int
    form: str
    assessed_on: date
    score: dict[str, Any]

    @staticmethod
    def resolve_form(obj: Any) -> str:
        return str(obj.form_version.definition)


class CaseReferralOut(Schema):
    id: int
    reference: str
    kind: str
    to_unit: str
    status: str

    @staticmethod
    def resolve_to_unit(obj: Referral) -> str:
        return obj.to_unit.code


class CaseOut(CaseSummaryOut):
    """A case with its workers, latest notes, plans, reviews, assessments and referrals (from
    `selectors.case_detail_parts`, put on the case as `detail_parts`)."""

    team: str
    intake_id: int | None
    summary: str
    closure_reason: str
    closure_note: str
    reopened_count: int
    workers: list[CaseWorkerOut]
    notes: list[NoteOut]
    plans: list[PlanOut]
    reviews: list[ReviewOut]
    assessments: list[AssessmentOut]
    referrals: list[CaseReferralOut]

    @staticmethod
    def resolve_team(obj: Case) -> str:
        return str(obj.team) if obj.team_id else ""

    @staticmethod
    def resolve_workers(obj: Case) -> list[dict[str, Any]]:
        return [
            {
                "username": w.user.get_username(),
                "display_name": w.user.display_name,
                "is_primary": w.is_primary,
            }
            for w in obj.detail_parts["workers"]  # type: ignore[attr-defined]
        ]

    @staticmethod
    def resolve_notes(obj: Case) -> list[Any]:
        return obj.detail_parts["notes"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_plans(obj: Case) -> list[Any]:
        return obj.detail_parts["plans"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_reviews(obj: Case) -> list[Any]:
        return obj.detail_parts["reviews"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_assessments(obj: Case) -> list[Any]:
        return obj.detail_parts["assessments"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_referrals(obj: Case) -> list[Any]:
        return obj.detail_parts["referrals"]  # type: ignore[attr-defined]


class CaseOpenIn(Schema):
    version: int = Field(description="The intake's version.")
    primary_worker_id: int | None = None
    team_id: int | None = None
    summary: str = Field("", max_length=5000)
    review_in_days: int = Field(90, ge=1, le=366)


class CaseCloseIn(Schema):
    version: int
    reason: str = Field(max_length=30, description="goals_achieved, lost_contact, …")
    note: str = Field("", max_length=5000)


# --- Referrals ---


class AttachmentIn(Schema):
    filename: str = Field(min_length=1, max_length=200)
    content_base64: str = Field(description="The file's bytes, base64-encoded.")


class ReferralIn(Schema):
    """An internal referral (or, with kind "transfer" and case_id, a case transfer)."""

    person_id: int
    to_unit: str = Field(max_length=40, description="Code of the receiving unit.")
    from_unit: str = Field("", max_length=40, description="Your unit; needed if you have two.")
    reason: str = Field(max_length=5000)
    urgency: str = Field(Urgency.ROUTINE, max_length=10)
    consent_id: int | None = None
    consent_override_reason: str = Field("", max_length=5000)
    kind: str = Field("referral", max_length=10)
    case_id: int | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=5)


class ReferralSubjectOut(Schema):
    """The person as the referral describes them (before it is accepted)."""

    person_reference: str = ""
    name_zh: str = ""
    name_en: str = ""
    sex: str = ""
    date_of_birth: str = ""
    hkid_masked: str = ""
    phone: str = ""
    address: str = ""
    language: str = ""
    district: str = ""
    flags: list[str] = Field(default_factory=list)
    summary: str = ""


class ReferralMatchOut(Schema):
    person_id: int
    score: int
    reasons: list[str]


class AttachmentOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int
    scan_status: str


class ReferralOut(Schema):
    id: int
    reference: str
    kind: str
    channel: str
    status: str
    urgency: str
    from_unit: str
    to_unit: str
    referrer_organisation: str
    referrer_name: str
    referrer_email: str
    referrer_phone: str
    person_id: int | None
    subject: ReferralSubjectOut
    matches: list[ReferralMatchOut]
    reason: str
    consent_id: int | None
    consent_evidence: str
    consent_overridden: bool
    respond_by: date | None
    decided_at: datetime | None
    decline_reason: str
    withdraw_reason: str
    attachments: list[AttachmentOut]
    created_at: datetime
    version: int

    @staticmethod
    def resolve_from_unit(obj: Referral) -> str:
        return obj.from_unit.code if obj.from_unit else ""

    @staticmethod
    def resolve_to_unit(obj: Referral) -> str:
        return obj.to_unit.code

    @staticmethod
    def resolve_subject(obj: Referral) -> dict[str, Any]:
        data = obj.shared_data or {}
        fields = ReferralSubjectOut.model_fields
        subject = {k: v for k, v in data.items() if k in fields and k not in HIDDEN_SHARED_KEYS}
        for key in ("date_of_birth", "name_zh", "name_en", "summary"):
            subject[key] = str(subject.get(key) or "")
        return subject

    @staticmethod
    def resolve_matches(obj: Referral) -> list[dict[str, Any]]:
        return list((obj.shared_data or {}).get("match") or [])

    @staticmethod
    def resolve_consent_overridden(obj: Referral) -> bool:
        return bool(obj.consent_override_reason)

    @staticmethod
    def resolve_attachments(obj: Referral) -> list[Attachment]:
        return list(obj.attachments.all())


class ReferralAcceptIn(Schema):
    version: int
    person_id: int | None = Field(
        None, description="For an outside referral: the matching record (one of `matches`)."
    )
    register_new: bool = Field(False, description="For an outside referral: a new person.")


class ReferralAcceptedOut(Schema):
    referral: ReferralOut
    intake_id: int | None
    case_id: int | None


class ReferralReasonIn(Schema):
    version: int
    reason: str = Field(max_length=5000)


class WorkItemOut(Schema):
    id: int
    kind: str
    kind_label: str
    unit: str
    due_on: date
    overdue: bool
    for_supervisor: bool
    assigned_to_me: bool
    case_id: int | None
    case_number: str
    intake_id: int | None
    referral_id: int | None
    referral_reference: str
    person_name: str

    @staticmethod
    def resolve_kind_label(obj: WorkItem) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_unit(obj: WorkItem) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_case_number(obj: WorkItem) -> str:
        return obj.case.number if obj.case_id and obj.case else ""

    @staticmethod
    def resolve_referral_reference(obj: WorkItem) -> str:
        return obj.referral.reference if obj.referral_id and obj.referral else ""

    @staticmethod
    def resolve_person_name(obj: WorkItem) -> str:
        if obj.case_id and obj.case:
            return obj.case.person.display_name
        if obj.intake_id and obj.intake:
            return obj.intake.person.display_name
        if obj.referral_id and obj.referral:
            return obj.referral.subject_name
        return ""


# --- E-referral from outside agencies ---


class EReferralPersonIn(Schema):
    name_zh: str = Field("", max_length=50)
    name_en: str = Field("", max_length=120)
    sex: Sex = Sex.UNKNOWN
    date_of_birth: date | None = None
    hkid: str = Field("", max_length=20)
    phone: str = Field("", max_length=30)
    address: str = Field("", max_length=300)
    language: Language = Language.CANTONESE


class ReferrerIn(Schema):
    name: str = Field(max_length=120, description="Who to contact about the referral.")
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=20)
    department: str = Field("", max_length=100)


class EReferralIn(Schema):
    to_unit: str = Field(max_length=40, description="Code of the receiving service unit.")
    person: EReferralPersonIn
    reason: str = Field(max_length=5000)
    urgency: Urgency = Urgency.ROUTINE
    referrer: ReferrerIn
    consent_evidence: str = Field(
        max_length=300, description="How the person's consent to the referral was obtained."
    )
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=5)


class EReferralReceiptOut(Schema):
    reference: str
    status_secret: str | None = Field(
        description="Shown once: keep it to look the status up. Null when the referral was "
        "already received earlier with the same Idempotency-Key."
    )
    status_url: str


class EReferralStatusOut(Schema):
    reference: str
    status: str
    decided_at: datetime | None
    decline_reason: str


# --- A person's record: household, contacts, other names, consents ---


class HouseholdMemberIn(Schema):
    name: str = Field(max_length=120)
    relationship: Relationship
    date_of_birth: date | None = None
    lives_together: bool = True
    note: str = Field("", max_length=200)


class HouseholdMemberOut(Schema):
    id: int
    name: str
    relationship: str
    date_of_birth: date | None
    lives_together: bool
    note: str
    related_person_id: int | None


class KeyContactIn(Schema):
    name: str = Field(max_length=120)
    relationship: str = Field(max_length=100, description="Relationship or role.")
    phone: str = Field("", max_length=30)
    organisation: str = Field("", max_length=200)
    is_emergency_contact: bool = False


class KeyContactOut(Schema):
    id: int
    name: str
    relationship: str
    phone: str
    organisation: str
    is_emergency_contact: bool


class AliasIn(Schema):
    name_zh: str = Field("", max_length=50)
    name_en: str = Field("", max_length=120)
    note: str = Field("", max_length=200)


class AliasOut(Schema):
    id: int
    name_zh: str
    name_en: str
    note: str


class PersonRecordOut(PersonOut):
    """A person with the parts of their record (from `selectors.person_detail_parts`, put on the
    person as `detail_parts`)."""

    household: list[HouseholdMemberOut]
    contacts: list[KeyContactOut]
    aliases: list[AliasOut]
    consents: list[ConsentOut]
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_household(obj: ServiceUser) -> list[Any]:
        return obj.detail_parts["household"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_contacts(obj: ServiceUser) -> list[Any]:
        return obj.detail_parts["contacts"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_aliases(obj: ServiceUser) -> list[Any]:
        return obj.detail_parts["aliases"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_consents(obj: ServiceUser) -> list[Any]:
        return obj.detail_parts["consents"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_attachments(obj: ServiceUser) -> list[Any]:
        return obj.detail_parts["attachments"]  # type: ignore[attr-defined]


class ConsentWithdrawIn(Schema):
    version: int
    withdrawn_on: date
    note: str = Field(max_length=300, description="How the withdrawal was given.")


class DuplicateCheckIn(Schema):
    """The identity to check before registering someone (or when outside data arrives)."""

    name_zh: str = Field("", max_length=50)
    name_en: str = Field("", max_length=120)
    date_of_birth: date | None = None
    hkid: str = Field("", max_length=20)
    phone: str = Field("", max_length=30)


class DuplicateCheckOut(Schema):
    candidates: list[DuplicateCandidateOut]


class MergeIn(Schema):
    source_id: int = Field(description="The other record of the same person; it is merged in.")
    reason: str = Field(max_length=500)


class LinkIn(Schema):
    """An intake in your unit for someone already registered (one of the candidates of the
    identity you typed, as the duplicate check returns them)."""

    name_zh: str = Field("", max_length=50)
    name_en: str = Field("", max_length=120)
    date_of_birth: date | None = None
    hkid: str = Field("", max_length=20)
    phone: str = Field("", max_length=30)
    unit: str = Field("", max_length=40)
    presenting_problem: str = Field("", max_length=5000)


class BreakGlassIn(Schema):
    hkid: str = Field(max_length=20, description="The person's HKID number, exactly.")
    reason: str = Field(max_length=1000, description="Why you need the record now.")
    minutes: int = Field(60, ge=5, le=240)


class BreakGlassOut(Schema):
    id: int
    person_id: int
    reason: str
    granted_at: datetime
    expires_at: datetime


# --- Intakes ---


class IntakeOut(Schema):
    id: int
    person_id: int
    person_reference: str
    person_name: str
    unit: str
    source: str
    status: str
    referral_id: int | None
    assigned_worker: str
    presenting_problem: str
    form: str
    answers: dict[str, Any]
    interviewed_on: date | None
    outcome_note: str
    created_at: datetime
    version: int

    @staticmethod
    def resolve_person_reference(obj: Intake) -> str:
        return obj.person.reference

    @staticmethod
    def resolve_person_name(obj: Intake) -> str:
        return obj.person.display_name

    @staticmethod
    def resolve_unit(obj: Intake) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_assigned_worker(obj: Intake) -> str:
        return obj.assigned_worker.get_username() if obj.assigned_worker else ""

    @staticmethod
    def resolve_form(obj: Intake) -> str:
        return obj.form_version.definition.code if obj.form_version else ""


class IntakeInterviewIn(Schema):
    version: int
    presenting_problem: str = Field(max_length=5000)
    interviewed_on: date | None = None
    answers: dict[str, Any] | None = Field(
        None, description="Answers to the unit's intake form (form `intake`), by field name."
    )


class IntakeCloseIn(Schema):
    version: int
    outcome_note: str = Field(max_length=2000, description="Why no case is opened.")


class AssignIn(Schema):
    version: int
    worker_id: int


# --- Work on a case ---


class CaseWorkerIn(Schema):
    worker_id: int
    primary: bool = False


class NotePatch(Schema):
    version: int
    kind: str | None = Field(None, max_length=20)
    occurred_at: datetime | None = None
    body: str | None = Field(None, max_length=20000)


class AssessmentIn(Schema):
    form: str = Field(max_length=60, description="Code of a published form, e.g. carer_stress.")
    assessed_on: date
    answers: dict[str, Any]


class AssessmentDetailOut(AssessmentOut):
    case_id: int
    form_code: str
    form_version: int
    answers: dict[str, Any]
    author: str
    version: int

    @staticmethod
    def resolve_form_code(obj: Any) -> str:
        return str(obj.form_version.definition.code)

    @staticmethod
    def resolve_form_version(obj: Any) -> int:
        return int(obj.form_version.number)

    @staticmethod
    def resolve_author(obj: Any) -> str:
        return str(obj.author.display_name)


class GoalIn(Schema):
    description: str = Field(max_length=500)
    target_on: date | None = None


class PlanIn(Schema):
    summary: str = Field("", max_length=5000)
    review_on: date
    goals: list[GoalIn] = Field(max_length=30)


class PlanDetailOut(PlanOut):
    case_id: int
    return_note: str
    approved_at: datetime | None


class VersionIn(Schema):
    version: int


class NoteReasonIn(Schema):
    version: int
    note: str = Field(max_length=2000)


class ReopenIn(Schema):
    version: int
    reason: str = Field(max_length=2000)


class ReviewIn(Schema):
    reviewed_on: date
    summary: str = Field(max_length=10000)
    next_review_on: date | None = None
