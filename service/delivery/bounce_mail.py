"""Reading a bounce that came back by mail: who bounced, hard or soft, why, and for which message.

The detection is flufl.bounce's, GNU Mailman's bounce detector: delivery status notifications
(RFC 3464, as Postfix, Gmail and Exchange send them) and the common non-standard forms (Exim's
X-Failed-Recipients, older Exchange and Postfix texts, qmail, ...). It gives the addresses that
failed for good and those that failed for now (a "delayed" report, a warning).

A soft bounce is a temporary failure; a permanent one is hard, except where the report's status
says the failure itself was temporary (a 4.x.x status: the server gave up retrying a full or
unreachable mailbox) or that the mailbox is full (x.2.2): such an address may take mail again,
so it counts towards MAIL_SOFT_BOUNCE_LIMIT instead of being suppressed at once.

What ties the bounce to our message is gathered here and judged by the bounce log
(service/delivery/bounce_log.py): the addresses the bounce was sent to (the VERP return path, from
the SMTP envelope or the Delivered-To, X-Original-To and To headers), and any Message-ID of ours
in the returned message or quoted in the text.

Mail that flufl.bounce does not read as a bounce (an auto-reply, spam) gives no report.
Plain logic, no Flask.
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from flufl.bounce import all_failures

from service.delivery.bounce_log import BounceReport, Kind

# RFC 3463 enhanced status codes, as a DSN's Status field and many SMTP replies write them.
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# An SMTP reply quoted in a non-standard bounce: "550 5.1.1 <x@y>: user unknown", "452-4.2.2 ...".
_REPLY = re.compile(r"\b[45]\d\d[ -](?:[45]\.\d{1,3}\.\d{1,3}\b)?.*")
# Our Message-IDs (service/delivery/sendloop.py), wherever the bounce quotes them.
_OUR_MESSAGE_ID = re.compile(r"<?opgavepost\.[0-9a-z.]+@[A-Za-z0-9.-]+>?")
_ENVELOPE_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "x-envelope-to", "to")
# A report dated further ahead than this is taken as dated now (a wrong clock, or made up).
_CLOCK_SKEW = timedelta(days=1)


def parse_message(data: bytes) -> Message:
    """The bounce as the email package reads it (compat32: what flufl.bounce expects)."""
    return email.message_from_bytes(data)


def read_bounce(
    data: bytes,
    *,
    source: str,
    envelope_recipients: Sequence[str] = (),
    now: datetime,
) -> list[BounceReport]:
    """One report per address the bounce names as failed; [] when it is no bounce.

    `envelope_recipients` are the RCPT TO addresses (the listener knows them); a mailbox has
    only the headers.
    """
    message = parse_message(data)
    temporary, permanent = all_failures(message)
    if not (temporary or permanent):
        return []
    statuses = _dsn_statuses(message)
    text_reason = _reason_in_text(message)
    return_paths = tuple(dict.fromkeys([*envelope_recipients, *_header_addresses(message)]))
    message_ids = tuple(_returned_message_ids(message))
    occurred_at = _date_of(message, now)
    reports = []
    failed = [(address, True) for address in sorted(permanent)]
    failed += [(address, False) for address in sorted(temporary - permanent)]
    for raw, is_permanent in failed:
        address = raw.decode("ascii", "replace").strip().strip("<>")
        status, diagnostic = statuses.get(address.lower(), ("", ""))
        reason = " ".join(part for part in (status, diagnostic) if part) or text_reason
        status = status or _first_status(reason)
        reports.append(
            BounceReport(
                email=address,
                kind=_kind(is_permanent, status),
                reason=reason or _default_reason(is_permanent),
                source=source,
                occurred_at=occurred_at,
                return_paths=return_paths,
                message_ids=message_ids,
            )
        )
    return reports


def _kind(is_permanent: bool, status: str) -> Kind:
    if not is_permanent or status.startswith("4.") or status.endswith(".2.2"):
        return "soft_bounce"
    return "hard_bounce"


def _default_reason(is_permanent: bool) -> str:
    if is_permanent:
        return "the recipient's mail server refused the message for good"
    return "the recipient's mail server could not deliver the message for now"


def _first_status(text: str) -> str:
    match = _STATUS.search(text)
    return match.group(0) if match else ""


def _dsn_statuses(message: Message) -> dict[str, tuple[str, str]]:
    """Per failed recipient of a DSN (lower case): its Status and Diagnostic-Code."""
    found: dict[str, tuple[str, str]] = {}
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status" or not part.is_multipart():
            continue
        blocks = part.get_payload()
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, Message):
                continue
            recipient = block.get("final-recipient") or block.get("original-recipient")
            if not recipient:
                continue
            address = recipient.partition(";")[2].strip().strip("<>") or recipient.strip()
            status = _first_status(str(block.get("status", "")))
            diagnostic = str(block.get("diagnostic-code", "")).partition(";")[2]
            found.setdefault(address.lower(), (status, " ".join(diagnostic.split())))
    return found


def _text_parts(message: Message) -> Iterable[str]:
    for part in message.walk():
        if part.get_content_type() != "text/plain":
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            yield payload.decode(part.get_content_charset() or "utf-8", "replace")


def _reason_in_text(message: Message) -> str:
    """The first SMTP reply quoted in the explaining text (non-standard bounces)."""
    for text in _text_parts(message):
        for line in text.splitlines():
            match = _REPLY.search(line)
            if match:
                return " ".join(match.group(0).split())[:500]
        break  # only the first text part explains; later ones are the returned message
    return ""


def _header_addresses(message: Message) -> list[str]:
    addresses = []
    for name in _ENVELOPE_HEADERS:
        values = [str(value) for value in message.get_all(name, [])]
        addresses += [address for _name, address in getaddresses(values) if address]
    return addresses


def _returned_message_ids(message: Message) -> list[str]:
    """Message-IDs in the returned message's headers, then any of ours quoted in the text."""
    found: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if part is message:
            continue
        if kind == "message/rfc822" and part.is_multipart():
            for inner in part.get_payload():
                if isinstance(inner, Message) and inner.get("message-id"):
                    found.append(str(inner["message-id"]).strip())
        elif kind == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                headers = email.message_from_bytes(payload)
                if headers.get("message-id"):
                    found.append(str(headers["message-id"]).strip())
    for text in _text_parts(message):
        found += _OUR_MESSAGE_ID.findall(text)
    # The bounce's own Message-ID is the bouncing server's, never the returned message's.
    own = str(message.get("message-id", "")).strip()
    return [m for m in dict.fromkeys(found) if m and m != own]


def _date_of(message: Message, now: datetime) -> datetime:
    """When the bounce was written (its Date), so the same bounce read twice is recognised."""
    try:
        moment = parsedate_to_datetime(str(message.get("date", "")))
    except (TypeError, ValueError, IndexError):
        return now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment > now + _CLOCK_SKEW:
        return now
    return moment
