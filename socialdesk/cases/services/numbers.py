"""Human-readable numbers for cases and referrals (C-2026-000123), gap-free per year."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..models import Sequence


@transaction.atomic
def next_number(prefix: str) -> str:
    """The next number of the year for `prefix` (C for cases, R for referrals)."""
    year = timezone.localdate().year
    name = f"{prefix}-{year}"
    Sequence.objects.get_or_create(name=name)
    sequence = Sequence.objects.select_for_update().get(name=name)
    sequence.value += 1
    sequence.save(update_fields=["value"])
    return f"{prefix}-{year}-{sequence.value:06d}"
