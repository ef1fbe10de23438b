"""Organisers invite known contacts to a meeting by hand, by their addresses.

For people who registered by phone or at the door of an earlier meeting: the organiser pastes
their addresses, and those known as contacts are invited (an answer they already have stays).
With `coming` the organiser records their yes at once, through the same rules as a contact's own
answer (capacity and waiting list; refused after the deadline). No email is sent from here.
Nothing here imports Flask; the caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.meetings.invitations import AnswerClosed, answer_invitation, invite_contacts
from service.messages import Message
from service.models import Answer, Contact, Invitation, Meeting

_SEPARATORS = re.compile(r"[\s,;]+")
MAX_ADDRESSES = 500


@dataclass
class HandInviteReport:
    """What inviting by hand did: new invitations, known ones, unknown addresses, answers."""

    invited: int = 0
    already: int = 0
    unknown: list[str] = field(default_factory=list)
    registered: int = 0
    waiting: int = 0
    closed: Message | None = None


def addresses(text: str) -> list[str]:
    """The distinct addresses in pasted text (one a line, or separated by commas or semicolons)."""
    seen: dict[str, None] = {}
    for part in _SEPARATORS.split(text or ""):
        address = part.strip().strip("<>").lower()
        if address:
            seen.setdefault(address, None)
    return list(seen)[:MAX_ADDRESSES]


def invite_by_address(
    session: Session,
    meeting: Meeting,
    text: str,
    *,
    coming: bool = False,
    now: datetime | None = None,
) -> HandInviteReport:
    """Invite the contacts whose addresses are in `text`; with `coming`, record their yes too."""
    wanted = addresses(text)
    report = HandInviteReport()
    if not wanted:
        return report
    contacts: dict[str, int] = dict(
        session.execute(
            select(func.lower(Contact.email), Contact.id).where(
                func.lower(Contact.email).in_(wanted)
            )
        ).all()
    )
    report.unknown = [address for address in wanted if address not in contacts]
    ids = list(contacts.values())
    report.invited = invite_contacts(session, meeting, ids)
    report.already = len(ids) - report.invited
    if coming and ids:
        _record_yes(session, meeting, ids, report, now)
    return report


def _record_yes(
    session: Session,
    meeting: Meeting,
    contact_ids: list[int],
    report: HandInviteReport,
    now: datetime | None,
) -> None:
    query = (
        select(Invitation)
        .where(Invitation.meeting_id == meeting.id, Invitation.contact_id.in_(contact_ids))
        .order_by(Invitation.id)
    )
    for invitation in session.scalars(query):
        try:
            result = answer_invitation(session, invitation, coming=True, now=now)
        except AnswerClosed as exc:
            report.closed = exc.message
            return
        if result.changed and result.answer == Answer.YES:
            report.registered += 1
        elif result.changed and result.answer == Answer.WAITING:
            report.waiting += 1
