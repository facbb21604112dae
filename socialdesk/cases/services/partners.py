"""API tokens of referral partners (outside agencies sending e-referrals)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..models import ReferralPartner

PARTNER_TOKEN_PREFIX = "rp_"  # noqa: S105 (a visible marker, not a secret)
MAX_TOKEN_LENGTH = 200
# `last_used_at` is written at most this often, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(raw: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def referral_partner_token_issue(*, partner: ReferralPartner) -> str:
    """Give the partner a new token, replacing (revoking) any earlier one; the token is
    returned once and only its hash is kept."""
    raw = PARTNER_TOKEN_PREFIX + secrets.token_urlsafe(32)
    partner.token_hash = _hash(raw)
    partner.token_prefix = raw[: len(PARTNER_TOKEN_PREFIX) + 6]
    partner.token_issued_at = timezone.now()
    partner.save(update_fields=["token_hash", "token_prefix", "token_issued_at", "updated_at"])
    return raw


def referral_partner_authenticate(*, raw: str) -> ReferralPartner | None:
    """The active partner holding this token, or None."""
    if not raw.startswith(PARTNER_TOKEN_PREFIX) or len(raw) > MAX_TOKEN_LENGTH:
        return None
    partner = ReferralPartner.objects.filter(token_hash=_hash(raw), is_active=True).first()
    if partner is None:
        return None
    now = timezone.now()
    if partner.last_used_at is None or now - partner.last_used_at > LAST_USED_RESOLUTION:
        ReferralPartner.objects.filter(pk=partner.pk).update(last_used_at=now)
        partner.last_used_at = now
    return partner
