"""Dates and times as people in the network read them ("dinsdag 3 juni 2025, 10:00")."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

DATE_FORMAT = "EEEE d MMMM y"
DATETIME_FORMAT = "EEEE d MMMM y, HH:mm"
TIME_FORMAT = "HH:mm"


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
