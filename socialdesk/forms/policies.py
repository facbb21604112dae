"""Who may read and change form definitions: every signed-in staff member reads them (forms are
reference data), system administrators define and publish them."""

from __future__ import annotations

from socialdesk.core.access import register
from socialdesk.core.policies import ReferenceDataPolicy

from .models import FormDefinition, FormField, FormVersion


@register
class FormDefinitionPolicy(ReferenceDataPolicy):
    """Readable by all signed-in staff; added, changed and deleted by system administrators."""

    model = FormDefinition


@register
class FormVersionPolicy(ReferenceDataPolicy):
    """Readable by all signed-in staff; drafted and published by system administrators."""

    model = FormVersion


@register
class FormFieldPolicy(ReferenceDataPolicy):
    """Readable by all signed-in staff; edited (in drafts only) by system administrators."""

    model = FormField
