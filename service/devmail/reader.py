"""Reading the .eml files the outbox transport wrote (service/mail/transports.py).

Only names the transport makes are opened (`<UTC time>-<hex>.eml`), so a request cannot reach any
other file. Newest first is the order of the names, which start with the time they were written.
Nothing here imports Flask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

NAME = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}\.eml$")
SHOWN_HEADERS = ("From", "To", "Reply-To", "Subject", "Date", "Message-ID")


@dataclass(frozen=True)
class OutboxEntry:
    """One caught message as the list shows it."""

    name: str
    date: datetime | None
    to: str
    subject: str


@dataclass(frozen=True)
class OutboxMessage:
    """One caught message in full: its headers (in order), HTML part and text part."""

    name: str
    headers: list[tuple[str, str]]
    subject: str
    html: str
    text: str


def list_messages(folder: Path, limit: int = 200) -> list[OutboxEntry]:
    """The newest caught messages first (at most `limit`)."""
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if NAME.match(p.name)), reverse=True)
    entries = []
    for name in names[:limit]:
        message = _parse(folder / name)
        entries.append(
            OutboxEntry(
                name=name,
                date=_date(message),
                to=str(message.get("To", "")),
                subject=str(message.get("Subject", "")),
            )
        )
    return entries


def read_message(folder: Path, name: str) -> OutboxMessage | None:
    """The caught message with this name, or None when there is none."""
    if not NAME.match(name) or not (folder / name).is_file():
        return None
    message = _parse(folder / name)
    headers = [(h, str(message[h])) for h in SHOWN_HEADERS if message[h] is not None]
    headers += [
        (key, str(value))
        for key, value in message.items()
        if key not in SHOWN_HEADERS and key.startswith(("X-", "List-"))
    ]
    return OutboxMessage(
        name=name,
        headers=headers,
        subject=str(message.get("Subject", "")),
        html=_part(message, "html"),
        text=_part(message, "plain"),
    )


def _parse(path: Path) -> EmailMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body((subtype,))
    return body.get_content() if body is not None else ""


def _date(message: EmailMessage) -> datetime | None:
    try:
        return parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):
        return None
