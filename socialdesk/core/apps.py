from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "socialdesk.core"
    label = "core"
    verbose_name = _("Organisations and reference data")

    def ready(self) -> None:
        from . import audit, policies  # noqa: F401  (register audited models and policies)
