"""Helpers for the translation tests: the msgids Babel extracts from the code, the catalogs."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = ROOT / "service/translations"
# The keywords scripts/i18n gives pybabel: its defaults (_, gettext, ngettext, N_, ...) and ours.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "N_": None,
}
FIELD = re.compile(r"%\((\w+)\)[sd]")
# Flask imported in any form: such a module runs in a request, where Flask-Babel translates.
IMPORTS_FLASK = re.compile(r"^\s*(from|import)\s+flask", re.MULTILINE)


def msgids(directory: Path, method_map: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Every msgid Babel extracts under `directory`, with the files (relative to ROOT) using it."""
    found: dict[str, set[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        directory, list(method_map), keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else message[0]
        path = (directory / filename).relative_to(ROOT).as_posix()
        found.setdefault(msgid, set()).add(path)
    return found


@functools.cache
def babel_cfg_msgids() -> frozenset[str]:
    """The msgids scripts/i18n extracts: babel.cfg's mapping, from the project's root."""
    with open(ROOT / "babel.cfg") as fh:
        method_map, _options = parse_mapping_cfg(fh)
    return frozenset(msgids(ROOT, method_map))


@functools.cache
def email_msgids() -> dict[str, set[str]]:
    """The msgids of the emails' templates and of every module that translates outside Flask.

    Those modules (the send loop's builders, the scheduler's reminders, domain messages) have
    no Flask-Babel; their text is only as complete as the catalog.
    """
    found = msgids(ROOT / "emails", [("**.html", "jinja2"), ("**.txt", "jinja2")])
    for msgid, files in msgids(ROOT / "service", [("**.py", "python")]).items():
        plain = {f for f in files if not IMPORTS_FLASK.search((ROOT / f).read_text())}
        if plain:
            found.setdefault(msgid, set()).update(plain)
    return found


def dutch_catalog() -> Catalog:
    """service/translations/nl/LC_MESSAGES/messages.po as Babel reads it."""
    with open(CATALOG_DIR / "nl/LC_MESSAGES/messages.po", "rb") as fh:
        return read_po(fh, locale="nl")


def fields(text: str) -> list[str]:
    """The `%(name)s` placeholders of a text, sorted."""
    return sorted(FIELD.findall(text))
