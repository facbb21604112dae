from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    """Service performance monitoring (SPMIS): FSA standards, statistical returns, review,
    attainment, alerts and improvement plans."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "socialdesk.performance"
    label = "performance"
    verbose_name = _("Service performance")

    def ready(self) -> None:
        from . import audit, policies  # noqa: F401  (register audit and access policies)
