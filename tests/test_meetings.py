"""Meetings: the rules in agenda.py and the organiser pages (list, create, edit)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from service.database import session_scope
from service.meetings import agenda
from service.models import AuditEntry, Meeting, MeetingStatus
from tests.builders import amsterdam, make_meeting
from tests.conftest import csrf_token_from

TZ = "Europe/Amsterdam"
# A fixed moment between the seed's meetings: after 4 March 2025, before 3 June 2025.
NOW = datetime(2025, 4, 15, 12, 0, tzinfo=UTC)


def form_values(**overrides) -> dict[str, str]:
    """What an organiser types into the meeting form."""
    return {
        "title": "Opgavebeweging bij Gemeente Zwolle",
        "theme": "Wonen en zorg",
        "host_organisation": "Gemeente Zwolle",
        "city": "Zwolle",
        "venue": "Stadhuis",
        "address": "Grote Kerkplein 15, 8011 PK Zwolle",
        "date": "2025-06-03",
        "start_time": "10:00",
        "end_time": "13:00",
        "description": "Tweede bijeenkomst van het jaar.",
        "capacity": "40",
        "status": "published",
    } | overrides


def post_form(client, path: str, **overrides):
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data=form_values(**overrides) | {"csrf_token": token})


def section(html: str, heading_id: str) -> str:
    """The HTML of one <section> of the list page (Upcoming or Past)."""
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    assert match, f"no section {heading_id}"
    return match.group(1)


# --- rules ---------------------------------------------------------------------------------


def test_form_input_in_winter_and_summer_is_stored_as_utc():
    winter = agenda.validate_meeting_fields(form_values(date="2025-03-04"), TZ)
    summer = agenda.validate_meeting_fields(form_values(date="2025-06-03"), TZ)
    assert winter.starts_at == datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    assert winter.ends_at == datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
    assert summer.starts_at == datetime(2025, 6, 3, 8, 0, tzinfo=UTC)
    assert summer.status is MeetingStatus.PUBLISHED
    assert summer.capacity == 40


def test_api_input_takes_offsets_and_reads_naive_times_as_amsterdam():
    raw = form_values() | {"starts_at": "2025-06-03T10:00:00+02:00", "ends_at": "2025-06-03T11Z"}
    checked = agenda.validate_meeting_fields(raw, TZ)
    assert checked.starts_at == datetime(2025, 6, 3, 8, 0, tzinfo=UTC)
    assert checked.ends_at == datetime(2025, 6, 3, 11, 0, tzinfo=UTC)
    assert agenda.parse_moment("2025-03-04T10:00", TZ) == datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


def test_every_broken_field_gets_its_own_message():
    raw = {
        "title": " ",
        "host_organisation": "",
        "city": "Zwolle",
        "date": "2025-06-03",
        "start_time": "13:00",
        "end_time": "10:00",
        "capacity": "0",
        "status": "postponed",
    }
    with pytest.raises(agenda.MeetingValidationError) as caught:
        agenda.validate_meeting_fields(raw, TZ)
    assert set(caught.value.errors) == {
        "title",
        "host_organisation",
        "end_time",
        "capacity",
        "status",
    }
    messages = caught.value.messages()
    assert messages["end_time"] == "The meeting must end after it starts."
    assert "draft, published, held, cancelled" in messages["status"]


def test_api_shape_errors_name_the_api_fields():
    raw = {"title": "x", "host_organisation": "y", "city": "z", "starts_at": "volgende week"}
    with pytest.raises(agenda.MeetingValidationError) as caught:
        agenda.validate_meeting_fields(raw, TZ)
    assert set(caught.value.errors) == {"starts_at", "ends_at"}
    assert "ISO 8601" in caught.value.messages()["starts_at"]


def test_a_time_that_does_not_exist_is_refused_not_moved():
    # On 30 March 2025 the clocks in the Netherlands jump from 02:00 to 03:00.
    raw = form_values(date="2025-03-30", start_time="02:30", end_time="04:00")
    with pytest.raises(agenda.MeetingValidationError) as caught:
        agenda.validate_meeting_fields(raw, TZ)
    assert set(caught.value.errors) == {"start_time"}


def test_upcoming_and_past_split_at_now(db):
    held = make_meeting(
        db,
        title="Provincie Zuid-Holland",
        starts_at=amsterdam(date(2025, 3, 4), time(10)),
        ends_at=amsterdam(date(2025, 3, 4), time(13)),
        status=MeetingStatus.HELD,
    )
    under_way = make_meeting(
        db, title="Nu bezig", starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=1)
    )
    zwolle = make_meeting(db)
    cancelled = make_meeting(
        db,
        title="Afgelast",
        starts_at=amsterdam(date(2025, 5, 1), time(10)),
        ends_at=amsterdam(date(2025, 5, 1), time(12)),
        status=MeetingStatus.CANCELLED,
    )
    assert agenda.upcoming_meetings(db, NOW) == [under_way, cancelled, zwolle]
    assert agenda.past_meetings(db, NOW) == [held]
    assert agenda.count_upcoming(db, NOW) == 2
    assert agenda.next_meeting(db, NOW) == under_way


def test_meetings_after_a_meeting_leave_out_cancelled_ones(db):
    den_haag = make_meeting(
        db,
        title="Den Haag",
        starts_at=amsterdam(date(2025, 3, 4), time(10)),
        ends_at=amsterdam(date(2025, 3, 4), time(13)),
        status=MeetingStatus.HELD,
    )
    zwolle = make_meeting(db)
    make_meeting(
        db,
        title="Afgelast",
        starts_at=amsterdam(date(2025, 7, 1), time(10)),
        ends_at=amsterdam(date(2025, 7, 1), time(12)),
        status=MeetingStatus.CANCELLED,
    )
    amsterdam_hva = make_meeting(
        db,
        title="Hogeschool van Amsterdam",
        starts_at=amsterdam(date(2025, 9, 30), time(10)),
        ends_at=amsterdam(date(2025, 9, 30), time(13)),
        status=MeetingStatus.DRAFT,
    )
    assert agenda.meetings_after(db, den_haag) == [zwolle, amsterdam_hva]
    assert agenda.meetings_after(db, den_haag, include_drafts=False) == [zwolle]
    assert agenda.meetings_after(db, amsterdam_hva) == []


def test_update_reports_only_what_changed(db):
    meeting = make_meeting(db)
    checked = agenda.validate_meeting_fields(
        agenda.meeting_fields(meeting) | {"city": "Deventer"}, TZ
    )
    assert agenda.update_meeting(db, meeting, checked) == {"city": ["Zwolle", "Deventer"]}


# --- pages ---------------------------------------------------------------------------------


def test_list_page_splits_upcoming_and_past(organiser, db):
    now = datetime.now(UTC)
    make_meeting(
        db,
        title="Provincie Zuid-Holland",
        host_organisation="Provincie Zuid-Holland",
        city="Den Haag",
        theme="Provinciale schatten",
        starts_at=amsterdam(date(2025, 3, 4), time(10)),
        ends_at=amsterdam(date(2025, 3, 4), time(13)),
        status=MeetingStatus.HELD,
    )
    later = (now + timedelta(days=30)).date()
    make_meeting(
        db,
        title="Volgende bijeenkomst",
        host_organisation="Hogeschool van Amsterdam",
        city="Amsterdam",
        starts_at=amsterdam(later, time(10)),
        ends_at=amsterdam(later, time(13)),
    )
    html = organiser.get("/meetings/").get_data(as_text=True)
    upcoming, past = section(html, "upcoming-heading"), section(html, "past-heading")
    assert "Hogeschool van Amsterdam" in upcoming and "Den Haag" not in upcoming
    assert "dinsdag 4 maart 2025, 10:00" in past
    assert "Provincie Zuid-Holland" in past and "Provinciale schatten" in past
    assert "Hogeschool van Amsterdam" not in past
    assert html.count("<h1") == 1 and '<th scope="col">' in html


def test_create_through_the_form_shows_the_dutch_date(app, organiser):
    response = post_form(organiser, "/meetings/new")
    assert response.status_code == 302
    page = organiser.get(response.headers["Location"]).get_data(as_text=True)
    assert "dinsdag 3 juni 2025, 10:00" in page
    assert "Gemeente Zwolle" in page and "Zwolle" in page

    with session_scope(app) as session:  # a fresh session: only committed rows count
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.starts_at == datetime(2025, 6, 3, 8, 0, tzinfo=UTC)
        assert meeting.capacity == 40 and meeting.status is MeetingStatus.PUBLISHED
        query = select(AuditEntry).where(AuditEntry.action == "meeting.create")
        entry = session.scalars(query).one()
        assert entry.object_type == "meetings" and entry.object_id == meeting.id


def test_form_has_labelled_date_and_time_inputs(organiser):
    html = organiser.get("/meetings/new").get_data(as_text=True)
    for name, kind in (("date", "date"), ("start_time", "time"), ("end_time", "time")):
        assert re.search(rf'<input[^>]*id="{name}"[^>]*type="{kind}"', html) or re.search(
            rf'<input[^>]*type="{kind}"[^>]*id="{name}"', html
        )
        assert f'<label for="{name}"' in html
    for name in ("title", "theme", "host_organisation", "city", "venue", "address", "capacity"):
        assert f'<label for="{name}"' in html


def test_invalid_form_keeps_what_was_typed_and_ties_errors_to_fields(organiser, db):
    response = post_form(
        organiser, "/meetings/new", title="", end_time="09:00", capacity="-3", venue="Raadzaal"
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="Gemeente Zwolle"' in html and 'value="Raadzaal"' in html
    assert 'value="2025-06-03"' in html and 'value="09:00"' in html and 'value="-3"' in html
    for name in ("title", "end_time", "capacity"):
        assert re.search(rf'id="{name}-error-1"', html), name
        assert re.search(rf'aria-describedby="[^"]*{name}-error-1', html), name
    assert 'aria-invalid="true"' in html
    assert db.scalars(select(Meeting)).all() == []


def test_a_date_typed_the_dutch_way_gets_the_format_explained(organiser, db):
    # Browsers without a date picker send what was typed.
    response = post_form(organiser, "/meetings/new", date="3-6-2025", start_time="10 uur")
    html = response.get_data(as_text=True)
    assert "2025-06-03" in html  # the example in the Dutch format message
    assert "10:00" in html and "uren:minuten" in html
    assert db.scalars(select(Meeting)).all() == []


def test_form_without_csrf_token_saves_nothing(organiser, db):
    response = organiser.post("/meetings/new", data=form_values())
    assert response.status_code == 400
    assert db.scalars(select(Meeting)).all() == []


@pytest.mark.parametrize(
    ("day", "utc_hour", "shown"),
    [
        (date(2025, 3, 4), 9, "dinsdag 4 maart 2025, 10:00"),
        (date(2025, 6, 3), 8, "dinsdag 3 juni 2025, 10:00"),
    ],
)
def test_editing_keeps_the_wall_clock_across_daylight_saving(
    app, organiser, db, day, utc_hour, shown
):
    meeting = make_meeting(
        db, starts_at=amsterdam(day, time(10)), ends_at=amsterdam(day, time(13)), capacity=None
    )
    path = f"/meetings/{meeting.id}/edit"
    html = organiser.get(path).get_data(as_text=True)
    assert f'value="{day.isoformat()}"' in html and 'value="10:00"' in html
    assert 'value="13:00"' in html

    # Save the form as shown, changing only the title: the time must not drift by an hour.
    response = post_form(organiser, path, date=day.isoformat(), title="Nieuwe titel", capacity="")
    assert response.status_code == 302
    assert shown in organiser.get("/meetings/").get_data(as_text=True)
    with session_scope(app) as session:  # a fresh session: only committed rows count
        stored = session.get(Meeting, meeting.id)
        assert stored.title == "Nieuwe titel"
        assert stored.starts_at == datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)
        query = select(AuditEntry).where(AuditEntry.action == "meeting.update")
        entry = session.scalars(query).one()
        assert entry.object_id == meeting.id
        assert entry.detail["changes"]["title"][1] == "Nieuwe titel"


def test_moving_a_meeting_from_winter_to_summer(app, organiser, db):
    meeting = make_meeting(
        db,
        starts_at=amsterdam(date(2025, 3, 4), time(10)),
        ends_at=amsterdam(date(2025, 3, 4), time(13)),
    )
    response = post_form(organiser, f"/meetings/{meeting.id}/edit", date="2025-06-03")
    assert response.status_code == 302
    with session_scope(app) as session:
        assert session.get(Meeting, meeting.id).starts_at == datetime(2025, 6, 3, 8, tzinfo=UTC)


def test_editing_a_missing_meeting_is_404(organiser):
    assert organiser.get("/meetings/999/edit").status_code == 404


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
def test_a_date_outside_1900_to_2200_is_a_form_error_not_a_broken_meeting(organiser, db, day):
    response = post_form(organiser, "/meetings/new", date=day, deadline_date=day)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'id="date-error-1"[^>]*>\s*Kies een datum van 1900-01-01', html)
    assert re.search(r'id="deadline_date-error-1"', html)
    assert db.scalars(select(Meeting)).all() == []


@pytest.mark.parametrize("capacity", ["100001", "99999999999999999999", "²", "٣"])
def test_a_capacity_beyond_any_venue_or_in_other_digits_is_a_form_error(organiser, db, capacity):
    response = post_form(organiser, "/meetings/new", capacity=capacity)
    assert response.status_code == 200
    assert re.search(r'id="capacity-error-1"', response.get_data(as_text=True))
    assert db.scalars(select(Meeting)).all() == []


def test_agenda_refuses_moments_it_could_not_show():
    with pytest.raises(agenda.MeetingValidationError) as caught:
        agenda.validate_meeting_fields(
            form_values(date=date(1, 1, 1), deadline_date=date(9999, 12, 31)), TZ
        )
    assert set(caught.value.errors) == {"date", "deadline_date"}
    with pytest.raises(agenda.MeetingValidationError) as caught:
        agenda.validate_meeting_fields(
            {
                "title": "x",
                "host_organisation": "y",
                "city": "z",
                "starts_at": "9999-12-31T23:30Z",
                "ends_at": "9999-12-31T23:45Z",
            },
            TZ,
        )
    assert set(caught.value.errors) == {"starts_at", "ends_at"}
