"""Text written into shared records is in the record language, not the writer's."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy

from socialdesk.core.texts import record_text


def test_record_text_is_in_the_site_language_whatever_the_writer_reads() -> None:
    with translation.override("en"):
        text = record_text(gettext_lazy("Case re-opened: %(reason)s"), reason="fell again")
        assert translation.get_language() == "en"  # the writer's language is left alone
    assert text == "個案已重開：fell again"


def test_a_text_without_parameters_keeps_its_percent_signs() -> None:
    assert record_text("100% done") == "100% done"
