"""Loading definitions (indicators, disaggregations, return templates with their rules) from the
JSON files shipped in `performance/definitions/`, idempotently: matched by code (templates by code
and version); a template that already has returns is left as it is."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from socialdesk.core.models import ServiceType

from ..models import (
    Disaggregation,
    Indicator,
    ReturnTemplate,
    StatisticalReturn,
    TemplateItem,
    TemplateStatus,
    ValidationRule,
)

DEFINITIONS_DIR = Path(__file__).resolve().parent.parent / "definitions"


def shipped_files() -> list[Path]:
    """common.json first (the disaggregations the others use), then one file per service type."""
    files = sorted(DEFINITIONS_DIR.glob("*.json"))
    return sorted(files, key=lambda path: path.name != "common.json")


def shipped_levels() -> dict[str, Decimal]:
    """The agreed levels the demo FSAs use, by indicator code."""
    levels: dict[str, Decimal] = {}
    for path in shipped_files():
        for code, level in json.loads(path.read_text("utf-8")).get("levels", {}).items():
            levels[code] = Decimal(str(level))
    return levels


def _upsert(model: Any, lookup: dict[str, Any], values: dict[str, Any]) -> Any:
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values)
    changed = [key for key, value in values.items() if getattr(obj, key) != value]
    for key in changed:
        setattr(obj, key, values[key])
    if changed:
        obj.save(update_fields=changed)
    return obj


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@transaction.atomic
def definitions_load(data: dict[str, Any]) -> dict[str, int]:
    """Create or update the definitions in `data` (one file's content). Returns counts."""
    counts = {"disaggregations": 0, "indicators": 0, "templates": 0}
    for row in data.get("disaggregations", []):
        _upsert(
            Disaggregation,
            {"code": row["code"]},
            {"name_zh": row["name_zh"], "name_en": row["name_en"], "categories": row["categories"]},
        )
        counts["disaggregations"] += 1
    indicators = data.get("indicators", [])
    for row in indicators:  # first without the ratio parts, which may refer to later rows
        indicator = _upsert(
            Indicator,
            {"code": row["code"]},
            {
                "kind": row["kind"],
                "measure": row["measure"],
                "aggregation": row["aggregation"],
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "definition_zh": row.get("definition_zh", ""),
                "definition_en": row.get("definition_en", ""),
                "decimal_places": row.get("decimal_places", 0),
                "case_source": row.get("case_source", ""),
            },
        )
        wanted = list(Disaggregation.objects.filter(code__in=row.get("disaggregations", [])))
        if len(wanted) != len(row.get("disaggregations", [])):
            raise ValidationError(
                _("Indicator %(code)s names an unknown disaggregation.") % {"code": row["code"]}
            )
        indicator.disaggregations.set(wanted)
        counts["indicators"] += 1
    for row in indicators:
        if row.get("numerator"):
            indicator = Indicator.objects.get(code=row["code"])
            indicator.numerator = Indicator.objects.get(code=row["numerator"])
            indicator.denominator = Indicator.objects.get(code=row["denominator"])
            indicator.save(update_fields=["numerator", "denominator"])
    for row in data.get("templates", []):
        _template_load(row)
        counts["templates"] += 1
    return counts


def _template_load(row: dict[str, Any]) -> ReturnTemplate:
    service_type = ServiceType.objects.filter(code=row["service_type"]).first()
    if service_type is None:
        raise ValidationError(
            _("Template %(code)s: there is no service type %(type)s.")
            % {"code": row["code"], "type": row["service_type"]}
        )
    lookup = {"code": row["code"], "number": row["number"]}
    template = ReturnTemplate.objects.filter(**lookup).first()
    if template is not None and StatisticalReturn.objects.filter(template=template).exists():
        return template  # in use: changing it would change returns made on it
    template = _upsert(
        ReturnTemplate,
        lookup,
        {
            "service_type": service_type,
            "frequency": row["frequency"],
            "due_days": row.get("due_days", 30),
            "grace_days": row.get("grace_days", 14),
            "first_year": row["first_year"],
            "name_zh": row["name_zh"],
            "name_en": row["name_en"],
            "status": TemplateStatus.PUBLISHED,
        },
    )
    wanted_items = [
        (
            item["indicator"],
            order,
            item.get("section_zh", ""),
            item.get("section_en", ""),
            item.get("required", True),
            _number(item.get("min")),
            _number(item.get("max")),
        )
        for order, item in enumerate(row["items"])
    ]
    wanted_rules = [
        (
            rule["code"],
            rule["kind"],
            rule["severity"],
            rule["left"],
            rule.get("operator", ""),
            rule.get("right") or None,
            _number(rule.get("constant")),
            Decimal(str(rule.get("factor", 1))),
            rule.get("message_zh", ""),
            rule.get("message_en", ""),
        )
        for rule in row.get("rules", [])
    ]
    current_items = [
        (
            i.indicator.code,
            i.order,
            i.section_zh,
            i.section_en,
            i.required,
            i.min_value,
            i.max_value,
        )
        for i in template.items.select_related("indicator").order_by("order")
    ]
    current_rules = [
        (
            r.code,
            r.kind,
            r.severity,
            r.left.code,
            r.operator,
            r.right.code if r.right else None,
            r.constant,
            r.factor,
            r.message_zh,
            r.message_en,
        )
        for r in template.rules.select_related("left", "right").order_by("pk")
    ]
    if current_items == wanted_items and current_rules == wanted_rules:
        return template
    template.items.all().delete()
    template.rules.all().delete()
    for order, item in enumerate(row["items"]):
        TemplateItem.objects.create(
            template=template,
            indicator=Indicator.objects.get(code=item["indicator"]),
            order=order,
            section_zh=item.get("section_zh", ""),
            section_en=item.get("section_en", ""),
            required=item.get("required", True),
            min_value=_number(item.get("min")),
            max_value=_number(item.get("max")),
        )
    for rule in row.get("rules", []):
        ValidationRule.objects.create(
            template=template,
            code=rule["code"],
            kind=rule["kind"],
            severity=rule["severity"],
            left=Indicator.objects.get(code=rule["left"]),
            operator=rule.get("operator", ""),
            right=Indicator.objects.get(code=rule["right"]) if rule.get("right") else None,
            constant=_number(rule.get("constant")),
            factor=Decimal(str(rule.get("factor", 1))),
            message_zh=rule.get("message_zh", ""),
            message_en=rule.get("message_en", ""),
        )
    return template


def definitions_load_shipped() -> dict[str, int]:
    """Load every shipped definition file (idempotent)."""
    totals = {"disaggregations": 0, "indicators": 0, "templates": 0}
    for path in shipped_files():
        for key, count in definitions_load(json.loads(path.read_text("utf-8"))).items():
            totals[key] += count
    return totals


def template_for(service_type_id: int, fiscal_year: int) -> ReturnTemplate | None:
    """The latest published template of a service type in force in that year."""
    return (
        ReturnTemplate.objects.filter(
            service_type_id=service_type_id,
            status=TemplateStatus.PUBLISHED,
            first_year__lte=fiscal_year,
        )
        .order_by("-first_year", "-number")
        .first()
    )
