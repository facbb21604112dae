"""Every user-facing string has a zh-Hant translation, and the pages come out in the right language.

No GNU gettext needed: messages are extracted with Babel (see socialdesk/core/i18n_check.py).
When the first test fails, run `make messages`, translate the listed strings in
locale/zh_Hant/LC_MESSAGES/django.po and run `make messages` again to compile.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from socialdesk.core import i18n_check
from socialdesk.core.i18n_check import MessageKey


@pytest.fixture(scope="module")
def extracted() -> i18n_check.ExtractedMessages:
    return i18n_check.extract_messages()


@pytest.fixture(scope="module")
def zh_catalog():  # type: ignore[no-untyped-def]
    return i18n_check.load_catalog(i18n_check.po_path("zh_Hant"))


@pytest.fixture
def keep_active_language() -> Iterator[None]:
    """The language middleware activates a language for the thread; put the old one back."""
    previous = translation.get_language()
    yield
    translation.activate(previous)


def _catalog(text: str):  # type: ignore[no-untyped-def]
    header = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
    )
    return read_po(io.StringIO(header + text))


# The catalogue -------------------------------------------------------------------------------


def test_every_message_has_a_zh_hant_translation(extracted, zh_catalog) -> None:  # type: ignore[no-untyped-def]
    missing = i18n_check.untranslated(extracted, zh_catalog)
    assert not missing, i18n_check.format_untranslated(missing, extracted)


def test_translations_keep_the_placeholders_of_their_msgid(zh_catalog) -> None:  # type: ignore[no-untyped-def]
    problems = i18n_check.placeholder_problems(zh_catalog)
    assert not problems, "Translations with wrong placeholders:\n" + "\n".join(
        f"  - {key}: {problem}" for key, problem in problems
    )


def test_zh_hant_catalogue_header() -> None:
    catalog = i18n_check.load_catalog(i18n_check.po_path("zh_Hant"))
    assert catalog.num_plurals == 1
    assert catalog.plural_expr.strip() == "0"
    assert str(catalog.locale) == "zh_Hant"
    assert catalog.charset.upper() == "UTF-8"


def test_english_catalogue_header() -> None:
    catalog = i18n_check.load_catalog(i18n_check.po_path("en"))
    assert catalog.num_plurals == 2
    assert catalog.charset.upper() == "UTF-8"


@pytest.mark.parametrize("language_dir", ["zh_Hant", "en"])
def test_compiled_mo_file_matches_the_po_file(language_dir: str) -> None:
    problems = i18n_check.mo_problems(i18n_check.po_path(language_dir))
    assert not problems, (
        f"locale/{language_dir}/LC_MESSAGES/django.mo is out of date; run `make messages` "
        "(or `python manage.py compilemessages --ignore '.venv/*'`):\n"
        + "\n".join(f"  - {p}" for p in problems[:30])
    )


# The extraction itself -----------------------------------------------------------------------


def test_extraction_finds_python_and_template_messages(extracted) -> None:  # type: ignore[no-untyped-def]
    where = {loc.split(":")[0] for locs in extracted.locations.values() for loc in locs}
    assert any(path.endswith(".py") for path in where)
    assert any(path.endswith(".html") for path in where)
    assert MessageKey("Sign in") in extracted.locations
    assert not any("/migrations/" in path or "/tests/" in path for path in where)


# What `makemessages` (templatize + xgettext) produced for this template, checked once by hand
# with GNU xgettext; Babel's extraction of the templatized text must give the same msgids.
TEMPLATE = """{% load i18n %}
{% translate "Plain" %} {% translate 'Single quoted' %}
{% translate "With context" context "menu" %}
{% translate "Stored" as stored_var %}{{ stored_var }}
{% translate "50% off" %}
{% blocktranslate %}Hello {{ name }}, you have 100% done.{% endblocktranslate %}
{% blocktranslate trimmed with a=b %}
  Line one with {{ a }}
  and line two.
{% endblocktranslate %}
{% blocktranslate %}
  Untrimmed
  text {{ x }}
{% endblocktranslate %}
{% blocktranslate count counter=n trimmed %}
  {{ counter }} apple
{% plural %}
  {{ counter }} apples
{% endblocktranslate %}
{% blocktranslate context "fruit" count counter=n %}{{ counter }} pear{% plural %}\
{{ counter }} pears{% endblocktranslate %}
{{ value|default:_("Filter constant") }}
{% blocktranslate with name=user.name asvar greeting trimmed %}Hi {{ name }}{% endblocktranslate %}
"""

EXPECTED_FROM_TEMPLATE = {
    MessageKey("Plain"),
    MessageKey("Single quoted"),
    MessageKey("With context", context="menu"),
    MessageKey("Stored"),
    MessageKey("50%% off"),
    MessageKey("Hello %(name)s, you have 100%% done."),
    MessageKey("Line one with %(a)s and line two."),
    MessageKey("\n  Untrimmed\n  text %(x)s\n"),
    MessageKey("%(counter)s apple", "%(counter)s apples"),
    MessageKey("%(counter)s pear", "%(counter)s pears", context="fruit"),
    MessageKey("Filter constant"),
    MessageKey("Hi %(name)s"),
}


def test_template_extraction_matches_makemessages() -> None:
    assert set(i18n_check.extract_from_template_source(TEMPLATE)) == EXPECTED_FROM_TEMPLATE


def test_python_extraction_understands_django_keywords(tmp_path) -> None:  # type: ignore[no-untyped-def]
    module = tmp_path / "config" / "sample.py"
    module.parent.mkdir()
    (tmp_path / "socialdesk").mkdir()
    module.write_text(
        "from django.utils.translation import gettext as _, gettext_lazy, ngettext_lazy,"
        " pgettext, pgettext_lazy, ngettext\n"
        "a = _('One')\n"
        "b = gettext_lazy('Two ' 'joined')\n"
        "c = pgettext('month', 'May')\n"
        "d = pgettext_lazy('verb', 'Read')\n"
        "e = ngettext('%(n)s case', '%(n)s cases', 2)\n"
        "f = ngettext_lazy('%(n)s referral', '%(n)s referrals', 'n')\n"
        "g = _(variable)\n",
        encoding="utf-8",
    )
    found = set(i18n_check.extract_messages(tmp_path))
    assert found == {
        MessageKey("One"),
        MessageKey("Two joined"),
        MessageKey("May", context="month"),
        MessageKey("Read", context="verb"),
        MessageKey("%(n)s case", "%(n)s cases"),
        MessageKey("%(n)s referral", "%(n)s referrals"),
    }


# The checker reports what it should ----------------------------------------------------------


def test_checker_reports_missing_empty_and_fuzzy_translations() -> None:
    catalog = _catalog(
        'msgid "Done"\nmsgstr "完成"\n\n'
        'msgid "Empty"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Guess"\nmsgstr "猜"\n\n'
        'msgid "%(n)s case"\nmsgid_plural "%(n)s cases"\nmsgstr[0] "%(n)s 個個案"\n'
    )
    wanted = [
        MessageKey("Done"),
        MessageKey("Empty"),
        MessageKey("Guess"),
        MessageKey("New"),
        MessageKey("%(n)s case", "%(n)s cases"),
        MessageKey("%(n)s case", "%(n)s many cases"),
    ]
    reasons = dict(i18n_check.untranslated(wanted, catalog))
    assert reasons == {
        MessageKey("Empty"): "empty translation",
        MessageKey("Guess"): "marked fuzzy",
        MessageKey("New"): "not in the catalogue",
        MessageKey("%(n)s case", "%(n)s many cases"): "plural form differs from the catalogue",
    }
    message = i18n_check.format_untranslated(list(reasons.items()))
    assert "make messages" in message and "'New'" in message


def test_checker_reports_wrong_placeholders() -> None:
    catalog = _catalog(
        'msgid "Hello %(name)s"\nmsgstr "你好 %(nam)s"\n\n'
        'msgid "%(p)s%% done"\nmsgstr "已完成 %(p)s%"\n\n'
        'msgid "Page {number}"\nmsgstr "第 {number} 頁"\n\n'
        'msgid "Row {0}"\nmsgstr "第一行"\n\n'
        'msgid "%s of %s"\nmsgstr "%s／%s"\n\n'
        'msgid "%(counter)s item"\nmsgid_plural "%(counter)s items"\nmsgstr[0] "項目"\n'
    )
    problems = {key.msgid for key, _problem in i18n_check.placeholder_problems(catalog)}
    assert problems == {"Hello %(name)s", "%(p)s%% done", "Row {0}", "%(counter)s item"}


# Pages in the right language -----------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_in_traditional_chinese_by_default(keep_active_language) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(reverse("accounts:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-Hant"' in html
    assert "登入" in html
    assert "Sign in" not in html


@pytest.mark.django_db
def test_login_page_is_in_english_with_the_language_cookie(keep_active_language) -> None:  # type: ignore[no-untyped-def]
    assert settings.LANGUAGE_COOKIE_NAME == "socialdesk_language"
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "Sign in" in html
    assert "登入" not in html
