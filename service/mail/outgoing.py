"""A ready message for one recipient, assembled as MIME bytes without `EmailMessage`.

Building an `email.message.EmailMessage` costs 3 to 5 ms, so a campaign of 20,000 recipients
would spend over a minute in the email package alone, and no transport could pass 300 messages a
second. A campaign's messages differ only in a few header values and the filled-in placeholders,
so `Outgoing.as_bytes` writes the same MIME layout (multipart/alternative: text, then HTML) by
string joins, and encodes the bodies with binascii's quoted-printable, which is written in C.

The layout is what `service.mail.message.build_message` makes; tests parse both with the email
package to hold them to it.
"""

from __future__ import annotations

import binascii
import secrets
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, formatdate, getaddresses, make_msgid, parseaddr

from service.mail.message import check_header_value

CRLF = "\r\n"
# Header lines may be 998 characters; folding starts well before that.
_MAX_PLAIN_HEADER = 900
# Quoted-printable writes "=" as "=3D", so a boundary holding "=_" can never occur in a body.
_BOUNDARY_PREFIX = "=_opgavepost_"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to one recipient: envelope, headers and the two bodies, unencoded.

    `headers` are extra headers in order (List-Id, List-Unsubscribe, ...). Every value is checked
    for line breaks when the message is made, so user input cannot add a header.
    """

    from_name: str
    from_email: str
    to_name: str
    to_email: str
    subject: str
    text: str
    html: str
    reply_to: str = ""
    message_id: str = ""
    date: str = ""
    headers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name, value in (
            ("Subject", self.subject),
            ("To name", self.to_name),
            ("To address", self.to_email),
            ("From name", self.from_name),
            ("From address", self.from_email),
            ("Reply-To", self.reply_to),
            ("Message-ID", self.message_id),
            ("Date", self.date),
            *self.headers,
        ):
            check_header_value(name, value)

    @property
    def recipient(self) -> str:
        """The envelope recipient (RCPT TO)."""
        return self.to_email

    @property
    def from_header(self) -> str:
        """The From header as written on the wire, with the name encoded where needed."""
        return _address(self.from_name, self.from_email)

    @property
    def to_header(self) -> str:
        """The To header as written on the wire."""
        return _address(self.to_name, self.to_email)

    def header_lines(self) -> list[tuple[str, str]]:
        """Every header except the MIME structure ones, encoded, in the order written."""
        lines = [
            ("From", self.from_header),
            ("To", self.to_header),
            ("Subject", encode_header_text(self.subject)),
            ("Date", self.date or formatdate(usegmt=True)),
            ("Message-ID", self.message_id or make_msgid(domain=_domain(self.from_email))),
        ]
        if self.reply_to:
            lines.append(("Reply-To", self.reply_to))
        lines.extend(self.headers)
        return lines

    def as_bytes(self) -> bytes:
        """The whole message, CRLF line endings, 7-bit clean, ready for SMTP DATA."""
        boundary = _BOUNDARY_PREFIX + secrets.token_hex(12)
        head = "".join(_header_line(name, value) for name, value in self.header_lines())
        head += (
            f"MIME-Version: 1.0{CRLF}"
            f"Content-Type: multipart/alternative;{CRLF}"
            f' boundary="{boundary}"{CRLF}{CRLF}'
        )
        return b"".join(
            (
                head.encode("ascii"),
                _part(boundary, "plain", self.text),
                _part(boundary, "html", self.html),
                f"--{boundary}--{CRLF}".encode("ascii"),
            )
        )


def from_email_message(message: EmailMessage) -> Outgoing:
    """The same message as an Outgoing (for single sends built with `build_message`)."""
    from_name, from_email = parseaddr(str(message["From"]))
    to_name, to_email = getaddresses([str(message["To"])])[0]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    own = {"from", "to", "subject", "date", "message-id", "reply-to", "mime-version"}
    own |= {"content-type", "content-transfer-encoding"}
    return Outgoing(
        from_name=from_name,
        from_email=from_email,
        to_name=to_name,
        to_email=to_email,
        subject=str(message["Subject"] or ""),
        text=text.get_content() if text is not None else "",  # type: ignore[attr-defined]
        html=html.get_content() if html is not None else "",  # type: ignore[attr-defined]
        reply_to=str(message["Reply-To"] or ""),
        message_id=str(message["Message-ID"] or ""),
        date=str(message["Date"] or ""),
        headers=tuple((k, str(v)) for k, v in message.items() if k.lower() not in own),
    )


def encode_header_text(value: str) -> str:
    """A header value as RFC 2047 encoded words when it is not plain short ASCII."""
    if value.isascii() and len(value) <= _MAX_PLAIN_HEADER:
        return value
    return Header(value, "utf-8", header_name="Subject").encode(linesep=CRLF)


def _header_line(name: str, value: str) -> str:
    """One header, folded at its own spaces so lines keep to 78 characters where they can."""
    line = f"{name}: {value}"
    if len(line) <= _FOLD_AT or CRLF in value:  # short, or already folded (encoded words)
        return line + CRLF
    lines: list[str] = []
    while len(line) > _FOLD_AT:
        # A fold goes before a space that is already there, so unfolding gives the value back.
        cut = line.rfind(" ", len(name) + 2, _FOLD_AT + 1)
        if cut <= 0:
            cut = line.find(" ", _FOLD_AT + 1)
            if cut < 0:
                break
        lines.append(line[:cut])
        line = line[cut:]
    lines.append(line)
    return CRLF.join(lines) + CRLF


# RFC 5322 2.1.1: lines SHOULD be at most 78 characters (and MUST be at most 998).
_FOLD_AT = 78


def _address(name: str, email: str) -> str:
    try:
        return formataddr((name, email), charset="utf-8")
    except UnicodeEncodeError as exc:
        # An address with non-ASCII characters needs SMTPUTF8, which we do not speak.
        raise ValueError(f"the address {email!r} is not plain ASCII; it cannot be sent") from exc


def _domain(email: str) -> str | None:
    return email.rpartition("@")[2] or None


def _part(boundary: str, subtype: str, body: str) -> bytes:
    data = body.replace("\r\n", "\n").replace("\n", CRLF).encode("utf-8")
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    # binascii uses the line ending it finds first for its soft line breaks too, so with the body
    # in CRLF (and ending in one) every line of the part ends in CRLF.
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    if not encoded.endswith(b"\r\n"):
        encoded += b"\r\n"
    # The line break before a boundary belongs to the boundary (RFC 2046), not to the body.
    encoded += b"\r\n"
    return (
        f"--{boundary}{CRLF}"
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
    ).encode("ascii") + encoded
