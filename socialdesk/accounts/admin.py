"""Staff accounts in the admin: roles inline; accounts are disabled, never deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from socialdesk.core.models import Membership

from .models import ApiToken, User


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["organisation", "service_unit"]
    can_delete = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = [
        "username",
        "display_name_zh",
        "first_name",
        "last_name",
        "email",
        "is_active",
        "is_demo",
    ]
    list_filter = ["is_active", "is_staff", "is_demo", "memberships__role"]
    search_fields = ["username", "display_name_zh", "first_name", "last_name", "email"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            _("SocialDesk"),
            {"fields": ("display_name_zh", "phone", "preferred_language", "is_demo")},
        ),
    )

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # the audit trail refers to accounts; disable them instead


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at"]
    exclude = ["token_hash"]

    def has_add_permission(self, request: Any) -> bool:
        return False
