"""Installs SocialDesk's admin site in place of Django's default one."""

from django.contrib.admin.apps import AdminConfig


class SocialDeskAdminConfig(AdminConfig):
    default_site = "socialdesk.core.admin_site.SocialDeskAdminSite"
