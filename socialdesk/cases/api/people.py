"""Case management API: people."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Status

from socialdesk.api.errors import ApiError
from socialdesk.api.idempotency import idempotent
from socialdesk.core.concurrency import ConflictError
from socialdesk.core.models import Organisation

from .. import selectors
from ..models import ServiceUser
from ..schemas import (
    AliasIn,
    AliasOut,
    BreakGlassIn,
    BreakGlassOut,
    ConsentIn,
    ConsentOut,
    ConsentWithdrawIn,
    DuplicateCheckIn,
    DuplicateCheckOut,
    HouseholdMemberIn,
    HouseholdMemberOut,
    IntakeOut,
    KeyContactIn,
    KeyContactOut,
    LinkIn,
    MergeIn,
    PeopleSearchOut,
    PersonCreatedOut,
    PersonIn,
    PersonOut,
    PersonPatch,
    PersonRecordOut,
    TimelineEntryOut,
    masked_hkid,
)
from ..services import breakglass, people
from ..services.search import duplicate_candidates
from .common import candidates_out, caseworker, district_for, router, unit_for

# --- People ---


@router.get("/people", response=PeopleSearchOut, summary="Search people")
def person_search(request: HttpRequest, q: str = "", limit: int = 20) -> dict[str, Any]:
    """Names (Chinese or English, any romanisation), phone, HKID or case number; only people the
    caller may see."""
    user = caseworker(request)
    hits = (
        selectors.people_search_for(
            user=user, query=q[:100], limit=max(1, min(limit, 50)), request=request
        )
        if q
        else []
    )
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
    user = caseworker(request)
    data = payload.dict(exclude={"unit", "presenting_problem", "acknowledged"})
    data["district"] = district_for(payload.district)
    unit = unit_for(user, payload.unit)
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
            {"candidates": candidates_out(exc.candidates)},
        ) from exc
    intake = selectors.intake_list_for(user=user).filter(person=person, unit=unit).first()
    person.intake_id = intake.pk if intake else None  # type: ignore[attr-defined]
    return Status(201, person)


@router.post(
    "/people/duplicate-check",
    response=DuplicateCheckOut,
    summary="Check for possible duplicates",
    description="Before registering someone, or when data about a person arrives from outside: "
    "the registered people who may be this person, best first, with the reasons (masked: a "
    "candidate you may not see is shown only as much as is needed to tell). Changes nothing.",
)
def duplicate_check(request: HttpRequest, payload: DuplicateCheckIn) -> Any:
    caseworker(request)
    identified = bool(payload.hkid.strip() or payload.phone.strip())
    cleaned = people.clean_person_data(payload.dict(), require_name=not identified)
    candidates = duplicate_candidates(
        name_zh=cleaned.get("name_zh", ""),
        name_en=cleaned.get("name_en", ""),
        date_of_birth=cleaned.get("date_of_birth"),
        hkid=cleaned.get("hkid", ""),
        phones=[cleaned["phone"]] if cleaned.get("phone") else [],
    )
    return {"candidates": candidates_out(candidates)}


def _record(person: ServiceUser) -> ServiceUser:
    person.detail_parts = selectors.person_detail_parts(person=person)  # type: ignore[attr-defined]
    return person


@router.get("/people/{person_id}", response=PersonRecordOut, summary="One person, whole record")
def person_detail(request: HttpRequest, person_id: int) -> Any:
    """The person's details with household, key contacts, other names, consents and
    documents. The read is audited."""
    user = caseworker(request)
    return _record(selectors.person_get_for(user=user, person_id=person_id, request=request))


@router.patch(
    "/people/{person_id}",
    response=PersonOut,
    summary="Change a person's details",
    description="Send the `version` you read; a stale one gets 409 `conflict` with the current "
    "record in `details.current`.",
)
def person_update(request: HttpRequest, person_id: int, payload: PersonPatch) -> Any:
    user = caseworker(request)
    data = payload.dict(exclude_unset=True, exclude={"version"})
    if "district" in data:
        data["district"] = district_for(data["district"])
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
    user = caseworker(request)
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
    user = caseworker(request)
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


@router.post(
    "/people/{person_id}/intakes",
    response={201: IntakeOut},
    summary="Start an intake for someone already registered",
    description="Send the identity you were given as you would register it, and the `person_id` "
    "of the matching record (one of the candidates the duplicate check returns for that "
    "identity): the record becomes visible to your unit through the new intake.",
)
@idempotent
def person_link(request: HttpRequest, person_id: int, payload: LinkIn) -> Any:
    user = caseworker(request)
    unit = unit_for(user, payload.unit)
    intake = people.service_user_link(
        user=user,
        unit=unit,
        person_id=person_id,
        details=payload.dict(exclude={"unit", "presenting_problem"}),
        presenting_problem=payload.presenting_problem,
    )
    return Status(201, selectors.intake_get_for(user=user, intake_id=intake.pk, request=request))


@router.post(
    "/people/{person_id}/household",
    response={201: HouseholdMemberOut},
    summary="Add a household member",
)
@idempotent
def household_create(request: HttpRequest, person_id: int, payload: HouseholdMemberIn) -> Any:
    user = caseworker(request)
    member = people.household_member_add(user=user, person_id=person_id, data=payload.dict())
    return Status(201, member)


@router.post(
    "/people/{person_id}/contacts", response={201: KeyContactOut}, summary="Add a key contact"
)
@idempotent
def contact_create(request: HttpRequest, person_id: int, payload: KeyContactIn) -> Any:
    user = caseworker(request)
    contact = people.key_contact_add(user=user, person_id=person_id, data=payload.dict())
    return Status(201, contact)


@router.post(
    "/people/{person_id}/aliases",
    response={201: AliasOut},
    summary="Add another name",
    description="A name the person is also known by (also found by the search).",
)
@idempotent
def alias_create(request: HttpRequest, person_id: int, payload: AliasIn) -> Any:
    user = caseworker(request)
    alias = people.alias_add(
        user=user,
        person_id=person_id,
        name_zh=payload.name_zh,
        name_en=payload.name_en,
        note=payload.note,
    )
    return Status(201, alias)


@router.post(
    "/consents/{consent_id}/withdraw",
    response=ConsentOut,
    summary="Record the withdrawal of a consent",
)
@idempotent
def consent_withdraw(request: HttpRequest, consent_id: int, payload: ConsentWithdrawIn) -> Any:
    user = caseworker(request)
    return people.consent_withdraw(
        user=user,
        consent_id=consent_id,
        expected_version=payload.version,
        withdrawn_on=payload.withdrawn_on,
        note=payload.note,
    )


@router.post(
    "/people/{person_id}/merge",
    response=PersonRecordOut,
    summary="Merge another record of the same person into this one",
    description="Unit supervisors who may change both records. Everything of `source_id` "
    "(intakes, cases, referrals, consents, household, contacts, names, documents) moves to this "
    "record; the other record is kept, marked as merged. Audited.",
)
@idempotent
def person_merge(request: HttpRequest, person_id: int, payload: MergeIn) -> Any:
    user = caseworker(request)
    person = people.service_user_merge(
        user=user, source_id=payload.source_id, target_id=person_id, reason=payload.reason
    )
    return _record(selectors.person_get_for(user=user, person_id=person.pk, request=request))


@router.post(
    "/break-glass",
    response={201: BreakGlassOut},
    summary="Break the glass: urgent read access to one person",
    description="For an emergency only: read access for a limited time to the person with this "
    "exact HKID number, with your reason. The privacy officer is alerted and reviews it. An "
    "unknown number answers 404.",
)
@idempotent
def break_glass_open(request: HttpRequest, payload: BreakGlassIn) -> Any:
    user = caseworker(request)
    person = breakglass.break_glass_find(hkid=payload.hkid)
    if person is None:
        raise ApiError(404, "not_found", _("No one is registered with this HKID number."))
    access = breakglass.break_glass_open(
        user=user, person=person, reason=payload.reason, minutes=payload.minutes
    )
    return Status(201, access)
