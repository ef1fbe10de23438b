"""Dates and times as people in the network read them ("dinsdag 3 juni 2025, 10:00")."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from service.messages import N_, Message

DATE_FORMAT = "EEEE d MMMM y"
DATETIME_FORMAT = "EEEE d MMMM y, HH:mm"
TIME_FORMAT = "HH:mm"

# The days on which the service takes a moment in (meetings, deadlines, schedules, dates in
# emails): any real one fits, and every such moment can be shown in any time zone and moved by
# weeks without leaving the years Python's datetime holds (1 to 9999).
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2200, 12, 31)


def format_local(
    moment: datetime, timezone: str, locale: str, pattern: str = DATETIME_FORMAT
) -> str:
    """Format an aware UTC moment in the network's time zone and the reader's language."""
    return format_datetime(moment, pattern, tzinfo=ZoneInfo(timezone), locale=locale)


def format_local_date(moment: datetime, timezone: str, locale: str) -> str:
    """The date only, e.g. "dinsdag 3 juni 2025"."""
    return format_local(moment, timezone, locale, DATE_FORMAT)


def format_local_time(moment: datetime, timezone: str, locale: str) -> str:
    """The time only, e.g. "10:00"."""
    return format_local(moment, timezone, locale, TIME_FORMAT)


def local_to_utc(day: date, clock: time, timezone: str) -> datetime:
    """The UTC moment of a wall-clock time on a day in the given time zone."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def utc_to_local(moment: datetime, timezone: str) -> datetime:
    """The same moment on the wall clock of the given time zone."""
    return moment.astimezone(ZoneInfo(timezone))


class UnsupportedMoment(ValueError):
    """A moment outside EARLIEST_DAY to LATEST_DAY on the network's wall clock."""


def unsupported_message() -> Message:
    """What to tell someone who gave a moment outside EARLIEST_DAY to LATEST_DAY."""
    return Message(
        N_("Choose a date from %(earliest)s to %(latest)s."),
        {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()},
    )


def day_supported(day: date) -> bool:
    """Whether the service takes in moments on this day (see EARLIEST_DAY, LATEST_DAY)."""
    return EARLIEST_DAY <= day <= LATEST_DAY


def moment_supported(moment: datetime, timezone: str) -> bool:
    """Whether an aware moment falls on a supported day on the wall clock of `timezone`."""
    try:
        return day_supported(utc_to_local(moment, timezone).date())
    except OverflowError:  # year 1 or 9999 moved out of what datetime holds
        return False


def rfc3339(moment: datetime) -> str:
    """The moment as RFC 3339 text, for the API; a naive one is UTC, as the database keeps them.

    RFC 3339 offsets have whole minutes, but Amsterdam's clock ran 19 minutes 32 seconds ahead of
    UTC until 1937 (+00:19:32): a moment with such an offset is written in UTC instead.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    offset = moment.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        moment = moment.astimezone(UTC)
    return moment.isoformat()
