"""Form definitions, versions and questions are audited on every create, change and delete."""

from __future__ import annotations

from auditlog.registry import auditlog

from .models import FormDefinition, FormField, FormVersion

auditlog.register(FormDefinition)
# The frozen schema repeats the audited question rows; logging it again would only bloat entries.
auditlog.register(FormVersion, exclude_fields=["schema"])
auditlog.register(FormField)
