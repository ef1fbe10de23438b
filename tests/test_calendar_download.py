"""GET /bijeenkomsten/<id>.ics: the "add to calendar" file of an invitation, without a login."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from icalendar import Calendar

from service.models import MeetingStatus
from service.settings import change_settings
from tests.builders import amsterdam, make_meeting


def _event(response):
    calendar = Calendar.from_ical(response.data)
    [event] = [c for c in calendar.walk() if c.name == "VEVENT"]
    return calendar, event


@pytest.mark.parametrize("status", [MeetingStatus.PUBLISHED, MeetingStatus.HELD])
def test_a_published_meeting_downloads_as_a_publish_calendar(client, db, status):
    meeting = make_meeting(
        db,
        status=status,
        starts_at=amsterdam(date(2027, 6, 1), time(10, 0)),
        ends_at=amsterdam(date(2027, 6, 1), time(12, 30)),
    )

    response = client.get(f"/bijeenkomsten/{meeting.id}.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar, event = _event(response)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert "ATTENDEE" not in event  # anyone may add it; no personal invitation
    assert str(event["UID"]) == f"meeting-{meeting.id}@rijksoverheid.nl"
    assert str(event["SUMMARY"]) == meeting.title
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert event["DTSTART"].dt.astimezone(UTC) == datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
    assert [c["TZID"] for c in calendar.walk() if c.name == "VTIMEZONE"] == ["Europe/Amsterdam"]


@pytest.mark.parametrize("status", [MeetingStatus.DRAFT, MeetingStatus.CANCELLED])
def test_drafts_and_cancelled_meetings_are_not_found(client, db, status):
    meeting = make_meeting(db, status=status)

    assert client.get(f"/bijeenkomsten/{meeting.id}.ics").status_code == 404


def test_an_unknown_meeting_is_not_found(client, db):
    assert client.get("/bijeenkomsten/9999.ics").status_code == 404


def test_the_uid_follows_a_real_host_name(app, client, db):
    change_settings(app, BASE_URL="https://post.opgavebeweging.nl")
    meeting = make_meeting(db)

    _calendar, event = _event(client.get(f"/bijeenkomsten/{meeting.id}.ics"))

    assert str(event["UID"]) == f"meeting-{meeting.id}@post.opgavebeweging.nl"
