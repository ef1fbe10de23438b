"""How consent was recorded (`Contact.consent_source`), in the reader's words.

The source is stored as the writer made it, mostly in English ("CSV import leden.csv by
anna@example.nl", "unsubscribe link, campaign 4", "demo data"); some writers store Dutch
already ("voorkeurenpagina", "aanmeldformulier (dubbele bevestiging)"). `source_words` knows the
English forms that our own code writes (csvio, contacts/views.py, api/contacts.py,
audience/unsubscribe.py, demo/seed.py) and puts them into the reader's language; anything else
(a text an API client chose, the Dutch ones) is shown as it was stored.

Nothing here imports Flask.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from service.messages import N_

# Each stored form, and the message it becomes; the named groups are the message's parameters.
_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"CSV import (?P<file>.+) by (?P<email>\S+@\S+)"),
        N_("CSV import %(file)s by %(email)s"),
    ),
    (re.compile(r"CSV import (?P<file>.+)"), N_("CSV import %(file)s")),
    (re.compile(r"organiser form by (?P<email>\S+)"), N_("organiser form by %(email)s")),
    (re.compile(r"API \((?P<email>[^)]*)\)"), N_("API (%(email)s)")),
    (re.compile(r"demo data"), N_("demo data")),
    (
        re.compile(r"one-click unsubscribe \(RFC 8058\), campaign (?P<campaign>\d+)"),
        N_("one-click unsubscribe (RFC 8058), campaign %(campaign)s"),
    ),
    (re.compile(r"one-click unsubscribe \(RFC 8058\)"), N_("one-click unsubscribe (RFC 8058)")),
    (
        re.compile(r"unsubscribe link, campaign (?P<campaign>\d+)"),
        N_("unsubscribe link, campaign %(campaign)s"),
    ),
    (re.compile(r"unsubscribe link"), N_("unsubscribe link")),
)


def source_words(source: str, gettext: Callable[..., str]) -> str:
    """The stored consent source in the words of `gettext`'s language."""
    for pattern, message in _FORMS:
        match = pattern.fullmatch(source)
        if match:
            return gettext(message, **match.groupdict())
    return source
