"""Creating and changing a meeting: the one path for the organiser pages, the API and the CLI.

The caller parses its input into a checked `agenda.MeetingInput` (the one rule for that is
`agenda.validate_meeting_fields`), calls a function here and commits once: the change, its audit
entries, the calendar updates or cancels for those who said yes, and the places given to the
waiting list go together or not at all. Reminders need nothing: they are stored as offsets from
the meeting's start, so they move with it. Nothing here imports Flask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.meetings import agenda, notices
from service.meetings.invitations import promote_waiting
from service.models import Invitation, Meeting, User, record_audit, utcnow


@dataclass(frozen=True)
class MeetingChange:
    """What a change did: the changed fields ({name: [old, new]}) and who got a place."""

    meeting: Meeting
    changes: dict[str, Any]
    # Calendar updates and cancels queued for those who said yes (and notices to those waiting).
    notices: int = 0
    promoted: list[Invitation] = field(default_factory=list)


def add_meeting(
    session: Session, data: agenda.MeetingInput, *, actor: User | None, **audit_detail: Any
) -> Meeting:
    """Store a new meeting with its default reminders and record who made it; the caller commits.

    `audit_detail` goes into the audit entry (the API adds via="api").
    """
    meeting = agenda.create_meeting(session, data)
    record_audit(session, actor, "meeting.create", meeting, title=meeting.title, **audit_detail)
    return meeting


def change_meeting(
    session: Session,
    meeting: Meeting,
    data: agenda.MeetingInput,
    *,
    actor: User | None,
    now: datetime | None = None,
    **audit_detail: Any,
) -> MeetingChange:
    """Apply checked input to a meeting with everything that follows from it; the caller commits.

    Records the change, queues the calendar update or cancel a move or cancellation asks for
    (service.meetings.notices.meeting_changed), and when the change made room (more places, or
    no limit any more) gives the free places to those waiting longest and tells them.
    """
    now = now or utcnow()
    changes = agenda.update_meeting(session, meeting, data)
    if not changes:
        return MeetingChange(meeting, changes)
    record_audit(session, actor, "meeting.update", meeting, changes=changes, **audit_detail)
    # A moved or cancelled meeting updates the calendars of those who said yes.
    queued = notices.meeting_changed(session, meeting, changes, now=now)
    promoted = _fill_free_places(session, meeting, changes, now)
    if promoted:
        record_audit(
            session,
            actor,
            "meeting.promote_waiting",
            meeting,
            contacts=[invitation.contact_id for invitation in promoted],
            **audit_detail,
        )
    return MeetingChange(meeting, changes, queued, promoted)


def _fill_free_places(
    session: Session, meeting: Meeting, changes: dict[str, Any], now: datetime
) -> list[Invitation]:
    if not agenda.capacity_raised(changes):
        return []
    promoted = promote_waiting(session, meeting, now=now)
    notices.notify_promoted(session, promoted, now=now)
    return promoted
