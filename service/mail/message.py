"""What a header value may hold: the check every message passes when it is made (Outgoing).

Header values that come from people (names, subjects, addresses) may not hold a line break: one
would let a subject smuggle in a Bcc header. Nor may they hold any other control character (VT,
FF, FS, NUL, the C1 codes, ...): mail clients show them as boxes or cut the header there, and
Python's own email package splits lines at several.
"""

from __future__ import annotations

from service.text import code_points, forbidden_characters

# Line breaks of every kind: CR and LF, and the two Unicode separators, which str.splitlines
# (and so the email package) treats as line ends too.
_LINE_BREAKS = ("\r", "\n", "\u2028", "\u2029")


class HeaderInjectionError(ValueError):
    """A header value holds a line break or another control character; the message names the
    header."""


def unsafe_header_text(value: str) -> bool:
    """Whether `value` holds a line break or a control character, which no header may hold."""
    return any(mark in value for mark in _LINE_BREAKS) or bool(forbidden_characters(value))


def check_header_value(name: str, value: str) -> None:
    """Refuse a header name or value holding a line break (it would start a new header) or
    another control character (VT, FF, FS: mail clients show them raw, or stop there)."""
    if any(mark in name or mark in value for mark in ("\r", "\n")):
        raise HeaderInjectionError(f"{name} holds a line break; header values must fit on one line")
    found = forbidden_characters(name + value) + [
        mark for mark in _LINE_BREAKS if mark in name + value
    ]
    if found:
        raise HeaderInjectionError(
            f"{name} holds the control character {code_points(found)}; header values must be one "
            "line of plain text"
        )
