"""Emails that tell invited people something changed for them. A hook for now.

`notify_promoted` is called whenever people move from the waiting list to a place because an
organiser made room (more places, or no limit). The email itself (with the calendar invitation) is
written elsewhere; until then this records nothing and sends nothing, so callers need not change
when it arrives. Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from service.meetings.invitations import AnswerResult
from service.models import Invitation


def notify_promoted(session: Session, invitations: Sequence[Invitation]) -> None:
    """Tell each promoted person they have a place (hook: sends nothing yet)."""
    del session, invitations  # the promotion email is not written yet


def after_answer(session: Session, result: AnswerResult, *, now: datetime) -> None:
    """Queue the emails a changed answer asks for (hook: sends nothing yet)."""
    del session, result, now  # the confirmation emails are written elsewhere
