"""factory_boy factories for form definitions, versions and questions, and a small schema."""

from __future__ import annotations

from typing import Any

import factory

from socialdesk.forms.models import (
    FieldType,
    FormDefinition,
    FormField,
    FormPurpose,
    FormVersion,
    VersionStatus,
)


class FormDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FormDefinition
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test-form-{n}")
    name_zh = factory.Sequence(lambda n: f"測試表格{n}")
    name_en = factory.Sequence(lambda n: f"Test form {n}")
    purpose = FormPurpose.ASSESSMENT


class FormVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FormVersion

    definition = factory.SubFactory(FormDefinitionFactory)
    number = factory.Sequence(lambda n: n + 1)
    status = VersionStatus.DRAFT


class FormFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FormField

    version = factory.SubFactory(FormVersionFactory)
    order = factory.Sequence(lambda n: (n + 1) * 10)
    key = factory.Sequence(lambda n: f"question_{n}")
    field_type = FieldType.TEXT
    label_zh = factory.Sequence(lambda n: f"問題{n}")
    label_en = factory.Sequence(lambda n: f"Question {n}")


def yes_no(value: str, zh: str, en: str, score: int | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"value": value, "label_zh": zh, "label_en": en}
    if score is not None:
        choice["score"] = score
    return choice


# A small schema touching every field type and a skip condition of each kind.
SAMPLE_FIELDS: list[dict[str, Any]] = [
    {
        "key": "name",
        "type": "text",
        "label_zh": "姓名",
        "label_en": "Name",
        "required": True,
        "max_length": 20,
        "section_zh": "基本資料",
        "section_en": "Basic details",
    },
    {
        "key": "age",
        "type": "integer",
        "label_zh": "年齡",
        "label_en": "Age",
        "required": True,
        "min": 0,
        "max": 120,
        "section_zh": "基本資料",
        "section_en": "Basic details",
    },
    {
        "key": "living_alone",
        "type": "boolean",
        "label_zh": "獨居",
        "label_en": "Lives alone",
        "required": True,
        "section_zh": "基本資料",
        "section_en": "Basic details",
    },
    {
        "key": "emergency_contact",
        "type": "text",
        "label_zh": "緊急聯絡人",
        "label_en": "Emergency contact",
        "required": True,
        "show_if": {"field": "living_alone", "op": "eq", "value": True},
    },
    {
        "key": "income",
        "type": "decimal",
        "label_zh": "每月收入",
        "label_en": "Monthly income",
        "min": 0,
        "max": "99999.99",
    },
    {"key": "visit_date", "type": "date", "label_zh": "家訪日期", "label_en": "Visit date"},
    {
        "key": "risk",
        "type": "choice",
        "label_zh": "風險",
        "label_en": "Risk",
        "required": True,
        "choices": [
            yes_no("low", "低", "Low", 0),
            yes_no("medium", "中", "Medium", 1),
            yes_no("high", "高", "High", 3),
        ],
    },
    {
        "key": "risk_plan",
        "type": "textarea",
        "label_zh": "風險計劃",
        "label_en": "Risk plan",
        "required": True,
        "show_if": {"field": "risk", "op": "in", "value": ["medium", "high"]},
    },
    {
        "key": "needs",
        "type": "multichoice",
        "label_zh": "需要",
        "label_en": "Needs",
        "choices": [yes_no("food", "食物", "Food", 1), yes_no("housing", "住屋", "Housing", 2)],
    },
    {
        "key": "mood",
        "type": "scale",
        "label_zh": "情緒",
        "label_en": "Mood",
        "min": 0,
        "max": 4,
        "choices": [yes_no("0", "很差", "Very poor"), yes_no("4", "很好", "Very good")],
    },
    {
        "key": "elderly_note",
        "type": "text",
        "label_zh": "長者備註",
        "label_en": "Elder note",
        "show_if": {"field": "age", "op": "gte", "value": 65},
    },
]
SAMPLE_SCORING: dict[str, Any] = {
    "total": {
        "label_zh": "總分",
        "label_en": "Total",
        "fields": ["risk", "needs", "mood", "living_alone"],
        "bands": [
            {"min": 0, "max": 3, "label_zh": "低", "label_en": "Low"},
            {"min": 4, "max": 7, "label_zh": "中", "label_en": "Medium"},
            {"min": 8, "max": None, "label_zh": "高", "label_en": "High"},
        ],
    }
}


def draft_with_fields(
    fields: list[dict[str, Any]] | None = None,
    *,
    scoring: dict[str, Any] | None = None,
    definition: FormDefinition | None = None,
) -> FormVersion:
    """A draft version whose question rows are made from schema dicts."""
    from socialdesk.forms.services import _create_field_rows

    definition = definition or FormDefinitionFactory()
    number = (definition.versions.count() or 0) + 1
    version = FormVersion.objects.create(
        definition=definition,
        number=number,
        status=VersionStatus.DRAFT,
        scoring=SAMPLE_SCORING if scoring is None else scoring,
    )
    _create_field_rows(version, SAMPLE_FIELDS if fields is None else fields)
    return version
