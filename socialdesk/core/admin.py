"""Reference data in the Django admin (system administrators), both languages side by side."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .concurrency import ConflictError
from .models import (
    BackgroundJob,
    District,
    DistrictOffice,
    Membership,
    Organisation,
    ScheduledRun,
    ServiceType,
    ServiceUnit,
)

# The audit log is read by privacy officers on their own page, never edited here.
if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


class VersionCheckForm(forms.ModelForm):
    """Admin form that refuses a save made from a stale copy of the record."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["loaded_version"] = self.instance.version

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk:
            stored = (
                type(self.instance)
                ._default_manager.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            if data.get("loaded_version") != stored:
                raise forms.ValidationError(str(ConflictError.message))
        return data


class VersionedAdmin(admin.ModelAdmin):
    form = VersionCheckForm

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(DistrictOffice)
class DistrictOfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "region", "district_office"]
    list_filter = ["region", "district_office"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "abbreviation", "name_zh", "name_en", "category", "holds_personal_data"]
    list_filter = ["category"]
    search_fields = ["code", "abbreviation", "name_zh", "name_en"]


@admin.register(Organisation)
class OrganisationAdmin(VersionedAdmin):
    list_display = ["code", "name_zh", "name_en", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(ServiceUnit)
class ServiceUnitAdmin(VersionedAdmin):
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "organisation",
        "service_type",
        "district",
        "is_active",
    ]
    list_filter = ["service_type", "district", "organisation", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]
    autocomplete_fields = ["organisation"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "organisation", "service_unit", "is_active"]
    list_filter = ["role", "organisation", "is_active"]
    search_fields = ["user__username", "user__display_name_zh", "organisation__code"]
    autocomplete_fields = ["user", "organisation", "service_unit"]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # end a role by making it inactive, so history stays readable


@admin.register(BackgroundJob)
class BackgroundJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "requested_by", "status", "progress", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in BackgroundJob._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    """What the scheduler enqueued, to check it runs; written only by `run_scheduler`."""

    list_display = ["job_name", "slot", "manual", "enqueued_at", "task_result_id"]
    list_filter = ["job_name", "manual"]
    readonly_fields = [f.name for f in ScheduledRun._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # the record is what stops a second scheduler enqueueing the run again


admin.site.empty_value_display = str(_("(none)"))
