"""Messages that domain logic hands to the web app, the API and the CLI, translated by the caller.

Domain logic imports nothing of Flask, so it cannot translate. It returns a `Message`: an
English msgid marked with `N_` (a default keyword of `pybabel extract`, so the msgid lands in the
catalog) plus its parameters. A view renders it with `message.render(flask_babel.gettext)`; the
CLI uses `str(message)`, which is the English text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


def N_(msgid: str) -> str:  # named as pybabel extract expects
    """Mark a msgid for extraction without translating it now."""
    return msgid


@dataclass(frozen=True)
class Message:
    """A user-facing message: an English msgid with `%(name)s` placeholders and their values."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        """The message in the reader's language (`translate` is e.g. flask_babel.gettext)."""
        text = translate(self.msgid) if translate is not None else self.msgid
        if not self.params:
            return text
        # A value that is itself a Message (a status's name, say) is read in the same language.
        values = {
            name: value.render(translate) if isinstance(value, Message) else value
            for name, value in self.params.items()
        }
        return text % values

    def __str__(self) -> str:
        return self.render()


def preferred_language(
    accepted: Iterable[tuple[str, float]], languages: Iterable[str]
) -> str | None:
    """The first of `languages` a browser's Accept-Language asks for, by its primary subtag.

    Werkzeug's `best_match` prefers an exact tag, so "nl-NL, en;q=0.5" would give English to a
    Dutch browser; here "nl-NL" counts as "nl". `accepted` is (tag, quality), best first, as
    Werkzeug's LanguageAccept iterates.
    """
    offered = set(languages)
    for tag, quality in accepted:
        primary = tag.split("-", 1)[0].lower()
        if quality > 0 and primary in offered:
            return primary
    return None
