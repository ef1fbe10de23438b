"""Where email text is translated: the Babel catalogs, read without Flask.

Every text a person reads is an English msgid whose translations live in one place, the catalogs
in service/translations (`<language>/LC_MESSAGES/messages.po`, compiled to `messages.mo` by
scripts/i18n, which also extracts the msgids as babel.cfg says). Pages read them through
Flask-Babel in a request. Whatever runs outside a request reads the same catalogs through this
module: the send loop building an email in the recipient's language, the scheduler writing a
reminder, the CLI.

- `translator(language)` is everything in one language: `gettext`, `ngettext` and dates. It
  loads the language's catalog once per process.
- The email templates in emails/ call `_("...")` (or `gettext`, `ngettext`):
  service/rendering/render.py puts the translator of the email's language into every
  template's context (`email_context`), and the emails built in code (notices, the signup
  confirmation, the introduction, reminders) take their `_` from the same translator.
- A msgid written in code must be one extraction finds: a literal in `_(...)`, `gettext(...)`,
  `ngettext(...)`, or marked with `N_(...)` (service/messages.py) where it is translated later.
  tests/test_i18n.py fails while one has no Dutch translation.

English is the language of the msgids, so it has no catalog. The list of languages is
config.settings.LANGUAGES. Nothing here imports Flask.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations

from config.settings import DEFAULT_LANGUAGE, LANGUAGES
from service import dates

CATALOG_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
# The language the msgids are written in: it needs no catalog.
SOURCE_LANGUAGE = "en"


class UnknownLanguage(ValueError):
    """A language that is not one of config.settings.LANGUAGES."""


def language_or_default(language: str | None, languages: tuple[str, ...] = LANGUAGES) -> str:
    """The language to write to someone in: theirs when it is one of ours, else the default."""
    return language if language in languages else languages[0]


@functools.cache
def catalog(language: str) -> NullTranslations:
    """The compiled catalog of a language, loaded once; the source language has none."""
    if language not in LANGUAGES:
        raise UnknownLanguage(
            f"language {language!r} has no translations; use one of {', '.join(LANGUAGES)}"
        )
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    path = CATALOG_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not path.is_file():
        # Translations.load would quietly fall back to the English msgids.
        raise FileNotFoundError(f"{path} is missing; run scripts/i18n to compile the catalogs")
    with path.open("rb") as fh:
        return Translations(fh, domain=DOMAIN)


@dataclass(frozen=True)
class Translator:
    """The texts of one language; `%(name)s` placeholders are filled from keyword arguments."""

    language: str

    def gettext(self, msgid: str, /, **params: object) -> str:
        """The msgid in this language, `%(name)s` filled in when values are given."""
        text = catalog(self.language).gettext(msgid)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        """The singular or plural form for `n`, with `%(num)s` set to `n` as Flask-Babel does."""
        text = catalog(self.language).ngettext(singular, plural, n)
        return text % {"num": n, **params}

    def language_name(self, code: str) -> str:
        """The name of a language in this one, from Babel's locale data ("Engels" in Dutch)."""
        return Locale.parse(code).get_display_name(self.language) or code

    def format_date(self, moment: datetime, timezone: str) -> str:
        """The date of an aware moment in `timezone`, e.g. "dinsdag 3 juni 2025"."""
        return dates.format_local_date(moment, timezone, self.language)

    def format_datetime(self, moment: datetime, timezone: str) -> str:
        """Date and time of an aware moment in `timezone`, e.g. "dinsdag 3 juni 2025, 10:00"."""
        return dates.format_local(moment, timezone, self.language)

    def format_time(self, moment: datetime, timezone: str) -> str:
        """The time of an aware moment in `timezone`, e.g. "10:00"."""
        return dates.format_local_time(moment, timezone, self.language)


@functools.cache
def translator(language: str = DEFAULT_LANGUAGE) -> Translator:
    """The translator of a language (default: the first of LANGUAGES); UnknownLanguage if none."""
    catalog(language)
    return Translator(language)
