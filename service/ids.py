"""Whole numbers and ids as they come in from outside: a path, a form field, JSON, a token.

Ids are stored in integer columns, which on PostgreSQL hold at most 2^31 - 1; SQLite's are wider,
so the narrower one rules on both. A larger number can never name a row, and sending it to
PostgreSQL fails the whole query ("integer out of range"), so it is answered as "no such thing"
(404 for a path, a field error for a body or form) before any query runs.

Only ASCII digits count: `int()` also takes other scripts' digits ("٣") and `str.isdigit()` even
says yes to "²", which `int()` then refuses.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1

_ASCII_DIGITS = re.compile(r"[0-9]+")
# More digits than any stored number has; longer text is refused before int() reads it.
_MAX_DIGITS = 19


def whole_number(value: Any) -> int | None:
    """A whole number: an int from JSON (not a bool), or text in ASCII digits; None otherwise.

    In text, spaces around are allowed; signs, decimals and other scripts' digits are not.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) > _MAX_DIGITS or not _ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)


def parse_id(value: Any) -> int | None:
    """An id from JSON, a form or a token: a whole number from 1 to MAX_ID, else None."""
    number = whole_number(value)
    if number is None or not 1 <= number <= MAX_ID:
        return None
    return number


def _regex_up_to(largest: int) -> str:
    """A regex for the numbers 1 to `largest`, written without leading zeros."""
    text = str(largest)
    shorter = f"[1-9][0-9]{{0,{len(text) - 2}}}" if len(text) > 1 else None
    same_length = []
    for i, digit in enumerate(text):
        lowest = 1 if i == 0 else 0
        if int(digit) > lowest:
            rest = len(text) - i - 1
            same_length.append(f"{text[:i]}[{lowest}-{int(digit) - 1}][0-9]{{{rest}}}")
    same_length.append(text)
    return "|".join(filter(None, [shorter, *same_length]))


class IdConverter(IntegerConverter):
    """The app's `int` URL converter: an id from 1 to MAX_ID, or the route does not match.

    So `/contacts/2147483648` is a 404 like any id that names nothing, on every route at once, and
    the OpenAPI document gives each id in a path its minimum and maximum. The range is in the
    regex, not only in to_python: Werkzeug answers a value refused there with 405 when another
    method's rule has the same path.
    """

    regex = _regex_up_to(MAX_ID)

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
