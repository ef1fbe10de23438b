"""Organisers change a meeting's reminders: add one, remove one that has not gone out.

The offsets are checked here (0-60 days before, HH:MM, to "yes" or "unanswered"), and a second
reminder with the same offset and audience is refused with a message rather than left to the
database's unique constraint. Nothing here imports Flask; the caller commits.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.ids import whole_number
from service.messages import N_, Message
from service.models import Meeting, MeetingStatus, Reminder, User, record_audit

MAX_DAYS_BEFORE = 60
AUDIENCES = ("yes", "unanswered")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ReminderError(ValueError):
    """The reminder cannot be added or removed; `errors` maps each field to what is wrong."""

    def __init__(self, errors: dict[str, Message]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {err}" for name, err in errors.items()))


def check_reminder(days_before: Any, send_time: Any, audience: Any) -> tuple[int, str, str]:
    """The checked values (days, "HH:MM", audience); raises ReminderError per wrong field."""
    errors: dict[str, Message] = {}
    # Text in ASCII digits from the form, an int from the API: never 1.5, "²" or True.
    days = whole_number(days_before)
    if days is None or not 0 <= days <= MAX_DAYS_BEFORE:
        errors["days_before"] = Message(
            N_("Enter a whole number of days from 0 to %(max)d."), {"max": MAX_DAYS_BEFORE}
        )
    clock = "" if send_time is None else str(send_time).strip()
    if len(clock) == 4 and clock[1] == ":":
        clock = "0" + clock  # "9:00" is what people type
    if not _CLOCK.match(clock):
        errors["send_time"] = Message(N_("Enter the time as hours:minutes, e.g. 09:00."), {})
    if audience not in AUDIENCES:
        errors["audience"] = Message(
            N_("Choose who gets the reminder: those who said yes, or those who did not answer.")
        )
    if errors or days is None:
        # days is None only where `errors` says why.
        raise ReminderError(errors)
    return days, clock, audience


def add_reminder(
    session: Session,
    meeting: Meeting,
    days_before: Any,
    send_time: Any,
    audience: Any,
    *,
    actor: User | None = None,
    **audit_detail: Any,
) -> Reminder:
    """Add a checked reminder; a second one with the same offset and audience is refused.

    The audit entry names `actor` (None for the system) and any `audit_detail` (via="api").
    """
    days, clock, who = check_reminder(days_before, send_time, audience)
    if any(r.days_before == days and r.audience == who for r in meeting.reminders):
        raise _duplicate(days)
    reminder = Reminder(days_before=days, send_time=clock, audience=who)
    try:
        # A savepoint: when another organiser added the same reminder since the check above,
        # the unique constraint refuses this one and only this insert is undone.
        with session.begin_nested():
            meeting.reminders.append(reminder)
            session.flush()
    except IntegrityError:
        session.expire(meeting, ["reminders"])
        raise _duplicate(days) from None
    _audit(session, actor, "meeting.reminder_add", meeting, reminder, audit_detail)
    return reminder


def _duplicate(days: int) -> ReminderError:
    return ReminderError(
        {
            "days_before": Message(
                N_(
                    "This meeting already has a reminder %(days)d days before to the same "
                    "people. Change the number of days or the audience."
                ),
                {"days": days},
            )
        }
    )


def remove_reminder(
    session: Session,
    meeting: Meeting,
    reminder_id: int,
    *,
    actor: User | None = None,
    **audit_detail: Any,
) -> Reminder:
    """Remove a reminder of this meeting that has not been sent; returns the removed one."""
    reminder = next((r for r in meeting.reminders if r.id == reminder_id), None)
    if reminder is None:
        raise ReminderError({"reminder": Message(N_("This reminder does not exist (any more)."))})
    if reminder.sent_at is not None:
        raise ReminderError(
            {"reminder": Message(N_("This reminder has been sent; it can no longer be removed."))}
        )
    meeting.reminders.remove(reminder)
    session.flush()
    _audit(session, actor, "meeting.reminder_remove", meeting, reminder, audit_detail)
    return reminder


def _audit(
    session: Session,
    actor: User | None,
    action: str,
    meeting: Meeting,
    reminder: Reminder,
    detail: dict[str, Any],
) -> None:
    record_audit(
        session,
        actor,
        action,
        meeting,
        days_before=reminder.days_before,
        send_time=reminder.send_time,
        audience=reminder.audience,
        **detail,
    )


def reminders_stopped(meeting: Meeting) -> bool:
    """Whether no reminder of the meeting will go out because it is cancelled."""
    return meeting.status == MeetingStatus.CANCELLED
