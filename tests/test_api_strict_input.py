"""The API takes what its document says and refuses the rest with 422, never a 500.

Ids and whole numbers are JSON integers within the column's range, a choice or a moment is never
"", moments lie between 1900-01-01 and 2200-12-31, every date-time written is RFC 3339, and the
POSTs that only act (send, pause, ...) need no body.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest

from service.models import Campaign, Meeting, MeetingStatus, Role
from tests.api_helpers import api_client
from tests.builders import amsterdam, count_rows, make_contact, make_meeting

# RFC 3339 section 5.6: date-time = full-date "T" full-time, the offset in whole minutes.
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
TOO_LARGE_ID = 2**31


@pytest.fixture
def api(app):
    return api_client(app, Role.ADMIN, language="en")


def _meeting(**overrides) -> dict:
    return {
        "title": "Opgavebeweging in Zwolle",
        "host_organisation": "Gemeente Zwolle",
        "city": "Zwolle",
        "starts_at": "2025-06-03T10:00:00+02:00",
        "ends_at": "2025-06-03T13:00:00+02:00",
    } | overrides


def _errors(response) -> dict:
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
    return body["errors"]


# --- moments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [
        ("0001-01-05T10:00:00Z", "0001-01-05T11:00:00Z"),
        ("9999-12-31T23:30:00Z", "9999-12-31T23:45:00Z"),
        ("9999-12-31T10:00:00", "9999-12-31T11:00:00"),
        ("1899-12-31T10:00:00+01:00", "1899-12-31T11:00:00+01:00"),
        ("2201-01-01T10:00:00", "2201-01-01T11:00:00"),
    ],
)
def test_a_meeting_outside_1900_to_2200_is_refused_naming_the_field(db, api, starts_at, ends_at):
    response = api.post("/api/v1/meetings", json=_meeting(starts_at=starts_at, ends_at=ends_at))
    errors = _errors(response)
    assert errors["starts_at"] == ["Choose a date from 1900-01-01 to 2200-12-31."]
    assert count_rows(db, Meeting) == 0


def test_the_first_and_last_supported_days_are_taken(api):
    first = api.post(
        "/api/v1/meetings",
        json=_meeting(starts_at="1900-01-01T12:00:00", ends_at="1900-01-01T13:00:00"),
    )
    last = api.post(
        "/api/v1/meetings",
        json=_meeting(starts_at="2200-12-31T22:00:00", ends_at="2200-12-31T23:00:00"),
    )
    assert first.status_code == 201 and last.status_code == 201
    # Their reminders (7 and 1 days before) are still within reach of the calendar.
    for created in (first, last):
        reminders = api.get(f"/api/v1/meetings/{created.get_json()['id']}/reminders")
        assert reminders.status_code == 200
        assert all(RFC3339.fullmatch(r["due_at"]) for r in reminders.get_json()["items"])


def test_a_registration_deadline_outside_the_range_or_empty_is_refused(api):
    far = api.post("/api/v1/meetings", json=_meeting(registration_deadline="0001-01-01T00:00"))
    assert _errors(far) == {
        "registration_deadline": ["Choose a date from 1900-01-01 to 2200-12-31."]
    }
    empty = api.post("/api/v1/meetings", json=_meeting(registration_deadline=""))
    assert list(_errors(empty)) == ["registration_deadline"]
    none = api.post("/api/v1/meetings", json=_meeting(registration_deadline=None))
    assert none.status_code == 201 and none.get_json()["registration_deadline"] is None


def test_times_before_1937_are_written_as_valid_rfc_3339(api):
    # Amsterdam ran 19 minutes 32 seconds ahead of UTC then: no offset RFC 3339 can write.
    created = api.post(
        "/api/v1/meetings",
        json=_meeting(starts_at="1930-05-06T10:00:00", ends_at="1930-05-06T12:00:00"),
    )
    body = created.get_json()
    assert created.status_code == 201, body
    assert body["starts_at_local"] == body["starts_at"] == "1930-05-06T09:40:28+00:00"
    for name in ("starts_at", "ends_at", "starts_at_local", "ends_at_local", "created_at"):
        assert RFC3339.fullmatch(body[name]), (name, body[name])
    # Since 1937 the local time keeps its own offset.
    now = api.post("/api/v1/meetings", json=_meeting()).get_json()
    assert now["starts_at_local"] == "2025-06-03T10:00:00+02:00"


def test_every_date_time_the_api_writes_is_rfc_3339(app, api, db):
    meeting = make_meeting(
        db,
        status=MeetingStatus.PUBLISHED,
        starts_at=amsterdam(date(1936, 3, 3), time(10, 0)),
        ends_at=amsterdam(date(1936, 3, 3), time(12, 0)),
        registration_deadline=datetime(1936, 3, 1, 12, 0, tzinfo=UTC),
    )
    make_contact(db)
    db.commit()
    answers = {
        "meeting": api.get(f"/api/v1/meetings/{meeting.id}").get_json(),
        "reminders": api.get(f"/api/v1/meetings/{meeting.id}/reminders").get_json(),
        "contacts": api.get("/api/v1/contacts").get_json(),
    }
    written = []

    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")
        elif isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}T", value):
            written.append((path, value))

    walk(answers, "")
    assert len(written) > 8
    assert [(path, value) for path, value in written if not RFC3339.fullmatch(value)] == []


@pytest.mark.parametrize("moment", ["9999-12-31T23:30:00Z", "0001-01-01T00:00:00", "2201-01-01"])
def test_a_schedule_outside_the_range_is_refused_naming_scheduled_at(api, moment):
    campaign = api.post("/api/v1/campaigns", json={"subject": "Nieuws"}).get_json()
    response = api.post(
        f"/api/v1/campaigns/{campaign['id']}/schedule", json={"scheduled_at": moment}
    )
    assert _errors(response) == {"scheduled_at": ["Choose a date from 1900-01-01 to 2200-12-31."]}


# --- ids and whole numbers --------------------------------------------------------------------


@pytest.mark.parametrize("meeting_id", [TOO_LARGE_ID, 2**63, 0, -1, 1.5, "1", True])
def test_a_meeting_id_in_a_body_that_no_meeting_can_have_is_422(db, api, meeting_id):
    response = api.post("/api/v1/campaigns", json={"subject": "Nieuws", "meeting_id": meeting_id})
    assert list(_errors(response)) == ["meeting_id"]
    assert count_rows(db, Campaign) == 0


@pytest.mark.parametrize(
    "audience",
    [
        {"attended": [TOO_LARGE_ID]},
        {"attended": [1.5]},
        {"attended": 5},
        {"meeting": {"id": TOO_LARGE_ID, "answers": ["yes"]}},
        {"meeting": {"id": "1", "answers": ["yes"]}},
        {"meeting": {"id": 1, "answers": "yes"}},
        {"provinces": 5},
        {"provinces": [""]},
        {"tags": "kernteam"},
        {"everyone": True},
    ],
)
def test_ids_and_lists_inside_the_audience_are_checked(db, api, audience):
    make_meeting(db)
    db.commit()
    response = api.post("/api/v1/campaigns", json={"subject": "Nieuws", "audience": audience})
    assert list(_errors(response)) == ["audience"]
    assert count_rows(db, Campaign) == 0


@pytest.mark.parametrize("capacity", [1.5, "12", True, 100_001, TOO_LARGE_ID, 2**63])
def test_capacity_is_a_whole_number_up_to_the_documented_maximum(db, api, capacity):
    response = api.post("/api/v1/meetings", json=_meeting(capacity=capacity))
    assert list(_errors(response)) == ["capacity"]
    assert count_rows(db, Meeting) == 0


@pytest.mark.parametrize("days_before", [1.5, "3", True, 61, -1, TOO_LARGE_ID])
def test_days_before_is_a_whole_number_from_0_to_60(db, api, days_before):
    meeting = make_meeting(db)
    db.commit()
    response = api.post(
        f"/api/v1/meetings/{meeting.id}/reminders", json={"days_before": days_before}
    )
    assert list(_errors(response)) == ["days_before"]


def test_a_version_that_is_not_a_whole_number_is_422(api):
    campaign = api.post("/api/v1/campaigns", json={"subject": "Nieuws"}).get_json()
    response = api.patch(f"/api/v1/campaigns/{campaign['id']}", json={"version": 1.5})
    assert list(_errors(response)) == ["version"]


@pytest.mark.parametrize("width", ["²", "٣٠٠", "1e2", 1.5, True, 0, 601, "601"])
def test_an_image_width_that_is_not_a_whole_number_of_pixels_is_422(db, api, width):
    image = {"type": "image", "src": "https://example.org/a.png", "alt": "Foto", "width": width}
    response = api.post("/api/v1/campaigns", json={"subject": "Nieuws", "blocks": [image]})
    assert list(_errors(response)) == ["blocks[0].width"]
    assert count_rows(db, Campaign) == 0


def test_an_image_width_in_ascii_digits_is_read_as_pixels(api):
    image = {"type": "image", "src": "https://example.org/a.png", "alt": "Foto", "width": "300"}
    response = api.post("/api/v1/campaigns", json={"subject": "Nieuws", "blocks": [image]})
    assert response.status_code == 201
    assert response.get_json()["blocks"][0]["width"] == 300


# --- choices ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["language", "consent", "province"])
def test_an_empty_choice_on_a_contact_is_refused_not_read_as_a_default(db, api, field):
    response = api.post("/api/v1/contacts", json={"email": "leeg@example.nl", field: ""})
    assert list(_errors(response)) == [field]


def test_a_province_of_null_means_none(api):
    response = api.post("/api/v1/contacts", json={"email": "geen@example.nl", "province": None})
    assert response.status_code == 201 and response.get_json()["province"] is None


def test_an_empty_status_kind_or_audience_is_refused(db, api):
    assert list(_errors(api.post("/api/v1/meetings", json=_meeting(status="")))) == ["status"]
    campaign = api.post("/api/v1/campaigns", json={"kind": ""})
    assert list(_errors(campaign)) == ["kind"]
    meeting = make_meeting(db)
    db.commit()
    reminder = api.post(
        f"/api/v1/meetings/{meeting.id}/reminders", json={"days_before": 3, "audience": ""}
    )
    assert list(_errors(reminder)) == ["audience"]


# --- POSTs that only act ------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["send", "pause", "resume", "cancel", "unschedule"])
@pytest.mark.parametrize(
    "request_body",
    [
        {},
        {"data": b"", "content_type": "application/json"},
        {"json": {}},
    ],
    ids=["no body", "empty body", "empty object"],
)
def test_actions_need_no_body(api, action, request_body):
    campaign = api.post("/api/v1/campaigns", json={"subject": "Nieuws"}).get_json()
    response = api.post(f"/api/v1/campaigns/{campaign['id']}/{action}", **request_body)
    # A draft cannot be paused (409) or sent without content (422); the body is not the matter.
    assert response.status_code in {202, 409, 422}, response.get_json()
    assert response.get_json().get("errors", {}).keys() <= {"lint"}


def test_an_action_refuses_fields_it_does_not_take(api):
    campaign = api.post("/api/v1/campaigns", json={"subject": "Nieuws"}).get_json()
    response = api.post(f"/api/v1/campaigns/{campaign['id']}/pause", json={"force": True})
    assert list(_errors(response)) == ["force"]
    text = api.post(
        f"/api/v1/campaigns/{campaign['id']}/pause", data="pause", content_type="text/plain"
    )
    assert text.status_code == 400


def test_the_document_declares_the_optional_body_of_each_action(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for action in ("send", "pause", "resume", "cancel", "unschedule"):
        body = paths[f"/api/v1/campaigns/{{campaign_id}}/{action}"]["post"]["requestBody"]
        assert body["required"] is False
        assert "application/json" in body["content"]


@pytest.mark.parametrize("query", ["page=9223372036854775808", "per_page=99999999999999999999"])
def test_an_enormous_page_answers_the_last_page(db, api, organiser, query):
    make_contact(db)
    db.commit()
    response = api.get(f"/api/v1/contacts?{query}")
    assert response.status_code == 200
    assert response.get_json()["pagination"]["page"] == 1
    assert organiser.get(f"/contacts/?{query}").status_code == 200
    assert organiser.get(f"/cards/wall?{query}").status_code == 200
