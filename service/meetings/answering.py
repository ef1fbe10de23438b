"""A contact answers their invitation: the answer, the place it frees, and the emails, together.

The public answer page calls `answer_and_notify` and commits once. The answer, the promotion of
whoever waited longest when a place came free, and the emails both ask for (confirmation with the
calendar invitation or cancel, waiting-list notice, promotion notice: rows of the outbox, see
service/meetings/notices.py) are one transaction. A crash before the commit leaves nothing, so
the person can simply answer again; never an answer without its confirmation, nor a promoted
person who is not told. The send loop sees the emails only once they are committed.

An organiser recording answers by hand (service/meetings/by_hand.py) sends no email and calls
invitations.answer_invitation alone. Nothing here imports Flask; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.meetings import notices
from service.meetings.invitations import AnswerResult, answer_invitation
from service.models import Invitation, utcnow


def answer_and_notify(
    session: Session,
    invitation: Invitation,
    *,
    coming: bool,
    remark: str | None = None,
    show_to_colleagues: bool | None = None,
    now: datetime | None = None,
) -> AnswerResult:
    """Record a contact's yes or no and queue the emails it asks for; the caller commits once.

    Raises invitations.AnswerClosed, having changed nothing, when the meeting can no longer be
    answered.
    """
    now = now or utcnow()
    result = answer_invitation(
        session,
        invitation,
        coming=coming,
        remark=remark,
        show_to_colleagues=show_to_colleagues,
        now=now,
    )
    if result.changed:
        notices.after_answer(session, result, now=now)
    return result
