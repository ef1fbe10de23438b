"""Text as people send it in, made fit to store and to send: the one home of the intake rules.

Every way in (the organiser and public forms, the composer, the JSON API, the CSV import, the
CLI) asks here, so a name typed on the signup page, pasted from Excel with Alt+Enter or sent by a
script ends up the same:

- A one-line field (a name, an organisation, a subject, a sender name: anything that may go into
  a mail header or a single line of a page) gets every run of spaces, tabs and line breaks
  (CR, LF, and the Unicode line and paragraph separators Word pastes) as one space, trimmed.
  A line break there would make every message to that person unsendable.
- A multi-line field (notes, remarks, Markdown text, quotes) keeps its line breaks, all as LF.
- Control characters are refused in every field with a message that names them: C0 (NUL, VT,
  FF, FS, ...) except tab, CR and LF, DEL, C1 (U+0080 to U+009F), and lone surrogates, which
  cannot even be written as UTF-8. PostgreSQL cannot store a NUL, and the others end up raw in
  mail headers and pages. They are refused rather than removed: a character that was not meant
  to be there usually means the text is not what the person thinks it is.

Nothing here imports Flask.
"""

from __future__ import annotations

import re

from service.messages import N_, Message

# Line breaks of every kind a browser, Excel or Word sends: CRLF, CR, LF, U+2028, U+2029.
_LINE_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029]")
# A run of the whitespace a one-line field turns into one space. Deliberately not str.split():
# that also splits on FS, GS, RS, US, VT and FF, which are refused instead.
_WHITESPACE_RUN = re.compile(r"[ \t\r\n\u2028\u2029]+")
# C0 without tab, LF and CR; DEL; C1; and the surrogate code points (only ever lone in a str).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# What text stored before these rules used for a line break besides CR and LF: Word's VT for
# a manual line break, FF, the information separators FS to US, and NEL.
_OLD_BREAK = re.compile(r"[\x0b\x0c\x1c-\x1f\x85]")

ONE_FORBIDDEN = N_(
    "This holds an invisible control character (%(codes)s) that cannot be stored or sent. "
    "Remove it, or type the text again: it often comes along with text copied from another "
    "program."
)
SEVERAL_FORBIDDEN = N_(
    "This holds invisible control characters (%(codes)s) that cannot be stored or sent. "
    "Remove them, or type the text again: they often come along with text copied from another "
    "program."
)


class ForbiddenCharacters(ValueError):
    """Text holds control characters no field may hold; `message` names them for people."""

    def __init__(self, characters: list[str]):
        self.characters = characters
        self.message = forbidden_message(characters)
        super().__init__(str(self.message))


def one_line(value: str) -> str:
    """`value` on one line: each run of spaces, tabs and line breaks one space, ends trimmed."""
    return _WHITESPACE_RUN.sub(" ", value).strip()


def line_ends(value: str) -> str:
    """`value` with every line break as LF (CRLF and CR from browsers and Windows, U+2028/9)."""
    return _LINE_BREAK.sub("\n", value)


def forbidden_characters(value: str) -> list[str]:
    """The control characters in `value` that no field may hold, each once, first seen first."""
    return list(dict.fromkeys(_FORBIDDEN.findall(value)))


def has_forbidden_characters(value: str) -> bool:
    """Whether `value` holds a character that no field may hold."""
    return _FORBIDDEN.search(value) is not None


def code_points(characters: list[str]) -> str:
    """The characters as people can look them up: "U+0000, U+000B"."""
    return ", ".join(f"U+{ord(char):04X}" for char in characters)


def forbidden_message(characters: list[str]) -> Message:
    """What to tell a person whose text holds these characters."""
    msgid = ONE_FORBIDDEN if len(characters) == 1 else SEVERAL_FORBIDDEN
    return Message(msgid, {"codes": code_points(characters)})


def check_text(value: str) -> str:
    """`value` unchanged; raises ForbiddenCharacters when it holds a control character."""
    found = forbidden_characters(value)
    if found:
        raise ForbiddenCharacters(found)
    return value


def clean_line(value: str) -> str:
    """A one-line field as stored: checked, then on one line (see one_line)."""
    return one_line(check_text(value))


def clean_lines(value: str) -> str:
    """A multi-line field as stored: checked, every line break as LF, ends trimmed."""
    return line_ends(check_text(value)).strip()


# Stored text can no longer be refused: migrations mend it instead.


def mend_line(value: str) -> str:
    """A one-line value stored before these rules: old breaks as spaces, other controls gone."""
    return one_line(_FORBIDDEN.sub("", _OLD_BREAK.sub(" ", value)))


def mend_lines(value: str) -> str:
    """A multi-line value stored before these rules: every line break as LF, other controls gone."""
    return line_ends(_FORBIDDEN.sub("", _OLD_BREAK.sub("\n", value)))
