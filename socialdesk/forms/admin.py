"""Form definitions in the admin (system administrators): versions, draft questions, publishing,
the spreadsheet import and a preview of a version in both languages."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialdesk.core.admin import VersionedAdmin

from .models import FormDefinition, FormField, FormVersion, VersionStatus
from .runtime import build_django_form, render_answers, score
from .schema import check_definition, describe_problem
from .selectors import form_version_fields
from .services import (
    form_definition_import_xlsx,
    form_field_delete,
    form_field_save,
    form_version_create_draft,
    form_version_delete_draft,
    form_version_publish,
    form_version_update_scoring,
)
from .spreadsheet import MAX_UPLOAD_BYTES, SpreadsheetError
from .text_syntax import (
    format_choices_text,
    format_condition_text,
    parse_choices_text,
    parse_condition_text,
)
from .values import ParseError

PREVIEW_LANGUAGES = (("zh-hant", "zh-Hant"), ("en", "en"))
# Actions offered both on the list and on a record's own page.
BOTH = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]


def _report(request: HttpRequest, error: ValidationError, prefix: str) -> None:
    messages.error(request, format_html("{}<ul>{}</ul>", prefix, _items(error.messages)))


def _items(texts: list[str]) -> SafeString:
    return format_html_join("", "<li>{}</li>", ((text,) for text in texts))


# --- Form definitions ---------------------------------------------------------------------------


class FormVersionInline(admin.TabularInline):
    model = FormVersion
    fields = ["number", "status", "published_at", "published_by", "created_at"]
    readonly_fields = ["number", "status", "published_at", "published_by", "created_at"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    ordering = ["-number"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # versions start as drafts through the actions, never typed in here


class SpreadsheetImportForm(forms.Form):
    """The upload on the admin's "Import from spreadsheet" page."""

    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.xlsx)"),
        help_text=gettext_lazy(
            "Sheets “form” (details) and “fields” (one question a row), optionally “scoring”. "
            "At most 2 MB."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    code = forms.SlugField(
        label=gettext_lazy("Form code"),
        required=False,
        max_length=60,
        help_text=gettext_lazy(
            "Leave empty to use the code in the workbook. An existing form gets a new draft "
            "version; a new code creates the form."
        ),
    )


@admin.register(FormDefinition)
class FormDefinitionAdmin(VersionedAdmin):
    list_display = ["code", "name_zh", "name_en", "purpose", "is_active", "current_version"]
    list_filter = ["purpose", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]
    inlines = [FormVersionInline]
    actions = ["start_draft"]
    fields = [
        "code",
        "name_zh",
        "name_en",
        "purpose",
        "description_zh",
        "description_en",
        "is_active",
        "loaded_version",
    ]

    @admin.display(description=gettext_lazy("current version"))
    def current_version(self, obj: FormDefinition) -> str:
        current = obj.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
        return str(current.number) if current is not None else "—"

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="forms_formdefinition_import",
            ),
        ]
        return custom + super().get_urls()

    @admin.action(
        description=gettext_lazy("Start a new draft version"), permissions=["change"], location=BOTH
    )
    def start_draft(self, request: HttpRequest, queryset: QuerySet[FormDefinition]) -> None:
        for definition in queryset:
            latest = definition.versions.order_by("-number").first()
            try:
                draft = form_version_create_draft(
                    definition=definition, user=request.user, copy_from=latest
                )
            except ValidationError as error:
                _report(request, error, str(definition))
                continue
            messages.success(
                request,
                _("%(form)s: version %(number)s started as a draft.")
                % {"form": definition, "number": draft.number},
            )

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a workbook; every problem in it is listed, and nothing is saved until none."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        problems: list[str] = []
        if request.method == "POST":
            form = SpreadsheetImportForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    version = form_definition_import_xlsx(
                        file=form.cleaned_data["file"],
                        user=request.user,
                        code=form.cleaned_data["code"] or None,
                    )
                except SpreadsheetError as error:
                    problems = [str(problem) for problem in error.problems]
                except ValidationError as error:
                    problems = list(error.messages)
                else:
                    messages.success(
                        request,
                        _(
                            "%(form)s: version %(number)s imported as a draft. Preview it, "
                            "then publish it."
                        )
                        % {"form": version.definition, "number": version.number},
                    )
                    return HttpResponseRedirect(
                        reverse("admin:forms_formversion_change", args=[version.pk])
                    )
        else:
            form = SpreadsheetImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a form from a spreadsheet"),
            "form": form,
            "problems": problems,
            "max_megabytes": MAX_UPLOAD_BYTES // (1024 * 1024),
        }
        return TemplateResponse(request, "admin/forms/formdefinition/import.html", context)


# --- Form versions and their questions ----------------------------------------------------------


class FormFieldAdminForm(forms.ModelForm):
    """A question with its choices and skip condition as text, as in the spreadsheet."""

    choices_text = forms.CharField(
        label=gettext_lazy("choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=gettext_lazy(
            "One a line: value|Chinese label|English label|score (score optional)."
        ),
    )
    show_if_text = forms.CharField(
        label=gettext_lazy("show only if"),
        required=False,
        help_text=gettext_lazy(
            "A condition on an earlier question, e.g. living_alone = yes, age >= 65, "
            "risk in high,medium; join with “or” or “and”."
        ),
    )

    class Meta:
        model = FormField
        fields = [
            "order",
            "key",
            "field_type",
            "required",
            "label_zh",
            "label_en",
            "help_zh",
            "help_en",
            "min_value",
            "max_value",
            "max_length",
            "section_zh",
            "section_en",
        ]
        widgets = {
            "help_zh": forms.Textarea(attrs={"rows": 2, "cols": 40}),
            "help_en": forms.Textarea(attrs={"rows": 2, "cols": 40}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["choices_text"] = format_choices_text(self.instance.choices)
            self.initial["show_if_text"] = format_condition_text(self.instance.show_if)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            self.instance.choices = parse_choices_text(data.get("choices_text") or "")
        except ParseError as error:
            self.add_error("choices_text", error.message)
        try:
            self.instance.show_if = parse_condition_text(data.get("show_if_text") or "")
        except ParseError as error:
            self.add_error("show_if_text", error.message)
        return data


class FormFieldInline(admin.StackedInline):
    model = FormField
    form = FormFieldAdminForm
    extra = 0
    ordering = ["order", "pk"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("order", "key", "field_type", "required"),
                    ("label_zh", "label_en"),
                    ("help_zh", "help_en"),
                    ("min_value", "max_value", "max_length"),
                    "choices_text",
                    "show_if_text",
                    ("section_zh", "section_en"),
                ]
            },
        )
    ]

    @admin.display(description=gettext_lazy("choices"))
    def choices_text(self, obj: FormField) -> SafeString:
        return format_html("<pre>{}</pre>", format_choices_text(obj.choices))

    @admin.display(description=gettext_lazy("show only if"))
    def show_if_text(self, obj: FormField) -> str:
        return format_condition_text(obj.show_if)

    def _editable(self, obj: Any) -> bool:
        return obj is None or (isinstance(obj, FormVersion) and obj.is_draft)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(FormVersion)
class FormVersionAdmin(admin.ModelAdmin):
    list_display = ["definition", "number", "status", "published_at", "published_by"]
    list_filter = ["status", "definition"]
    search_fields = ["definition__code", "definition__name_zh", "definition__name_en"]
    list_select_related = ["definition", "published_by"]
    inlines = [FormFieldInline]
    actions = ["publish", "create_draft_from"]
    fields = [
        "definition",
        "number",
        "status",
        "published_at",
        "published_by",
        "check_result",
        "scoring",
        "schema_display",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = [
            "definition",
            "number",
            "status",
            "published_at",
            "published_by",
            "check_result",
            "schema_display",
        ]
        if obj is not None and not obj.is_draft:
            return [*fixed, "scoring"]
        return fixed

    @admin.display(description=gettext_lazy("ready to publish?"))
    def check_result(self, obj: FormVersion) -> str | SafeString:
        if not obj.is_draft:
            return _("Published versions cannot change.")
        fields = form_version_fields(version=obj)
        problems = check_definition(fields, obj.scoring).problems
        if not problems:
            return _("Yes: no problems found.")
        return format_html(
            "<ul>{}</ul>", _items([describe_problem(problem, fields) for problem in problems])
        )

    @admin.display(description=gettext_lazy("frozen fields"))
    def schema_display(self, obj: FormVersion) -> str | SafeString:
        if obj.is_draft:
            return _("Frozen when the version is published.")
        return format_html("<pre>{}</pre>", json.dumps(obj.schema, ensure_ascii=False, indent=2))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # drafts are started from a definition or another version (actions)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not obj.is_draft:
            return False  # answers refer to published versions: keep them for ever
        return super().has_delete_permission(request, obj)

    def get_actions(
        self,
        request: HttpRequest,
        action_location: admin.ActionLocation = admin.ActionLocation.CHANGE_LIST,
    ) -> dict[str, Any]:
        found = super().get_actions(request, action_location=action_location)
        found.pop("delete_selected", None)  # a bulk delete would bypass the draft-only rule
        return found

    def delete_model(self, request: HttpRequest, obj: FormVersion) -> None:
        form_version_delete_draft(version=obj, user=request.user)

    def save_model(self, request: HttpRequest, obj: FormVersion, form: Any, change: bool) -> None:
        if change and obj.is_draft and "scoring" in form.changed_data:
            form_version_update_scoring(version=obj, user=request.user, scoring=obj.scoring)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not FormField:
            super().save_formset(request, form, formset, change)
            return
        instances = formset.save(commit=False)
        for row in formset.deleted_objects:
            form_field_delete(field=row, user=request.user)
        for row in instances:
            form_field_save(field=row, user=request.user)

    @admin.action(description=gettext_lazy("Publish"), permissions=["change"], location=BOTH)
    def publish(self, request: HttpRequest, queryset: QuerySet[FormVersion]) -> None:
        for version in queryset.select_related("definition"):
            try:
                form_version_publish(version=version, user=request.user)
            except ValidationError as error:
                _report(
                    request,
                    error,
                    _("%(version)s was not published:") % {"version": version},
                )
                continue
            messages.success(request, _("%(version)s published.") % {"version": version})

    @admin.action(
        description=gettext_lazy("Create a new draft from this version"),
        permissions=["change"],
        location=BOTH,
    )
    def create_draft_from(
        self, request: HttpRequest, queryset: QuerySet[FormVersion]
    ) -> HttpResponse | None:
        drafts = []
        for version in queryset.select_related("definition"):
            try:
                draft = form_version_create_draft(
                    definition=version.definition, user=request.user, copy_from=version
                )
            except ValidationError as error:
                _report(request, error, str(version))
                continue
            drafts.append(draft)
            messages.success(
                request,
                _("%(version)s copied to the new draft %(draft)s.")
                % {"version": version, "draft": draft},
            )
        if len(drafts) == 1:  # straight to the new draft's questions
            return HttpResponseRedirect(
                reverse("admin:forms_formversion_change", args=[drafts[0].pk])
            )
        return None

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="forms_formversion_preview",
            ),
        ]
        return custom + super().get_urls()

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The version as people will see it, in both languages; submitting a pane checks the
        answers and shows the cleaned answers and scores."""
        version = self.get_object(request, unquote(object_id))
        if version is None:
            raise Http404
        if not self.has_view_permission(request, version):
            raise PermissionDenied
        raw_fields = form_version_fields(version=version)
        checked = check_definition(raw_fields, version.scoring)
        problems = [describe_problem(problem, raw_fields) for problem in checked.problems]
        submitted = request.POST.get("preview_language") if request.method == "POST" else None
        panes = []
        for language, lang_attr in PREVIEW_LANGUAGES:
            with translation.override(language):
                prefix = language.replace("-", "_")
                data = request.POST if submitted == language else None
                form = build_django_form(checked.fields, data=data, prefix=prefix)
                result = None
                if data is not None and form.is_valid():
                    result = {
                        "answers": json.dumps(form.answers, ensure_ascii=False, indent=2),
                        "scores": score(checked.fields, checked.scoring, form.answers),
                        "lines": render_answers(checked.fields, form.answers),
                    }
                html = render_to_string(
                    "forms/admin/preview_pane.html",
                    {"form": form, "language": language, "result": result, "version": version},
                    request=request,
                )
            panes.append({"language": language, "lang": lang_attr, "html": html})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": version,
            "title": _("Preview of %(version)s") % {"version": version},
            "panes": panes,
            "problems": problems,
        }
        return TemplateResponse(request, "admin/forms/formversion/preview.html", context)
