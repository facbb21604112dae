"""Case management API: people, cases, intakes, referrals and "my work" for frontline workers and
unit supervisors; e-referrals from outside agencies (referral partners, with their own token).
One router; a module per part (people, casework, referrals, ereferrals), helpers in `common`.

Reads go through the selectors (need-to-know scope, reads of a person's record audited), writes
through the services; endpoints only parse, call and shape the answer. Every POST honours an
`Idempotency-Key` header (socialdesk.api.idempotency)."""

from __future__ import annotations

from . import casework, ereferrals, people, referrals  # noqa: F401  (they register the endpoints)
from .common import router

__all__ = ["router"]
