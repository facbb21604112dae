"""Reads about organisations, units and staff, always scoped by the access policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from .access import Action, actor_for, policy_for
from .models import BackgroundJob, Membership, Organisation, ServiceUnit


def membership_list_for_user(*, user: Any) -> QuerySet[Membership]:
    """The user's own active roles."""
    return (
        Membership.objects.filter(user_id=user.pk, is_active=True)
        .select_related("organisation", "service_unit", "service_unit__service_type")
        .order_by("organisation__code", "role")
    )


def service_unit_list_for(
    *,
    user: Any,
    action: str = Action.VIEW,
    query: str = "",
    service_type: str = "",
    district: str = "",
    organisation: str = "",
) -> QuerySet[ServiceUnit]:
    """Service units the user may see, optionally filtered."""
    qs = policy_for(ServiceUnit).queryset(user, Action(action))
    if query:
        qs = qs.filter(
            Q(name_zh__icontains=query) | Q(name_en__icontains=query) | Q(code__icontains=query)
        )
    if service_type:
        qs = qs.filter(service_type__code=service_type)
    if district:
        qs = qs.filter(district__code=district)
    if organisation:
        qs = qs.filter(organisation__code=organisation)
    return qs.select_related("organisation", "service_type", "district").order_by(
        "organisation__code", "code"
    )


def service_unit_get_for(*, user: Any, unit_id: Any, action: str = Action.VIEW) -> ServiceUnit:
    return policy_for(ServiceUnit).get(user, unit_id, Action(action))


def organisation_list_for(*, user: Any) -> QuerySet[Organisation]:
    return (
        policy_for(Organisation)
        .queryset(user)
        .annotate(unit_count=Count("service_units", filter=Q(service_units__is_active=True)))
        .order_by("kind", "code")
    )


def staff_list_for(*, user: Any, query: str = "") -> QuerySet[Any]:
    """Staff records (personal data) the user may see."""
    from django.contrib.auth import get_user_model

    qs = policy_for(get_user_model()).queryset(user)
    if query:
        qs = qs.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(display_name_zh__icontains=query)
        )
    return qs.prefetch_related("memberships__organisation", "memberships__service_unit").order_by(
        "username"
    )


def staff_get_for(*, user: Any, staff_id: Any, action: str = Action.VIEW) -> Any:
    from django.contrib.auth import get_user_model

    return policy_for(get_user_model()).get(user, staff_id, Action(action))


def background_job_get_for(*, user: Any, job_id: Any) -> BackgroundJob:
    return policy_for(BackgroundJob).get(user, job_id)


def dashboard_counts_for(*, user: Any) -> dict[str, int]:
    """Figures shown on every dashboard, within the user's scope."""
    actor = actor_for(user)
    units = policy_for(ServiceUnit).queryset(user)
    return {
        "organisations": policy_for(Organisation).queryset(user).count(),
        "units": units.count(),
        "unit_types": units.values("service_type").distinct().count(),
        "districts": units.values("district").distinct().count(),
        "roles": len(actor.grants),
    }


def team_for_units(*, unit_ids: frozenset[int]) -> QuerySet[Membership]:
    """Colleagues holding roles in the given units (names and roles only)."""
    return (
        Membership.objects.filter(
            service_unit_id__in=unit_ids, is_active=True, user__is_active=True
        )
        .select_related("user", "service_unit")
        .order_by("service_unit__code", "role", "user__username")
    )


def unit_counts_by(*, user: Any, field: str) -> list[dict[str, Any]]:
    """Active units the user may see, counted by service type or district."""
    assert field in ("service_type", "district")
    rows = (
        policy_for(ServiceUnit)
        .queryset(user)
        .filter(is_active=True)
        .values(f"{field}__code", f"{field}__name_zh", f"{field}__name_en")
        .annotate(count=Count("pk"))
        .order_by(f"{field}__code")
    )
    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    return [
        {
            "code": r[f"{field}__code"],
            "name": r[f"{field}__name_en"] if english else r[f"{field}__name_zh"],
            "count": r["count"],
        }
        for r in rows
    ]


def background_job_list_for(*, user: Any) -> QuerySet[BackgroundJob]:
    return policy_for(BackgroundJob).queryset(user).order_by("-created_at")


def notification_list_for(*, user: Any, unread_only: bool = False) -> QuerySet[Any]:
    """The user's own notifications, newest first."""
    from .models import Notification

    qs = policy_for(Notification).queryset(user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-pk")
