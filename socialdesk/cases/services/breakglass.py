"""Break-the-glass: emergency access to one person outside need-to-know, with a reason, for a
limited time, announced to the privacy officers and reviewed by them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.core.access import Action, actor_for, policy_for
from socialdesk.core.concurrency import update_versioned
from socialdesk.core.crypto import lookup_hash
from socialdesk.core.models import Membership, Role
from socialdesk.core.services import notification_send
from socialdesk.textsearch.identifiers import hkid_is_valid, hkid_normalise

from ..models import BreakGlassAccess, ServiceUser

MAX_MINUTES = 240


def break_glass_find(*, hkid: str) -> ServiceUser | None:
    """The one person with this exact HKID (break-the-glass needs an exact identifier)."""
    canonical = hkid_normalise(hkid)
    if canonical is None or not hkid_is_valid(canonical):
        raise ValidationError({"hkid": _("Enter a valid HKID number.")})
    return ServiceUser.objects.filter(
        hkid_hash=lookup_hash(canonical), merged_into__isnull=True
    ).first()


@transaction.atomic
def break_glass_open(
    *, user: Any, person: ServiceUser, reason: str, minutes: int = 60
) -> BreakGlassAccess:
    """Give `user` access to `person` for `minutes`; the privacy officers of the user's
    organisation are alerted at once."""
    actor = actor_for(user)
    if not actor.has_role(Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR):
        raise PermissionDenied
    if len(reason.strip()) < 10:
        raise ValidationError(
            {"reason": _("Explain why you need this record now (at least 10 characters).")}
        )
    if not 5 <= minutes <= MAX_MINUTES:
        raise ValidationError(
            {"minutes": _("Choose between 5 and %(max)s minutes.") % {"max": MAX_MINUTES}}
        )
    now = timezone.now()
    access = BreakGlassAccess.objects.create(
        user=user,
        person=person,
        reason=reason.strip(),
        granted_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    officers = get_user_model().objects.filter(
        pk__in=Membership.objects.filter(
            organisation_id__in=actor.organisation_ids(),
            role=Role.PRIVACY_OFFICER,
            is_active=True,
        ).values("user_id"),
        is_active=True,
    )
    name = user.get_full_name() or user.username
    notification_send(
        recipients=officers,
        kind="break_glass",
        title=lambda: _("Break-the-glass access by %(name)s") % {"name": name},
        body=lambda: _("Reason given: %(reason)s") % {"reason": access.reason},
        link=f"/cases/break-glass/{access.pk}/",
    )
    return access


@transaction.atomic
def break_glass_end(*, user: Any, access_id: Any) -> BreakGlassAccess:
    """End one's own break-the-glass access early."""
    access = policy_for(BreakGlassAccess).get(user, access_id, Action.VIEW)
    if access.user_id != user.pk:
        raise PermissionDenied
    if access.ended_at is None:
        access.ended_at = timezone.now()
        access.save(update_fields=["ended_at"])
    return access


@transaction.atomic
def break_glass_review(*, user: Any, access_id: Any, note: str) -> BreakGlassAccess:
    """A privacy officer records their review of a break-the-glass access."""
    access = policy_for(BreakGlassAccess).get(user, access_id, Action.CHANGE)
    if not actor_for(user).has_role(Role.PRIVACY_OFFICER):
        raise PermissionDenied
    if not note.strip():
        raise ValidationError({"review_note": _("Write the outcome of your review.")})
    access.reviewed_by = user
    access.reviewed_at = timezone.now()
    access.review_note = note.strip()
    access.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    return access


__all__ = [
    "break_glass_end",
    "break_glass_find",
    "break_glass_open",
    "break_glass_review",
    "update_versioned",
]
