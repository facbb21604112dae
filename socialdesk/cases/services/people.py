"""Registering, changing, linking and merging service users; their household, contacts, other
names and consents; revealing an HKID."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialdesk.core.access import Action, actor_for, policy_for
from socialdesk.core.audit import record_read
from socialdesk.core.concurrency import update_versioned
from socialdesk.core.crypto import lookup_hash
from socialdesk.core.models import Role, ServiceUnit
from socialdesk.core.texts import record_text
from socialdesk.textsearch.identifiers import (
    hkid_format,
    hkid_is_valid,
    hkid_normalise,
    phone_normalise,
)

from ..models import (
    Attachment,
    BreakGlassAccess,
    Case,
    Consent,
    HouseholdMember,
    Intake,
    IntakeSource,
    IntakeStatus,
    KeyContact,
    Referral,
    SearchKey,
    ServiceUser,
    ServiceUserAlias,
    ServiceUserFlag,
)
from .search import DuplicateCandidate, duplicate_candidates, search_keys_rebuild

PERSON_FIELDS = (
    "name_zh",
    "name_en",
    "sex",
    "date_of_birth",
    "date_of_birth_estimated",
    "hkid",
    "phone",
    "phone_alt",
    "email",
    "address",
    "district",
    "language",
    "flags",
)
# A candidate at or above this score must be looked at before a new record is created.
DUPLICATE_WARNING_SCORE = 35  # e.g. another spelling of the romanised name, or a shared phone


class PossibleDuplicate(Exception):
    """Registration found existing records that may be the same person."""

    def __init__(self, candidates: list[DuplicateCandidate]) -> None:
        super().__init__("possible duplicate")
        self.candidates = candidates


def casework_unit_check(user: Any, unit: ServiceUnit) -> None:
    """Only the unit's frontline workers and supervisors register people and start intakes."""
    if unit.pk not in actor_for(user).unit_ids(Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR):
        raise PermissionDenied


def clean_person_data(data: dict[str, Any], *, require_name: bool = True) -> dict[str, Any]:
    """Validate and normalise identity fields; raise ValidationError listing every problem."""
    cleaned = {k: v for k, v in data.items() if k in PERSON_FIELDS}
    errors: dict[str, str] = {}
    no_name = (
        not (cleaned.get("name_zh") or "").strip() and not (cleaned.get("name_en") or "").strip()
    )
    if no_name and require_name:
        errors["name_zh"] = _("Enter the Chinese or the English name.")
    for key in ("name_zh", "name_en", "address", "email"):
        if key in cleaned and cleaned[key] is not None:
            cleaned[key] = " ".join(str(cleaned[key]).split())
    if cleaned.get("name_en"):
        cleaned["name_en"] = cleaned["name_en"].upper()
    raw_hkid = (cleaned.get("hkid") or "").strip()
    if raw_hkid:
        canonical = hkid_normalise(raw_hkid)
        if canonical is None or not hkid_is_valid(canonical):
            errors["hkid"] = _(
                "This is not a valid HKID number: check the letters, the six digits and the "
                "check digit in brackets, e.g. A123456(3)."
            )
        else:
            cleaned["hkid"] = canonical
    elif "hkid" in cleaned:
        cleaned["hkid"] = ""
    for key in ("phone", "phone_alt"):
        raw = (cleaned.get(key) or "").strip()
        if raw:
            digits = phone_normalise(raw)
            if digits is None:
                errors[key] = _(
                    "Enter a Hong Kong phone number of 8 digits, starting 2, 3, 4, 5, 6, 7, 8 or 9."
                )
            else:
                cleaned[key] = digits
    born = cleaned.get("date_of_birth")
    if isinstance(born, date) and born > timezone.localdate():
        errors["date_of_birth"] = _("The date of birth cannot be in the future.")
    flags = cleaned.get("flags")
    if flags is not None:
        unknown = [f for f in flags if f not in ServiceUserFlag.values]
        if unknown:
            errors["flags"] = _("Unknown flag.")
        cleaned["flags"] = [f for f in ServiceUserFlag.values if f in flags]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _apply_hkid(person: ServiceUser, canonical: str) -> None:
    person.hkid = canonical
    person.hkid_hash = lookup_hash(canonical) if canonical else ""


@transaction.atomic
def service_user_register(
    *,
    user: Any,
    unit: ServiceUnit,
    data: dict[str, Any],
    presenting_problem: str = "",
    source: str = IntakeSource.WALK_IN,
    acknowledged: Iterable[int] = (),
) -> ServiceUser:
    """Register a new person in `unit` and put them in the unit's intake queue, assigned to the
    registering worker. Raises PossibleDuplicate unless every strong candidate was acknowledged;
    the same HKID as an existing record is always refused (link that record instead)."""
    casework_unit_check(user, unit)
    cleaned = clean_person_data(data)
    candidates = duplicate_candidates(
        name_zh=cleaned.get("name_zh", ""),
        name_en=cleaned.get("name_en", ""),
        date_of_birth=cleaned.get("date_of_birth"),
        hkid=cleaned.get("hkid", ""),
        phones=[p for p in (cleaned.get("phone"), cleaned.get("phone_alt")) if p],
    )
    if any(c.same_hkid for c in candidates):
        raise ValidationError(
            {
                "hkid": _(
                    "A person with this HKID number is already registered. Link the existing "
                    "record instead of creating a new one."
                )
            }
        )
    acknowledged_ids = set(acknowledged)
    strong = [c for c in candidates if c.score >= DUPLICATE_WARNING_SCORE]
    if any(c.person_id not in acknowledged_ids for c in strong):
        raise PossibleDuplicate(candidates)
    hkid = cleaned.pop("hkid", "")
    person = ServiceUser(registered_by=user, registered_unit=unit, **cleaned)
    _apply_hkid(person, hkid)
    person.full_clean()
    person.save()
    search_keys_rebuild(person)
    Intake.objects.create(
        person=person,
        unit=unit,
        source=source,
        status=IntakeStatus.PENDING,
        assigned_worker=user,
        presenting_problem=presenting_problem,
        created_by=user,
    )
    return person


@transaction.atomic
def service_user_link(
    *,
    user: Any,
    unit: ServiceUnit,
    person_id: int,
    details: dict[str, Any],
    presenting_problem: str = "",
) -> Intake:
    """Start an intake in `unit` for an already registered person found as a duplicate
    candidate, instead of registering them again. The record becomes visible to the worker, so
    it must be a candidate for the identity `details` the worker typed: a record cannot be
    pulled into someone's need-to-know by its id alone."""
    casework_unit_check(user, unit)
    cleaned = clean_person_data(details)
    candidates = duplicate_candidates(
        name_zh=cleaned.get("name_zh", ""),
        name_en=cleaned.get("name_en", ""),
        date_of_birth=cleaned.get("date_of_birth"),
        hkid=cleaned.get("hkid", ""),
        phones=[p for p in (cleaned.get("phone"), cleaned.get("phone_alt")) if p],
    )
    try:
        wanted = int(person_id)
    except (TypeError, ValueError):
        wanted = 0
    if wanted not in {c.person_id for c in candidates}:
        raise ValidationError(_("Choose one of the matching records."))
    person = ServiceUser.objects.filter(pk=wanted, merged_into__isnull=True).first()
    if person is None:
        raise ValidationError(_("That record no longer exists or was merged into another."))
    if Intake.objects.filter(
        person=person, unit=unit, status__in=(IntakeStatus.PENDING, IntakeStatus.IN_PROGRESS)
    ).exists():
        raise ValidationError(_("This person already has an open intake in your unit."))
    intake = Intake.objects.create(
        person=person,
        unit=unit,
        source=IntakeSource.WALK_IN,
        assigned_worker=user,
        presenting_problem=presenting_problem,
        created_by=user,
    )
    return intake


@transaction.atomic
def service_user_update(
    *, user: Any, person_id: Any, expected_version: int, data: dict[str, Any]
) -> ServiceUser:
    """Change a person's details; a stale copy is refused (ConflictError)."""
    person = policy_for(ServiceUser).get(user, person_id, Action.CHANGE)
    cleaned = clean_person_data({**_current_values(person), **data})
    changes = {k: v for k, v in cleaned.items() if k in data}
    if "hkid" in changes:
        canonical = changes.pop("hkid")
        if canonical and canonical != person.hkid:
            same = ServiceUser.objects.filter(hkid_hash=lookup_hash(canonical)).exclude(
                pk=person.pk
            )
            if same.exists():
                raise ValidationError(
                    {"hkid": _("Another record has this HKID number; merge the two records.")}
                )
        changes["hkid"] = canonical
        changes["hkid_hash"] = lookup_hash(canonical) if canonical else ""
    person = update_versioned(person, expected_version=expected_version, changes=changes)
    search_keys_rebuild(person)
    return person


def _current_values(person: ServiceUser) -> dict[str, Any]:
    values = {k: getattr(person, k) for k in PERSON_FIELDS if k != "district"}
    values["district"] = person.district
    return values


def person_get_for_change(*, user: Any, person_id: Any) -> ServiceUser:
    return policy_for(ServiceUser).get(user, person_id, Action.CHANGE)


@transaction.atomic
def household_member_add(*, user: Any, person_id: Any, data: dict[str, Any]) -> HouseholdMember:
    """Add a household member or family relation to a person's record."""
    person = person_get_for_change(user=user, person_id=person_id)
    member = HouseholdMember(person=person, **data)
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def key_contact_add(*, user: Any, person_id: Any, data: dict[str, Any]) -> KeyContact:
    """Add a key contact (emergency contact, doctor, school…) to a person's record."""
    person = person_get_for_change(user=user, person_id=person_id)
    if data.get("phone"):
        digits = phone_normalise(str(data["phone"]))
        if digits is None:
            raise ValidationError({"phone": _("Enter a Hong Kong phone number of 8 digits.")})
        data = {**data, "phone": digits}
    contact = KeyContact(person=person, **data)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def alias_add(*, user: Any, person_id: Any, name_zh: str = "", name_en: str = "", note: str = ""):  # type: ignore[no-untyped-def]
    """Record another name of the person; search finds them by it too."""
    person = person_get_for_change(user=user, person_id=person_id)
    if not name_zh.strip() and not name_en.strip():
        raise ValidationError({"name_zh": _("Enter the Chinese or the English name.")})
    alias = ServiceUserAlias.objects.create(
        person=person, name_zh=name_zh.strip(), name_en=name_en.strip().upper(), note=note
    )
    search_keys_rebuild(person)
    return alias


@transaction.atomic
def consent_record(
    *,
    user: Any,
    person_id: Any,
    purpose: str,
    scope: str,
    given_by: str,
    given_on: date,
    evidence: str,
    recipient_organisation: Any = None,
    evidence_file: Attachment | None = None,
) -> Consent:
    """Record the person's consent for a purpose (PDPO DPP3)."""
    person = person_get_for_change(user=user, person_id=person_id)
    if given_on > timezone.localdate():
        raise ValidationError({"given_on": _("The date cannot be in the future.")})
    consent = Consent(
        person=person,
        purpose=purpose,
        scope=scope,
        given_by=given_by,
        given_on=given_on,
        evidence=evidence,
        recipient_organisation=recipient_organisation,
        evidence_file=evidence_file,
        recorded_by=user,
    )
    consent.full_clean()
    consent.save()
    if evidence_file is not None and evidence_file.person_id is None:
        evidence_file.person = person
        evidence_file.save(update_fields=["person"])
    return consent


@transaction.atomic
def consent_withdraw(
    *, user: Any, consent_id: Any, expected_version: int, withdrawn_on: date, note: str
) -> Consent:
    """Record that the person withdrew a consent; referrals relying on it can no longer be sent."""
    consent = policy_for(Consent).get(user, consent_id, Action.CHANGE)
    if consent.withdrawn_on is not None:
        raise ValidationError(_("This consent was already withdrawn."))
    if not note.strip():
        raise ValidationError({"withdrawal_note": _("Say how the withdrawal was given.")})
    if withdrawn_on > timezone.localdate():
        raise ValidationError({"withdrawn_on": _("The date cannot be in the future.")})
    if withdrawn_on < consent.given_on:
        raise ValidationError(
            {"withdrawn_on": _("The consent cannot be withdrawn before it was given.")}
        )
    return update_versioned(
        consent,
        expected_version=expected_version,
        changes={"withdrawn_on": withdrawn_on, "withdrawal_note": note.strip()},
    )


def hkid_reveal(*, user: Any, person_id: Any, request: HttpRequest | None = None) -> str:
    """The full HKID, for the person's own workers and supervisors only; the read is audited."""
    person = policy_for(ServiceUser).get(user, person_id, Action.CHANGE)
    if not actor_for(user).has_role(Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR):
        raise PermissionDenied
    record_read(obj=person, user=user, request=request, purpose="reveal_hkid")
    return hkid_format(person.hkid) if person.hkid else ""


@transaction.atomic
def service_user_merge(*, user: Any, source_id: Any, target_id: Any, reason: str) -> ServiceUser:
    """Merge two records of the same person into `target`: everything of `source` (intakes,
    cases, referrals, consents, household, contacts, names, attachments) moves to `target`;
    `source` is kept, marked as merged. Only a supervisor who may change both records merges."""
    if not actor_for(user).has_role(Role.UNIT_SUPERVISOR):
        raise PermissionDenied
    if str(source_id) == str(target_id):
        raise ValidationError(_("Choose two different records."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the merge.")})
    policy = policy_for(ServiceUser)
    source = policy.get(user, source_id, Action.CHANGE)
    target = policy.get(user, target_id, Action.CHANGE)
    if source.merged_into_id or target.merged_into_id:
        raise ValidationError(_("One of the records was already merged."))
    if source.hkid and target.hkid and source.hkid != target.hkid:
        raise ValidationError(
            _("The two records have different HKID numbers: they are not the same person.")
        )
    source = ServiceUser.objects.select_for_update().get(pk=source.pk)
    target = ServiceUser.objects.select_for_update().get(pk=target.pk)
    for model in (Intake, Case, Referral, Consent, HouseholdMember, KeyContact, Attachment):
        for row in model.objects.filter(person=source):
            row.person = target  # saved one by one so auditlog records each move
            row.save(update_fields=["person"])
    for access in BreakGlassAccess.objects.filter(person=source):
        access.person = target
        access.save(update_fields=["person"])
    ServiceUserAlias.objects.filter(person=source).update(person=target)
    if source.name_zh != target.name_zh or source.name_en != target.name_en:
        ServiceUserAlias.objects.create(
            person=target,
            name_zh=source.name_zh,
            name_en=source.name_en,
            note=record_text(
                gettext_lazy("Name on merged record %(reference)s"), reference=source.reference
            ),
        )
    changes: dict[str, Any] = {}
    for field in ("name_zh", "name_en", "date_of_birth", "phone", "email", "address", "district"):
        if not getattr(target, field) and getattr(source, field):
            changes[field] = getattr(source, field)
    if (
        not target.phone_alt
        and source.phone
        and source.phone != (changes.get("phone") or target.phone)
    ):
        changes["phone_alt"] = source.phone
    if not target.hkid and source.hkid:
        changes["hkid"] = source.hkid
        changes["hkid_hash"] = source.hkid_hash
    flags = list(dict.fromkeys([*target.flags, *source.flags]))
    if flags != target.flags:
        changes["flags"] = flags
    target = update_versioned(target, expected_version=target.version, changes=changes)
    update_versioned(
        source,
        expected_version=source.version,
        changes={"merged_into": target, "hkid": "", "hkid_hash": ""},
    )
    search_keys_rebuild(target)
    SearchKey.objects.filter(person=source).delete()
    LogEntry.objects.log_create(
        target,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes={"merged_from": [None, source.reference]},
        additional_data={"reason": reason.strip(), **(target.get_additional_data() or {})},
        actor=user,
    )
    return target
