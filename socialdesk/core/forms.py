"""Forms for editing units and staff contact details (with the version they were loaded at)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import ServiceUnit


class VersionedForm(forms.ModelForm):
    """Carries the record's version so a stale save is detected."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version


PHONE_VALIDATOR = forms.RegexField(
    regex=r"^(\+852\s?)?[2-9]\d{3}\s?\d{4}$",
    required=False,
    error_messages={"invalid": _("Enter an 8-digit Hong Kong phone number, e.g. 2345 6789.")},
)


class ServiceUnitForm(VersionedForm):
    phone = forms.RegexField(
        label=_("phone"),
        regex=PHONE_VALIDATOR.regex,
        required=False,
        error_messages=PHONE_VALIDATOR.error_messages,
    )

    class Meta:
        model = ServiceUnit
        fields = ["name_zh", "name_en", "address_zh", "address_en", "phone", "is_active"]


class StaffForm(VersionedForm):
    phone = forms.RegexField(
        label=_("work phone"),
        regex=PHONE_VALIDATOR.regex,
        required=False,
        error_messages=PHONE_VALIDATOR.error_messages,
    )

    class Meta:
        model = get_user_model()
        fields = ["display_name_zh", "first_name", "last_name", "email", "phone", "is_active"]
