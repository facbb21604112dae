"""Core API: the caller's identity and the service units they may see or change."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from . import selectors, services
from .access import actor_for
from .models import Role

router = Router(tags=["core"])


class RoleOut(Schema):
    role: str
    role_label: str
    organisation: str
    service_unit: str | None


class MeOut(Schema):
    username: str
    display_name: str
    language: str
    roles: list[RoleOut]


@router.get("/me", response=MeOut, summary="The caller and their roles")
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    actor_for(user)
    roles = [
        {
            "role": m.role,
            "role_label": str(Role(m.role).label),
            "organisation": m.organisation.code,
            "service_unit": m.service_unit.code if m.service_unit else None,
        }
        for m in selectors.membership_list_for_user(user=user)
    ]
    return {
        "username": user.get_username(),
        "display_name": user.display_name,  # type: ignore[union-attr]
        "language": user.preferred_language,  # type: ignore[union-attr]
        "roles": roles,
    }


class UnitOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    organisation: str
    service_type: str
    district: str
    phone: str
    is_active: bool
    version: int

    @staticmethod
    def resolve_organisation(obj: Any) -> str:
        return obj.organisation.code

    @staticmethod
    def resolve_service_type(obj: Any) -> str:
        return obj.service_type.code

    @staticmethod
    def resolve_district(obj: Any) -> str:
        return obj.district.code


class UnitPatch(Schema):
    version: int
    name_zh: str | None = None
    name_en: str | None = None
    address_zh: str | None = None
    address_en: str | None = None
    phone: str | None = None
    is_active: bool | None = None


@router.get("/units", response=list[UnitOut], summary="Service units the caller may see")
@paginate(PageNumberPagination, page_size=50)
def unit_list(request: HttpRequest, q: str = "", service_type: str = "", district: str = "") -> Any:
    return selectors.service_unit_list_for(
        user=request.user, query=q[:100], service_type=service_type, district=district
    )


@router.get("/units/{unit_id}", response=UnitOut, summary="One service unit")
def unit_detail(request: HttpRequest, unit_id: int) -> Any:
    return selectors.service_unit_get_for(user=request.user, unit_id=unit_id)


@router.patch(
    "/units/{unit_id}",
    response=UnitOut,
    summary="Change a unit's contact details",
    description="Send the `version` you read; a stale version gets 409 `conflict`.",
)
def unit_update(request: HttpRequest, unit_id: int, payload: UnitPatch) -> Any:
    data = payload.dict(exclude_unset=True, exclude={"version"})
    if data.get("phone"):
        from .forms import PHONE_VALIDATOR

        PHONE_VALIDATOR.clean(data["phone"])
    unit = services.service_unit_update(
        user=request.user, unit_id=unit_id, expected_version=payload.version, data=data
    )
    return selectors.service_unit_get_for(user=request.user, unit_id=unit.pk)
