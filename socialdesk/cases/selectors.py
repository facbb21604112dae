"""Reads of case records, scoped by the need-to-know policy. Reads of a person's record are
audited here (`record_read`), so every page and API endpoint that shows one is covered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.core.access import Action, actor_for, policy_for
from socialdesk.core.audit import record_read, record_reads
from socialdesk.core.models import Membership, Organisation, Role, ServiceUnit

from .models import (
    Assessment,
    Attachment,
    BreakGlassAccess,
    Case,
    CaseNote,
    CasePlan,
    CaseReview,
    CaseStatus,
    CaseWorker,
    Consent,
    ConsentPurpose,
    HouseholdMember,
    Intake,
    KeyContact,
    Referral,
    ReferralStatus,
    ServiceUser,
    ServiceUserAlias,
    Team,
    UnitCaseSettings,
    WorkItem,
)


def person_get_for(
    *, user: Any, person_id: Any, request: HttpRequest | None = None, purpose: str = ""
) -> ServiceUser:
    """One person the user may see (404 otherwise); the read is audited (purpose "break_glass"
    when the user sees the person through a running break-the-glass access)."""
    person = policy_for(ServiceUser).get(user, person_id, Action.VIEW)
    if active_break_glass_for(user=user, person=person) is not None:
        purpose = "break_glass"
    record_read(obj=person, user=user, request=request, purpose=purpose)
    return person


def people_search_for(
    *, user: Any, query: str, limit: int = 20, request: HttpRequest | None = None
) -> list[Any]:
    """The search box: people the user may see, best first (services.search). Each person shown
    in the results is a read of their data, audited as such (purpose "search")."""
    from .services.search import search_people

    hits = search_people(user=user, query=query, limit=limit)
    record_reads(objs=[hit.person for hit in hits], user=user, request=request, purpose="search")
    return hits


def person_can_change(*, user: Any, person: ServiceUser) -> bool:
    return policy_for(ServiceUser).allows(user, person, Action.CHANGE)


def person_cases_for(*, user: Any, person: ServiceUser) -> QuerySet[Case]:
    """The person's cases that the viewer may see."""
    return (
        policy_for(Case)
        .queryset(user)
        .filter(person=person)
        .select_related("unit", "unit__organisation")
        .order_by("-opened_on")
    )


@dataclass
class TimelineEntry:
    """One event on a person's timeline."""

    when: datetime | date
    kind: str
    title: str
    case: Case | None
    obj: Any


def _as_datetime(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value
    return timezone.make_aware(datetime(value.year, value.month, value.day))


def person_timeline_for(*, user: Any, person: ServiceUser, limit: int = 200) -> list[TimelineEntry]:
    """Intakes, case openings and closures, notes, assessments, plans and reviews of the cases
    the viewer may see, newest first."""
    cases = list(person_cases_for(user=user, person=person))
    case_ids = [c.pk for c in cases]
    entries: list[TimelineEntry] = []
    for case in cases:
        entries.append(TimelineEntry(case.opened_on, "case_opened", case.number, case, case))
        if case.closed_on:
            entries.append(TimelineEntry(case.closed_on, "case_closed", case.number, case, case))
    by_id = {c.pk: c for c in cases}
    for note in CaseNote.objects.filter(case_id__in=case_ids).order_by("-occurred_at")[:limit]:
        entries.append(
            TimelineEntry(
                note.occurred_at, "note", note.get_kind_display(), by_id[note.case_id], note
            )
        )
    for item in Assessment.objects.filter(case_id__in=case_ids).select_related(
        "form_version__definition"
    ):
        entries.append(
            TimelineEntry(
                item.assessed_on,
                "assessment",
                str(item.form_version.definition),
                by_id[item.case_id],
                item,
            )
        )
    for plan in CasePlan.objects.filter(case_id__in=case_ids):
        entries.append(
            TimelineEntry(
                plan.created_at, "plan", plan.get_status_display(), by_id[plan.case_id], plan
            )
        )
    for review in CaseReview.objects.filter(case_id__in=case_ids):
        entries.append(
            TimelineEntry(review.reviewed_on, "review", "", by_id[review.case_id], review)
        )
    for intake in policy_for(Intake).queryset(user).filter(person=person).select_related("unit"):
        entries.append(TimelineEntry(intake.created_at, "intake", str(intake.unit), None, intake))
    entries.sort(key=lambda e: _as_datetime(e.when), reverse=True)
    return entries[:limit]


def case_get_for(*, user: Any, case_id: Any, request: HttpRequest | None = None) -> Case:
    """One case the user may see; reading it is a read of the person's data, so it is audited."""
    case = policy_for(Case).get(user, case_id, Action.VIEW)
    record_read(obj=case, user=user, request=request)
    return case


def case_detail_parts(*, case: Case) -> dict[str, Any]:
    """Everything a case page shows, fetched in a fixed number of queries."""
    return {
        "workers": list(case.workers.select_related("user")),
        "notes": list(case.notes.select_related("author")[:50]),
        "assessments": list(case.assessments.select_related("form_version__definition", "author")),
        "plans": list(case.plans.select_related("author", "approved_by").prefetch_related("goals")),
        "reviews": list(case.reviews.select_related("author")),
        "referrals": list(case.referrals_out.select_related("to_unit")),
    }


CASE_COUNTS = ("cases_served", "cases_opened", "cases_closed")


def _counted(unit_id: Any, source: str, starts_on: date, ends_on: date) -> Q:
    """The cases of a unit a statistic counts over a period: served (open at any time in it),
    opened in it, or closed in it."""
    if source == "cases_opened":
        return Q(unit_id=unit_id, opened_on__range=(starts_on, ends_on))
    if source == "cases_closed":
        return Q(unit_id=unit_id, closed_on__range=(starts_on, ends_on))
    return Q(unit_id=unit_id, opened_on__lte=ends_on) & (
        Q(closed_on__isnull=True) | Q(closed_on__gte=starts_on)
    )


def case_counts_for_unit(*, unit_id: Any, starts_on: date, ends_on: date) -> dict[str, int]:
    """How many cases of the unit were served, opened and closed in the period: counts only, no
    personal data (for statistical returns), so not scoped by need-to-know nor audited."""
    return Case.objects.aggregate(
        **{
            source: Count("pk", filter=_counted(unit_id, source, starts_on, ends_on))
            for source in CASE_COUNTS
        }
    )


def cases_counted_for(
    *, user: Any, unit_id: Any, source: str, starts_on: date, ends_on: date
) -> tuple[list[Case], int]:
    """The cases behind a count that the user may see (newest first, at most 500), and how many
    others are counted that they may not see. Listing them is a read of each case's person."""
    if source not in CASE_COUNTS:
        raise Http404
    counted = Case.objects.filter(_counted(unit_id, source, starts_on, ends_on))
    visible = policy_for(Case).queryset(user, base=counted)
    hidden = counted.count() - visible.count()
    shown = list(visible.select_related("person", "unit").order_by("-opened_on", "-pk")[:500])
    record_reads(objs=shown, user=user, purpose="statistics_drill_down")
    return shown, hidden


def case_list_for(*, user: Any, status: str = "", unit_id: Any = None) -> QuerySet[Case]:
    qs = policy_for(Case).queryset(user).select_related("person", "unit")
    if status == "open":
        qs = qs.exclude(status=CaseStatus.CLOSED)
    elif status:
        qs = qs.filter(status=status)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    return qs.order_by("-opened_on", "-pk")


def intake_list_for(*, user: Any, open_only: bool = True) -> QuerySet[Intake]:
    qs = policy_for(Intake).queryset(user).select_related("person", "unit", "assigned_worker")
    if open_only:
        qs = qs.filter(status__in=("pending", "in_progress"))
    return qs.order_by("-created_at")


def intake_get_for(*, user: Any, intake_id: Any, request: HttpRequest | None = None) -> Intake:
    intake = policy_for(Intake).get(user, intake_id, Action.VIEW)
    record_read(obj=intake, user=user, request=request)
    return intake


def referral_inbox_for(*, user: Any, status: str = ReferralStatus.SENT) -> QuerySet[Referral]:
    """Referrals to the user's units."""
    units = actor_for(user).unit_ids(Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR)
    qs = policy_for(Referral).queryset(user).filter(to_unit_id__in=units)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("from_unit", "to_unit", "person").order_by("-created_at")


def referral_outbox_for(*, user: Any) -> QuerySet[Referral]:
    units = actor_for(user).unit_ids(Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR)
    return (
        policy_for(Referral)
        .queryset(user)
        .filter(from_unit_id__in=units)
        .select_related("from_unit", "to_unit", "person")
        .order_by("-created_at")
    )


def referral_get_for(
    *, user: Any, referral_id: Any, request: HttpRequest | None = None
) -> Referral:
    referral = policy_for(Referral).get(user, referral_id, Action.VIEW)
    record_read(obj=referral, user=user, request=request)
    return referral


def work_items_for(*, user: Any, include_done: bool = False) -> QuerySet[WorkItem]:
    """The user's "my work" list: their own items, the unit's unassigned ones, and for
    supervisors the approvals of their units."""
    qs = (
        policy_for(WorkItem)
        .queryset(user)
        .select_related("case", "case__person", "referral", "intake", "intake__person", "unit")
    )
    if not include_done:
        qs = qs.filter(done_at__isnull=True)
    return qs.order_by("due_on", "pk")


def break_glass_list_for(*, user: Any) -> QuerySet[BreakGlassAccess]:
    return policy_for(BreakGlassAccess).queryset(user).select_related("user", "person")


def person_access_log_for(*, user: Any, person: ServiceUser) -> QuerySet[Any]:
    """Who has seen or changed this person's records ("who has seen this person"), for
    privacy officers: audit entries of the person and of their cases, intakes and referrals."""
    from auditlog.models import LogEntry

    if not actor_for(user).has_role(Role.PRIVACY_OFFICER):
        return LogEntry.objects.none()
    # Only for a person of the officer's organisation (one they may see), whoever passed it in.
    if not policy_for(ServiceUser).allows(user, person, Action.VIEW):
        return LogEntry.objects.none()
    return (
        LogEntry.objects.filter(additional_data__service_user=person.pk)
        .select_related("actor", "content_type")
        .order_by("-timestamp")
    )


# --- Reads for the case pages --------------------------------------------------------------


def casework_units_for(*, user: Any) -> QuerySet[ServiceUnit]:
    """The active units where the user does case work (frontline worker or supervisor)."""
    ids = actor_for(user).unit_ids(Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR)
    return (
        ServiceUnit.objects.filter(pk__in=ids, is_active=True)
        .select_related("organisation")
        .order_by("code")
    )


def supervises(*, user: Any, unit_id: Any = None) -> bool:
    """Whether the user supervises the unit (approvals, assignments, re-opening), or with no
    unit given, any unit (merging records)."""
    units = actor_for(user).unit_ids(Role.UNIT_SUPERVISOR)
    return bool(units) if unit_id is None else unit_id in units


def unit_caseworker_list(*, unit_id: Any) -> QuerySet[Any]:
    """The unit's active frontline workers and supervisors (names only), for assignments."""
    from django.contrib.auth import get_user_model

    members = Membership.objects.filter(
        service_unit_id=unit_id,
        role__in=(Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR),
        is_active=True,
    ).values("user_id")
    return get_user_model().objects.filter(pk__in=members, is_active=True).order_by("username")


def team_list(*, unit_id: Any) -> QuerySet[Team]:
    return Team.objects.filter(unit_id=unit_id).order_by("name_en")


def referral_target_units() -> QuerySet[ServiceUnit]:
    """Every active unit of an active organisation: the directory a referral may go to (names,
    types and districts only; no personal data)."""
    return (
        ServiceUnit.objects.filter(is_active=True, organisation__is_active=True)
        .select_related("organisation", "service_type", "district")
        .order_by("organisation__kind", "organisation__code", "code")
    )


def person_page_for(*, user: Any, person_id: Any, request: HttpRequest | None = None) -> dict:
    """Everything the person's page shows, the read audited: the record and its parts, the
    cases and timeline the viewer may see, whether they may change it, and their running
    break-the-glass access, if any."""
    person = policy_for(ServiceUser).get(user, person_id, Action.VIEW)
    break_glass = active_break_glass_for(user=user, person=person)
    purpose = "break_glass" if break_glass is not None else "view"
    record_read(obj=person, user=user, request=request, purpose=purpose)
    return {
        "person": person,
        **person_detail_parts(person=person),
        "cases": list(person_cases_for(user=user, person=person)),
        "timeline": person_timeline_for(user=user, person=person, limit=50),
        "can_change": person_can_change(user=user, person=person),
        "open_intakes": list(
            policy_for(Intake)
            .queryset(user)
            .filter(person=person, status__in=("pending", "in_progress"))
            .select_related("unit")
        ),
        "break_glass": break_glass,
    }


def case_page_for(*, user: Any, case_id: Any, request: HttpRequest | None = None) -> dict:
    """Everything the case page shows, the read audited."""
    case = case_get_for(user=user, case_id=case_id, request=request)
    return {
        "case": case,
        **case_detail_parts(case=case),
        "can_change": policy_for(Case).allows(user, case, Action.CHANGE),
        "is_supervisor": supervises(user=user, unit_id=case.unit_id),
    }


def organisation_directory() -> QuerySet[Organisation]:
    """Every active organisation (names only), e.g. the recipient of a consent to referral."""
    return Organisation.objects.filter(is_active=True).order_by("kind", "code")


def person_detail_parts(*, person: ServiceUser) -> dict[str, Any]:
    """The parts of a person's record shown with it (the person was fetched through the
    policy; these follow the person), in a fixed number of queries."""
    return {
        "household": list(person.household.select_related("related_person")),
        "contacts": list(person.contacts.all()),
        "aliases": list(person.aliases.all()),
        "consents": list(
            person.consents.select_related("recorded_by", "recipient_organisation", "evidence_file")
        ),
        "attachments": list(
            person.attachments.filter(referral__isnull=True).select_related("uploaded_by")
        ),
    }


def referral_consents_for(*, person: ServiceUser) -> QuerySet[Consent]:
    """The person's active consents for referral (any recipient; the service checks the one
    chosen covers the receiving organisation)."""
    return (
        person.consents.filter(purpose=ConsentPurpose.REFERRAL, withdrawn_on__isnull=True)
        .select_related("recipient_organisation")
        .order_by("-given_on", "-pk")
    )


@dataclass
class CandidateSummary:
    """A possible duplicate as a registering worker may see it: masked, since the worker may
    have no access to that record (first character of the Chinese name, initials of the English
    name, birth year, district)."""

    person_id: int
    score: int
    reasons: list[str]
    name_zh: str
    name_en: str
    birth_year: int | None
    district: str


def _mask_zh(name: str) -> str:
    name = name.strip()
    return f"{name[0]}○○" if name else ""


def _initials(name: str) -> str:
    parts = [p for p in name.replace(",", " ").split() if p]
    return " ".join(f"{p[0].upper()}." for p in parts)


def duplicate_candidate_summaries(*, candidates: list[Any]) -> list[CandidateSummary]:
    """Masked summaries of duplicate candidates (`services.search.DuplicateCandidate`), in the
    candidates' order."""
    ids = [c.person_id for c in candidates]
    people = {
        p.pk: p
        for p in ServiceUser.objects.filter(pk__in=ids)
        .select_related("district")
        .only("pk", "name_zh", "name_en", "date_of_birth", "district")
    }
    summaries = []
    for candidate in candidates:
        person = people.get(candidate.person_id)
        if person is None:
            continue
        summaries.append(
            CandidateSummary(
                person_id=person.pk,
                score=candidate.score,
                reasons=candidate.reason_labels(),
                name_zh=_mask_zh(person.name_zh),
                name_en=_initials(person.name_en),
                birth_year=person.date_of_birth.year if person.date_of_birth else None,
                district=person.district.name if person.district else "",
            )
        )
    return summaries


def open_case_counts_for(*, user: Any, person_ids: list[int]) -> dict[int, int]:
    """How many open cases the user can see for each of the people."""
    rows = (
        policy_for(Case)
        .queryset(user)
        .filter(person_id__in=person_ids)
        .exclude(status=CaseStatus.CLOSED)
        .values("person_id")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    return {row["person_id"]: row["n"] for row in rows}


def case_get_for_change(*, user: Any, case_id: Any) -> Case:
    """A case the user may work on (404 if they may not see it, 403 if only see it), for the
    pages that change it; the service checks again."""
    return policy_for(Case).get(user, case_id, Action.CHANGE)


def case_worker_list(*, case: Case) -> list[CaseWorker]:
    return list(case.workers.select_related("user"))


def closure_needs_approval(*, user: Any, case: Case) -> bool:
    """Whether closing the case by this user waits for a supervisor's approval."""
    settings = UnitCaseSettings.objects.filter(unit_id=case.unit_id).first()
    required = settings.closure_approval_required if settings is not None else True
    return required and not supervises(user=user, unit_id=case.unit_id)


def case_note_get_for(*, user: Any, note_id: Any, action: Action = Action.VIEW) -> CaseNote:
    return policy_for(CaseNote).get(user, note_id, action)


def case_plan_get_for(*, user: Any, plan_id: Any, action: Action = Action.VIEW) -> CasePlan:
    return policy_for(CasePlan).get(user, plan_id, action)


def assessment_get_for(
    *, user: Any, assessment_id: Any, request: HttpRequest | None = None
) -> Assessment:
    """One assessment the user may see; reading its answers is audited."""
    assessment = policy_for(Assessment).get(user, assessment_id, Action.VIEW)
    record_read(obj=assessment, user=user, request=request)
    return assessment


def consent_get_for(*, user: Any, consent_id: Any, action: Action = Action.VIEW) -> Consent:
    return policy_for(Consent).get(user, consent_id, action)


def active_break_glass_for(*, user: Any, person: ServiceUser) -> BreakGlassAccess | None:
    """The user's running break-the-glass access to the person, if any."""
    return (
        BreakGlassAccess.objects.filter(
            user_id=user.pk, person=person, ended_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-expires_at")
        .first()
    )


def break_glass_get_for(*, user: Any, access_id: Any) -> BreakGlassAccess:
    return policy_for(BreakGlassAccess).get(user, access_id, Action.VIEW)


def person_reference_parse(reference: str) -> int | None:
    """The record id in a person's reference number as staff quote it ("P0001234", "1234")."""
    text = "".join(reference.split()).upper().removeprefix("P")
    return int(text) if text.isdigit() and int(text) > 0 else None


def person_merge_preview(*, user: Any, source_id: Any, target_id: Any) -> dict[str, Any]:
    """What a merge of `source` into `target` would move, for the confirmation page; both
    records must be ones the user may change (404/403 otherwise)."""
    if str(source_id) == str(target_id):
        raise ValidationError(_("Choose two different records."))
    policy = policy_for(ServiceUser)
    source = policy.get(user, source_id, Action.CHANGE)
    target = policy.get(user, target_id, Action.CHANGE)
    moves = [
        (str(Intake._meta.verbose_name_plural), source.intakes.count()),
        (str(Case._meta.verbose_name_plural), source.cases.count()),
        (str(Referral._meta.verbose_name_plural), source.referrals.count()),
        (str(Consent._meta.verbose_name_plural), source.consents.count()),
        (str(HouseholdMember._meta.verbose_name_plural), source.household.count()),
        (str(KeyContact._meta.verbose_name_plural), source.contacts.count()),
        (str(ServiceUserAlias._meta.verbose_name_plural), source.aliases.count()),
        (str(Attachment._meta.verbose_name_plural), source.attachments.count()),
    ]
    return {"source": source, "target": target, "moves": moves}


def work_items_grouped_for(*, user: Any) -> dict[str, list[WorkItem]]:
    """The user's open work items in three groups: overdue, due within seven days, later."""
    today = timezone.localdate()
    week_end = today + timedelta(days=7)
    groups: dict[str, list[WorkItem]] = {"overdue": [], "this_week": [], "later": []}
    for item in work_items_for(user=user).select_related("plan"):
        if item.due_on < today:
            groups["overdue"].append(item)
        elif item.due_on <= week_end:
            groups["this_week"].append(item)
        else:
            groups["later"].append(item)
    return groups


def work_summary_for(*, user: Any) -> dict[str, int]:
    """The figures of a case worker's dashboard: open work items by due date, referrals
    waiting in the inbox and unread notifications."""
    from socialdesk.core.models import Notification

    today = timezone.localdate()
    week_end = today + timedelta(days=7)
    counts = (
        policy_for(WorkItem)
        .queryset(user)
        .filter(done_at__isnull=True)
        .aggregate(
            overdue=Count("pk", filter=Q(due_on__lt=today)),
            this_week=Count("pk", filter=Q(due_on__gte=today, due_on__lte=week_end)),
            later=Count("pk", filter=Q(due_on__gt=week_end)),
        )
    )
    units = actor_for(user).unit_ids(Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR)
    inbox = (
        policy_for(Referral)
        .queryset(user)
        .filter(to_unit_id__in=units, status=ReferralStatus.SENT)
        .count()
    )
    unread = policy_for(Notification).queryset(user).filter(read_at__isnull=True).count()
    return {
        "overdue": counts["overdue"] or 0,
        "this_week": counts["this_week"] or 0,
        "later": counts["later"] or 0,
        "inbox": inbox,
        "unread": unread,
    }


def referral_actions_for(*, user: Any, referral: Referral) -> dict[str, bool]:
    """What the user may do with a referral waiting for a reply: the receiving unit's staff
    accept or decline it; the referring worker or their supervisor withdraws it."""
    waiting = referral.status == ReferralStatus.SENT
    units = actor_for(user).unit_ids(Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR)
    return {
        "can_decide": waiting and referral.to_unit_id in units,
        "can_withdraw": waiting
        and (
            referral.from_user_id == user.pk
            or (
                referral.from_unit_id is not None
                and supervises(user=user, unit_id=referral.from_unit_id)
            )
        ),
    }


def referral_shared_view(*, referral: Referral) -> list[tuple[str, str]]:
    """The referral's snapshot of the person as (label, value) rows in the active language;
    the HKID only masked."""
    from socialdesk.core.models import District

    from .models import Language, ServiceUserFlag, Sex

    data = referral.shared_data or {}
    sexes, languages = dict(Sex.choices), dict(Language.choices)
    flags = dict(ServiceUserFlag.choices)
    district = District.objects.filter(code=data.get("district") or "").first()
    rows = [
        (_("Chinese name"), data.get("name_zh") or ""),
        (_("English name"), data.get("name_en") or ""),
        (_("Sex"), str(sexes.get(data.get("sex") or "", ""))),
        (_("Date of birth"), data.get("date_of_birth") or ""),
        (_("HKID number"), data.get("hkid_masked") or ""),
        (_("Phone"), data.get("phone") or ""),
        (_("Address"), data.get("address") or ""),
        (_("District"), district.name if district else ""),
        (_("Preferred language"), str(languages.get(data.get("language") or "", ""))),
        (_("Alerts"), ", ".join(str(flags[f]) for f in data.get("flags") or [] if f in flags)),
        (_("Record number"), data.get("person_reference") or ""),
    ]
    return [(str(label), str(value)) for label, value in rows if value]


def attachment_get_for(
    *, user: Any, attachment_id: Any, request: HttpRequest | None = None
) -> Attachment:
    """An attachment the user may open: they must see the referral, case or person it belongs
    to (404 otherwise); the download is audited as a read of the person's data."""
    attachment = (
        Attachment.objects.filter(pk=attachment_id).first()
        if str(attachment_id).isdigit()
        else None
    )
    if attachment is None:
        raise Http404
    owners: list[tuple[Any, Any]] = [
        (Referral, attachment.referral_id),
        (Case, attachment.case_id),
        (ServiceUser, attachment.person_id),
    ]
    if not any(
        pk is not None and policy_for(model).queryset(user).filter(pk=pk).exists()
        for model, pk in owners
    ):
        raise Http404
    record_read(obj=attachment, user=user, request=request, purpose="attachment_download")
    return attachment


__all__ = ["Prefetch"]
