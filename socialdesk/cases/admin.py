"""Case management in the Django admin (system administrators): referral partners and their API
tokens, teams and units' case settings. No case record is registered here: system
administrators do not see service users' personal data."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from .models import ReferralPartner, Team, UnitCaseSettings
from .services.partners import referral_partner_token_issue

ISSUED_PAGE = "admin/cases/referralpartner/token_issued.html"


def _token_page(
    admin_view: admin.ModelAdmin, request: HttpRequest, issued: list[tuple[ReferralPartner, str]]
) -> HttpResponse:
    """The new tokens, shown this once: only their hashes are kept."""
    context = {
        **admin_view.admin_site.each_context(request),
        "title": _("New API token"),
        "opts": admin_view.model._meta,
        "issued": issued,
    }
    response = TemplateResponse(request, ISSUED_PAGE, context)
    response["Cache-Control"] = "no-store"
    return response


@admin.register(ReferralPartner)
class ReferralPartnerAdmin(admin.ModelAdmin):
    list_display = [
        "name_zh",
        "name_en",
        "kind",
        "is_active",
        "token_prefix",
        "token_issued_at",
        "last_used_at",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name_zh", "name_en", "contact_email"]
    filter_horizontal = ["allowed_units"]
    readonly_fields = ["token_prefix", "token_issued_at", "last_used_at"]
    actions = ["issue_token"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a partner is made inactive (its token stops working), never deleted

    def response_add(
        self, request: HttpRequest, obj: ReferralPartner, post_url_continue: str | None = None
    ) -> HttpResponse:
        return _token_page(self, request, [(obj, referral_partner_token_issue(partner=obj))])

    @admin.action(description=_("Issue a new API token (the old one stops working)"))
    def issue_token(
        self, request: HttpRequest, queryset: QuerySet[ReferralPartner]
    ) -> HttpResponse:
        issued = [(p, referral_partner_token_issue(partner=p)) for p in queryset.order_by("pk")]
        return _token_page(self, request, issued)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "name_en", "unit"]
    list_filter = ["unit__organisation"]
    search_fields = ["name_zh", "name_en", "unit__code"]
    autocomplete_fields = ["unit"]
    filter_horizontal = ["members"]


@admin.register(UnitCaseSettings)
class UnitCaseSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "unit",
        "plan_approval_required",
        "closure_approval_required",
        "referral_reply_days",
    ]
    list_filter = ["plan_approval_required", "closure_approval_required"]
    search_fields = ["unit__code", "unit__name_zh", "unit__name_en"]
    autocomplete_fields = ["unit"]
