"""When a meeting's reminders are due: "N days before the meeting's day, at HH:MM network time".

The rule of the time alone, so the pages that show reminders (the meeting, the dashboard) need not
reach into the reminder campaigns (service.campaigns.reminders) that send them.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from service.dates import local_to_utc, utc_to_local
from service.models import Meeting, Reminder


def due_at(reminder: Reminder, meeting: Meeting, timezone: str) -> datetime:
    """When the reminder is due, as an aware UTC moment."""
    day = utc_to_local(meeting.starts_at, timezone).date() - timedelta(days=reminder.days_before)
    hours, minutes = (int(part) for part in reminder.send_time.split(":"))
    return local_to_utc(day, time(hours, minutes), timezone)


def reminder_schedule(meeting: Meeting, timezone: str) -> list[tuple[Reminder, datetime]]:
    """The meeting's reminders with when each is (or was) due, earliest first."""
    rows = [(r, due_at(r, meeting, timezone)) for r in meeting.reminders]
    return sorted(rows, key=lambda row: row[1])
