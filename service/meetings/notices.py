"""Emails that tell invited people what their answer, or a change of the meeting, means for them.

Each email is one row of the outbox (`deliveries` with campaign_id NULL, a `kind`, the meeting and
a JSON `payload`), so the send loop gives it the same lease, retries, deadline and hourly limit
as campaign mail. It is queued in the transaction of the answer or change it is about
(service/meetings/answering.py, meeting_edit.py), so it exists exactly when that is committed.
The send loop builds the message from the kind when it sends it (service/rendering/notice_mail.py):

- answer_yes: "Je bent aangemeld" with the iCalendar REQUEST (payload {"sequence": n});
- answer_waiting: "Je staat op de wachtlijst (nummer N)" (payload {"position": N}), no calendar;
- answer_no: after a yes, the calendar CANCEL for this one attendee (payload {"sequence": n,
  "cancel": true}); a no without an earlier yes gets a short "jammer dat je niet kunt" that
  confirms the answer and links to the page where it can be changed (payload {});
- promoted: a place came free, with the REQUEST;
- meeting_update: the time or place changed, a REQUEST with a higher SEQUENCE to those who said yes;
- meeting_cancel: the meeting is cancelled, a CANCEL to those who said yes, a short notice
  (payload {}) to those waiting.

Who gets them: these are transactional answers to the contact's own action, so they go whatever
the contact's newsletter consent, but never to a suppressed address (the send loop skips those,
as it does for campaigns, and records why).

SEQUENCE is kept per attendee in `Invitation.calendar_sequence_sent`, set when the message is
queued, not when it is sent: the answer logic asks it right away whether a calendar event is on its
way (a yes quickly followed by a no must still cancel it), and a later message must never carry a
lower SEQUENCE than one already queued. The first REQUEST carries the meeting's
`calendar_sequence`; every later calendar message to the same person carries a higher one, so a
calendar never takes an update for stale. A new message about a meeting replaces the same person's
messages about it that are still waiting in the outbox, so nobody gets an outdated one first.

Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from service.meetings.invitations import AnswerResult
from service.models import (
    Answer,
    Delivery,
    DeliveryStatus,
    Invitation,
    Meeting,
    MeetingStatus,
    utcnow,
)

ANSWER_YES = "answer_yes"
ANSWER_WAITING = "answer_waiting"
ANSWER_NO = "answer_no"
PROMOTED = "promoted"
MEETING_UPDATE = "meeting_update"
MEETING_CANCEL = "meeting_cancel"
KINDS = frozenset({ANSWER_YES, ANSWER_WAITING, ANSWER_NO, PROMOTED, MEETING_UPDATE, MEETING_CANCEL})
# Changes of these fields move the event in people's calendars.
CALENDAR_FIELDS = ("starts_at", "ends_at", "venue", "address", "city")
# Confirmations that an update may replace while they wait: the update then still confirms.
_CONFIRMATIONS = (ANSWER_YES, PROMOTED)


def after_answer(session: Session, result: AnswerResult, *, now: datetime) -> None:
    """Queue the emails a changed answer asks for, and those of the people it promoted."""
    if not result.changed:
        return
    invitation = result.invitation
    if result.answer == Answer.YES:
        _queue(session, invitation, ANSWER_YES, {"sequence": _next_sequence(invitation)}, now)
    elif result.answer == Answer.WAITING:
        position = waiting_position(session, invitation)
        _queue(session, invitation, ANSWER_WAITING, {"position": position}, now)
    elif result.answer == Answer.NO:
        payload: dict[str, Any] = {}
        if result.cancel_calendar:
            payload = {"sequence": _next_sequence(invitation), "cancel": True}
        _queue(session, invitation, ANSWER_NO, payload, now)
    if result.promoted:
        notify_promoted(session, result.promoted, now=now)


def notify_promoted(
    session: Session, invitations: Sequence[Invitation], *, now: datetime | None = None
) -> None:
    """Tell each promoted person they have a place, with the calendar invitation."""
    now = now or utcnow()
    for invitation in invitations:
        _queue(session, invitation, PROMOTED, {"sequence": _next_sequence(invitation)}, now)


def meeting_changed(
    session: Session, meeting: Meeting, changes: Mapping[str, Any], *, now: datetime
) -> int:
    """Queue the calendar update or cancel a meeting's changes ask for; returns how many.

    `changes` is what agenda.update_meeting returned ({field: [old, new]}). A meeting that was a
    draft was never announced, so it sends nothing; a published one that moved (or whose
    cancellation was taken back) raises its calendar SEQUENCE and updates everyone who said yes;
    one that got cancelled raises it too, cancels the event of those who said yes and tells those
    waiting.
    """
    status = changes.get("status")
    before = status[0] if status else str(meeting.status)
    if before == MeetingStatus.DRAFT:
        return 0
    if status and meeting.status == MeetingStatus.CANCELLED:
        meeting.calendar_sequence += 1
        count = 0
        for invitation in _invited(session, meeting, Answer.YES):
            payload = {"sequence": _next_sequence(invitation), "cancel": True}
            _queue(session, invitation, MEETING_CANCEL, payload, now)
            count += 1
        for invitation in _invited(session, meeting, Answer.WAITING):
            _queue(session, invitation, MEETING_CANCEL, {}, now)
            count += 1
        return count
    if meeting.status != MeetingStatus.PUBLISHED:
        return 0
    # A cancellation taken back puts the event back in the calendars it was taken out of.
    restored = bool(status) and before == MeetingStatus.CANCELLED
    if not restored and not any(name in changes for name in CALENDAR_FIELDS):
        return 0
    meeting.calendar_sequence += 1
    count = 0
    for invitation in _invited(session, meeting, Answer.YES):
        replaced = _supersede(session, invitation, now)
        # Who was still waiting for their confirmation gets it now, with the new time or place.
        kind = next((k for k in _CONFIRMATIONS if k in replaced), MEETING_UPDATE)
        _queue(session, invitation, kind, {"sequence": _next_sequence(invitation)}, now)
        count += 1
    return count


def waiting_position(session: Session, invitation: Invitation) -> int:
    """This person's place on the waiting list (1 is next), first come first served."""
    earlier = session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(
            Invitation.meeting_id == invitation.meeting_id,
            Invitation.answer == Answer.WAITING,
            or_(
                Invitation.answered_at < invitation.answered_at,
                (Invitation.answered_at == invitation.answered_at)
                & (Invitation.id < invitation.id),
            ),
        )
    )
    return (earlier or 0) + 1


def _invited(session: Session, meeting: Meeting, answer: Answer) -> list[Invitation]:
    return list(
        session.scalars(
            select(Invitation)
            .where(Invitation.meeting_id == meeting.id, Invitation.answer == answer)
            .order_by(Invitation.id)
        )
    )


def _next_sequence(invitation: Invitation) -> int:
    # The first calendar message carries the meeting's SEQUENCE; any later one to the same person
    # a higher one than they hold (a CANCEL after their no raises it for them alone).
    current = invitation.meeting.calendar_sequence
    sent = invitation.calendar_sequence_sent
    sequence = current if sent is None else max(current, sent + 1)
    invitation.calendar_sequence_sent = sequence
    return sequence


def _queue(
    session: Session,
    invitation: Invitation,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    _supersede(session, invitation, now)
    session.add(
        Delivery(
            campaign_id=None,
            kind=kind,
            meeting_id=invitation.meeting_id,
            contact_id=invitation.contact_id,
            email=invitation.contact.email,
            payload=payload,
            status=DeliveryStatus.QUEUED,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    session.flush()


def _supersede(session: Session, invitation: Invitation, now: datetime) -> set[str]:
    """Cancel this person's single messages about the meeting still waiting; returns their kinds.

    Only unclaimed rows: a message a worker holds is on its way and is recorded as it goes.
    """
    waiting = (
        Delivery.campaign_id.is_(None),
        Delivery.meeting_id == invitation.meeting_id,
        Delivery.contact_id == invitation.contact_id,
        Delivery.status == DeliveryStatus.QUEUED,
        or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
    )
    kinds = set(session.scalars(select(Delivery.kind).where(*waiting)))
    if kinds:
        session.execute(
            update(Delivery)
            .where(*waiting)
            .values(status=DeliveryStatus.CANCELLED, last_error="replaced by a newer message")
            .execution_options(synchronize_session=False)
        )
    return kinds
