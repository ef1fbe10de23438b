"""The per-recipient placeholders of an email, defined in one place.

A placeholder is written `[[name]]`. This form survives premailer untouched (it percent-encodes
`{{ x }}` inside `href`), needs no escaping in HTML, and does not look like Markdown link syntax
as long as no `(` follows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from service.messages import N_
from service.translation import translator

FIRST_NAME = "first_name"
NAME = "name"
UNSUBSCRIBE_URL = "unsubscribe_url"
WEB_VERSION_URL = "web_version_url"
# The personal answer links of an invitation (yes, no) and the page to change one's answer.
ANSWER_YES_URL = "answer_yes_url"
ANSWER_NO_URL = "answer_no_url"
ANSWER_URL = "answer_url"
# The contact's own pages: preferences (every campaign footer) and their network card.
PREFERENCES_URL = "preferences_url"
CARD_URL = "card_url"


@dataclass(frozen=True)
class Placeholder:
    """One per-recipient value, and what stands in for it where there is no recipient.

    The web version (one page for everybody) and a test email (the organiser is no subscriber)
    have nobody to fill in. `stand_in` is required, so a new placeholder cannot be added without
    deciding what those show: for a text a msgid (marked with N_, translated for the reader), for
    a URL the path (under BASE_URL) of a public page that acts for nobody.
    """

    name: str
    # "text": organisers may type it anywhere; "url": the templates put it in an href;
    # "link": a URL that organisers may also use as a button or link address.
    kind: Literal["text", "url", "link"]
    stand_in: str


PLACEHOLDERS: dict[str, Placeholder] = {
    p.name: p
    for p in (
        Placeholder(FIRST_NAME, "text", N_("reader")),
        Placeholder(NAME, "text", N_("reader")),
        # "View in your browser" on the web itself: the archive of recaps.
        Placeholder(WEB_VERSION_URL, "url", "/archief"),
        Placeholder(UNSUBSCRIBE_URL, "url", "/archief"),
        # The answer page without a token explains where the personal links are.
        Placeholder(ANSWER_YES_URL, "url", "/antwoord"),
        Placeholder(ANSWER_NO_URL, "url", "/antwoord"),
        Placeholder(ANSWER_URL, "url", "/antwoord"),
        # Nobody's own pages: the signup page, where anyone chooses what to receive.
        Placeholder(PREFERENCES_URL, "link", "/aanmelden"),
        Placeholder(CARD_URL, "link", "/aanmelden"),
    )
}

# Organisers may type these in their text ("Beste [[first_name]],").
TEXT_NAMES = frozenset(n for n, p in PLACEHOLDERS.items() if p.kind == "text")
# A value must be an absolute http(s) URL; the templates put these in `href`.
URL_NAMES = frozenset(n for n, p in PLACEHOLDERS.items() if p.kind in ("url", "link"))
# Organisers may use these as a whole button or link address ("Vul je netwerkkaart in").
LINK_NAMES = frozenset(n for n, p in PLACEHOLDERS.items() if p.kind == "link")
# The answer links exist only in emails about a meeting (invitations and reminders).
ANSWER_NAMES = frozenset({ANSWER_YES_URL, ANSWER_NO_URL, ANSWER_URL})
ALL_NAMES = frozenset(PLACEHOLDERS)


def stand_in_values(base_url: str, language: str) -> dict[str, str]:
    """A value for every placeholder that speaks for nobody: the web version's and a test's."""
    base = base_url.rstrip("/")
    _ = translator(language).gettext
    return {
        name: base + p.stand_in if p.kind != "text" else _(p.stand_in)
        for name, p in PLACEHOLDERS.items()
    }


# The capturing group makes re.split() return literal text and names alternately.
PATTERN = re.compile(r"\[\[([a-z_]+)\]\]")


def token(name: str) -> str:
    """The placeholder as it is written in a template or a text, e.g. `[[first_name]]`."""
    if name not in ALL_NAMES:
        raise KeyError(f"unknown placeholder {name!r}; known: {', '.join(sorted(ALL_NAMES))}")
    return f"[[{name}]]"


def names_in(text: str) -> list[str]:
    """Every placeholder name written in the text, in order (unknown names included)."""
    return PATTERN.findall(text)
