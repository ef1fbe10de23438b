"""Building one email as MIME, once, before it goes to whichever transport.

A message is `multipart/alternative` with the text part first and the HTML part last (mail
clients show the last part they can read). Header values that come from people (names, subjects,
addresses) may not hold a line break: one would let a subject smuggle in a Bcc header. Nor may
they hold any other control character (VT, FF, FS, NUL, the C1 codes, ...): mail clients show
them as boxes or cut the header there, and Python's own email package splits lines at several.
"""

from __future__ import annotations

from collections.abc import Mapping
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from service.text import code_points, forbidden_characters

# Line breaks of every kind: CR and LF, and the two Unicode separators, which str.splitlines
# (and so the email package) treats as line ends too.
_LINE_BREAKS = ("\r", "\n", "\u2028", "\u2029")
# Python's folder breaks a long Subject right after "Subject:", and readers then show a leading
# space; RFC 5322 allows 998 characters a line, and our values are far shorter (subject: 300).
POLICY = policy.default.clone(max_line_length=998)


class HeaderInjectionError(ValueError):
    """A header value holds a line break or another control character; the message names the
    header."""


def build_message(
    *,
    subject: str,
    html: str,
    text: str,
    to_name: str,
    to_email: str,
    from_name: str,
    from_email: str,
    reply_to: str | None,
    message_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """One multipart/alternative message (text, then HTML) with Subject, Date and Message-ID."""
    values = {
        "Subject": subject,
        "To name": to_name,
        "To address": to_email,
        "From name": from_name,
        "From address": from_email,
        "Reply-To": reply_to or "",
        "Message-ID": message_id or "",
        **dict(headers or {}),
    }
    for name, value in values.items():
        check_header_value(name, value)
    message = EmailMessage(policy=POLICY)
    message["Subject"] = subject
    message["From"] = _mailbox(from_name, from_email)
    message["To"] = _mailbox(to_name, to_email)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = from_email.rpartition("@")[2] or None
    message["Message-ID"] = message_id or make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def _mailbox(name: str, email: str) -> Address:
    if email.isascii():
        return Address(display_name=name, addr_spec=email)
    # The email package refuses to parse a non-ASCII local part (which only an SMTPUTF8 relay
    # carries: the transport decides, service/addresses.py); given in parts it is kept.
    username, _at, domain = email.rpartition("@")
    return Address(display_name=name, username=username, domain=domain)


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
