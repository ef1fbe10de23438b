"""What the public answer page needs: the invitation behind an answer link, and the meeting's facts.

The page itself is a Flask view (service/meetings/public_views.py); this module only reads the
signed token, finds the invitation and says why a link cannot be used. Nothing here imports Flask.
"""

from __future__ import annotations

import enum

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from service import dates
from service.meetings.answer_links import NO, YES, AnswerSigner
from service.meetings.calendar import place_line
from service.models import Answer, Contact, Invitation, Meeting


class LinkProblem(enum.StrEnum):
    """Why an answer link opens no invitation."""

    ALTERED = "altered"  # not a token we signed: changed or cut off
    GONE = "gone"  # the contact or the meeting has been deleted since
    NOT_INVITED = "not_invited"  # both exist, but this contact has no invitation to it


def open_answer_link(session: Session, token: str, secret_key: str) -> Invitation | LinkProblem:
    """The invitation of the contact and meeting the token was signed for, or why there is none."""
    signed = AnswerSigner(secret_key).read(token)
    if signed is None:
        return LinkProblem.ALTERED
    contact = session.get(Contact, signed.contact_id)
    meeting = session.get(Meeting, signed.meeting_id)
    if contact is None or meeting is None:
        return LinkProblem.GONE
    # A signed link alone is not an invitation: only the rows an invitation campaign (or an
    # organiser) recorded can be answered, so a meeting nobody was invited to stays closed.
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.contact_id == contact.id, Invitation.meeting_id == meeting.id
        )
    )
    if invitation is None:
        return LinkProblem.NOT_INVITED
    return invitation


def preselected_choice(invitation: Invitation, asked: str | None) -> str | None:
    """The choice to mark on the page: the button clicked in the email, else the current answer."""
    if asked in (YES, NO):
        return asked
    if invitation.answer in (Answer.YES, Answer.WAITING):
        return YES
    if invitation.answer == Answer.NO:
        return NO
    return None


def meeting_when(meeting: Meeting, timezone: str, language: str) -> str:
    """ "dinsdag 3 juni 2025, 10:00–13:00" in the reader's language (end date when it differs)."""
    when = dates.format_local(meeting.starts_at, timezone, language)
    same_day = dates.utc_to_local(meeting.starts_at, timezone).date() == (
        dates.utc_to_local(meeting.ends_at, timezone).date()
    )
    end = (
        dates.format_local_time(meeting.ends_at, timezone, language)
        if same_day
        else dates.format_local(meeting.ends_at, timezone, language)
    )
    return f"{when}–{end}"


def meeting_place(meeting: Meeting) -> str:
    """Venue, address and city, as far as they are known (the city once)."""
    return place_line(meeting.venue, meeting.address, meeting.city)


def waiting_position(session: Session, invitation: Invitation) -> int:
    """This person's place on the waiting list (1: next to get a place), in promotion order."""
    assert invitation.answered_at is not None  # a waiting answer always has its moment
    # The same order as invitations.promote_waiting: who waited longest, then the lower id.
    ahead = or_(
        Invitation.answered_at < invitation.answered_at,
        and_(Invitation.answered_at == invitation.answered_at, Invitation.id < invitation.id),
    )
    waiting_ahead = session.execute(
        select(func.count()).where(
            Invitation.meeting_id == invitation.meeting_id,
            Invitation.answer == Answer.WAITING,
            ahead,
        )
    ).scalar_one()
    return 1 + waiting_ahead
