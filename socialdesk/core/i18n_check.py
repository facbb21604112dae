"""Checks that every user-facing string of the project has a zh-Hant translation.

Pure Python (Babel and the standard library), so the test suite needs no GNU gettext. It extracts
messages the way `manage.py makemessages` does: Python sources go straight to Babel's Python
extractor; templates are first turned into Python by Django's `templatize()` (what makemessages
hands to xgettext) and then go through the same extractor with the same keywords.

Run it by hand with `python -m socialdesk.core.i18n_check` (exit status 1 when something is wrong).
"""

from __future__ import annotations

import gettext
import io
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract, extract_python
from babel.messages.pofile import read_po

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = PROJECT_ROOT / "locale"
DEFAULT_LANGUAGE_DIR = "zh_Hant"
PYTHON_ROOTS = ("config", "socialdesk")
# Folders never scanned for Python strings (Django's own makemessages also reads them, but their
# strings are not shown to users).
SKIPPED_DIRS = frozenset({"migrations", "tests", "__pycache__"})
# The template extensions makemessages reads by default (besides .py).
TEMPLATE_SUFFIXES = frozenset({".html", ".txt"})

# Babel keyword specs mirroring xgettext's Python defaults plus the ones makemessages adds:
# None = the first argument is the message; (1, 2) = singular and plural; (1, "c") = context.
KEYWORDS: dict[str, object] = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}

MAKE_HINT = (
    "Run `make messages`, translate the new entries in "
    "locale/zh_Hant/LC_MESSAGES/django.po (natural Hong Kong Traditional Chinese, terms from "
    "GLOSSARY.md; remove any `#, fuzzy` flag once checked), then run `make messages` again to "
    "compile the .mo file."
)

# printf-style placeholders (%(name)s, %s, %d, %%) and str.format-style ones ({name}, {0}, {}).
PERCENT_RE = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsab%]")
BRACE_RE = re.compile(r"(?<!\{)\{(?:[A-Za-z_]\w*|\d+)?(?:[.!:][^{}]*)?\}(?!\})")


@dataclass(frozen=True, order=True)
class MessageKey:
    """One catalogue entry as gettext identifies it: context, singular and (optional) plural."""

    msgid: str
    plural: str | None = None
    context: str | None = None

    def __str__(self) -> str:
        text = repr(self.msgid)
        if self.plural is not None:
            text += f" / plural {self.plural!r}"
        if self.context:
            text += f" (context {self.context!r})"
        return text


@dataclass
class ExtractedMessages:
    """Messages found in the source, each with the places (path:line) it occurs."""

    locations: dict[MessageKey, list[str]] = field(default_factory=dict)

    def add(self, key: MessageKey, location: str) -> None:
        self.locations.setdefault(key, []).append(location)

    def __iter__(self) -> Iterator[MessageKey]:
        # Keys hold None for a missing context or plural: sort on text so they compare.
        return iter(
            sorted(self.locations, key=lambda k: (k.msgid, k.plural or "", k.context or ""))
        )

    def __len__(self) -> int:
        return len(self.locations)


# Extraction ------------------------------------------------------------------------------------


def _skipped(path: Path, root: Path) -> bool:
    return any(
        part in SKIPPED_DIRS or part.startswith(".") for part in path.relative_to(root).parts
    )


def python_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """The project's own Python modules: config/ and socialdesk/, without migrations and tests."""
    files: list[Path] = []
    for top in PYTHON_ROOTS:
        files += [p for p in (root / top).rglob("*.py") if not _skipped(p, root)]
    return sorted(files)


def template_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """Templates in the project-wide templates/ folder and in every app's templates/ folder."""
    folders = [root / "templates", *sorted((root / "socialdesk").glob("*/templates"))]
    files = [
        p
        for folder in folders
        for p in folder.rglob("*")
        if p.is_file() and p.suffix in TEMPLATE_SUFFIXES and not _skipped(p, root)
    ]
    return sorted(files)


def _extract_from_python_source(source: str) -> Iterator[tuple[int, MessageKey]]:
    fileobj = io.BytesIO(source.encode("utf-8"))
    for lineno, message, _comments, context in extract(
        extract_python,  # type: ignore[arg-type]
        fileobj,
        keywords=KEYWORDS,  # type: ignore[arg-type]
        options={"encoding": "utf-8"},
    ):
        if isinstance(message, tuple):
            singular, plural = message[0], message[1]
        else:
            singular, plural = message, None
        if not singular:
            continue
        yield lineno, MessageKey(msgid=singular, plural=plural, context=context or None)


def templatize_template(path: Path) -> str:
    """The Python text makemessages gives xgettext for one template."""
    from django.utils.translation.template import templatize

    return templatize(path.read_text(encoding="utf-8"), origin=str(path))


def extract_messages(root: Path = PROJECT_ROOT) -> ExtractedMessages:
    """Every translatable message in the project's Python code and templates."""
    found = ExtractedMessages()
    for path in python_files(root):
        rel = path.relative_to(root).as_posix()
        for lineno, key in _extract_from_python_source(path.read_text(encoding="utf-8")):
            found.add(key, f"{rel}:{lineno}")
    for path in template_files(root):
        rel = path.relative_to(root).as_posix()
        for lineno, key in _extract_from_python_source(templatize_template(path)):
            found.add(key, f"{rel}:{lineno}")
    return found


def extract_from_template_source(source: str) -> list[MessageKey]:
    """The messages of one template given as text (used by the tests)."""
    from django.utils.translation.template import templatize

    return [key for _line, key in _extract_from_python_source(templatize(source, origin="t.html"))]


# Catalogues ------------------------------------------------------------------------------------


def po_path(language_dir: str = DEFAULT_LANGUAGE_DIR, root: Path = PROJECT_ROOT) -> Path:
    return root / "locale" / language_dir / "LC_MESSAGES" / "django.po"


def load_catalog(path: Path) -> Catalog:
    with path.open("rb") as fileobj:
        return read_po(fileobj)


def _strings(message: object) -> tuple[str, ...]:
    string = getattr(message, "string", "")
    if isinstance(string, (tuple, list)):
        return tuple(s or "" for s in string)
    return (string or "",)


def _key_of(message: object) -> MessageKey:
    msgid = message.id  # type: ignore[attr-defined]
    context = message.context or None  # type: ignore[attr-defined]
    if isinstance(msgid, (tuple, list)):
        return MessageKey(msgid=msgid[0], plural=msgid[1], context=context)
    return MessageKey(msgid=msgid, context=context)


def catalog_entries(catalog: Catalog) -> dict[MessageKey, object]:
    """The catalogue's entries (not the header, not obsolete ones) by key."""
    return {_key_of(m): m for m in catalog if m.id}


def untranslated(messages: Iterable[MessageKey], catalog: Catalog) -> list[tuple[MessageKey, str]]:
    """Messages with no usable translation, each with the reason."""
    entries = catalog_entries(catalog)
    plurals = catalog.num_plurals
    problems: list[tuple[MessageKey, str]] = []
    for key in messages:
        entry = entries.get(key)
        if entry is None:
            same_id = [k for k in entries if k.msgid == key.msgid and k.context == key.context]
            reason = "plural form differs from the catalogue" if same_id else "not in the catalogue"
            problems.append((key, reason))
            continue
        strings = _strings(entry)
        if getattr(entry, "fuzzy", False):
            problems.append((key, "marked fuzzy"))
        elif not all(strings):
            problems.append((key, "empty translation"))
        elif key.plural is not None and len(strings) < plurals:
            problems.append((key, f"has {len(strings)} plural forms, the language needs {plurals}"))
    return problems


def _placeholders(text: str) -> tuple[Counter[str], Counter[str], bool]:
    """Named/positional printf placeholders, brace placeholders, and whether a stray % remains."""
    printf = Counter(p for p in PERCENT_RE.findall(text) if p != "%%")
    stray = "%" in PERCENT_RE.sub("", text)
    braces = Counter(BRACE_RE.findall(text))
    return printf, braces, stray


def placeholder_problems(catalog: Catalog) -> list[tuple[MessageKey, str]]:
    """Translations whose placeholders do not match their msgid's.

    A singular message must keep exactly the msgid's placeholders. A plural message's forms may
    use only placeholders of the singular or plural msgid, and the last form (the one used for
    "many", the only one in Chinese) must keep all of the plural msgid's. A literal % must be
    written %% whenever the msgid is formatted with %.
    """
    problems: list[tuple[MessageKey, str]] = []
    for key, entry in catalog_entries(catalog).items():
        strings = [s for s in _strings(entry) if s]
        if not strings or getattr(entry, "fuzzy", False):
            continue
        ids = [key.msgid] + ([key.plural] if key.plural is not None else [])
        id_info = [_placeholders(i) for i in ids]
        uses_percent = any(PERCENT_RE.search(i) for i in ids)
        for index, string in enumerate(strings):
            printf, braces, stray = _placeholders(string)
            if uses_percent and stray:
                problems.append((key, f"a literal % in {string!r} must be written %%"))
            if key.plural is None:
                want_printf, want_braces, _ = id_info[0]
                if printf != want_printf or braces != want_braces:
                    got = sorted((printf + braces).elements())
                    want = sorted((want_printf + want_braces).elements())
                    problems.append(
                        (key, f"placeholders {got} in the translation, expected {want}")
                    )
                continue
            allowed = (
                set(id_info[0][0]) | set(id_info[1][0]) | set(id_info[0][1]) | set(id_info[1][1])
            )
            extra = sorted((set(printf) | set(braces)) - allowed)
            if extra:
                problems.append((key, f"plural form {index} uses unknown placeholders {extra}"))
            if index == len(strings) - 1:
                needed = set(id_info[1][0]) | set(id_info[1][1])
                missing = sorted(needed - set(printf) - set(braces))
                if missing:
                    problems.append((key, f"plural form {index} lacks placeholders {missing}"))
    return problems


def mo_problems(po: Path) -> list[str]:
    """Differences between the .po file and the compiled .mo beside it (the .mo is what Django
    reads, so a stale one shows old or missing translations)."""
    mo = po.with_suffix(".mo")
    if not mo.exists():
        return [f"{mo.relative_to(PROJECT_ROOT)} does not exist"]
    with mo.open("rb") as fileobj:
        compiled: dict[object, str] = dict(gettext.GNUTranslations(fileobj)._catalog)  # type: ignore[attr-defined]
    compiled.pop("", None)
    expected: dict[object, str] = {}
    for key, entry in catalog_entries(load_catalog(po)).items():
        strings = _strings(entry)
        # msgfmt leaves out fuzzy entries and entries without a translation.
        if getattr(entry, "fuzzy", False) or not all(strings):
            continue
        msgid = f"{key.context}\x04{key.msgid}" if key.context else key.msgid
        if key.plural is None:
            expected[msgid] = strings[0]
        else:
            for index, string in enumerate(strings):
                expected[(msgid, index)] = string
    problems = []
    for k in sorted(expected.keys() | compiled.keys(), key=repr):
        if expected.get(k) != compiled.get(k):
            problems.append(f"{k!r}: .po has {expected.get(k)!r}, .mo has {compiled.get(k)!r}")
    return problems


# Report ----------------------------------------------------------------------------------------


def format_untranslated(
    problems: list[tuple[MessageKey, str]], found: ExtractedMessages | None = None
) -> str:
    lines = [f"{len(problems)} message(s) have no zh-Hant translation. {MAKE_HINT}"]
    for key, reason in problems:
        where = ""
        if found is not None and key in found.locations:
            where = "  [" + ", ".join(found.locations[key][:3]) + "]"
        lines.append(f"  - {key}: {reason}{where}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import django

    django.setup()
    found = extract_messages()
    po = po_path()
    catalog = load_catalog(po)
    status = 0
    missing = untranslated(found, catalog)
    print(f"{len(found)} messages in the source; {len(catalog_entries(catalog))} in {po.name}.")
    if missing:
        print(format_untranslated(missing, found))
        status = 1
    for key, problem in placeholder_problems(catalog):
        print(f"placeholder: {key}: {problem}")
        status = 1
    for language_dir in sorted(p.name for p in LOCALE_DIR.iterdir() if p.is_dir()):
        for problem in mo_problems(po_path(language_dir)):
            print(f"{language_dir} .mo out of date: {problem}")
            status = 1
    if "--parity" in (argv or sys.argv[1:]):
        # Entries the .po attributes to files this checker scans but that it did not find:
        # either the .po is stale or the extraction differs from makemessages.
        scanned = {
            p.relative_to(PROJECT_ROOT).as_posix() for p in python_files() + template_files()
        }
        for key, entry in catalog_entries(catalog).items():
            files = {loc[0] for loc in entry.locations}  # type: ignore[attr-defined]
            if files & scanned and key not in found.locations:
                print(f"parity: {key} is in the .po (from {sorted(files & scanned)}) but not found")
                status = 1
    if status == 0:
        print("All messages have a zh-Hant translation; placeholders and .mo files are consistent.")
    return status


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    sys.exit(main())
