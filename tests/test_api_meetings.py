"""/api/v1/meetings: list, create, read and change meetings, with times in UTC and local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from service.models import AuditEntry, Meeting, MeetingStatus, Reminder, Role
from tests.api_helpers import api_client
from tests.builders import amsterdam, count_rows, make_meeting

MEETING_FIELDS = {
    "id",
    "title",
    "theme",
    "host_organisation",
    "city",
    "venue",
    "address",
    "starts_at",
    "ends_at",
    "starts_at_local",
    "ends_at_local",
    "description",
    "capacity",
    "status",
    "registration_deadline",
    "created_at",
    "updated_at",
}


@pytest.fixture
def api(app):
    return api_client(app, Role.ORGANISER)


def new_meeting(**overrides) -> dict:
    """The JSON a client sends for the Hogeschool van Amsterdam meeting of 30 September 2025."""
    return {
        "title": "Opgavebeweging bij de Hogeschool van Amsterdam",
        "theme": "Leren over grenzen heen",
        "host_organisation": "Hogeschool van Amsterdam",
        "city": "Amsterdam",
        "venue": "Wibauthuis",
        "address": "Wibautstraat 3b, 1091 GH Amsterdam",
        "starts_at": "2025-09-30T10:00:00+02:00",
        "ends_at": "2025-09-30T13:00:00+02:00",
        "description": "Derde bijeenkomst van 2025.",
        "capacity": 60,
        "status": "published",
    } | overrides


def test_read_meeting_gives_utc_and_amsterdam_times(db, api):
    meeting = make_meeting(db)  # Gemeente Zwolle, dinsdag 3 juni 2025, 10:00-13:00
    response = api.get(f"/api/v1/meetings/{meeting.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == MEETING_FIELDS
    assert body["starts_at"] == "2025-06-03T08:00:00+00:00"
    assert body["ends_at"] == "2025-06-03T11:00:00+00:00"
    assert body["starts_at_local"] == "2025-06-03T10:00:00+02:00"
    assert body["ends_at_local"] == "2025-06-03T13:00:00+02:00"
    assert body["host_organisation"] == "Gemeente Zwolle"
    assert body["status"] == "published"


def test_winter_time_has_its_own_offset(db, api):
    meeting = make_meeting(
        db,
        starts_at=amsterdam(date(2025, 3, 4), time(13, 0)),
        ends_at=amsterdam(date(2025, 3, 4), time(17, 0)),
    )
    body = api.get(f"/api/v1/meetings/{meeting.id}").get_json()
    assert body["starts_at"] == "2025-03-04T12:00:00+00:00"
    assert body["starts_at_local"] == "2025-03-04T13:00:00+01:00"


def test_create_meeting_answers_201_with_location_and_audit(db, api):
    response = api.post("/api/v1/meetings", json=new_meeting())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/meetings/{body['id']}"
    assert body["starts_at"] == "2025-09-30T08:00:00+00:00"
    assert body["starts_at_local"] == "2025-09-30T10:00:00+02:00"
    assert body["capacity"] == 60
    assert api.get(response.headers["Location"]).get_json() == body

    stored = db.get(Meeting, body["id"])
    assert stored.starts_at == datetime(2025, 9, 30, 8, 0, tzinfo=UTC)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "meeting.create"))
    assert entry.object_id == body["id"]
    assert entry.user.email == "organiser-nl@example.nl"


def test_utc_z_and_offsetless_local_times_are_understood(api):
    utc = api.post(
        "/api/v1/meetings",
        json=new_meeting(starts_at="2025-09-30T08:00:00Z", ends_at="2025-09-30T11:00:00Z"),
    ).get_json()
    local = api.post(
        "/api/v1/meetings",
        json=new_meeting(starts_at="2025-09-30T10:00", ends_at="2025-09-30T13:00"),
    ).get_json()
    assert utc["starts_at"] == local["starts_at"] == "2025-09-30T08:00:00+00:00"


def test_minimal_meeting_is_a_draft_without_capacity(api):
    body = api.post(
        "/api/v1/meetings",
        json={
            "title": "Kennismaking",
            "host_organisation": "Gemeente Zwolle",
            "city": "Zwolle",
            "starts_at": "2025-06-03T10:00:00+02:00",
            "ends_at": "2025-06-03T12:00:00+02:00",
        },
    ).get_json()
    assert body["status"] == "draft"
    assert body["capacity"] is None
    assert body["venue"] == ""


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": "2025-09-30T09:00:00+02:00"}, "ends_at"),
        ({"ends_at": "2025-09-30T10:00:00+02:00"}, "ends_at"),
        ({"starts_at": "30 september 2025"}, "starts_at"),
        ({"status": "gepland"}, "status"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "veel"}, "capacity"),
        ({"title": ""}, "title"),
        ({"city": "x" * 101}, "city"),
        ({"location": "Amsterdam"}, "location"),
        # 2025-03-30 02:30 does not exist in Amsterdam: the clocks go forward at 02:00.
        ({"starts_at": "2025-03-30T02:30", "ends_at": "2025-03-30T04:00"}, "starts_at"),
    ],
)
def test_invalid_meeting_is_422_naming_the_field_and_stores_nothing(db, api, overrides, field):
    response = api.post("/api/v1/meetings", json=new_meeting(**overrides))
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422
    assert list(body["errors"]) == [field]
    assert count_rows(db, Meeting) == 0


def test_end_before_start_says_so(api):
    response = api.post("/api/v1/meetings", json=new_meeting(ends_at="2025-09-30T09:00+02:00"))
    assert response.get_json()["errors"] == {
        "ends_at": ["De bijeenkomst moet later eindigen dan ze begint."]
    }


def test_missing_required_fields_are_each_named(api):
    response = api.post("/api/v1/meetings", json={"title": "Alleen een titel"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {
        "host_organisation",
        "city",
        "starts_at",
        "ends_at",
    }


def test_list_filters_upcoming_and_status(db, api):
    now = datetime.now(UTC)
    past = make_meeting(
        db,
        title="Geweest",
        starts_at=now - timedelta(days=30),
        ends_at=now - timedelta(days=30, hours=-3),
        status=MeetingStatus.HELD,
    )
    soon = make_meeting(
        db,
        title="Binnenkort",
        starts_at=now + timedelta(days=7),
        ends_at=now + timedelta(days=7, hours=3),
    )
    later = make_meeting(
        db,
        title="Later",
        starts_at=now + timedelta(days=60),
        ends_at=now + timedelta(days=60, hours=3),
        status=MeetingStatus.DRAFT,
    )

    def titles(query: str = "") -> list[str]:
        response = api.get(f"/api/v1/meetings{query}")
        assert response.status_code == 200, response.get_json()
        return [m["title"] for m in response.get_json()["items"]]

    assert titles() == [past.title, soon.title, later.title]
    assert titles("?upcoming=true") == [soon.title, later.title]
    assert titles("?upcoming=false") == [past.title]
    assert titles("?status=draft") == [later.title]
    assert titles("?upcoming=true&status=published") == [soon.title]


def test_list_refuses_an_unknown_status(api):
    response = api.get("/api/v1/meetings?status=gepland")
    assert response.status_code == 422
    assert "status" in response.get_json()["errors"]


def test_patch_moves_a_meeting_and_checks_against_the_stored_end(db, api):
    meeting = make_meeting(db)  # 10:00-13:00 local
    path = f"/api/v1/meetings/{meeting.id}"
    response = api.patch(path, json={"starts_at": "2025-06-03T11:00:00+02:00"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["starts_at_local"] == "2025-06-03T11:00:00+02:00"
    assert response.get_json()["ends_at_local"] == "2025-06-03T13:00:00+02:00"

    # Starting after the stored end is refused, and nothing changes.
    response = api.patch(path, json={"starts_at": "2025-06-03T14:00:00+02:00"})
    assert response.status_code == 422
    assert "ends_at" in response.get_json()["errors"]
    db.expire_all()
    assert db.get(Meeting, meeting.id).starts_at == amsterdam(date(2025, 6, 3), time(11, 0))


def test_patch_cancels_a_meeting_and_audits_the_change(db, api):
    meeting = make_meeting(db)
    response = api.patch(f"/api/v1/meetings/{meeting.id}", json={"status": "cancelled"})
    assert response.get_json()["status"] == "cancelled"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "meeting.update"))
    assert entry.detail["changes"] == {"status": ["published", "cancelled"]}


def test_put_replaces_the_whole_meeting(db, api):
    meeting = make_meeting(db)
    response = api.put(f"/api/v1/meetings/{meeting.id}", json=new_meeting(capacity=None))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["host_organisation"] == "Hogeschool van Amsterdam"
    assert body["capacity"] is None
    assert body["id"] == meeting.id


def test_put_needs_every_field(db, api):
    meeting = make_meeting(db)
    payload = new_meeting()
    del payload["description"], payload["capacity"]
    response = api.put(f"/api/v1/meetings/{meeting.id}", json=payload)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"description", "capacity"}


def test_unknown_meeting_is_404_for_read_and_change(api):
    for response in (
        api.get("/api/v1/meetings/999999"),
        api.patch("/api/v1/meetings/999999", json={"title": "x"}),
        api.put("/api/v1/meetings/999999", json=new_meeting()),
    ):
        assert response.status_code == 404
        assert response.get_json()["message"] == "Er is geen bijeenkomst met id 999999."


def test_meetings_cannot_be_deleted_through_the_api(db, app):
    meeting = make_meeting(db)
    admin = api_client(app, Role.ADMIN)
    response = admin.delete(f"/api/v1/meetings/{meeting.id}")
    assert response.status_code == 405
    assert response.get_json()["code"] == 405
    assert count_rows(db, Meeting) == 1


# --- reminders ---------------------------------------------------------------------------------


def test_reminders_are_listed_added_and_removed_through_the_api(app, db):
    english = api_client(app, Role.ORGANISER, language="en")
    created = english.post("/api/v1/meetings", json=new_meeting())  # 30 September 2025
    meeting_id = created.get_json()["id"]
    path = f"/api/v1/meetings/{meeting_id}/reminders"

    listed = english.get(path).get_json()
    assert listed["stopped"] is False
    assert [(r["days_before"], r["send_time"], r["audience"]) for r in listed["items"]] == [
        (7, "09:00", "yes"),
        (1, "09:00", "yes"),
    ]
    # 23 September 2025, 09:00 in Amsterdam (summer time).
    assert listed["items"][0]["due_at"] == "2025-09-23T07:00:00+00:00"
    assert listed["items"][0]["sent_at"] is None

    added = english.post(path, json={"days_before": 3, "audience": "unanswered"})
    assert added.status_code == 201
    assert added.get_json()["send_time"] == "09:00"
    assert added.get_json()["due_at"] == "2025-09-27T07:00:00+00:00"

    duplicate = english.post(path, json={"days_before": 3, "audience": "unanswered"})
    assert duplicate.status_code == 422
    assert "days_before" in duplicate.get_json()["errors"]
    wrong = english.post(path, json={"days_before": 99, "send_time": "9 uur", "audience": "all"})
    assert wrong.status_code == 422
    assert set(wrong.get_json()["errors"]) == {"days_before", "send_time", "audience"}

    reminder_id = added.get_json()["id"]
    assert english.delete(f"{path}/{reminder_id}").status_code == 204
    assert english.delete(f"{path}/{reminder_id}").status_code == 404
    assert len(english.get(path).get_json()["items"]) == 2
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.object_id == meeting_id))
    assert {"meeting.reminder_add", "meeting.reminder_remove"} <= set(actions)


def test_a_sent_reminder_cannot_be_removed_and_a_cancelled_meeting_sends_none(db, api):
    meeting = make_meeting(db, status=MeetingStatus.CANCELLED)
    sent = Reminder(days_before=1, send_time="09:00", audience="yes", sent_at=datetime.now(UTC))
    meeting.reminders.append(sent)
    db.commit()
    path = f"/api/v1/meetings/{meeting.id}/reminders"
    assert api.delete(f"{path}/{sent.id}").status_code == 409
    assert api.get(path).get_json()["stopped"] is True
    assert api.get("/api/v1/meetings/999/reminders").status_code == 404


def test_a_passed_over_reminder_is_told_apart_from_a_sent_one(db, api):
    from service.campaigns import store

    meeting = make_meeting(db)
    campaign = store.create_campaign(
        db, kind="reminder", subject="Herinnering", meeting_id=meeting.id, actor=None
    )
    went = datetime(2025, 5, 27, 7, 0, tzinfo=UTC)
    # What the scheduler leaves: the week reminder went as a campaign, the day reminder came
    # too late and was passed over (sent_at set, no campaign), a third is still to come.
    meeting.reminders[:] = [
        Reminder(days_before=7, audience="yes", sent_at=went, campaign_id=campaign.id),
        Reminder(days_before=1, audience="yes", sent_at=went),
        Reminder(days_before=0, audience="yes"),
    ]
    db.commit()

    items = api.get(f"/api/v1/meetings/{meeting.id}/reminders").get_json()["items"]
    by_days = {item["days_before"]: item for item in items}
    assert by_days[7]["passed_over"] is False and by_days[7]["sent_at"] is not None
    assert by_days[1]["passed_over"] is True and by_days[1]["sent_at"] is not None
    assert by_days[0]["passed_over"] is False and by_days[0]["sent_at"] is None
