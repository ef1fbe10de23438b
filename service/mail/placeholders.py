"""The per-recipient placeholders of an email, defined in one place.

A placeholder is written `[[name]]`. This form survives premailer untouched (it percent-encodes
`{{ x }}` inside `href`), needs no escaping in HTML, and does not look like Markdown link syntax
as long as no `(` follows it.
"""

from __future__ import annotations

import re

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

# Organisers may type these in their text ("Beste [[first_name]],").
TEXT_NAMES = frozenset({FIRST_NAME, NAME})
# The templates put these in `href` (organisers may put LINK_NAMES in a button or link too); a
# value must be an absolute http(s) URL.
URL_NAMES = frozenset(
    {
        UNSUBSCRIBE_URL,
        WEB_VERSION_URL,
        ANSWER_YES_URL,
        ANSWER_NO_URL,
        ANSWER_URL,
        PREFERENCES_URL,
        CARD_URL,
    }
)
# Organisers may use these as a whole button or link address ("Vul je netwerkkaart in").
LINK_NAMES = frozenset({PREFERENCES_URL, CARD_URL})
# The answer links exist only in emails about a meeting (invitations and reminders).
ANSWER_NAMES = frozenset({ANSWER_YES_URL, ANSWER_NO_URL, ANSWER_URL})
ALL_NAMES = TEXT_NAMES | URL_NAMES

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
