"""A ready message for one recipient, assembled as MIME bytes without `EmailMessage`.

Building an `email.message.EmailMessage` costs 3 to 5 ms, so a campaign of 20,000 recipients
would spend over a minute in the email package alone, and no transport could pass 300 messages a
second. A campaign's messages differ only in a few header values and the filled-in placeholders,
so `Outgoing.as_bytes` writes the same MIME layout (multipart/alternative: text, then HTML) by
string joins, and encodes the bodies with binascii's quoted-printable, which is written in C.

The layout is what the email package itself makes of the same message; tests parse ours with
it, and compare, to hold it to that.

A message with a calendar invitation (an answer's confirmation, a calendar update or cancel)
takes the shape Gmail's and Outlook's own invitations have, which every calendar recognises:

    multipart/mixed
      multipart/alternative
        text/plain, text/html
        text/calendar; charset="utf-8"; method=REQUEST   (or CANCEL; base64; the last alternative)
      application/ics; name="invite.ics"                 (the same file as an attachment)

Outlook and Gmail read the text/calendar alternative and show the invitation with its buttons;
Apple Mail and webmail without calendar support offer the attachment to open. base64 keeps the
file's CRLF line ends and its folded lines exactly as icalendar wrote them.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formataddr, formatdate, getaddresses, make_msgid

from service.addresses import AddressNotSendable, ascii_domain, needs_smtputf8, wire_address
from service.mail.message import check_header_value, unsafe_header_text

CRLF = "\r\n"
# Header lines may be 998 characters; folding starts well before that.
_MAX_PLAIN_HEADER = 900
# Quoted-printable writes "=" as "=3D", so a boundary holding "=_" can never occur in a body.
_BOUNDARY_PREFIX = "=_opgavepost_"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to one recipient: envelope, headers and the two bodies, unencoded.

    `headers` are extra headers in order (List-Id, List-Unsubscribe, ...). Every value is checked
    for line breaks and other control characters when the message is made, so user input cannot
    add a header.

    Addresses are kept as people wrote them; `as_bytes`, `envelope` and the header properties
    write them for the wire (service/addresses.py): a non-ASCII domain in IDNA form, a non-ASCII
    local part only for a relay that speaks SMTPUTF8, else AddressNotSendable.
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
    # The encoded body from a campaign's BodyTemplate; without it the bodies are encoded here.
    body: PreparedBody | LazyBody | None = field(default=None, compare=False, repr=False)
    # An iTIP calendar message (RFC 5546) sent along; only single messages carry one.
    calendar: CalendarPart | None = field(default=None, compare=False, repr=False)
    # Mail a person's own action calls for (an answer's confirmation, a signup), not a mailing;
    # relays that keep the two apart (Postmark's message streams) send it on its own stream.
    transactional: bool = False
    # The envelope sender (SMTP MAIL FROM), where bounces go: a VERP address of the delivery
    # (service/delivery/verp.py) when MAIL_BOUNCE_ADDRESS is set; empty, the From address.
    # The API relays keep a return path of their own and report bounces by webhook.
    return_path: str = ""

    def __post_init__(self) -> None:
        values = (
            self.subject,
            self.to_name,
            self.to_email,
            self.from_name,
            self.from_email,
            self.reply_to,
            self.message_id,
            self.date,
            self.return_path,
            *(part for header in self.headers for part in header),
        )
        # One pass over all values; the named check runs only when something is wrong.
        # isprintable() is false for every control character (and for some harmless ones, such
        # as a no-break space), so the pattern runs only on the rare value that fails it.
        joined = "".join(values)
        if not joined.isprintable() and unsafe_header_text(joined):
            for name, value in (
                ("Subject", self.subject),
                ("To name", self.to_name),
                ("To address", self.to_email),
                ("From name", self.from_name),
                ("From address", self.from_email),
                ("Reply-To", self.reply_to),
                ("Message-ID", self.message_id),
                ("Date", self.date),
                ("Return path", self.return_path),
                *self.headers,
            ):
                check_header_value(name, value)

    @property
    def recipient(self) -> str:
        """The envelope recipient (RCPT TO)."""
        return self.to_email

    @property
    def needs_smtputf8(self) -> bool:
        """Whether an address has a non-ASCII local part, which only SMTPUTF8 relays carry."""
        if self.from_email.isascii() and self.to_email.isascii() and self.reply_to.isascii():
            return False
        addresses = [self.from_email, self.to_email]
        addresses += [email for _name, email in getaddresses([self.reply_to])]
        return any(needs_smtputf8(address) for address in addresses)

    def envelope(self, *, smtputf8: bool = False) -> tuple[str, str]:
        """MAIL FROM and RCPT TO as the relay gets them; raises AddressNotSendable."""
        return (
            wire_address(self.return_path or self.from_email, smtputf8=smtputf8),
            wire_address(self.to_email, smtputf8=smtputf8),
        )

    @property
    def from_header(self) -> str:
        """The From header as written on the wire, with the name encoded where needed."""
        return _address(self.from_name, self.from_email)

    @property
    def to_header(self) -> str:
        """The To header as written on the wire."""
        return _address(self.to_name, self.to_email)

    @property
    def may_have_dot_lines(self) -> bool:
        """Whether a line of `as_bytes()` may start with "." (SMTP doubles such dots).

        A campaign's body knows it has none, which spares the SMTP transport a scan of every
        25 KB message for them (RFC 5321 4.5.2). Header lines start with a name or a space.
        """
        return self.body is None or self.calendar is not None or self.body.has_dot_lines

    def header_lines(self, *, smtputf8: bool = False) -> list[tuple[str, str]]:
        """Every header except the MIME structure ones, encoded, in the order written.

        With `smtputf8` an address may keep its non-ASCII local part (RFC 6532); without, such
        an address raises AddressNotSendable.
        """
        lines = [
            ("From", _address(self.from_name, self.from_email, smtputf8)),
            ("To", _address(self.to_name, self.to_email, smtputf8)),
            ("Subject", encode_header_text(self.subject)),
            ("Date", self.date or formatdate(usegmt=True)),
            ("Message-ID", self.message_id or make_msgid(domain=_domain(self.from_email))),
        ]
        if self.reply_to:
            lines.append(("Reply-To", _address_list(self.reply_to, smtputf8)))
        lines.extend(self.headers)
        return lines

    def as_bytes(self, *, smtputf8: bool = False) -> bytes:
        """The whole message, CRLF line endings, ready for SMTP DATA.

        7-bit clean, except that with `smtputf8` (a relay that offered SMTPUTF8) a non-ASCII
        local part stays UTF-8 in the headers (RFC 6532). Raises AddressNotSendable for an
        address this relay cannot carry.
        """
        if self.calendar is not None:
            return self._with_calendar(self.calendar, smtputf8)
        if self.body is not None:
            boundary, body = self.body.boundary, self.body.data
        else:
            boundary = _BOUNDARY_PREFIX + secrets.token_hex(12)
            body = b"".join(
                (
                    self._text_and_html(boundary),
                    _closing(boundary),
                )
            )
        return self._with_head("alternative", boundary, body, smtputf8)

    def _text_and_html(self, boundary: str) -> bytes:
        """The text part, then the HTML part, of a multipart/alternative with this boundary."""
        return b"".join(
            (
                _part_head(boundary, "plain"),
                _encode_part(self.text),
                _part_head(boundary, "html"),
                _encode_part(self.html),
            )
        )

    def _with_head(self, subtype: str, boundary: str, body: bytes, smtputf8: bool) -> bytes:
        """The headers in front of a multipart/<subtype> body that uses this boundary."""
        head = "".join(
            _header_line(name, value) for name, value in self.header_lines(smtputf8=smtputf8)
        )
        head += (
            f"MIME-Version: 1.0{CRLF}"
            f"Content-Type: multipart/{subtype};{CRLF}"
            f' boundary="{boundary}"{CRLF}{CRLF}'
        )
        return _head_bytes(head, smtputf8) + body

    def _with_calendar(self, calendar: CalendarPart, smtputf8: bool) -> bytes:
        alternative = _BOUNDARY_PREFIX + secrets.token_hex(12)
        mixed = _BOUNDARY_PREFIX + secrets.token_hex(12)
        encoded = _base64_lines(calendar.data)
        body = b"".join(
            (
                (
                    f"--{mixed}{CRLF}"
                    f"Content-Type: multipart/alternative;{CRLF}"
                    f' boundary="{alternative}"{CRLF}{CRLF}'
                ).encode("ascii"),
                self._text_and_html(alternative),
                (
                    f"--{alternative}{CRLF}"
                    f'Content-Type: text/calendar; charset="utf-8"; method={calendar.method}{CRLF}'
                    f"Content-Transfer-Encoding: base64{CRLF}{CRLF}"
                ).encode("ascii"),
                encoded,
                _closing(alternative),
                (
                    f"--{mixed}{CRLF}"
                    f'Content-Type: application/ics; name="{calendar.filename}"{CRLF}'
                    f'Content-Disposition: attachment; filename="{calendar.filename}"{CRLF}'
                    f"Content-Transfer-Encoding: base64{CRLF}{CRLF}"
                ).encode("ascii"),
                encoded,
                _closing(mixed),
            )
        )
        return self._with_head("mixed", mixed, body, smtputf8)


@dataclass(frozen=True, slots=True)
class CalendarPart:
    """An iCalendar file sent with a message: its iTIP METHOD (REQUEST, CANCEL) and bytes."""

    method: str
    data: bytes
    filename: str = "invite.ics"

    @property
    def content_type(self) -> str:
        """The Content-Type calendars recognise an invitation by (method in the MIME type)."""
        return f'text/calendar; charset="utf-8"; method={self.method}'


def _base64_lines(data: bytes) -> bytes:
    # 76-character lines (RFC 2045), CRLF ended; the last line break belongs to the boundary.
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


@dataclass(frozen=True, slots=True)
class PreparedBody:
    """The multipart body of one message, encoded: its boundary and its bytes."""

    boundary: str
    data: bytes
    # Whether a line of `data` may start with "."; see Outgoing.may_have_dot_lines.
    has_dot_lines: bool = True


# Stands for a placeholder while a campaign's text is split into lines; never in rendered text.
_SLOT = "\x00"


class BodyTemplate:
    """The text and HTML parts of one campaign version, quoted-printable encoded once.

    Quoted-printable encodes every line on its own (soft breaks stay within a line), so the lines
    without a placeholder are encoded here, once per campaign version, and per recipient only the
    few lines that hold one. The result is byte for byte what encoding the filled-in text would
    give, at a fraction of the cost (bench/send.py).
    """

    def __init__(self, text_parts: Sequence[str], html_parts: Sequence[str]):
        if any(_SLOT in part for part in (*text_parts, *html_parts)):
            raise ValueError("the text holds a NUL character; it cannot be templated")
        self.boundary = _BOUNDARY_PREFIX + secrets.token_hex(12)
        pieces: list[bytes | tuple[bool, tuple[str, ...]]] = []
        for subtype, parts in (("plain", text_parts), ("html", html_parts)):
            pieces.append(_part_head(self.boundary, subtype))
            pieces.extend(_encoded_lines(parts, is_html=subtype == "html"))
            pieces.append(b"\r\n")  # the line break that belongs to the next boundary
        pieces.append(_closing(self.boundary))
        self._pieces = _merged(pieces)
        # Every piece begins at the start of a line.
        self._fixed_dot_lines = any(
            _has_dot_line(piece) for piece in self._pieces if isinstance(piece, bytes)
        )

    def later(self, plain: Mapping[str, str], escaped: Mapping[str, str]) -> LazyBody:
        """The body for one recipient, encoded when first needed.

        The SMTP transport assembles messages in its connection threads, so the encoding runs
        there, beside the network waits of the other connections, not before the batch goes.
        """
        return LazyBody(self, plain, escaped)

    def fill(self, plain: Mapping[str, str], escaped: Mapping[str, str]) -> PreparedBody:
        """The body for one recipient: `plain` values for the text, `escaped` ones for HTML."""
        out: list[bytes] = []
        filled_lines: list[bytes] = []
        for piece in self._pieces:
            if isinstance(piece, bytes):
                out.append(piece)
                continue
            is_html, parts = piece
            values = escaped if is_html else plain
            text = list(parts)  # text at even places, placeholder names at odd ones
            text[1::2] = [values[name] for name in parts[1::2]]
            encoded = _qp(("".join(text) + CRLF).encode("utf-8"))
            out.append(encoded)
            filled_lines.append(encoded)
        # Each filled piece begins a line, so one look over them all finds a leading dot.
        dot_lines = self._fixed_dot_lines or _has_dot_line(b"\n".join(filled_lines))
        return PreparedBody(self.boundary, b"".join(out), dot_lines)


class LazyBody:
    """A recipient's body from a BodyTemplate, encoded on first use of `data`."""

    __slots__ = ("_escaped", "_filled", "_plain", "_template", "boundary")

    def __init__(
        self, template: BodyTemplate, plain: Mapping[str, str], escaped: Mapping[str, str]
    ):
        self._template, self._plain, self._escaped = template, plain, escaped
        self.boundary = template.boundary
        self._filled: PreparedBody | None = None

    @property
    def data(self) -> bytes:
        """The encoded body bytes."""
        return self._prepared().data

    @property
    def has_dot_lines(self) -> bool:
        """Whether a line of the body may start with "."."""
        return self._prepared().has_dot_lines

    def _prepared(self) -> PreparedBody:
        if self._filled is None:
            self._filled = self._template.fill(self._plain, self._escaped)
        return self._filled


def _encoded_lines(
    parts: Sequence[str], *, is_html: bool
) -> list[bytes | tuple[bool, tuple[str, ...]]]:
    marked = "".join(p if i % 2 == 0 else f"{_SLOT}{p}{_SLOT}" for i, p in enumerate(parts))
    marked = marked.replace("\r\n", "\n")
    if not marked.endswith("\n"):
        marked += "\n"
    pieces: list[bytes | tuple[bool, tuple[str, ...]]] = []
    run: list[str] = []
    for line in marked.split("\n")[:-1]:
        if _SLOT in line:
            if run:
                pieces.append(_qp("".join(run).encode("utf-8")))
                run = []
            pieces.append((is_html, tuple(line.split(_SLOT))))
        else:
            run.append(line + CRLF)
    if run:
        pieces.append(_qp("".join(run).encode("utf-8")))
    return pieces


def _has_dot_line(data: bytes) -> bool:
    # `data` begins at the start of a line.
    return data.startswith(b".") or b"\n." in data


def _merged(
    pieces: list[bytes | tuple[bool, tuple[str, ...]]],
) -> list[bytes | tuple[bool, tuple[str, ...]]]:
    merged: list[bytes | tuple[bool, tuple[str, ...]]] = []
    for piece in pieces:
        if isinstance(piece, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] = merged[-1] + piece
        else:
            merged.append(piece)
    return merged


def encode_header_text(value: str) -> str:
    """A header value as RFC 2047 encoded words when it is not plain short ASCII.

    The words are written here rather than by `email.header.Header`, which costs about 0.1 ms:
    a subject personalised with a name such as "Maaïke" is encoded for every recipient.
    """
    if value.isascii() and len(value) <= _MAX_PLAIN_HEADER:
        return value
    data = value.encode("utf-8")
    words: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + _WORD_BYTES, len(data))
        # A word holds whole characters (RFC 2047 5): never end one inside a UTF-8 sequence.
        while end < len(data) and data[end] & 0xC0 == 0x80:
            end -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(data[start:end]).decode('ascii')}?=")
        start = end
    # Readers join adjacent encoded words without the folding space between them (RFC 2047 6.2).
    return (CRLF + " ").join(words)


# An encoded word is at most 75 characters; 39 bytes make 52 in base64, so with "=?utf-8?b?",
# "?=" and a header name such as "Subject: " every line stays within 78 characters.
_WORD_BYTES = 39


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


def _address(name: str, email: str, smtputf8: bool = False) -> str:
    if email.isascii():
        return formataddr((name, email), charset="utf-8")
    wire = wire_address(email, smtputf8=smtputf8)
    if wire.isascii():
        return formataddr((name, wire), charset="utf-8")
    if not name:
        return wire
    # formataddr refuses a UTF-8 local part (RFC 6532 allows it where SMTPUTF8 was offered), so
    # the name is written around a stand-in address and the real one put in its place.
    named, _bracket, _rest = formataddr((name, "_@_"), charset="utf-8").rpartition("<")
    return f"{named}<{wire}>"


def _address_list(value: str, smtputf8: bool) -> str:
    # Reply-To holds a bare address (the network's mailbox) or "Name <address>" from a message
    # built with the email package; only a non-ASCII one needs to be taken apart.
    if value.isascii():
        return value
    return ", ".join(_address(name, email, smtputf8) for name, email in getaddresses([value]))


def _head_bytes(head: str, smtputf8: bool) -> bytes:
    try:
        return head.encode("ascii")
    except UnicodeEncodeError:
        if not smtputf8:
            raise
        return head.encode("utf-8")


def _domain(email: str) -> str | None:
    domain = email.rpartition("@")[2]
    try:
        return ascii_domain(domain) if domain else None
    except AddressNotSendable:
        return None


def _qp(data: bytes) -> bytes:
    # binascii uses the line ending it finds first for its soft line breaks too, so with the data
    # in CRLF every line of the part ends in CRLF.
    return binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)


def _encode_part(body: str) -> bytes:
    data = body.replace("\r\n", "\n").replace("\n", CRLF).encode("utf-8")
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    # The line break before a boundary belongs to the boundary (RFC 2046), not to the body.
    return _qp(data) + b"\r\n"


def _part_head(boundary: str, subtype: str) -> bytes:
    return (
        f"--{boundary}{CRLF}"
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
    ).encode("ascii")


def _closing(boundary: str) -> bytes:
    return f"--{boundary}--{CRLF}".encode("ascii")
