"""The forms app: form definitions as data, their versions and fields, and their runtime."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormsConfig(AppConfig):
    """Data-defined, bilingual, versioned forms used by assessments, intake and returns."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "socialdesk.forms"
    label = "forms"
    verbose_name = _("Forms and assessments")

    def ready(self) -> None:
        from . import audit, policies  # noqa: F401  (register audited models and policies)
