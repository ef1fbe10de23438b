"""What organisers decide on nominations and host proposals, and the lists they decide from.

Nothing here imports Flask. Every decision is recorded in the audit log by the caller's session,
and a decision is taken once: a nomination or proposal that was already decided raises
DecisionError, so a double click or two organisers at once cannot send two introductions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from config.settings import DEFAULT_LANGUAGE
from service.meetings import agenda, meeting_edit
from service.messages import N_, Message
from service.models import (
    HostProposal,
    Meeting,
    MeetingStatus,
    Nomination,
    NominationStatus,
    User,
    record_audit,
)
from service.nominations.introduction import queue_introduction
from service.translation import translator

HOST_NEW = "new"
HOST_PLANNED = "planned"
HOST_DECLINED = "declined"
DECLINE_REASON_LIMIT = 2000


class DecisionError(ValueError):
    """The decision cannot be taken; `message` says why, for the organiser."""

    def __init__(self, message: Message):
        self.message = message
        super().__init__(str(message))


def nomination_queue(session: Session) -> list[Nomination]:
    """All nominations: new ones first, then the decided ones; newest first within each."""
    undecided_first = case((Nomination.status == NominationStatus.NEW, 0), else_=1)
    return list(
        session.scalars(
            select(Nomination).order_by(
                undecided_first, Nomination.created_at.desc(), Nomination.id.desc()
            )
        )
    )


def host_proposals(session: Session) -> list[HostProposal]:
    """All host proposals: new ones first, newest first within each status."""
    undecided_first = case((HostProposal.status == HOST_NEW, 0), else_=1)
    return list(
        session.scalars(
            select(HostProposal).order_by(
                undecided_first, HostProposal.created_at.desc(), HostProposal.id.desc()
            )
        )
    )


def accept_nomination(
    session: Session, nomination: Nomination, user: User | None, *, now: datetime
) -> None:
    """Accept a new nomination and queue the nominee's introduction; the caller commits.

    Creates no contact and no subscription: the nominee decides that by signing up.
    """
    _still_new(nomination)
    nomination.status = NominationStatus.ACCEPTED
    nomination.decided_at = now
    nomination.decided_by_id = user.id if user is not None else None
    delivery = queue_introduction(session, nomination, now=now)
    record_audit(
        session,
        user,
        "nomination.accept",
        nomination,
        delivery=delivery.id,
        reason_shared=nomination.reason_shared,
    )


def decline_nomination(
    session: Session, nomination: Nomination, user: User | None, reason: str, *, now: datetime
) -> None:
    """Decline a new nomination with the organiser's reason; the caller commits."""
    _still_new(nomination)
    reason = reason.strip()
    if not reason:
        raise DecisionError(Message(N_("Give a reason for declining.")))
    if len(reason) > DECLINE_REASON_LIMIT:
        raise DecisionError(
            Message(
                N_("Use at most %(limit)d characters (now %(length)d)."),
                {"limit": DECLINE_REASON_LIMIT, "length": len(reason)},
            )
        )
    nomination.status = NominationStatus.DECLINED
    nomination.decided_at = now
    nomination.decided_by_id = user.id if user is not None else None
    nomination.decline_reason = reason
    record_audit(session, user, "nomination.decline", nomination, reason=reason)


def _still_new(nomination: Nomination) -> None:
    if nomination.status != NominationStatus.NEW:
        raise DecisionError(Message(N_("This nomination has already been decided.")))


def decline_host_proposal(session: Session, proposal: HostProposal, user: User | None) -> None:
    """Decline a new host proposal; the caller commits."""
    _proposal_new(proposal)
    proposal.status = HOST_DECLINED
    record_audit(session, user, "host_proposal.decline", proposal)


@dataclass(frozen=True)
class MeetingMoment:
    """The date and times the organiser chose for the meeting a proposal becomes."""

    day: date | str
    start_time: time | str
    end_time: time | str


def meeting_title(proposal: HostProposal, language: str = DEFAULT_LANGUAGE) -> str:
    """The draft meeting's title, which the organiser may change afterwards."""
    title = translator(language).gettext(
        "Opgavebeweging at %(organisation)s", organisation=proposal.organisation
    )
    return title[: agenda.TEXT_LIMITS["title"]]


def plan_meeting(
    session: Session,
    proposal: HostProposal,
    user: User | None,
    moment: MeetingMoment,
    *,
    timezone: str,
) -> Meeting:
    """Turn a new proposal into a draft meeting at the given moment and link the two.

    Raises agenda.MeetingValidationError (per field: date, start_time, end_time, ...) when the
    moment or the proposal's values do not make a valid meeting; the caller commits.
    """
    _proposal_new(proposal)
    data = agenda.validate_meeting_fields(
        {
            "title": meeting_title(proposal),
            "host_organisation": proposal.organisation,
            "city": proposal.city,
            "theme": proposal.theme,
            "date": moment.day,
            "start_time": moment.start_time,
            "end_time": moment.end_time,
            "status": MeetingStatus.DRAFT.value,
        },
        timezone,
    )
    meeting = meeting_edit.add_meeting(session, data, actor=user)
    proposal.status = HOST_PLANNED
    proposal.meeting_id = meeting.id
    record_audit(session, user, "host_proposal.plan", proposal, meeting=meeting.id)
    return meeting


def _proposal_new(proposal: HostProposal) -> None:
    if proposal.status != HOST_NEW:
        raise DecisionError(Message(N_("This proposal has already been decided.")))
