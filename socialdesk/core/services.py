"""Writes about organisations, units and staff: policy check, version check, audit (auditlog)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .access import Action, policy_for
from .concurrency import update_versioned
from .models import ServiceUnit

SERVICE_UNIT_EDITABLE = ("name_zh", "name_en", "address_zh", "address_en", "phone", "is_active")
STAFF_EDITABLE = ("first_name", "last_name", "display_name_zh", "email", "phone", "is_active")


@transaction.atomic
def service_unit_update(
    *, user: Any, unit_id: Any, expected_version: int, data: dict[str, Any]
) -> ServiceUnit:
    """Change a unit's contact details; refused with ConflictError if someone saved it first."""
    unit = policy_for(ServiceUnit).get(user, unit_id, Action.CHANGE)
    changes = {k: v for k, v in data.items() if k in SERVICE_UNIT_EDITABLE}
    return update_versioned(unit, expected_version=expected_version, changes=changes)


@transaction.atomic
def staff_update(*, user: Any, staff_id: Any, expected_version: int, data: dict[str, Any]) -> Any:
    """Change a staff member's contact details; agency administrators cannot disable themselves."""
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    staff = policy_for(get_user_model()).get(user, staff_id, Action.CHANGE)
    changes = {k: v for k, v in data.items() if k in STAFF_EDITABLE}
    if staff.pk == user.pk and changes.get("is_active") is False:
        raise ValidationError({"is_active": _("You cannot disable your own account.")})
    return update_versioned(staff, expected_version=expected_version, changes=changes)
