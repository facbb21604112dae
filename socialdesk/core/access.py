"""The access-policy core: who the user is in the organisation (Actor), what their roles may do
(capabilities), and per-model policies that answer "may this user do this to this record" and
"which records may they". Every view and API endpoint goes through here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse

from .models import Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from socialdesk.accounts.models import User

M = TypeVar("M", bound=models.Model)


class Action(StrEnum):
    VIEW = "view"
    ADD = "add"
    CHANGE = "change"
    DELETE = "delete"
    EXPORT = "export"


@dataclass(frozen=True)
class Grant:
    """One active role of a user, in an organisation and possibly a unit."""

    role: str
    organisation_id: int
    service_unit_id: int | None


@dataclass(frozen=True)
class Actor:
    """The acting user with their active roles, computed once per request."""

    user_id: int | None
    grants: tuple[Grant, ...]

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    def has_role(self, *roles: str) -> bool:
        return any(g.role in roles for g in self.grants)

    def organisation_ids(self, *roles: str) -> frozenset[int]:
        return frozenset(g.organisation_id for g in self.grants if not roles or g.role in roles)

    def unit_ids(self, *roles: str) -> frozenset[int]:
        return frozenset(
            g.service_unit_id
            for g in self.grants
            if g.service_unit_id is not None and (not roles or g.role in roles)
        )


ANONYMOUS = Actor(user_id=None, grants=())


def actor_for(user: User | AnonymousUser | None) -> Actor:
    """The user's Actor, cached on the user object for the rest of the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_socialdesk_actor", None)
    if cached is not None:
        return cached
    grants = tuple(
        Grant(role=m.role, organisation_id=m.organisation_id, service_unit_id=m.service_unit_id)
        for m in Membership.objects.filter(
            user_id=user.pk, is_active=True, organisation__is_active=True
        ).order_by("pk")
    )
    actor = Actor(user_id=user.pk, grants=grants)
    user._socialdesk_actor = actor  # type: ignore[union-attr,attr-defined,unused-ignore]
    return actor


def forget_actor(user: Any) -> None:
    """Drop the cached Actor after the user's memberships change."""
    if hasattr(user, "_socialdesk_actor"):
        del user._socialdesk_actor


class Capability(StrEnum):
    """What a role may do at all, before any record-level scoping."""

    VIEW_DASHBOARD = "view_dashboard"
    VIEW_UNITS = "view_units"
    CHANGE_UNITS = "change_units"
    VIEW_STAFF = "view_staff"
    CHANGE_STAFF = "change_staff"
    VIEW_AUDIT = "view_audit"
    MANAGE_REFERENCE_DATA = "manage_reference_data"
    USE_API_TOKENS = "use_api_tokens"
    CASEWORK = "casework"
    VIEW_CASE_RECORDS = "view_case_records"
    VIEW_PERFORMANCE = "view_performance"
    REPORT_PERFORMANCE = "report_performance"
    REVIEW_PERFORMANCE = "review_performance"
    VIEW_FINANCE = "view_finance"
    MANAGE_WEBHOOKS = "manage_webhooks"


ALL_ROLES = frozenset(Role.values)
CAPABILITY_ROLES: dict[Capability, frozenset[str]] = {
    Capability.VIEW_DASHBOARD: ALL_ROLES,
    Capability.VIEW_UNITS: ALL_ROLES,
    Capability.CHANGE_UNITS: frozenset({Role.AGENCY_ADMIN, Role.SYSTEM_ADMIN}),
    Capability.VIEW_STAFF: frozenset({Role.AGENCY_ADMIN, Role.PRIVACY_OFFICER, Role.SYSTEM_ADMIN}),
    Capability.CHANGE_STAFF: frozenset({Role.AGENCY_ADMIN, Role.SYSTEM_ADMIN}),
    Capability.VIEW_AUDIT: frozenset({Role.PRIVACY_OFFICER}),
    Capability.MANAGE_REFERENCE_DATA: frozenset({Role.SYSTEM_ADMIN}),
    Capability.USE_API_TOKENS: ALL_ROLES,
    # Case management pages; which records each user sees is the cases app's policies' answer.
    Capability.CASEWORK: frozenset({Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR}),
    # Read-only case pages also open to privacy officers (their organisation's records).
    Capability.VIEW_CASE_RECORDS: frozenset(
        {Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR, Role.PRIVACY_OFFICER}
    ),
    # Service performance (returns, attainment, dashboards); records scoped by the performance
    # app's policies: a unit's own staff, its agency, SWD for the sector.
    Capability.VIEW_PERFORMANCE: frozenset(
        {
            Role.FRONTLINE_WORKER,
            Role.UNIT_SUPERVISOR,
            Role.AGENCY_ADMIN,
            Role.AGENCY_FINANCE,
            Role.SWD_SUBVENTIONS,
            Role.SYSTEM_ADMIN,
        }
    ),
    # Filling in a unit's returns (the supervisor submits them).
    Capability.REPORT_PERFORMANCE: frozenset({Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR}),
    # Endorsing (agency administrators) and accepting or returning (SWD subventions officers).
    Capability.REVIEW_PERFORMANCE: frozenset({Role.AGENCY_ADMIN, Role.SWD_SUBVENTIONS}),
    # Agencies' financial figures (income, expenditure, LSG reserve): the agency's administrators
    # and finance officers, and the sector; which agencies, the figures' policy says.
    Capability.VIEW_FINANCE: frozenset(
        {Role.AGENCY_ADMIN, Role.AGENCY_FINANCE, Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN}
    ),
    # Webhook endpoints of one's organisation (system administrators: every organisation's).
    Capability.MANAGE_WEBHOOKS: frozenset(
        {Role.AGENCY_ADMIN, Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN}
    ),
}

# Django model permissions (checked only by the admin, which is for system administrators) that a
# system administrator holds through the role: app label → actions. Nobody else holds any.
SYSTEM_ADMIN_MODEL_PERMISSIONS: dict[str, frozenset[str]] = {
    "core": frozenset({"view", "add", "change", "delete"}),
    "accounts": frozenset({"view", "add", "change", "delete"}),
    "forms": frozenset({"view", "add", "change", "delete"}),  # form definitions and versions
    # Referral partners (API tokens), teams and units' case settings; no case record is registered.
    "cases": frozenset({"view", "add", "change", "delete"}),
    # Indicators, disaggregations, return templates and FSAs; returns are not registered.
    "performance": frozenset({"view", "add", "change", "delete"}),
    "axes": frozenset({"view", "delete"}),  # look up and lift sign-in lockouts
    "otp_totp": frozenset({"view", "delete"}),  # reset a lost authenticator
    "django_tasks_database": frozenset({"view"}),
}


class RolePermissionBackend:
    """Authentication backend that authenticates nobody but answers `user.has_perm` for the
    admin from the user's SocialDesk role (see SYSTEM_ADMIN_MODEL_PERMISSIONS)."""

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def _permissions(self, user: Any) -> dict[str, frozenset[str]]:
        if not getattr(user, "is_active", False):
            return {}
        if not has_capability(user, Capability.MANAGE_REFERENCE_DATA):
            return {}
        return SYSTEM_ADMIN_MODEL_PERMISSIONS

    def has_perm(self, user: Any, perm: str, obj: Any = None) -> bool:
        app_label, _, codename = perm.partition(".")
        action = codename.split("_", 1)[0]
        return action in self._permissions(user).get(app_label, frozenset())

    def has_module_perms(self, user: Any, app_label: str) -> bool:
        return app_label in self._permissions(user)


# Roles whose work shows personal data: two-factor sign-in is required for them.
ROLES_REQUIRING_2FA = ALL_ROLES - {Role.AGENCY_FINANCE}


def has_capability(user: Any, capability: Capability) -> bool:
    actor = actor_for(user)
    return actor.has_role(*CAPABILITY_ROLES[capability])


def capability_required(
    capability: Capability,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """View decorator: sign-in, then the capability, else 403."""
    from django.contrib.auth.views import redirect_to_login

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_capability(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorator


class Policy[M2: models.Model]:
    """Record-level access for one model (Wagtail-style permission policy).

    Subclasses implement `scope(actor, action)`, returning a Q of the records the actor may act on,
    or None for none. `queryset`, `allows` and `get` are built on that one answer, so lists, detail
    pages and API endpoints can never disagree.
    """

    model: ClassVar[type[models.Model]]

    def scope(self, actor: Actor, action: Action) -> models.Q | None:
        raise NotImplementedError

    def queryset(
        self, user: Any, action: Action = Action.VIEW, base: models.QuerySet[M2] | None = None
    ) -> models.QuerySet[M2]:
        qs: models.QuerySet[M2] = base if base is not None else self.model._default_manager.all()  # type: ignore[assignment]
        condition = self.scope(actor_for(user), action)
        if condition is None:
            return qs.none()
        return qs.filter(condition)

    def allows(self, user: Any, obj: M2, action: Action) -> bool:
        return self.queryset(user, action).filter(pk=obj.pk).exists()

    def get(self, user: Any, pk: Any, action: Action = Action.VIEW) -> M2:
        """Fetch and authorise in one call: 404 if the user may not see it, 403 if they may see it
        but not do `action` to it."""
        try:
            obj = self.queryset(user, Action.VIEW).get(pk=pk)
        except (ObjectDoesNotExist, ValueError, TypeError) as exc:
            raise Http404 from exc
        if action != Action.VIEW and not self.allows(user, obj, action):
            raise PermissionDenied
        return obj


_POLICIES: dict[type[models.Model], Policy[Any]] = {}


def register(policy_class: type[Policy[Any]]) -> type[Policy[Any]]:
    _POLICIES[policy_class.model] = policy_class()
    return policy_class


def policy_for[T: models.Model](model: type[T]) -> Policy[T]:
    try:
        return _POLICIES[model]
    except KeyError as exc:
        raise LookupError(f"No access policy registered for {model.__name__}") from exc


def registered_models() -> Iterable[type[models.Model]]:
    return tuple(_POLICIES)
