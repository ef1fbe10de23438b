"""Invitations to a meeting and the answers to them: capacity, waiting list, deadline.

Who is invited is recorded when an invitation campaign starts sending (one row per recipient,
see `record_campaign_invitations`) or when an organiser adds someone. An answer changes only by a
POST (the public answer page asks to confirm), through `answer_invitation`, which:
- refuses answers after the registration deadline, after the start, or for a cancelled meeting;
- puts a yes on the waiting list when the meeting is full (first come, first promoted);
- promotes the first person waiting when someone with a place says no, or capacity grows.

The emails the result asks for (confirmation with the calendar invitation, promotion notice,
calendar cancel; see `AnswerResult`) are queued in the same transaction by
service/meetings/answering.py, which the answer page calls. Nothing here imports Flask.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from service.dml import rows_changed
from service.messages import N_, Message
from service.models import (
    Answer,
    Campaign,
    Contact,
    Delivery,
    Invitation,
    Meeting,
    MeetingStatus,
    utcnow,
)

# Meetings that can still be answered (a draft is not announced yet; held and cancelled are over).
OPEN_STATUSES = frozenset({MeetingStatus.PUBLISHED})


class AnswerClosed(ValueError):
    """The invitation cannot be answered (any more); `message` says why, for the contact."""

    def __init__(self, message: Message):
        self.message = message
        super().__init__(str(message))


@dataclass
class AnswerResult:
    """What an answer did, so the caller can say so and queue the emails it needs."""

    invitation: Invitation
    answer: Answer
    # The answer differs from before (a repeated click changes nothing and sends nothing).
    changed: bool
    # Waiting people who got the place that came free; each should be told.
    promoted: list[Invitation] = field(default_factory=list)
    # The person had a calendar event that must now be cancelled (they said no).
    cancel_calendar: bool = False


class Closed(enum.StrEnum):
    """Why a meeting cannot be answered now (the answer pages and the checks before sending)."""

    CANCELLED = "cancelled"
    NOT_PUBLISHED = "not-published"
    OVER = "over"  # held, or started
    DEADLINE = "deadline"  # the registration deadline has passed


_CLOSED_MESSAGES = {
    Closed.CANCELLED: N_("This meeting has been cancelled."),
    Closed.NOT_PUBLISHED: N_("This meeting cannot be answered yet."),
    Closed.OVER: N_("This meeting has already taken place."),
    Closed.DEADLINE: N_("Registration for this meeting has closed."),
}


def why_closed(meeting: Meeting, now: datetime) -> Closed | None:
    """Why answering is closed for this meeting now, or None when it is open."""
    if meeting.status == MeetingStatus.CANCELLED:
        return Closed.CANCELLED
    if meeting.status == MeetingStatus.HELD or meeting.starts_at <= now:
        return Closed.OVER
    if meeting.status not in OPEN_STATUSES:
        return Closed.NOT_PUBLISHED
    if meeting.registration_deadline is not None and meeting.registration_deadline <= now:
        return Closed.DEADLINE
    return None


def closed_reason(meeting: Meeting, now: datetime) -> Message | None:
    """Why answering is closed for this meeting now, in words for the contact; None when open."""
    closed = why_closed(meeting, now)
    return Message(_CLOSED_MESSAGES[closed]) if closed is not None else None


def answer_invitation(
    session: Session,
    invitation: Invitation,
    *,
    coming: bool,
    remark: str | None = None,
    show_to_colleagues: bool | None = None,
    now: datetime | None = None,
) -> AnswerResult:
    """Record a yes or no; raises AnswerClosed when the meeting can no longer be answered."""
    now = now or utcnow()
    meeting = _locked_meeting(session, invitation.meeting_id)
    reason = closed_reason(meeting, now)
    if reason is not None:
        raise AnswerClosed(reason)
    if remark is not None:
        invitation.remark = remark.strip()[:2000]
    if show_to_colleagues is not None:
        invitation.show_to_colleagues = show_to_colleagues
    before = invitation.answer
    result = AnswerResult(invitation=invitation, answer=before, changed=False)
    if coming:
        if before in (Answer.YES, Answer.WAITING):
            return result
        new = Answer.YES if _has_room(session, meeting) else Answer.WAITING
    else:
        if before == Answer.NO:
            return result
        new = Answer.NO
    invitation.answer = new
    invitation.answered_at = now
    session.flush()
    result.answer, result.changed = new, True
    if before == Answer.YES and new == Answer.NO:
        result.cancel_calendar = invitation.calendar_sequence_sent is not None
        result.promoted = promote_waiting(session, meeting, now=now)
    return result


def promote_waiting(
    session: Session, meeting: Meeting, *, now: datetime | None = None
) -> list[Invitation]:
    """Give free places to those waiting longest; returns the promoted invitations."""
    now = now or utcnow()
    promoted: list[Invitation] = []
    while _has_room(session, meeting):
        first = session.scalar(
            select(Invitation)
            .where(Invitation.meeting_id == meeting.id, Invitation.answer == Answer.WAITING)
            .order_by(Invitation.answered_at, Invitation.id)
            .limit(1)
        )
        if first is None:
            break
        first.answer = Answer.YES
        first.answered_at = now
        session.flush()
        promoted.append(first)
    return promoted


def places_left(session: Session, meeting: Meeting) -> int | None:
    """How many places are still free (yes answers against the capacity); None without a limit."""
    if meeting.capacity is None:
        return None
    return max(0, meeting.capacity - count_answers(session, meeting.id).get(Answer.YES, 0))


def _has_room(session: Session, meeting: Meeting) -> bool:
    if meeting.capacity is None:
        return True
    return count_answers(session, meeting.id).get(Answer.YES, 0) < meeting.capacity


def _locked_meeting(session: Session, meeting_id: int) -> Meeting:
    # Two people answering yes for the last place at once: on PostgreSQL the meeting row is
    # locked until the answer is committed, so they are counted one after the other. SQLite
    # lets one writer in at a time anyway.
    meeting = session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert meeting is not None  # the invitation's foreign key guarantees it
    return meeting


def count_answers(session: Session, meeting_id: int) -> dict[Answer, int]:
    """How many invitations of the meeting have each answer."""
    rows = session.execute(
        select(Invitation.answer, func.count())
        .where(Invitation.meeting_id == meeting_id)
        .group_by(Invitation.answer)
    ).all()
    return dict(rows)


@dataclass(frozen=True)
class Funnel:
    """How a meeting's invitations turned into answers and attendance, over all its campaigns
    and the people added by hand."""

    invited: int = 0
    answered: int = 0
    yes: int = 0
    attended: int = 0


def meeting_funnel(session: Session, meeting_id: int) -> Funnel:
    """The meeting's funnel: invited, answered (yes, no or waiting), yes, attended; one query."""
    answered = func.count(case((Invitation.answer != Answer.INVITED, 1)))
    said_yes = func.count(case((Invitation.answer == Answer.YES, 1)))
    attended = func.count(case((Invitation.attended.is_(True), 1)))
    row = session.execute(
        select(func.count(), answered, said_yes, attended).where(
            Invitation.meeting_id == meeting_id
        )
    ).one()
    return Funnel(*(value or 0 for value in row))


def invite_contacts(
    session: Session,
    meeting: Meeting,
    contact_ids: Iterable[int],
    *,
    campaign_id: int | None = None,
) -> int:
    """Invite these contacts (those already invited keep their answer); returns how many new."""
    wanted = set(contact_ids)
    if not wanted:
        return 0
    known = set(
        session.scalars(
            select(Invitation.contact_id).where(
                Invitation.meeting_id == meeting.id, Invitation.contact_id.in_(wanted)
            )
        )
    )
    new = sorted(wanted - known)
    for contact_id in new:
        session.add(
            Invitation(meeting_id=meeting.id, contact_id=contact_id, campaign_id=campaign_id)
        )
    session.flush()
    return len(new)


def record_campaign_invitations(session: Session, campaign: Campaign) -> int:
    """Invite every recipient of an invitation campaign that just recorded its deliveries.

    One INSERT ... SELECT from the campaign's deliveries, skipping contacts already invited, so
    a second invitation campaign for the same meeting keeps everyone's answer.
    """
    if campaign.meeting_id is None:
        return 0
    now = utcnow()
    already = exists().where(
        and_(
            Invitation.meeting_id == campaign.meeting_id,
            Invitation.contact_id == Delivery.contact_id,
        )
    )
    recipients = select(
        literal(campaign.meeting_id),
        Delivery.contact_id,
        literal(campaign.id),
        literal(Answer.INVITED.value),
        literal(""),
        literal(False),
        literal(now, type_=Invitation.created_at.type),
        literal(now, type_=Invitation.updated_at.type),
    ).where(Delivery.campaign_id == campaign.id, Delivery.contact_id.is_not(None), ~already)
    columns = ["meeting_id", "contact_id", "campaign_id", "answer", "remark"]
    columns += ["show_to_colleagues", "created_at", "updated_at"]
    return rows_changed(session, insert(Invitation).from_select(columns, recipients))


def colleagues_coming(session: Session, invitation: Invitation) -> list[str]:
    """Names of others from the same organisation who said yes and chose to be shown."""
    contact = invitation.contact
    if not contact.organisation:
        return []
    return list(
        session.scalars(
            select(Contact.name)
            .join(Invitation, Invitation.contact_id == Contact.id)
            .where(
                Invitation.meeting_id == invitation.meeting_id,
                Invitation.answer == Answer.YES,
                Invitation.show_to_colleagues.is_(True),
                Invitation.id != invitation.id,
                func.lower(Contact.organisation) == contact.organisation.lower(),
            )
            .order_by(Contact.name)
        )
    )


@dataclass(frozen=True)
class InvitationRow:
    """One line of the organiser's list of a meeting's invitations."""

    invitation_id: int
    contact_id: int
    name: str
    email: str
    organisation: str
    province: str
    answer: Answer
    answered_at: datetime | None
    remark: str
    attended: bool | None


def invitation_rows(session: Session, meeting_id: int) -> list[InvitationRow]:
    """Everyone invited to the meeting with their answer, by answer then name."""
    order = {Answer.YES: 0, Answer.WAITING: 1, Answer.INVITED: 2, Answer.NO: 3}
    rows = session.execute(
        select(Invitation, Contact)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.meeting_id == meeting_id)
    ).all()
    lines = [
        InvitationRow(
            invitation_id=invitation.id,
            contact_id=contact.id,
            name=contact.name,
            email=contact.email,
            organisation=contact.organisation,
            province=contact.province or "",
            answer=invitation.answer,
            answered_at=invitation.answered_at,
            remark=invitation.remark,
            attended=invitation.attended,
        )
        for invitation, contact in rows
    ]
    return sorted(lines, key=lambda line: (order[line.answer], line.name.casefold()))


def mark_attended(session: Session, meeting: Meeting, attended_ids: Iterable[int]) -> None:
    """Record who came: the given invitation ids attended, every other invitation did not."""
    chosen = set(attended_ids)
    for invitation in session.scalars(
        select(Invitation).where(Invitation.meeting_id == meeting.id)
    ):
        invitation.attended = invitation.id in chosen
    session.flush()
