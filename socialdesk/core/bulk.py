"""Writing many rows at once without building a model instance for each (a whole sector's
quarter: tens of thousands of figures and standards).

`rows_insert` takes the rows as tuples of field values. On PostgreSQL it sends each column as
one array literal and inserts with `INSERT … SELECT FROM unnest(…)` (optionally upserting):
one statement per 50,000 rows, no per-value adaptation in the driver. Elsewhere (SQLite in
development and tests) it falls back to `bulk_create`, so both paths store the same rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

CHUNK = 50_000
NUMERIC_FIELDS = (
    models.IntegerField,
    models.DecimalField,
    models.FloatField,
    models.AutoField,
)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _element(value: Any, field: models.Field[Any, Any]) -> str:
    """One element of a PostgreSQL array literal."""
    if value is None:
        return "NULL"
    if isinstance(field, models.JSONField):
        return _quoted(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return _quoted(value.isoformat())
    if isinstance(value, int | Decimal | float):
        return str(value)
    return _quoted(str(value))


def _array(values: Sequence[Any], field: models.Field[Any, Any]) -> str:
    """A column as a PostgreSQL array literal (numbers written plainly: the common case)."""
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    if isinstance(target, NUMERIC_FIELDS):
        return "{" + ",".join(["NULL" if v is None else str(v) for v in values]) + "}"
    return "{" + ",".join([_element(v, field) for v in values]) + "}"


def _columns(
    model: type[models.Model], names: Sequence[str]
) -> tuple[list[models.Field[Any, Any]], list[models.Field[Any, Any]]]:
    """The fields given (by name or attname) and the other concrete fields, pk aside."""
    by_name = {}
    for field in model._meta.concrete_fields:
        by_name[field.name] = field
        by_name[field.attname] = field
    given = [by_name[name] for name in names]
    others = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field not in given
    ]
    return given, others


def _default(field: models.Field[Any, Any], now: datetime) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


def rows_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    unique_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
) -> int:
    """Insert `rows` (each a tuple of the values of `fields`, by field name or attname); the
    model's other fields get their defaults (`auto_now` ones: now). With `unique_fields` and
    `update_fields`, a row that conflicts updates those fields instead (an upsert). Returns the
    number of rows sent. No signals, no `save()`: for bulk writes that the caller audits."""
    if not rows:
        return 0
    now = timezone.now()
    given, others = _columns(model, fields)
    if connection.vendor != "postgresql":
        defaults = {field.attname: _default(field, now) for field in others}
        objects = [
            model(**defaults, **{f.attname: v for f, v in zip(given, row, strict=True)})
            for row in rows
        ]
        options: dict[str, Any] = {}
        if unique_fields:
            options = {
                "update_conflicts": True,
                "unique_fields": list(unique_fields),
                "update_fields": list(update_fields),
            }
        model.objects.bulk_create(objects, batch_size=2000, **options)  # type: ignore[attr-defined]
        return len(rows)
    quote = connection.ops.quote_name

    def column(field: models.Field[Any, Any]) -> str:
        return quote(field.column or field.attname)

    columns = given + others
    casts = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 - identifiers from the model
        f"({', '.join(column(field) for field in columns)}) SELECT * FROM unnest({casts})"
    )
    if unique_fields:
        _unique, _ = _columns(model, unique_fields)
        updates, _ = _columns(model, update_fields)
        sql += f" ON CONFLICT ({', '.join(column(f) for f in _unique)}) DO UPDATE SET " + ", ".join(
            f"{column(f)} = EXCLUDED.{column(f)}" for f in updates
        )
    fixed = [_element(_default(field, now), field) for field in others]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            arrays = [_array([row[n] for row in chunk], field) for n, field in enumerate(given)]
            arrays += ["{" + ",".join([element] * len(chunk)) + "}" for element in fixed]
            cursor.execute(sql, arrays)
    return len(rows)
