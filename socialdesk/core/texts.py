"""Text the system writes into records on someone's behalf (a note that a case was re-opened, the
note on a name kept from a merged record)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise


def record_text(message: str | Promise, /, **params: Any) -> str:
    """`message` (a `gettext_lazy` text) in the site's record language (LANGUAGE_CODE, zh-Hant),
    whatever the language of the person whose action wrote it: a shared record reads the same to
    everyone who opens it, as a paper file would."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(message)
    return text % params if params else text
