"""Calendar files and links for a meeting, made with the `icalendar` package.

A yes-answer gets an iTIP invitation (RFC 5546, `METHOD:REQUEST`): the same UID for every message
about one meeting, a SEQUENCE that rises when the time or place changes, the network mailbox as
ORGANIZER and the contact as ATTENDEE. Outlook, Gmail and Apple Calendar then show it as an
invitation and replace the event on an update; `METHOD:CANCEL` with `STATUS:CANCELLED` removes
it. Times are written in the network's time zone with its VTIMEZONE, so a meeting at 10:00 in
Amsterdam stays at 10:00 across the change to and from daylight saving time.

The invitation email's "add to calendar" offers the same event as a download (`METHOD:PUBLISH`,
no attendee) and as Google Calendar and Outlook web links. Nothing here imports Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from ipaddress import ip_address
from typing import Literal
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from service.models import Meeting, MeetingStatus

Method = Literal["REQUEST", "CANCEL", "PUBLISH"]
PRODID = "-//Opgavepost//Opgavepost//NL"


@dataclass(frozen=True)
class CalendarMeeting:
    """What a calendar needs to know of a meeting; times are aware datetimes (UTC)."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    host_organisation: str
    city: str
    venue: str = ""
    address: str = ""
    description: str = ""
    sequence: int = 0
    cancelled: bool = False

    @property
    def location(self) -> str:
        """Venue, address and city on one line, as calendars show a location."""
        return place_line(self.venue, self.address, self.city)


def place_line(venue: str, address: str, city: str) -> str:
    """Venue, address and city on one line, the city only when the address does not name it.

    "Stadhuis, Grote Kerkplein 15, 8011 PK Zwolle", not "..., 8011 PK Zwolle, Zwolle": the one
    rule for calendars, emails and the answer page.
    """
    parts = [venue, address]
    if city and city.casefold() not in address.casefold():
        parts.append(city)
    return ", ".join(p for p in parts if p)


def meeting_uid(meeting_id: int, domain: str) -> str:
    """The stable UID of a meeting's event: every update and cancel names the same one."""
    return f"meeting-{meeting_id}@{domain}"


def meeting_calendar(
    meeting: CalendarMeeting,
    *,
    method: Method,
    uid_domain: str,
    timezone: str,
    organizer_email: str,
    organizer_name: str,
    attendee_email: str | None = None,
    attendee_name: str = "",
    partstat: str = "ACCEPTED",
    now: datetime | None = None,
) -> Calendar:
    """The VCALENDAR with one VEVENT (and its VTIMEZONE) for this meeting."""
    zone = ZoneInfo(timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", meeting_uid(meeting.id, uid_domain))
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    event.add("sequence", meeting.sequence)
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", meeting.title)
    if meeting.location:
        event.add("location", meeting.location)
    if meeting.description:
        event.add("description", meeting.description)
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["cn"] = vText(organizer_name)
    event.add("organizer", organizer)
    if attendee_email and method != "PUBLISH":
        attendee = vCalAddress(f"mailto:{attendee_email}")
        if attendee_name:
            attendee.params["cn"] = vText(attendee_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText(partstat)
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee)
    if method == "CANCEL" or meeting.cancelled:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    # The VTIMEZONE covers the years around the meeting: enough for every calendar to place it,
    # a few lines instead of the transitions of seventy years.
    year = meeting.starts_at.astimezone(zone).year
    calendar.add_missing_timezones(first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))
    return calendar


def ics_bytes(calendar: Calendar) -> bytes:
    """The calendar as an .ics file (CRLF lines, folded at 75 octets as RFC 5545 asks)."""
    return calendar.to_ical()


def google_calendar_url(meeting: CalendarMeeting, details: str = "") -> str:
    """A link that opens Google Calendar with the event filled in."""
    query = {
        "action": "TEMPLATE",
        "text": meeting.title,
        "dates": f"{_utc_stamp(meeting.starts_at)}/{_utc_stamp(meeting.ends_at)}",
        "location": meeting.location,
        "details": details or meeting.description,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(meeting: CalendarMeeting, details: str = "") -> str:
    """A link that opens Outlook on the web (outlook.office.com) with the event filled in."""
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": meeting.title,
        "startdt": meeting.starts_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "enddt": meeting.ends_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "location": meeting.location,
        "body": details or meeting.description,
    }
    return "https://outlook.office.com/calendar/deeplink/compose?" + urlencode(query)


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_meeting(meeting: Meeting, sequence: int | None = None) -> CalendarMeeting:
    """The meeting as the calendar files describe it (SEQUENCE: the given one, or the meeting's)."""
    return CalendarMeeting(
        id=meeting.id,
        title=meeting.title,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        host_organisation=meeting.host_organisation,
        city=meeting.city,
        venue=meeting.venue,
        address=meeting.address,
        description=meeting.theme or "",
        sequence=meeting.calendar_sequence if sequence is None else sequence,
        cancelled=meeting.status == MeetingStatus.CANCELLED,
    )


def uid_domain(base_url: str, sender: str) -> str:
    """The domain in every calendar UID: BASE_URL's host name, else the sender's domain.

    An IP address or "localhost" names no installation, so the sender's domain serves there.
    """
    host = (urlsplit(base_url).hostname or "").lower()
    if host and "." in host and not _is_ip(host):
        return host
    return sender.rpartition("@")[2].lower() or "localhost"


def _is_ip(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True
