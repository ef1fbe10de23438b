"""Meetings of the network: checking input, storing, and the lists organisers and newsletters need.

Shared by the organiser pages, the JSON API and later the newsletter's table of upcoming meetings.
Nothing here imports Flask; every function takes a `Session` and, where the clock matters, `now`.

Times are stored as aware UTC. Input comes in one of two shapes (see `validate_meeting_fields`):
- the web form: `date` + `start_time` + `end_time`, wall-clock time in the network's time zone;
- the API: `starts_at` + `ends_at` as ISO 8601 datetimes. With an offset ("2025-06-03T10:00+02:00",
  "...Z") the moment is exact; without one ("2025-06-03T10:00") it is read as wall-clock time in the
  network's time zone, because that is what a person typing a meeting time means.
The optional registration deadline follows the same two shapes: `deadline_date` + `deadline_time`
from the web form, `registration_deadline` (ISO 8601 or null) from the API. It must lie before the
start.

Error messages are English msgids marked with `N_` so `pybabel extract` finds them; callers
translate them with `MeetingValidationError.messages(gettext)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.dates import (
    EARLIEST_DAY,
    LATEST_DAY,
    UnsupportedMoment,
    day_supported,
    local_to_utc,
    moment_supported,
    unsupported_message,
    utc_to_local,
)
from service.ids import whole_number
from service.messages import N_, Message
from service.models import Meeting, MeetingStatus

# field -> longest value the database column holds
TEXT_LIMITS: dict[str, int] = {
    "title": 200,
    "theme": 300,
    "host_organisation": 200,
    "city": 100,
    "venue": 200,
    "address": 300,
    "description": 20_000,
}
REQUIRED_TEXT = ("title", "host_organisation", "city")
# More places than any venue of the network has; the column holds far more.
MAX_CAPACITY = 100_000
STATUSES = tuple(status.value for status in MeetingStatus)

_REQUIRED_MESSAGES = {
    "title": N_("Enter the title of the meeting."),
    "host_organisation": N_("Enter the host organisation."),
    "city": N_("Enter the city."),
    "date": N_("Enter the date of the meeting."),
    "start_time": N_("Enter the start time."),
    "end_time": N_("Enter the end time."),
    "starts_at": N_("Enter when the meeting starts."),
    "ends_at": N_("Enter when the meeting ends."),
}


class MeetingValidationError(ValueError):
    """The input does not describe a valid meeting; `errors` maps each field to what is wrong."""

    def __init__(self, errors: Mapping[str, Message]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {err}" for name, err in self.errors.items()))

    def messages(self, translate: Callable[..., str] | None = None) -> dict[str, str]:
        """Field name -> message, translated with `translate` (e.g. flask_babel.gettext)."""
        return {name: err.render(translate) for name, err in self.errors.items()}


@dataclass(frozen=True)
class MeetingInput:
    """A checked meeting, ready to store: text stripped, times aware UTC, start before end."""

    title: str
    host_organisation: str
    city: str
    starts_at: datetime
    ends_at: datetime
    theme: str = ""
    venue: str = ""
    address: str = ""
    description: str = ""
    capacity: int | None = None
    status: MeetingStatus = MeetingStatus.DRAFT
    registration_deadline: datetime | None = None


def parse_moment(value: object, timezone: str) -> datetime:
    """An ISO 8601 datetime as aware UTC; without an offset it is wall-clock time in `timezone`.

    Raises ValueError when the value is neither ISO 8601 text nor a datetime, or names a
    wall-clock time that does not exist because the clocks go forward that night, and its
    subclass UnsupportedMoment when the moment falls outside the days the service takes
    (service.dates.EARLIEST_DAY to LATEST_DAY).
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.strip())
    else:
        raise ValueError(f"expected an ISO 8601 datetime, not {type(value).__name__}")
    if moment.tzinfo is None:
        return _wall_clock_to_utc(moment.date(), moment.time(), timezone)
    if not moment_supported(moment, timezone):
        raise UnsupportedMoment(f"{value} is outside {EARLIEST_DAY} to {LATEST_DAY}")
    return moment.astimezone(UTC)


def _wall_clock_to_utc(day: date, clock: time, timezone: str) -> datetime:
    if not day_supported(day):
        # Checked before converting: year 1 or 9999 cannot even be moved to UTC.
        raise UnsupportedMoment(f"{day} is outside {EARLIEST_DAY} to {LATEST_DAY}")
    moment = local_to_utc(day, clock, timezone)
    back = utc_to_local(moment, timezone)
    # zoneinfo quietly shifts a time in the spring-forward gap; a meeting must not move silently.
    if (back.date(), back.time()) != (day, clock.replace(tzinfo=None)):
        raise ValueError(f"{day} {clock} does not exist in {timezone} (clocks go forward)")
    return moment


def _parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def _parse_time(value: Any) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    return time.fromisoformat(str(value).strip()).replace(second=0, microsecond=0)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_meeting_fields(raw: Mapping[str, Any], timezone: str) -> MeetingInput:
    """Check raw input (form data or API JSON) and return a MeetingInput.

    Times come either as `date`, `start_time`, `end_time` (wall clock in `timezone`) or as
    `starts_at`, `ends_at` (ISO 8601 strings or datetimes; see parse_moment). Raises
    MeetingValidationError with a message per field, keyed by the field names used in `raw`.
    """
    errors: dict[str, Message] = {}
    values: dict[str, Any] = {}

    for name, limit in TEXT_LIMITS.items():
        value = raw.get(name)
        text = "" if value is None else str(value).strip()
        if not text and name in REQUIRED_TEXT:
            errors[name] = Message(_REQUIRED_MESSAGES[name], {})
        elif len(text) > limit:
            errors[name] = Message(
                N_("Use at most %(limit)d characters (now %(length)d)."),
                {"limit": limit, "length": len(text)},
            )
        values[name] = text

    values["capacity"] = _check_capacity(raw.get("capacity"), errors)
    values["status"] = _check_status(raw.get("status"), errors)

    if any(key in raw for key in ("starts_at", "ends_at")):
        starts_at, ends_at, end_field = _moments_from_iso(raw, timezone, errors)
    else:
        starts_at, ends_at, end_field = _moments_from_wall_clock(raw, timezone, errors)
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors[end_field] = Message(N_("The meeting must end after it starts."), {})

    deadline, deadline_field = _deadline(raw, timezone, errors)
    if deadline is not None and starts_at is not None and deadline >= starts_at:
        errors[deadline_field] = Message(
            N_("Registration must close before the meeting starts."), {}
        )
    values["registration_deadline"] = deadline

    if errors or starts_at is None or ends_at is None:
        # A moment is None only where `errors` says why.
        raise MeetingValidationError(errors)
    return MeetingInput(starts_at=starts_at, ends_at=ends_at, **values)


def _deadline(
    raw: Mapping[str, Any], timezone: str, errors: dict[str, Message]
) -> tuple[datetime | None, str]:
    """The registration deadline (None: open until the start) and the field it came from."""
    if "registration_deadline" in raw:
        value = raw.get("registration_deadline")
        if value is None:
            return None, "registration_deadline"
        try:
            if _blank(value):
                # Only null means "open until the start"; "" is more likely a slip.
                raise ValueError("no deadline given")
            return parse_moment(value, timezone), "registration_deadline"
        except UnsupportedMoment:
            errors["registration_deadline"] = unsupported_message()
            return None, "registration_deadline"
        except ValueError:
            errors["registration_deadline"] = Message(
                N_(
                    "Give a date and time in ISO 8601 form, e.g. 2025-06-03T10:00:00+02:00; "
                    "without an offset it is read as time in %(timezone)s."
                ),
                {"timezone": timezone},
            )
            return None, "registration_deadline"
    day_value, clock_value = raw.get("deadline_date"), raw.get("deadline_time")
    if _blank(day_value) and _blank(clock_value):
        return None, "deadline_date"
    if _blank(day_value):
        errors["deadline_date"] = Message(N_("Enter the date on which registration closes."), {})
        return None, "deadline_date"
    try:
        day = _parse_date(day_value)
    except (TypeError, ValueError):
        errors["deadline_date"] = Message(
            N_("Enter the date as year-month-day, e.g. 2025-06-03."), {}
        )
        return None, "deadline_date"
    try:
        # Without a time, registration closes at the end of that day.
        clock = time(23, 59) if _blank(clock_value) else _parse_time(clock_value)
    except (TypeError, ValueError):
        errors["deadline_time"] = Message(N_("Enter the time as hours:minutes, e.g. 10:00."), {})
        return None, "deadline_date"
    try:
        return _wall_clock_to_utc(day, clock, timezone), "deadline_date"
    except UnsupportedMoment:
        errors["deadline_date"] = unsupported_message()
        return None, "deadline_date"
    except ValueError:
        errors["deadline_time"] = Message(
            N_("This time does not exist on that day: the clocks go forward. Choose another."),
            {},
        )
        return None, "deadline_date"


def _check_capacity(value: Any, errors: dict[str, Message]) -> int | None:
    if _blank(value):
        return None
    # An int from the form and the API; text in ASCII digits from other callers.
    number = whole_number(value)
    if number is None:
        errors["capacity"] = Message(
            N_("Enter the number of places as a whole number, or leave it empty."), {}
        )
        return None
    if number <= 0:
        errors["capacity"] = Message(
            N_("The number of places must be at least 1; leave it empty for no limit."), {}
        )
        return None
    if number > MAX_CAPACITY:
        errors["capacity"] = Message(
            N_("The number of places can be at most %(max)d."), {"max": MAX_CAPACITY}
        )
        return None
    return number


def _check_status(value: Any, errors: dict[str, Message]) -> MeetingStatus:
    if _blank(value):
        return MeetingStatus.DRAFT
    try:
        return MeetingStatus(str(value).strip().lower())
    except ValueError:
        errors["status"] = Message(
            N_("Choose one of these statuses: %(statuses)s."), {"statuses": ", ".join(STATUSES)}
        )
        return MeetingStatus.DRAFT


def _moments_from_iso(
    raw: Mapping[str, Any], timezone: str, errors: dict[str, Message]
) -> tuple[datetime | None, datetime | None, str]:
    moments: list[datetime | None] = []
    for name in ("starts_at", "ends_at"):
        value = raw.get(name)
        if _blank(value):
            errors[name] = Message(_REQUIRED_MESSAGES[name], {})
            moments.append(None)
            continue
        try:
            moments.append(parse_moment(value, timezone))
        except UnsupportedMoment:
            errors[name] = unsupported_message()
            moments.append(None)
        except ValueError:
            errors[name] = Message(
                N_(
                    "Give a date and time in ISO 8601 form, e.g. 2025-06-03T10:00:00+02:00; "
                    "without an offset it is read as time in %(timezone)s."
                ),
                {"timezone": timezone},
            )
            moments.append(None)
    return moments[0], moments[1], "ends_at"


def _moments_from_wall_clock(
    raw: Mapping[str, Any], timezone: str, errors: dict[str, Message]
) -> tuple[datetime | None, datetime | None, str]:
    day = _required_field(
        raw, "date", _parse_date, N_("Enter the date as year-month-day, e.g. 2025-06-03."), errors
    )
    if day is not None and not day_supported(day):
        errors["date"] = unsupported_message()
        day = None
    clock_start = _required_field(
        raw, "start_time", _parse_time, N_("Enter the time as hours:minutes, e.g. 10:00."), errors
    )
    clock_end = _required_field(
        raw, "end_time", _parse_time, N_("Enter the time as hours:minutes, e.g. 13:00."), errors
    )
    if day is None:
        return None, None, "end_time"
    moments: list[datetime | None] = []
    for name, clock in (("start_time", clock_start), ("end_time", clock_end)):
        if clock is None:
            moments.append(None)
            continue
        try:
            moments.append(_wall_clock_to_utc(day, clock, timezone))
        except ValueError:
            errors[name] = Message(
                N_("This time does not exist on that day: the clocks go forward. Choose another."),
                {},
            )
            moments.append(None)
    return moments[0], moments[1], "end_time"


_Parsed = TypeVar("_Parsed")


def _required_field(
    raw: Mapping[str, Any],
    name: str,
    parse: Callable[[Any], _Parsed],
    bad: str,
    errors: dict[str, Message],
) -> _Parsed | None:
    """The field parsed; None when it is blank or unreadable, with the message in `errors`."""
    value = raw.get(name)
    if _blank(value):
        errors[name] = Message(_REQUIRED_MESSAGES[name], {})
        return None
    try:
        return parse(value)
    except (TypeError, ValueError):
        errors[name] = Message(bad, {})
        return None


def meeting_fields(meeting: Meeting) -> dict[str, Any]:
    """The stored meeting as raw input (`starts_at`/`ends_at` as aware UTC datetimes).

    For partial updates: merge the changed fields over this and validate the result again.
    """
    return {
        "title": meeting.title,
        "theme": meeting.theme,
        "host_organisation": meeting.host_organisation,
        "city": meeting.city,
        "venue": meeting.venue,
        "address": meeting.address,
        "description": meeting.description,
        "capacity": meeting.capacity,
        "status": meeting.status.value,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "registration_deadline": meeting.registration_deadline,
    }


def local_form_fields(meeting: Meeting, timezone: str) -> dict[str, Any]:
    """The stored meeting as the web form shows it: local date, start time and end time."""
    starts = utc_to_local(meeting.starts_at, timezone)
    ends = utc_to_local(meeting.ends_at, timezone)
    fields = meeting_fields(meeting)
    deadline = fields.pop("registration_deadline")
    del fields["starts_at"], fields["ends_at"]
    if deadline is not None:
        local_deadline = utc_to_local(deadline, timezone)
        fields |= {"deadline_date": local_deadline.date(), "deadline_time": local_deadline.time()}
    return fields | {"date": starts.date(), "start_time": starts.time(), "end_time": ends.time()}


def create_meeting(session: Session, data: MeetingInput) -> Meeting:
    """Add a meeting with the default reminders and flush it so it has an id; the caller commits."""
    # Imported here: reminders -> campaigns.store -> agenda would otherwise import in a circle.
    from service.campaigns.reminders import add_default_reminders

    meeting = Meeting(**asdict(data))
    session.add(meeting)
    session.flush()
    add_default_reminders(session, meeting)
    return meeting


def capacity_raised(changes: Mapping[str, Any]) -> bool:
    """Whether these changes (from update_meeting) made room: more places, or no limit any more."""
    if "capacity" not in changes:
        return False
    old, new = changes["capacity"]
    return old is not None and (new is None or new > old)


def update_meeting(session: Session, meeting: Meeting, data: MeetingInput) -> dict[str, Any]:
    """Apply checked input to a meeting; returns the changed fields as {name: [old, new]}.

    The returned values are JSON-ready (ISO 8601 for times), for the audit log.
    """
    changes: dict[str, Any] = {}
    for name, new in asdict(data).items():
        old = getattr(meeting, name)
        if old != new:
            changes[name] = [_jsonable(old), _jsonable(new)]
            setattr(meeting, name, new)
    session.flush()
    return changes


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, MeetingStatus):
        return value.value
    return value


def get_meeting(session: Session, meeting_id: int) -> Meeting | None:
    """The meeting with this id, or None."""
    return session.get(Meeting, meeting_id)


def list_meetings(session: Session, *, status: MeetingStatus | None = None) -> list[Meeting]:
    """All meetings (optionally of one status), earliest first."""
    query = select(Meeting).order_by(Meeting.starts_at, Meeting.id)
    if status is not None:
        query = query.where(Meeting.status == status)
    return list(session.scalars(query))


def upcoming_meetings(session: Session, now: datetime) -> list[Meeting]:
    """Meetings that have not ended by `now` (cancelled ones included), earliest first.

    A meeting under way still counts as upcoming: organisers may need to change it today.
    """
    query = select(Meeting).where(Meeting.ends_at > now).order_by(Meeting.starts_at, Meeting.id)
    return list(session.scalars(query))


def past_meetings(session: Session, now: datetime) -> list[Meeting]:
    """Meetings that ended by `now`, most recent first."""
    query = (
        select(Meeting)
        .where(Meeting.ends_at <= now)
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    )
    return list(session.scalars(query))


def count_upcoming(session: Session, now: datetime) -> int:
    """How many meetings that are not cancelled have not ended by `now`."""
    query = (
        select(func.count())
        .select_from(Meeting)
        .where(Meeting.ends_at > now, Meeting.status != MeetingStatus.CANCELLED)
    )
    return session.scalar(query) or 0


def next_meeting(session: Session, now: datetime) -> Meeting | None:
    """The first meeting that is not cancelled and has not ended by `now`, or None."""
    query = (
        select(Meeting)
        .where(Meeting.ends_at > now, Meeting.status != MeetingStatus.CANCELLED)
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(1)
    )
    return session.scalar(query)


def meetings_after(
    session: Session, meeting: Meeting, *, include_drafts: bool = True
) -> list[Meeting]:
    """The meetings that start after `meeting`, not cancelled, earliest first.

    For the "upcoming meetings" table under a meeting's newsletter or invitation; pass
    include_drafts=False where the public reads it.
    """
    excluded = [MeetingStatus.CANCELLED]
    if not include_drafts:
        excluded.append(MeetingStatus.DRAFT)
    query = (
        select(Meeting)
        .where(
            Meeting.starts_at > meeting.starts_at,
            Meeting.id != meeting.id,
            Meeting.status.not_in(excluded),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return list(session.scalars(query))
