"""Performance definitions in the Django admin (system administrators): indicators and their
disaggregations, return templates with their items and validation rules, and FSAs with their
agreed levels. Returns, figures and alerts are worked on in SocialDesk's own pages, not here.

A published template that returns were made on is read-only: publish a new version instead."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    AgreedLevel,
    Agreement,
    Disaggregation,
    Indicator,
    ReturnTemplate,
    StatisticalReturn,
    TemplateItem,
    TemplateStatus,
    ValidationRule,
)


@admin.register(Disaggregation)
class DisaggregationAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "kind", "measure", "aggregation", "is_active"]
    list_filter = ["kind", "measure", "aggregation", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]
    filter_horizontal = ["disaggregations"]
    autocomplete_fields = ["numerator", "denominator"]


def _in_use(template: ReturnTemplate | None) -> bool:
    return (
        template is not None
        and template.pk is not None
        and StatisticalReturn.objects.filter(template=template).exists()
    )


class _TemplatePartInline(admin.TabularInline):
    extra = 0

    def _locked(self, obj: Any) -> bool:
        return _in_use(obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._locked(obj) and super().has_delete_permission(request, obj)


class TemplateItemInline(_TemplatePartInline):
    model = TemplateItem
    autocomplete_fields = ["indicator"]
    fields = [
        "order",
        "indicator",
        "section_zh",
        "section_en",
        "required",
        "min_value",
        "max_value",
    ]


class ValidationRuleInline(_TemplatePartInline):
    model = ValidationRule
    fk_name = "template"
    autocomplete_fields = ["left", "right"]
    fields = [
        "code",
        "kind",
        "severity",
        "left",
        "operator",
        "right",
        "constant",
        "factor",
        "message_zh",
        "message_en",
    ]


@admin.register(ReturnTemplate)
class ReturnTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "number", "name_zh", "name_en", "service_type", "frequency", "status"]
    list_filter = ["status", "frequency", "service_type"]
    search_fields = ["code", "name_zh", "name_en"]
    inlines = [TemplateItemInline, ValidationRuleInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if _in_use(obj):  # returns keep the version they were made on
            return [f.name for f in ReturnTemplate._meta.fields if f.name != "status"]
        return []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _in_use(obj) and super().has_delete_permission(request, obj)

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "status":
            kwargs["choices"] = TemplateStatus.choices
        return super().formfield_for_choice_field(db_field, request, **kwargs)


class AgreedLevelInline(admin.TabularInline):
    model = AgreedLevel
    extra = 0
    autocomplete_fields = ["indicator"]


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["unit", "fiscal_year", "template", "reference"]
    list_filter = ["fiscal_year", "template__service_type"]
    search_fields = ["unit__code", "unit__name_zh", "unit__name_en", "reference"]
    autocomplete_fields = ["unit"]
    inlines = [AgreedLevelInline]
