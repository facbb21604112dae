"""Referrals and transfers between units, from outside agencies (e-referral) and from the public.

A referral carries a snapshot of the personal data shared (`shared_data`); it may be sent only
with the person's recorded consent for referral to the receiving organisation, or with a
recorded reason for overriding consent, which the audit flags."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.core.access import Action, policy_for
from socialdesk.core.concurrency import update_versioned
from socialdesk.core.crypto import decrypt, encrypt, lookup_hash
from socialdesk.core.models import Role, ServiceUnit
from socialdesk.core.services import notification_send
from socialdesk.textsearch.identifiers import hkid_mask

from ..models import (
    Attachment,
    Case,
    CaseStatus,
    CaseWorker,
    Consent,
    ConsentPurpose,
    Intake,
    IntakeSource,
    Referral,
    ReferralChannel,
    ReferralKind,
    ReferralStatus,
    ServiceUser,
    Urgency,
    WorkItem,
    WorkItemKind,
)
from .casework import _unit_staff, unit_settings, work_item_done
from .numbers import next_number
from .people import casework_unit_check, clean_person_data, service_user_register
from .search import duplicate_candidates

SHARED_FIELDS = ("name_zh", "name_en", "sex", "date_of_birth", "phone", "address", "language")


def shared_snapshot(person: ServiceUser, *, summary: str) -> dict[str, Any]:
    """What the receiving unit sees before accepting: identity and contact, never the HKID."""
    data: dict[str, Any] = {k: getattr(person, k) for k in SHARED_FIELDS}
    data["date_of_birth"] = person.date_of_birth.isoformat() if person.date_of_birth else ""
    data["district"] = person.district.code if person.district is not None else ""
    data["flags"] = list(person.flags)
    data["summary"] = summary
    data["person_reference"] = person.reference
    return data


def _notify_unit(unit: ServiceUnit, referral: Referral) -> None:
    recipients = _unit_staff(unit.pk, Role.UNIT_SUPERVISOR, Role.FRONTLINE_WORKER)
    notification_send(
        recipients=recipients,
        kind="referral_received",
        title=lambda: _("New referral %(reference)s") % {"reference": referral.reference},
        body=lambda: _("A referral arrived in the inbox of %(unit)s.") % {"unit": unit.name},
        link=f"/cases/referrals/{referral.pk}/",
    )


def _consent_for(person: ServiceUser, to_unit: ServiceUnit, consent_id: Any) -> Consent | None:
    if not consent_id:
        return None
    consent = Consent.objects.filter(pk=consent_id, person=person).first()
    if consent is None or not consent.covers(
        purpose=ConsentPurpose.REFERRAL, organisation_id=to_unit.organisation_id
    ):
        raise ValidationError(
            {"consent": _("This consent does not cover a referral to that organisation.")}
        )
    return consent


@transaction.atomic
def referral_send(
    *,
    user: Any,
    person_id: Any,
    from_unit: ServiceUnit,
    to_unit_id: Any,
    reason: str,
    urgency: str = Urgency.ROUTINE,
    consent_id: Any = None,
    consent_override_reason: str = "",
    attachments: Sequence[Attachment] = (),
    case_id: Any = None,
    kind: str = ReferralKind.REFERRAL,
) -> Referral:
    """Refer a person (or, for a transfer, their whole case) from `from_unit` to another unit."""
    casework_unit_check(user, from_unit)
    person = policy_for(ServiceUser).get(user, person_id, Action.CHANGE)
    to_unit = ServiceUnit.objects.filter(pk=to_unit_id, is_active=True).first()
    if to_unit is None:
        raise ValidationError({"to_unit": _("Choose an active service unit.")})
    if to_unit.pk == from_unit.pk:
        raise ValidationError({"to_unit": _("Choose another unit than your own.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the referral.")})
    if urgency not in Urgency.values:
        raise ValidationError({"urgency": _("Choose the urgency.")})
    case = None
    if kind == ReferralKind.TRANSFER:
        case = policy_for(Case).get(user, case_id, Action.CHANGE)
        if case.unit_id != from_unit.pk or case.status != CaseStatus.OPEN:
            raise ValidationError(_("Only an open case of your unit can be transferred."))
        if case.person_id != person.pk:
            raise ValidationError(_("The case belongs to another person."))
    consent = _consent_for(person, to_unit, consent_id)
    override = consent_override_reason.strip()
    if consent is None and not override:
        raise ValidationError(
            {
                "consent": _(
                    "Record the person's consent to this referral first, or give the reason "
                    "for referring without it (for example, a risk to life)."
                )
            }
        )
    if open_duplicate := Referral.objects.filter(
        person=person, to_unit=to_unit, status=ReferralStatus.SENT
    ).first():
        raise ValidationError(
            _("A referral of this person to that unit is already waiting: %(reference)s")
            % {"reference": open_duplicate.reference}
        )
    referral = Referral.objects.create(
        reference=next_number("R"),
        kind=kind,
        channel=ReferralChannel.INTERNAL,
        person=person,
        case=case,
        from_unit=from_unit,
        from_user=user,
        to_unit=to_unit,
        reason=reason.strip(),
        urgency=urgency,
        shared_data=shared_snapshot(person, summary=reason.strip()),
        consent=consent,
        consent_override_reason="" if consent else override,
        respond_by=timezone.localdate()
        + timedelta(
            days=1 if urgency == Urgency.URGENT else unit_settings(to_unit.pk).referral_reply_days
        ),
    )
    for attachment in attachments:
        attachment.referral = referral
        attachment.person = person
        attachment.save(update_fields=["referral", "person"])
    if consent is None:
        LogEntry.objects.log_create(
            referral,
            force_log=True,
            action=LogEntry.Action.ACCESS,
            changes=None,
            additional_data={
                "consent_override": True,
                "reason": override,
                **referral.get_additional_data(),
            },
            actor=user,
        )
    WorkItem.objects.create(
        kind=WorkItemKind.REFERRAL_RESPONSE,
        unit=to_unit,
        referral=referral,
        due_on=referral.respond_by or timezone.localdate(),
    )
    _notify_unit(to_unit, referral)
    return referral


def _decidable(user: Any, referral_id: Any) -> Referral:
    referral = policy_for(Referral).get(user, referral_id, Action.CHANGE)
    casework_unit_check(user, referral.to_unit)
    if referral.status != ReferralStatus.SENT:
        raise ValidationError(_("This referral was already answered or withdrawn."))
    return referral


@transaction.atomic
def referral_accept(
    *,
    user: Any,
    referral_id: Any,
    expected_version: int,
    person_id: Any = None,
    register_new: bool = False,
) -> Intake | Case:
    """Accept a referral: opens an intake in the receiving unit (a transfer moves the case).
    An outside referral is first matched to an existing person (`person_id`, one of the
    duplicate candidates) or registered as a new person (`register_new`)."""
    referral = _decidable(user, referral_id)
    if referral.kind == ReferralKind.TRANSFER and referral.case_id:
        return _accept_transfer(user, referral, expected_version)
    person = referral.person
    if person is None:
        if person_id:
            candidates = {c.person_id for c in _candidates_for(referral)}
            if int(person_id) not in candidates:
                raise ValidationError(_("Choose one of the matching records."))
            person = ServiceUser.objects.get(pk=person_id)
        elif register_new:
            # Fields the referrer left empty take the model's defaults (sex, language).
            data = {k: v for k, v in referral.shared_data.items() if k in SHARED_FIELDS and v != ""}
            data["date_of_birth"] = _parse_date(data.get("date_of_birth"))
            if referral.shared_data.get("hkid_encrypted"):
                data["hkid"] = decrypt(referral.shared_data["hkid_encrypted"])
            person = service_user_register(
                user=user,
                unit=referral.to_unit,
                data=data,
                presenting_problem=referral.reason,
                source=IntakeSource.E_REFERRAL,
                acknowledged=[c.person_id for c in _candidates_for(referral)],
            )
            Intake.objects.filter(person=person, unit=referral.to_unit).update(referral=referral)
        else:
            raise ValidationError(
                _("Match the referral to an existing record or register a new person.")
            )
    update_versioned(
        referral,
        expected_version=expected_version,
        changes={
            "status": ReferralStatus.ACCEPTED,
            "person": person,
            "decided_by": user,
            "decided_at": timezone.now(),
        },
    )
    work_item_done(referral=referral)
    for attachment in referral.attachments.filter(person__isnull=True):
        attachment.person = person
        attachment.save(update_fields=["person"])
    intake = Intake.objects.filter(person=person, unit=referral.to_unit, referral=referral).first()
    if intake is None:
        source = (
            IntakeSource.REFERRAL
            if referral.channel == ReferralChannel.INTERNAL
            else IntakeSource.E_REFERRAL
        )
        intake = Intake.objects.create(
            person=person,
            unit=referral.to_unit,
            source=source,
            referral=referral,
            assigned_worker=user,
            presenting_problem=referral.reason,
            created_by=user,
        )
    _notify_referrer(referral, accepted=True)
    return intake


def _parse_date(value: Any) -> Any:
    from datetime import date

    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _candidates_for(referral: Referral) -> list[Any]:
    data = referral.shared_data or {}
    return duplicate_candidates(
        name_zh=data.get("name_zh", ""),
        name_en=data.get("name_en", ""),
        date_of_birth=_parse_date(data.get("date_of_birth")),
        hkid_hash=data.get("hkid_hash", ""),
        phones=[data["phone"]] if data.get("phone") else [],
    )


def _accept_transfer(user: Any, referral: Referral, expected_version: int) -> Case:
    assert referral.case_id is not None
    case = Case.objects.select_for_update().get(pk=referral.case_id)
    if case.status != CaseStatus.OPEN:
        raise ValidationError(_("The case is no longer open and cannot be transferred."))
    from_unit_id = case.unit_id
    case = update_versioned(
        case,
        expected_version=case.version,
        changes={"unit_id": referral.to_unit_id, "team": None},
        fields=["unit", "team"],
    )
    for assignment in CaseWorker.objects.filter(case=case):
        assignment.delete()
    CaseWorker.objects.create(case=case, user=user, is_primary=True)
    WorkItem.objects.filter(case=case, done_at__isnull=True, unit_id=from_unit_id).update(
        unit_id=referral.to_unit_id, assignee_id=user.pk
    )
    update_versioned(
        referral,
        expected_version=expected_version,
        changes={
            "status": ReferralStatus.ACCEPTED,
            "decided_by": user,
            "decided_at": timezone.now(),
        },
    )
    work_item_done(referral=referral)
    _notify_referrer(referral, accepted=True)
    return case


@transaction.atomic
def referral_decline(
    *, user: Any, referral_id: Any, expected_version: int, reason: str
) -> Referral:
    """Decline a referral with a reason the referrer sees."""
    referral = _decidable(user, referral_id)
    if not reason.strip():
        raise ValidationError({"decline_reason": _("Give the reason for declining.")})
    referral = update_versioned(
        referral,
        expected_version=expected_version,
        changes={
            "status": ReferralStatus.DECLINED,
            "decline_reason": reason.strip(),
            "decided_by": user,
            "decided_at": timezone.now(),
        },
    )
    work_item_done(referral=referral)
    _notify_referrer(referral, accepted=False)
    return referral


@transaction.atomic
def referral_withdraw(
    *, user: Any, referral_id: Any, expected_version: int, reason: str
) -> Referral:
    """The referring worker or their supervisor withdraws a referral not yet answered."""
    referral = policy_for(Referral).get(user, referral_id, Action.CHANGE)
    from socialdesk.core.access import actor_for

    actor = actor_for(user)
    if referral.from_user_id != user.pk and referral.from_unit_id not in actor.unit_ids(
        Role.UNIT_SUPERVISOR
    ):
        raise PermissionDenied
    if referral.status != ReferralStatus.SENT:
        raise ValidationError(_("Only a referral waiting for a reply can be withdrawn."))
    if not reason.strip():
        raise ValidationError({"withdraw_reason": _("Give the reason for withdrawing.")})
    referral = update_versioned(
        referral,
        expected_version=expected_version,
        changes={"status": ReferralStatus.WITHDRAWN, "withdraw_reason": reason.strip()},
    )
    work_item_done(referral=referral)
    return referral


def _notify_referrer(referral: Referral, *, accepted: bool) -> None:
    if referral.from_user_id is None:
        return  # outside referrers look the status up with their reference and secret
    notification_send(
        recipients=[referral.from_user],
        kind="referral_answered",
        title=lambda: (
            (
                _("Referral %(reference)s accepted")
                if accepted
                else _("Referral %(reference)s declined")
            )
            % {"reference": referral.reference}
        ),
        link=f"/cases/referrals/{referral.pk}/",
    )


# --- E-referral: outside agencies and the public ---


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@transaction.atomic
def ereferral_submit(
    *,
    to_unit_id: Any,
    channel: str,
    person: dict[str, Any],
    reason: str,
    referrer: dict[str, str],
    consent_evidence: str,
    urgency: str = Urgency.ROUTINE,
    attachments: Sequence[Attachment] = (),
    idempotency_key: str = "",
) -> tuple[Referral, str]:
    """Take a referral from outside SocialDesk into the unit's inbox, matched against existing
    records. Returns the referral and the status secret (shown once to the referrer)."""
    if idempotency_key:
        earlier = Referral.objects.filter(idempotency_key=idempotency_key, channel=channel).first()
        if earlier is not None:
            return earlier, ""
    to_unit = ServiceUnit.objects.filter(pk=to_unit_id, is_active=True).first()
    errors: dict[str, Any] = {}
    if to_unit is None:
        errors["to_unit"] = _("Choose an active service unit.")
    if not reason.strip():
        errors["reason"] = _("Give the reason for the referral.")
    if channel != ReferralChannel.PUBLIC_APPLICATION:
        if not consent_evidence.strip():
            errors["consent_evidence"] = _(
                "Say how the person's consent to this referral was obtained."
            )
        if not (referrer.get("organisation") or "").strip():
            errors["referrer_organisation"] = _("Enter the referring organisation.")
    if not (referrer.get("name") or "").strip():
        errors["referrer_name"] = _("Enter the name of the person to contact.")
    if not (referrer.get("email") or referrer.get("phone") or "").strip():
        errors["referrer_phone"] = _("Enter a phone number or an email address to reply to.")
    try:
        cleaned = clean_person_data(person)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        cleaned = {}
    if errors:
        raise ValidationError(errors)
    assert to_unit is not None
    shared: dict[str, Any] = {k: cleaned.get(k, "") for k in SHARED_FIELDS}
    shared["date_of_birth"] = (
        cleaned["date_of_birth"].isoformat() if cleaned.get("date_of_birth") else ""
    )
    hkid = cleaned.get("hkid", "")
    if hkid:  # never in clear, even inside the snapshot: encrypted, hashed for matching, masked
        shared["hkid_encrypted"] = encrypt(hkid)
        shared["hkid_hash"] = lookup_hash(hkid)
        shared["hkid_masked"] = hkid_mask(hkid)
    shared["summary"] = reason.strip()
    secret = secrets.token_urlsafe(12)
    referral = Referral.objects.create(
        reference=next_number("R"),
        channel=channel,
        to_unit=to_unit,
        referrer_organisation=(referrer.get("organisation") or "").strip(),
        referrer_name=(referrer.get("name") or "").strip(),
        referrer_email=(referrer.get("email") or "").strip(),
        referrer_phone=(referrer.get("phone") or "").strip(),
        reason=reason.strip(),
        urgency=urgency if urgency in Urgency.values else Urgency.ROUTINE,
        shared_data=shared,
        consent_evidence=consent_evidence.strip(),
        respond_by=timezone.localdate()
        + timedelta(days=unit_settings(to_unit.pk).referral_reply_days),
        status_secret_hash=_secret_hash(secret),
        idempotency_key=idempotency_key,
    )
    candidates = _candidates_for(referral)
    exact = [c for c in candidates if c.same_hkid]
    if len(exact) == 1:
        referral.person_id = exact[0].person_id
        referral.save(update_fields=["person"])
    referral.shared_data = {
        **shared,
        "match": [c.as_dict() for c in candidates[:5]],
    }
    referral.save(update_fields=["shared_data"])
    for attachment in attachments:
        attachment.referral = referral
        attachment.save(update_fields=["referral"])
    WorkItem.objects.create(
        kind=WorkItemKind.REFERRAL_RESPONSE,
        unit=to_unit,
        referral=referral,
        due_on=referral.respond_by or timezone.localdate(),
    )
    _notify_unit(to_unit, referral)
    return referral, secret


def ereferral_status(*, reference: str, secret: str) -> Referral | None:
    """The referral with this reference if the secret matches (constant-time), else None."""
    referral = (
        Referral.objects.filter(reference=reference.strip().upper())
        .exclude(status_secret_hash="")
        .first()
    )
    if referral is None:
        secrets.compare_digest(_secret_hash(secret), "0" * 64)  # same work either way
        return None
    if not secrets.compare_digest(_secret_hash(secret.strip()), referral.status_secret_hash):
        return None
    return referral
