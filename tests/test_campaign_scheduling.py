"""Scheduling campaigns (composer and API), richer audiences in the composer, the recap offer."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from service import dates
from service.campaigns import store
from service.campaigns.lifecycle import status_reason
from service.meetings.invitations import invite_contacts, mark_attended
from service.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Consent,
    Delivery,
    Invitation,
    MeetingStatus,
    Role,
    User,
    utcnow,
)
from service.scheduler.jobs import run_due
from service.settings import settings_of
from tests.api_helpers import api_client
from tests.builders import amsterdam, make_announcement, make_contact, make_meeting
from tests.conftest import csrf_token_from

ZONE = "Europe/Amsterdam"


@pytest.fixture
def english(db, admin_user):
    """The organiser reads English, so the tests can quote the msgids whatever the catalog holds."""
    db.get(User, admin_user).language = "en"
    db.commit()


def _fresh(db, campaign) -> Campaign:
    db.expire_all()
    return db.get(Campaign, campaign.id)


def _in_ten_days() -> date:
    return dates.utc_to_local(utcnow() + timedelta(days=10), ZONE).date()


def _schedule(organiser, campaign, day: date | str, clock: str = "08:30"):
    page = organiser.get(f"/campaigns/{campaign.id}/send").get_data(as_text=True)
    return organiser.post(
        f"/campaigns/{campaign.id}/schedule",
        data={"csrf_token": csrf_token_from(page), "date": str(day), "time": clock},
    )


def _late(app, db, campaign) -> Campaign:
    """A campaign due on 2 June 2025, 08:30 that the scheduler found 7 hours late."""
    at = amsterdam(date(2025, 6, 2), time(8, 30))
    store.schedule_campaign(db, campaign, at, actor=None, now=at - timedelta(days=1))
    db.commit()
    run_due(db, now=at + timedelta(hours=7), settings=settings_of(app))
    return _fresh(db, campaign)


# --- the composer: schedule, unschedule, late ------------------------------------------------


def test_the_send_page_offers_a_date_and_time_to_schedule(organiser, db, english):
    campaign = make_announcement(db)
    page = organiser.get(f"/campaigns/{campaign.id}/send").get_data(as_text=True)
    assert '<label for="date">Date</label>' in page
    assert '<label for="time">Time</label>' in page
    assert 'type="date"' in page and 'type="time"' in page
    assert 'id="confirm-schedule"' in page and ">Schedule<" in page


def test_an_organiser_schedules_a_draft_and_sees_when_it_goes(organiser, db, english):
    make_contact(db)
    campaign = make_announcement(db)
    day = _in_ten_days()
    answer = _schedule(organiser, campaign, day)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/campaigns/{campaign.id}")
    scheduled = _fresh(db, campaign)
    assert scheduled.status == CampaignStatus.SCHEDULED
    assert scheduled.scheduled_at == amsterdam(day, time(8, 30))
    assert db.scalars(select(Delivery)).all() == []

    composer = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    shown = dates.format_local(scheduled.scheduled_at, ZONE, "en")
    assert "Scheduled for" in composer and shown in composer
    assert 'id="unschedule"' in composer
    listing = organiser.get("/campaigns/").get_data(as_text=True)
    assert shown in listing


def test_the_composer_shows_the_moment_in_dutch(organiser, db):
    campaign = make_announcement(db)
    at = amsterdam(date(2025, 6, 3), time(8, 30))
    store.schedule_campaign(db, campaign, at, actor=None, now=at - timedelta(days=1))
    db.commit()
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "dinsdag 3 juni 2025, 08:30" in page
    assert "Ingepland voor" in page or "Scheduled for" in page


def test_unscheduling_takes_it_back_to_draft(organiser, db, english):
    campaign = make_announcement(db)
    _schedule(organiser, campaign, _in_ten_days())
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    answer = organiser.post(
        f"/campaigns/{campaign.id}/unschedule", data={"csrf_token": csrf_token_from(page)}
    )
    assert answer.status_code == 302
    draft = _fresh(db, campaign)
    assert draft.status == CampaignStatus.DRAFT and draft.scheduled_at is None
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "no longer scheduled" in page and 'id="unschedule"' not in page


def test_a_moment_in_the_past_is_refused(organiser, db, english):
    campaign = make_announcement(db)
    yesterday = dates.utc_to_local(utcnow() - timedelta(days=1), ZONE).date()
    answer = _schedule(organiser, campaign, yesterday)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Choose a moment in the future to send the campaign." in page
    assert 'aria-invalid="true"' in page
    assert _fresh(db, campaign).status == CampaignStatus.DRAFT


def test_an_unreadable_time_is_refused_next_to_the_field(organiser, db, english):
    campaign = make_announcement(db)
    answer = _schedule(organiser, campaign, _in_ten_days(), clock="half negen")
    assert answer.status_code == 422
    assert "Enter the time as hours:minutes" in answer.get_data(as_text=True)
    assert _fresh(db, campaign).status == CampaignStatus.DRAFT


def test_a_campaign_that_fails_its_checks_is_not_scheduled(organiser, db, english):
    campaign = make_announcement(
        db, blocks=[{"type": "image", "src": "https://example.org/f.jpg", "alt": ""}]
    )
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    answer = organiser.post(
        f"/campaigns/{campaign.id}/schedule",
        data={"csrf_token": csrf_token_from(page), "date": str(_in_ten_days()), "time": "08:30"},
    )
    assert answer.status_code == 422
    assert "error(s), so nothing was sent" in answer.get_data(as_text=True)
    assert _fresh(db, campaign).status == CampaignStatus.DRAFT


def test_scheduling_needs_a_login_and_a_csrf_token(client, organiser, db):
    campaign = make_announcement(db)
    data = {"date": str(_in_ten_days()), "time": "08:30"}
    assert organiser.post(f"/campaigns/{campaign.id}/schedule", data=data).status_code in (400, 422)
    assert organiser.post(f"/campaigns/{campaign.id}/unschedule", data={}).status_code == 400
    organiser.post("/logout", data={"csrf_token": csrf_token_from(organiser.get("/").text)})
    anonymous = client.post(f"/campaigns/{campaign.id}/schedule", data=data)
    assert anonymous.status_code in (302, 400)
    assert _fresh(db, campaign).status == CampaignStatus.DRAFT


def test_a_late_campaign_shows_the_reason_with_send_now_and_schedule_again(
    app, organiser, db, english
):
    make_contact(db)
    late = _late(app, db, make_announcement(db))
    assert late.status == CampaignStatus.SCHEDULED and status_reason(late)
    page = organiser.get(f"/campaigns/{late.id}").get_data(as_text=True)
    assert 'id="schedule-late"' in page
    assert "did not start" in page and "more than 6 hours" in page
    assert f'href="/campaigns/{late.id}/send" id="late-send-now"' in page or (
        'id="late-send-now"' in page and ">Send now<" in page
    )
    assert 'id="reschedule"' in page and "Schedule again" in page
    # Scheduling it again clears the reason.
    _schedule(organiser, late, _in_ten_days(), "09:15")
    again = _fresh(db, late)
    assert again.status == CampaignStatus.SCHEDULED and status_reason(again) == ""
    assert again.scheduled_at == amsterdam(_in_ten_days(), time(9, 15))
    assert 'id="schedule-late"' not in organiser.get(f"/campaigns/{late.id}").text


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def api(app):
    return api_client(app, Role.ORGANISER, language="en")


def test_api_schedules_and_unschedules_a_campaign(api, db):
    campaign = make_announcement(db)
    at = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    answer = api.post(
        f"/api/v1/campaigns/{campaign.id}/schedule", json={"scheduled_at": at.isoformat()}
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "scheduled"
    assert datetime.fromisoformat(answer.json["scheduled_at"]) == at
    # Without an offset, a wall-clock time in Europe/Amsterdam.
    later = api.post(
        f"/api/v1/campaigns/{campaign.id}/schedule",
        json={"scheduled_at": f"{_in_ten_days().isoformat()}T08:30:00"},
    )
    assert later.status_code == 200, later.json
    assert _fresh(db, campaign).scheduled_at == amsterdam(_in_ten_days(), time(8, 30))

    undone = api.post(f"/api/v1/campaigns/{campaign.id}/unschedule", json={})
    assert undone.status_code == 200
    assert undone.json["status"] == "draft" and undone.json["scheduled_at"] is None
    assert api.post(f"/api/v1/campaigns/{campaign.id}/unschedule", json={}).status_code == 409


def test_api_refuses_a_past_moment_a_failing_email_and_a_sent_campaign(api, db):
    campaign = make_announcement(db)
    past = api.post(
        f"/api/v1/campaigns/{campaign.id}/schedule",
        json={"scheduled_at": (utcnow() - timedelta(minutes=1)).isoformat()},
    )
    assert past.status_code == 422
    assert "scheduled_at" in past.json["errors"]

    broken = make_announcement(
        db, blocks=[{"type": "image", "src": "https://example.org/f.jpg", "alt": ""}]
    )
    future = {"scheduled_at": (utcnow() + timedelta(days=1)).isoformat()}
    failing = api.post(f"/api/v1/campaigns/{broken.id}/schedule", json=future)
    assert failing.status_code == 422 and failing.json["errors"]["lint"]
    assert _fresh(db, broken).status == CampaignStatus.DRAFT

    make_contact(db)
    api.post(f"/api/v1/campaigns/{campaign.id}/send", json={})
    assert api.post(f"/api/v1/campaigns/{campaign.id}/schedule", json=future).status_code == 409
    assert api.post("/api/v1/campaigns/999999/schedule", json=future).status_code == 404
    missing = api.post(f"/api/v1/campaigns/{broken.id}/schedule", json={})
    assert missing.status_code == 422


# --- audiences ---------------------------------------------------------------------------------


def _composer_post(organiser, campaign, **audience):
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(page),
        "version": str(campaign.version),
        "kind": str(campaign.kind),
        "subject": campaign.subject,
        "preheader": campaign.preheader,
        "sender_name": campaign.sender_name,
        "meeting_id": str(campaign.meeting_id or ""),
        "blocks-0-type": "text",
        "blocks-0-body": "Beste [[first_name]], hier is het nieuws.",
        "action": "save",
    } | audience
    return organiser.post(f"/campaigns/{campaign.id}", data=data)


def _held_meeting_with_attendance(db):
    """A held meeting: two came (one without consent), one was invited but did not come."""
    meeting = make_meeting(db, status=MeetingStatus.HELD)
    came = make_contact(db, email="kwam@example.nl")
    came_no_consent = make_contact(db, email="kwam-zonder@example.nl", consent=Consent.WITHDRAWN)
    stayed_away = make_contact(db, email="bleef-weg@example.nl")
    make_contact(db, email="niet-uitgenodigd@example.nl")
    invite_contacts(db, meeting, [came.id, came_no_consent.id, stayed_away.id])
    db.flush()
    ids = dict(
        db.execute(
            select(Invitation.contact_id, Invitation.id).where(Invitation.meeting_id == meeting.id)
        ).all()
    )
    mark_attended(db, meeting, [ids[came.id], ids[came_no_consent.id]])
    db.commit()
    return meeting


def test_the_composer_offers_attended_addresses_and_answers(organiser, db, english):
    meeting = _held_meeting_with_attendance(db)
    campaign = make_announcement(db)
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "<legend>People who came to an earlier meeting</legend>" in page
    assert f'value="{meeting.id}"' in page
    assert '<label for="emails">Single addresses</label>' in page
    assert "<legend>Invited people who answered</legend>" in page
    for answer in ("yes", "no", "waiting", "invited"):
        assert f'type="checkbox" value="{answer}"' in page or f'value="{answer}"' in page


def test_a_campaign_to_those_who_attended_reaches_exactly_them(app, organiser, db, english):
    meeting = _held_meeting_with_attendance(db)
    campaign = make_announcement(db)
    answer = _composer_post(organiser, campaign, audience="selection", attended=str(meeting.id))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    stored = _fresh(db, campaign)
    assert stored.audience == {"provinces": [], "tags": [], "attended": [meeting.id]}
    page = organiser.get(f"/campaigns/{campaign.id}/send").get_data(as_text=True)
    assert 'id="recipient-count">1<' in page

    page_token = csrf_token_from(page)
    organiser.post(f"/campaigns/{campaign.id}/send", data={"csrf_token": page_token})
    recipients = db.scalars(select(Delivery.email).where(Delivery.campaign_id == campaign.id))
    assert list(recipients) == ["kwam@example.nl"]


def test_single_addresses_and_answers_are_stored_and_counted(organiser, db, english):
    meeting = make_meeting(db)
    yes, no, silent = (make_contact(db, email=f"{n}@example.nl") for n in ("ja", "nee", "stil"))
    make_contact(db, email="los@example.nl")
    make_contact(db, email="ander@example.nl")
    invite_contacts(db, meeting, [yes.id, no.id, silent.id])
    for contact, answer in ((yes, "yes"), (no, "no")):
        db.scalar(select(Invitation).filter_by(contact_id=contact.id)).answer = answer
    db.commit()
    campaign = make_announcement(db, meeting_id=meeting.id)
    answer = _composer_post(
        organiser,
        campaign,
        audience="selection",
        emails="LOS@example.nl,\r\nander@example.nl",
        answers=["yes", "invited"],
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    stored = _fresh(db, campaign).audience
    assert stored["emails"] == ["ander@example.nl", "los@example.nl"]
    assert stored["meeting"] == {"id": meeting.id, "answers": ["invited", "yes"]}
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "ander@example.nl\nlos@example.nl" in page  # shown again as typed, one per line
    send = organiser.get(f"/campaigns/{campaign.id}/send").get_data(as_text=True)
    assert 'id="recipient-count">4<' in send  # ja, stil, los, ander


def test_answers_without_a_meeting_and_unknown_addresses_are_refused(organiser, db, english):
    campaign = make_announcement(db)
    answer = _composer_post(organiser, campaign, audience="selection", answers=["yes"])
    assert answer.status_code == 422
    assert "Choose a meeting and the answers to reach." in answer.get_data(as_text=True)
    unknown = _composer_post(organiser, campaign, audience="selection", emails="wie@example.nl")
    assert unknown.status_code == 422
    assert "No contact has the address wie@example.nl" in unknown.get_data(as_text=True)
    assert _fresh(db, campaign).audience == {"all": True}


# --- the recap offered after a meeting -------------------------------------------------------


def test_new_campaign_offers_a_recap_of_a_held_meeting(app, organiser, db, english):
    held = make_meeting(db, status=MeetingStatus.HELD)
    over = make_meeting(
        db,
        title="Opgavebeweging bij Provincie Utrecht",
        host_organisation="Provincie Utrecht",
        starts_at=utcnow() - timedelta(days=2),
        ends_at=utcnow() - timedelta(days=2) + timedelta(hours=3),
    )
    coming = make_meeting(
        db,
        title="Opgavebeweging bij Hogeschool van Amsterdam",
        starts_at=utcnow() + timedelta(days=30),
        ends_at=utcnow() + timedelta(days=30, hours=3),
    )
    page = organiser.get("/campaigns/new").get_data(as_text=True)
    assert f"Recap of {held.title}" in page and f"Recap of {over.title}" in page
    assert f"Recap of {coming.title}" not in page

    answer = organiser.post(
        "/campaigns/new",
        data={"csrf_token": csrf_token_from(page), "kind": "recap", "meeting_id": str(held.id)},
    )
    assert answer.status_code == 302
    recap = db.scalars(select(Campaign).order_by(Campaign.id.desc())).first()
    assert recap.kind == CampaignKind.RECAP and recap.meeting_id == held.id
    assert recap.subject == f"Recap: {held.title}"
    header, _text, upcoming = recap.blocks
    assert header["type"] == "header" and header["date"] == "2025-06-03"
    assert header["host"] == "Gemeente Zwolle"
    assert upcoming["type"] == "upcoming_meetings"
    assert recap.audience == {"all": True}


@pytest.mark.parametrize("day", ["0001-01-01", "2201-01-01", "9999-12-31"])
def test_a_day_outside_1900_to_2200_is_refused_next_to_the_field(organiser, db, english, day):
    campaign = make_announcement(db)
    answer = _schedule(organiser, campaign, day, clock="23:30")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Choose a date from 1900-01-01 to 2200-12-31." in page
    assert 'aria-invalid="true"' in page
    assert _fresh(db, campaign).status == CampaignStatus.DRAFT
