"""Case management API: ereferrals."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Header, Status
from ninja.security import HttpBearer

from socialdesk.api.errors import ApiError
from socialdesk.api.idempotency import idempotent
from socialdesk.core.models import ServiceUnit

from ..models import Attachment, ReferralChannel, ReferralPartner
from ..ratelimit import client_over_limit
from ..schemas import (
    EReferralIn,
    EReferralReceiptOut,
    EReferralStatusOut,
)
from ..services import partners, referrals
from ..uploads import attachments_discard, attachments_store_all
from .common import decoded_attachments, router

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
    uploads = decoded_attachments(payload.attachments)
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
