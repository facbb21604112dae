"""Optimistic locking: a save made from a stale copy is refused, never silently applied."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConflictError(Exception):
    """Someone else saved the record after the editor loaded it."""

    message = _(
        "Someone else changed this record after you opened it. Your changes were not saved; "
        "review the current values and apply your changes again."
    )

    def __init__(self, current: models.Model) -> None:
        super().__init__(str(self.message))
        self.current = current


def update_versioned[M: models.Model](
    obj: M, *, expected_version: int, changes: dict[str, Any], fields: list[str] | None = None
) -> M:
    """Apply `changes` to `obj` if its stored version is still `expected_version`; bump the version.

    Call inside a transaction. The row is locked (PostgreSQL) or the write transaction is
    exclusive (SQLite, IMMEDIATE mode), so two editors cannot both pass the check.
    """
    model = type(obj)
    current = model._default_manager.select_for_update().get(pk=obj.pk)
    if current.version != expected_version:  # type: ignore[attr-defined]
        raise ConflictError(current)
    for name, value in changes.items():
        setattr(current, name, value)
    current.version += 1  # type: ignore[attr-defined]
    update_fields = [*(fields or list(changes)), "version"]
    if any(f.name == "updated_at" for f in model._meta.fields):
        update_fields.append("updated_at")
    current.full_clean(exclude=[f.name for f in model._meta.fields if f.name not in update_fields])
    current.save(update_fields=update_fields)
    return current
