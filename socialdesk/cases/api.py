"""Case management API: people, cases, intakes, referrals and "my work" for frontline workers and
unit supervisors; e-referrals from outside agencies (referral partners, with their own token).

Reads go through the selectors (need-to-know scope, reads of a person's record audited), writes
through the services; endpoints only parse, call and shape the answer. Every POST honours an
`Idempotency-Key` header (socialdesk.api.idempotency)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header, Router, Status
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import HttpBearer

from socialdesk.api.errors import ApiError
from socialdesk.api.idempotency import idempotent
from socialdesk.core.access import Capability, has_capability
from socialdesk.core.concurrency import ConflictError
from socialdesk.core.models import District, Organisation, ServiceUnit

from . import selectors
from .models import Attachment, Case, Intake, Referral, ReferralChannel, ReferralPartner
from .ratelimit import client_over_limit
from .schemas import (
    CandidateSummaryOut,
    CaseCloseIn,
    CaseOpenIn,
    CaseOut,
    CaseSummaryOut,
    ConsentIn,
    ConsentOut,
    DuplicateCandidateOut,
    EReferralIn,
    EReferralReceiptOut,
    EReferralStatusOut,
    NoteIn,
    NoteOut,
    PeopleSearchOut,
    PersonCreatedOut,
    PersonIn,
    PersonOut,
    PersonPatch,
    ReferralAcceptedOut,
    ReferralAcceptIn,
    ReferralIn,
    ReferralOut,
    ReferralReasonIn,
    TimelineEntryOut,
    WorkItemOut,
    masked_hkid,
)
from .services import casework, partners, people, referrals
from .services.search import DuplicateCandidate, search_people
from .uploads import attachments_discard, attachments_store_all

router = Router(tags=["cases"])
PAGE_SIZE = 50


def _casework(request: HttpRequest) -> Any:
    """The caller, if they do case work (frontline workers, unit supervisors); else 403."""
    user = request.user
    if not has_capability(user, Capability.CASEWORK):
        raise PermissionDenied
    return user


def _unit_for(user: Any, code: str, field: str = "unit") -> ServiceUnit:
    """The caller's unit named by `code`, or their only unit when no code is given."""
    if code:
        unit = ServiceUnit.objects.filter(code=code, is_active=True).first()
        if unit is None:
            raise ValidationError({field: _("There is no active service unit with this code.")})
        return unit
    units = list(selectors.casework_units_for(user=user)[:2])
    if len(units) != 1:
        raise ValidationError({field: _("You work in more than one unit: say which one.")})
    return units[0]


def _district(code: str | None) -> District | None:
    if not code:
        return None
    district = District.objects.filter(code=code).first()
    if district is None:
        raise ValidationError({"district": _("There is no district with this code.")})
    return district


def _candidates_out(candidates: list[DuplicateCandidate]) -> list[dict[str, Any]]:
    codes = {c.person_id: c.reasons for c in candidates}
    return [
        DuplicateCandidateOut(
            id=summary.person_id,
            score=summary.score,
            reasons=codes[summary.person_id],
            reason_labels=summary.reasons,
            summary=CandidateSummaryOut(
                name_zh=summary.name_zh,
                name_en=summary.name_en,
                birth_year=summary.birth_year,
                district=summary.district,
            ),
        ).model_dump(mode="json")
        for summary in selectors.duplicate_candidate_summaries(candidates=candidates)
    ]


# --- People ---


@router.get("/people", response=PeopleSearchOut, summary="Search people")
def person_search(request: HttpRequest, q: str = "", limit: int = 20) -> dict[str, Any]:
    """Names (Chinese or English, any romanisation), phone, HKID or case number; only people the
    caller may see."""
    user = _casework(request)
    hits = search_people(user=user, query=q[:100], limit=max(1, min(limit, 50))) if q else []
    items = [
        {
            "id": hit.person.pk,
            "reference": hit.person.reference,
            "name_zh": hit.person.name_zh,
            "name_en": hit.person.name_en,
            "sex": hit.person.sex,
            "date_of_birth": hit.person.date_of_birth,
            "hkid_masked": masked_hkid(hit.person.hkid),
            "district": hit.person.district.code if hit.person.district else "",
            "score": hit.score,
        }
        for hit in hits
    ]
    return {"items": items, "count": len(items)}


@router.post(
    "/people",
    response={201: PersonCreatedOut},
    summary="Register a person",
    description=(
        "Registers the person in your unit and opens an intake. Possible duplicates answer 409 "
        "`possible_duplicate` with the candidates (masked); look at them, and send their ids in "
        "`acknowledged` if they are other people. The same HKID as a registered person is "
        "always refused: link that record instead."
    ),
)
@idempotent
def person_create(request: HttpRequest, payload: PersonIn) -> Any:
    user = _casework(request)
    data = payload.dict(exclude={"unit", "presenting_problem", "acknowledged"})
    data["district"] = _district(payload.district)
    unit = _unit_for(user, payload.unit)
    try:
        person = people.service_user_register(
            user=user,
            unit=unit,
            data=data,
            presenting_problem=payload.presenting_problem,
            acknowledged=payload.acknowledged,
        )
    except people.PossibleDuplicate as exc:
        raise ApiError(
            409,
            "possible_duplicate",
            _(
                "This person may already be registered. Look at the possible matches; if none "
                "of them is this person, send their ids in `acknowledged`."
            ),
            {"candidates": _candidates_out(exc.candidates)},
        ) from exc
    intake = selectors.intake_list_for(user=user).filter(person=person, unit=unit).first()
    person.intake_id = intake.pk if intake else None  # type: ignore[attr-defined]
    return Status(201, person)


@router.get("/people/{person_id}", response=PersonOut, summary="One person")
def person_detail(request: HttpRequest, person_id: int) -> Any:
    user = _casework(request)
    return selectors.person_get_for(user=user, person_id=person_id, request=request)


@router.patch(
    "/people/{person_id}",
    response=PersonOut,
    summary="Change a person's details",
    description="Send the `version` you read; a stale one gets 409 `conflict` with the current "
    "record in `details.current`.",
)
def person_update(request: HttpRequest, person_id: int, payload: PersonPatch) -> Any:
    user = _casework(request)
    data = payload.dict(exclude_unset=True, exclude={"version"})
    if "district" in data:
        data["district"] = _district(data["district"])
    for key in ("name_zh", "name_en", "hkid", "phone", "phone_alt", "email", "address"):
        if key in data and data[key] is None:
            data[key] = ""
    try:
        return people.service_user_update(
            user=user, person_id=person_id, expected_version=payload.version, data=data
        )
    except ConflictError as exc:
        current = exc.current
        selectors.person_get_for(user=user, person_id=current.pk, request=request)  # audited
        raise ApiError(
            409,
            "conflict",
            str(exc.message),
            {
                "current_version": current.version,  # type: ignore[attr-defined]
                "current": PersonOut.from_orm(current).model_dump(mode="json"),
            },
        ) from exc


@router.get(
    "/people/{person_id}/timeline",
    response=list[TimelineEntryOut],
    summary="A person's timeline",
)
def person_timeline(request: HttpRequest, person_id: int) -> list[dict[str, Any]]:
    """Intakes, case openings and closures, notes, assessments, plans and reviews of the cases
    the caller may see, newest first."""
    user = _casework(request)
    person = selectors.person_get_for(
        user=user, person_id=person_id, request=request, purpose="timeline"
    )
    rows = []
    for entry in selectors.person_timeline_for(user=user, person=person):
        obj = entry.obj
        text = ""
        for attribute in ("body", "presenting_problem"):
            text = text or str(getattr(obj, attribute, "") or "")
        if entry.kind in ("review", "plan"):
            text = str(getattr(obj, "summary", "") or "")
        rows.append(
            {
                "when": entry.when,
                "kind": entry.kind,
                "title": entry.title,
                "text": text,
                "case_id": entry.case.pk if entry.case else None,
                "case_number": entry.case.number if entry.case else "",
                "object_id": getattr(obj, "pk", None),
            }
        )
    return rows


@router.post("/people/{person_id}/consents", response={201: ConsentOut}, summary="Record consent")
@idempotent
def consent_create(request: HttpRequest, person_id: int, payload: ConsentIn) -> Any:
    user = _casework(request)
    organisation = None
    if payload.recipient_organisation:
        organisation = Organisation.objects.filter(code=payload.recipient_organisation).first()
        if organisation is None:
            raise ValidationError(
                {"recipient_organisation": _("There is no organisation with this code.")}
            )
    consent = people.consent_record(
        user=user,
        person_id=person_id,
        purpose=payload.purpose,
        scope=payload.scope,
        given_by=payload.given_by,
        given_on=payload.given_on,
        evidence=payload.evidence,
        recipient_organisation=organisation,
    )
    return Status(201, consent)


# --- Cases and intakes ---


@router.get("/cases", response=list[CaseSummaryOut], summary="Cases the caller may see")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def case_list(request: HttpRequest, status: str = "") -> Any:
    """`status`: open (open or awaiting closure approval), closure_pending, closed; empty: all."""
    user = _casework(request)
    return selectors.case_list_for(user=user, status=status[:20])


def _with_parts(case: Case) -> Case:
    case.detail_parts = selectors.case_detail_parts(case=case)  # type: ignore[attr-defined]
    return case


@router.get("/cases/{case_id}", response=CaseOut, summary="One case")
def case_detail(request: HttpRequest, case_id: int) -> Case:
    user = _casework(request)
    return _with_parts(selectors.case_get_for(user=user, case_id=case_id, request=request))


@router.post(
    "/intakes/{intake_id}/open-case",
    response={201: CaseOut},
    summary="Open a case from an intake",
    description="Send the intake's `version`; you become the responsible worker unless a "
    "supervisor names another (`primary_worker_id`).",
)
@idempotent
def case_open(request: HttpRequest, intake_id: int, payload: CaseOpenIn) -> Any:
    user = _casework(request)
    case = casework.case_open(
        user=user,
        intake_id=intake_id,
        expected_version=payload.version,
        primary_worker_id=payload.primary_worker_id,
        team_id=payload.team_id,
        summary=payload.summary,
        review_in_days=payload.review_in_days,
    )
    return Status(201, _with_parts(case))


@router.post("/cases/{case_id}/notes", response={201: NoteOut}, summary="Write a case note")
@idempotent
def case_note_create(request: HttpRequest, case_id: int, payload: NoteIn) -> Any:
    user = _casework(request)
    note = casework.case_note_add(
        user=user,
        case_id=case_id,
        kind=payload.kind,
        occurred_at=payload.occurred_at,
        body=payload.body,
    )
    return Status(201, note)


@router.post(
    "/cases/{case_id}/close",
    response=CaseSummaryOut,
    summary="Close a case",
    description="Where the unit requires it, a worker's closure waits for the supervisor's "
    "approval: the status becomes `closure_pending`.",
)
@idempotent
def case_close(request: HttpRequest, case_id: int, payload: CaseCloseIn) -> Any:
    user = _casework(request)
    return casework.case_close(
        user=user,
        case_id=case_id,
        expected_version=payload.version,
        reason=payload.reason,
        note=payload.note,
    )


# --- Referrals ---


def _referral_out(referral: Referral) -> Referral:
    return (
        Referral.objects.select_related("from_unit", "to_unit")
        .prefetch_related("attachments")
        .get(pk=referral.pk)
    )


@router.get("/referrals/inbox", response=list[ReferralOut], summary="Referrals to my units")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def referral_inbox(request: HttpRequest, status: str = "sent") -> Any:
    """`status`: sent (waiting for a reply, the default), accepted, declined, withdrawn; empty:
    all."""
    user = _casework(request)
    return selectors.referral_inbox_for(user=user, status=status[:10]).prefetch_related(
        "attachments"
    )


@router.post(
    "/referrals",
    response={201: ReferralOut},
    summary="Refer a person to another unit",
    description="With the person's recorded consent (`consent_id`) or, exceptionally, the "
    "reason for referring without it (`consent_override_reason`, flagged in the audit).",
)
@idempotent
def referral_create(request: HttpRequest, payload: ReferralIn) -> Any:
    user = _casework(request)
    from_unit = _unit_for(user, payload.from_unit, field="from_unit")
    to_unit = ServiceUnit.objects.filter(code=payload.to_unit, is_active=True).first()
    if to_unit is None:
        raise ValidationError({"to_unit": _("There is no active service unit with this code.")})
    referral = referrals.referral_send(
        user=user,
        person_id=payload.person_id,
        from_unit=from_unit,
        to_unit_id=to_unit.pk,
        reason=payload.reason,
        urgency=payload.urgency,
        consent_id=payload.consent_id,
        consent_override_reason=payload.consent_override_reason,
        case_id=payload.case_id,
        kind=payload.kind,
    )
    return Status(201, _referral_out(referral))


@router.post(
    "/referrals/{referral_id}/accept",
    response=ReferralAcceptedOut,
    summary="Accept a referral",
    description="Opens an intake in your unit (a transfer moves the case). An outside referral "
    "not matched yet needs `person_id` (one of its `matches`) or `register_new`.",
)
@idempotent
def referral_accept(request: HttpRequest, referral_id: int, payload: ReferralAcceptIn) -> Any:
    user = _casework(request)
    result = referrals.referral_accept(
        user=user,
        referral_id=referral_id,
        expected_version=payload.version,
        person_id=payload.person_id,
        register_new=payload.register_new,
    )
    referral = _referral_out(Referral(pk=referral_id))
    return {
        "referral": referral,
        "intake_id": result.pk if isinstance(result, Intake) else None,
        "case_id": result.pk if isinstance(result, Case) else None,
    }


@router.post(
    "/referrals/{referral_id}/decline",
    response=ReferralOut,
    summary="Decline a referral",
    description="The reason is shown to the referrer.",
)
@idempotent
def referral_decline(request: HttpRequest, referral_id: int, payload: ReferralReasonIn) -> Any:
    user = _casework(request)
    referral = referrals.referral_decline(
        user=user, referral_id=referral_id, expected_version=payload.version, reason=payload.reason
    )
    return _referral_out(referral)


@router.post(
    "/referrals/{referral_id}/withdraw",
    response=ReferralOut,
    summary="Withdraw a referral you sent",
)
@idempotent
def referral_withdraw(request: HttpRequest, referral_id: int, payload: ReferralReasonIn) -> Any:
    user = _casework(request)
    referral = referrals.referral_withdraw(
        user=user, referral_id=referral_id, expected_version=payload.version, reason=payload.reason
    )
    return _referral_out(referral)


@router.get("/my-work", response=list[WorkItemOut], summary="My work: tasks and reminders")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def my_work(request: HttpRequest) -> Any:
    """Open work items: the caller's own, their unit's unassigned ones, and for supervisors the
    approvals of their units; earliest due first."""
    user = _casework(request)
    today = timezone.localdate()
    items = list(selectors.work_items_for(user=user))
    for item in items:
        item.overdue = item.due_on < today  # type: ignore[attr-defined]
        item.assigned_to_me = item.assignee_id == user.pk  # type: ignore[attr-defined]
    return items


# --- E-referral: outside agencies ---


class PartnerTokenAuth(HttpBearer):
    """`Authorization: Bearer rp_…` — a referral partner's token, issued in the admin."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> ReferralPartner | None:
        return partners.referral_partner_authenticate(raw=token)

    def __call__(self, request: HttpRequest) -> Any:
        partner = super().__call__(request)
        if partner is None and request.user.is_authenticated:
            # A signed-in staff member is known but is no referral partner: 403, not 401.
            raise PermissionDenied
        return partner


PERSON_KEYS = ("name_zh", "name_en", "sex", "date_of_birth", "hkid", "phone", "address")
REFERRER_KEYS = {"referrer_name": "name", "referrer_phone": "phone", "referrer_email": "email"}


def _payload_paths(exc: ValidationError) -> ValidationError:
    """The service names fields as stored; name them as the request does (person.hkid…)."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed: dict[str, Any] = {}
    for field, messages in exc.message_dict.items():
        if field in PERSON_KEYS:
            field = f"person.{field}"
        elif field in REFERRER_KEYS:
            field = f"referrer.{REFERRER_KEYS[field]}"
        elif field == "referrer_organisation":
            field = "referrer"
        renamed[field] = messages
    return ValidationError(renamed)


def _decoded(payload: EReferralIn) -> list[ContentFile[bytes]]:
    uploads = []
    for index, item in enumerate(payload.attachments):
        try:
            data = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(
                {f"attachments.{index}.content_base64": _("This is not valid base64.")}
            ) from None
        uploads.append(ContentFile(data, name=item.filename))
    return uploads


def _service_key(partner: ReferralPartner, request: HttpRequest) -> str:
    """The service's own duplicate guard, per partner (keys of two partners never collide)."""
    raw = request.headers.get("Idempotency-Key", "").strip()
    if not raw:
        return ""
    return f"rp{partner.pk}:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


@router.post(
    "/e-referrals",
    auth=[PartnerTokenAuth()],
    response={201: EReferralReceiptOut, 200: EReferralReceiptOut},
    url_name="ereferral_submit",
    summary="Send a referral from an outside agency",
    description=(
        "For referral partners (schools, hospitals, bureaus) with a partner token "
        "(`Authorization: Bearer rp_…`). Send an `Idempotency-Key` so that a retry does not "
        "refer twice. Keep `status_secret`: it is shown once, and with the `reference` it looks "
        "the status up. Attachments: PDF, JPEG, PNG, DOCX or XLSX, base64-encoded, the whole "
        "request at most 10 MB."
    ),
)
@idempotent
def ereferral_submit(request: HttpRequest, payload: EReferralIn) -> Any:
    partner: ReferralPartner = request.auth  # type: ignore[attr-defined]
    errors: dict[str, Any] = {}
    unit = ServiceUnit.objects.filter(code=payload.to_unit, is_active=True).first()
    if unit is None:
        errors["to_unit"] = _("There is no active service unit with this code.")
    elif partner.allowed_units.exists() and not partner.allowed_units.filter(pk=unit.pk).exists():
        errors["to_unit"] = _("Your organisation may not send referrals to this unit.")
    if payload.referrer.email:
        try:
            validate_email(payload.referrer.email)
        except ValidationError:
            errors["referrer.email"] = _("Enter a valid email address.")
    if errors:
        raise ValidationError(errors)
    assert unit is not None
    uploads = _decoded(payload)
    organisation = partner.display_name
    if payload.referrer.department.strip():
        organisation = f"{organisation} · {payload.referrer.department.strip()}"
    saved: list[Attachment] = []
    try:
        with transaction.atomic():
            saved = attachments_store_all(uploads=uploads)
            referral, secret = referrals.ereferral_submit(
                to_unit_id=unit.pk,
                channel=ReferralChannel.API,
                person=payload.person.dict(),
                reason=payload.reason,
                referrer={
                    "organisation": organisation[:200],
                    "name": payload.referrer.name,
                    "email": payload.referrer.email,
                    "phone": payload.referrer.phone,
                },
                consent_evidence=payload.consent_evidence,
                urgency=payload.urgency,
                attachments=saved,
                idempotency_key=_service_key(partner, request),
            )
            if not secret:  # received before under this key: keep nothing of this copy
                transaction.set_rollback(True)
                attachments_discard(saved)
    except ValidationError as exc:
        attachments_discard(saved)
        raise _payload_paths(exc) from exc
    status_url = request.build_absolute_uri(
        reverse("api:ereferral_status", kwargs={"reference": referral.reference})
    )
    receipt = {"reference": referral.reference, "status_secret": secret or None}
    return Status(201 if secret else 200, {**receipt, "status_url": status_url})


@router.get(
    "/e-referrals/{reference}/status",
    auth=None,
    response=EReferralStatusOut,
    url_name="ereferral_status",
    summary="The status of an e-referral",
    description="Send the secret given when the referral was made in `X-Referral-Secret`. "
    "The answer holds no personal data. A wrong reference or secret is 404.",
)
def ereferral_status(
    request: HttpRequest,
    reference: str,
    x_referral_secret: str = Header("", alias="X-Referral-Secret"),
) -> Any:
    if client_over_limit(request, "status"):
        raise ApiError(429, "too_many_requests", _("Too many attempts. Try again later."))
    referral = referrals.ereferral_status(reference=reference[:20], secret=x_referral_secret[:100])
    if referral is None:
        raise ApiError(404, "not_found", _("No referral has this reference number and secret."))
    return referral
