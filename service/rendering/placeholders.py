"""The per-recipient placeholders of an email, defined in one place.

A placeholder is written `[[name]]`. This form survives premailer untouched (it percent-encodes
`{{ x }}` inside `href`), needs no escaping in HTML, and does not look like Markdown link syntax
as long as no `(` follows it.

Every placeholder has a Dutch name too (`[[voornaam]]` for `[[first_name]]`), shown first to
organisers; both are read alike. The English name is the one the code and the values use: the
Dutch one is turned into it where a text is split at its placeholders (`canonical`).
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
# The network wall, through the member's own signed link.
WALL_URL = "wall_url"


@dataclass(frozen=True)
class Placeholder:
    """One per-recipient value, and what stands in for it where there is no recipient.

    The web version (one page for everybody) and a test email (the organiser is no subscriber)
    have nobody to fill in. `stand_in` is required, so a new placeholder cannot be added without
    deciding what those show: for a text a msgid (marked with N_, translated for the reader), for
    a URL the path (under BASE_URL) of a public page that acts for nobody.
    """

    name: str
    # The Dutch name organisers are shown first ("voornaam"); it means the same as `name`.
    dutch: str
    # "text": organisers may type it anywhere; "url": the templates put it in an href;
    # "link": a URL that organisers may also use as a button or link address.
    kind: Literal["text", "url", "link"]
    stand_in: str


PLACEHOLDERS: dict[str, Placeholder] = {
    p.name: p
    for p in (
        Placeholder(FIRST_NAME, "voornaam", "text", N_("reader")),
        Placeholder(NAME, "naam", "text", N_("reader")),
        # "View in your browser" on the web itself: the archive of recaps.
        Placeholder(WEB_VERSION_URL, "webversie_url", "url", "/archief"),
        Placeholder(UNSUBSCRIBE_URL, "afmelden_url", "url", "/archief"),
        # The answer page without a token explains where the personal links are.
        Placeholder(ANSWER_YES_URL, "antwoord_ja_url", "url", "/antwoord"),
        Placeholder(ANSWER_NO_URL, "antwoord_nee_url", "url", "/antwoord"),
        Placeholder(ANSWER_URL, "antwoord_url", "url", "/antwoord"),
        # Nobody's own pages: the signup page, where anyone chooses what to receive (the wall
        # is for members only, so nobody's wall link is the signup page too).
        Placeholder(PREFERENCES_URL, "voorkeuren_url", "link", "/aanmelden"),
        Placeholder(CARD_URL, "kaart_url", "link", "/aanmelden"),
        Placeholder(WALL_URL, "muur_url", "link", "/aanmelden"),
    )
}
# The Dutch name of each placeholder, and the English name each Dutch one stands for.
DUTCH = {p.name: p.dutch for p in PLACEHOLDERS.values()}
ALIASES = {p.dutch: p.name for p in PLACEHOLDERS.values()}

# Organisers may type these in their text ("Beste [[first_name]],"), in English or Dutch.
TEXT_NAMES = frozenset(n for n, p in PLACEHOLDERS.items() if p.kind == "text")
# A value must be an absolute http(s) URL; the templates put these in `href`.
URL_NAMES = frozenset(n for n, p in PLACEHOLDERS.items() if p.kind in ("url", "link"))
# Organisers may use these as a whole button or link address ("Vul je netwerkkaart in").
LINK_NAMES = frozenset(n for n, p in PLACEHOLDERS.items() if p.kind == "link")
# The answer links exist only in emails about a meeting (invitations and reminders).
ANSWER_NAMES = frozenset({ANSWER_YES_URL, ANSWER_NO_URL, ANSWER_URL})
ALL_NAMES = frozenset(PLACEHOLDERS)
# Every name a text may hold: the English names and their Dutch ones.
WRITTEN_NAMES = ALL_NAMES | frozenset(ALIASES)


def canonical(name: str) -> str:
    """The English name a written name stands for (a Dutch one, or itself)."""
    return ALIASES.get(name, name)


def spellings(names: frozenset[str]) -> list[str]:
    """The names as organisers may write them: every Dutch name first, then the English ones."""
    ordered = [p.name for p in PLACEHOLDERS.values() if p.name in names]
    return [DUTCH[n] for n in ordered] + ordered


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
    if name not in WRITTEN_NAMES:
        raise KeyError(f"unknown placeholder {name!r}; known: {', '.join(sorted(ALL_NAMES))}")
    return f"[[{name}]]"


# A contact's own page as a whole link address, written either way ("[[muur_url]]").
LINK_TOKENS = frozenset(token(name) for name in spellings(LINK_NAMES))


def dutch_token(name: str) -> str:
    """The placeholder as organisers are shown it first, by its Dutch name: `[[voornaam]]`."""
    return token(DUTCH[name])


def names_in(text: str) -> list[str]:
    """Every placeholder name written in the text, in order (unknown names included)."""
    return PATTERN.findall(text)
