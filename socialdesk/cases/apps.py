from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """Case management (CIS): service users, intake, referrals, cases, search."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "socialdesk.cases"
    label = "cases"
    verbose_name = _("Case management")

    def ready(self) -> None:
        from . import audit, policies  # noqa: F401  (register audit and access policies)
