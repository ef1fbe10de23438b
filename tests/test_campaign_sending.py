"""Sending from the organiser pages: confirm, progress (page and JSON), pause, resume, cancel."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from service.campaigns.lifecycle import relay_said
from service.delivery.queue import campaign_progress, pause_by_itself
from service.meetings.invitations import invite_contacts
from service.models import (
    Answer,
    Campaign,
    CampaignStatus,
    Consent,
    Delivery,
    DeliveryStatus,
    Invitation,
    MeetingStatus,
    User,
    utcnow,
)
from tests.builders import amsterdam, make_announcement, make_contact, make_meeting
from tests.conftest import csrf_token_from
from tests.mail_helpers import drain


@pytest.fixture(autouse=True)
def english(db, admin_user):
    """The organiser reads English, so the tests can quote the msgids whatever the catalog holds."""
    db.get(User, admin_user).language = "en"
    db.commit()


def _people(db, count: int) -> list:
    people = [make_contact(db) for _ in range(count)]
    make_contact(db, consent=Consent.WITHDRAWN)  # never counted
    db.commit()
    return people


def _deliveries(db, campaign) -> int:
    db.expire_all()
    query = select(func.count()).select_from(Delivery).where(Delivery.campaign_id == campaign.id)
    return db.scalar(query)


def _status(db, campaign) -> CampaignStatus:
    db.expire_all()
    return db.get(Campaign, campaign.id).status


def _send(organiser, campaign):
    page = organiser.get(f"/campaigns/{campaign.id}/send").get_data(as_text=True)
    return organiser.post(
        f"/campaigns/{campaign.id}/send", data={"csrf_token": csrf_token_from(page)}
    )


def _shown_count(html: str, name: str) -> int:
    match = re.search(rf'id="count-{name}"[^>]*>(\d+)<', html)
    assert match, f"no count-{name} on the page"
    return int(match.group(1))


def test_confirmation_shows_the_recipient_count_then_sending_starts(organiser, db):
    _people(db, 3)
    campaign = make_announcement(db)
    composer = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert f'href="/campaigns/{campaign.id}/send"' in composer and "Send…" in composer

    page = organiser.get(f"/campaigns/{campaign.id}/send")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'id="recipient-count"[^>]*>3<', html)
    assert _deliveries(db, campaign) == 0  # looking at the question sends nothing

    started = organiser.post(
        f"/campaigns/{campaign.id}/send", data={"csrf_token": csrf_token_from(html)}
    )
    assert started.status_code == 302
    assert started.headers["Location"].endswith(f"/campaigns/{campaign.id}/sending")
    assert _deliveries(db, campaign) == 3
    assert _status(db, campaign) == CampaignStatus.SENDING
    progress = organiser.get(started.headers["Location"]).get_data(as_text=True)
    assert "Sending has started to 3 recipients." in progress
    assert (_shown_count(progress, "waiting"), _shown_count(progress, "total")) == (3, 3)

    # Sending now: the composer is read-only and points at the progress; a second send is refused.
    composer = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert f'href="/campaigns/{campaign.id}/sending"' in composer
    assert 'id="send-now"' not in composer
    again = organiser.get(f"/campaigns/{campaign.id}/send")
    assert again.status_code == 302 and again.headers["Location"].endswith("/sending")
    assert _deliveries(db, campaign) == 3


def test_send_needs_the_csrf_token_and_a_login(client, organiser, db):
    _people(db, 2)
    campaign = make_announcement(db)
    refused = organiser.post(f"/campaigns/{campaign.id}/send", data={})
    assert refused.status_code == 400
    assert _deliveries(db, campaign) == 0

    anonymous = organiser.application.test_client()
    for method, path in [
        ("get", f"/campaigns/{campaign.id}/send"),
        ("post", f"/campaigns/{campaign.id}/send"),
        ("get", f"/campaigns/{campaign.id}/sending"),
        ("post", f"/campaigns/{campaign.id}/pause"),
    ]:
        answer = getattr(anonymous, method)(path)
        assert answer.status_code in (302, 400), (method, path)
        if answer.status_code == 302:
            assert "/login" in answer.headers["Location"]
    assert _deliveries(db, campaign) == 0


def test_a_campaign_with_lint_errors_is_refused_with_the_reasons(organiser, db):
    _people(db, 2)
    campaign = make_announcement(
        db, blocks=[{"type": "image", "src": "https://example.org/foto.jpg", "alt": ""}]
    )
    page = organiser.get(f"/campaigns/{campaign.id}/send").get_data(as_text=True)
    assert 'id="send-problem"' in page and 'id="confirm-send"' not in page
    assert "error(s), so nothing was sent" in page
    # Posting anyway (an old tab) is refused just the same.
    token = csrf_token_from(page)
    answer = organiser.post(f"/campaigns/{campaign.id}/send", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/send")
    assert _deliveries(db, campaign) == 0
    assert _status(db, campaign) == CampaignStatus.DRAFT


def test_a_campaign_that_cannot_render_is_refused(organiser, db):
    _people(db, 1)
    campaign = make_announcement(db)
    db.get(Campaign, campaign.id).subject = "Hallo [[schoenmaat]]"  # past the store's checks
    db.commit()
    page = organiser.get(f"/campaigns/{campaign.id}/send").get_data(as_text=True)
    assert "could not be rendered" in page and "schoenmaat" in page
    assert 'id="confirm-send"' not in page
    assert _deliveries(db, campaign) == 0


def test_progress_page_and_json_show_what_the_relay_said(app, organiser, db, smtp_server):
    _people(db, 3)
    make_contact(db, email="bestaat.niet@example.nl")
    db.commit()
    smtp_server.handler.refused = {"bestaat.niet@example.nl": "550 5.1.1 no such user"}
    campaign = make_announcement(db)
    assert _send(organiser, campaign).status_code == 302

    drain(app, smtp_server, batch_size=2)

    html = organiser.get(f"/campaigns/{campaign.id}/sending").get_data(as_text=True)
    assert (
        _shown_count(html, "sent"),
        _shown_count(html, "failed"),
        _shown_count(html, "waiting"),
    ) == (3, 1, 0)
    assert 'aria-live="polite"' in html and "progress.js" in html
    assert "bestaat.niet@example.nl" in html and "no such user" in html
    assert 'id="pause"' in html  # the form is there for the script, hidden now it is sent
    data = organiser.get(f"/campaigns/{campaign.id}/progress.json").get_json()
    assert data["status"] == "sent" and data["status_label"] == "Sent"
    assert data["progress"]["sent"] == 3 and data["progress"]["failed"] == 1
    assert data["progress"]["total"] == 4 and data["display"]["sent_at"]
    listed = organiser.get("/campaigns/").get_data(as_text=True)
    assert f'href="/campaigns/{campaign.id}/sending"' in listed


def _sent_at(db, campaign, moment: datetime) -> None:
    """Put every sent delivery of the campaign at one moment, as a fast relay would."""
    db.execute(
        update(Delivery)
        .where(Delivery.campaign_id == campaign.id, Delivery.sent_at.is_not(None))
        .values(sent_at=moment)
    )
    db.commit()


def test_a_sent_campaign_says_it_was_sent_and_how_fast(app, organiser, db, smtp_server):
    _people(db, 35)
    campaign = make_announcement(db, subject="Voorjaarsbericht")
    _send(organiser, campaign)
    drain(app, smtp_server)
    # All 35 within one second: not "7 a minute" (35 over five minutes), but what happened.
    _sent_at(db, campaign, utcnow() - timedelta(seconds=30))

    html = organiser.get(f"/campaigns/{campaign.id}/sending").get_data(as_text=True)
    assert "<title>“Voorjaarsbericht” has been sent ·" in html
    assert re.search(r"<h1[^>]*>“Voorjaarsbericht” has been sent</h1>", html)
    assert "Sending “Voorjaarsbericht”" not in html
    assert re.search(r'id="rate"[^>]*>35 messages in 1 second<', html)
    assert "Pace of the send:" in html
    data = organiser.get(f"/campaigns/{campaign.id}/progress.json").get_json()
    assert data["heading"] == "“Voorjaarsbericht” has been sent"
    assert data["display"]["pace"] == "35 messages in 1 second"

    composer = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert re.search(r"<h1>View “Voorjaarsbericht”</h1>", composer)
    assert "Compose “Voorjaarsbericht”" not in composer


def test_the_rate_counts_the_time_the_messages_really_took(app, organiser, db, smtp_server):
    _people(db, 45)
    campaign = make_announcement(db)
    _send(organiser, campaign)
    drain(app, smtp_server)
    started = utcnow() - timedelta(minutes=2)
    _sent_at(db, campaign, started)
    # Ten are still to go: the campaign is sending again.
    waiting = db.scalars(
        select(Delivery.id).where(Delivery.campaign_id == campaign.id).limit(10)
    ).all()
    db.execute(
        update(Delivery)
        .where(Delivery.id.in_(waiting))
        .values(status=DeliveryStatus.QUEUED, sent_at=None)
    )
    db.get(Campaign, campaign.id).status = CampaignStatus.SENDING
    db.commit()

    progress = campaign_progress(db, campaign.id, now=started + timedelta(minutes=1))
    # 35 in the one minute since the first of them, not 35 over the whole five-minute window.
    assert progress.rate_per_minute == pytest.approx(35.0)
    assert progress.expected_end == started + timedelta(minutes=1 + 10 / 35)
    html = organiser.get(f"/campaigns/{campaign.id}/sending").get_data(as_text=True)
    assert re.search(r"<h1[^>]*>Sending “", html)
    assert "Pace (last five minutes):" in html


def test_progress_json_needs_a_login(client, organiser, db):
    campaign = make_announcement(db)
    assert organiser.get(f"/campaigns/{campaign.id}/progress.json").status_code == 200
    anonymous = organiser.application.test_client()
    answer = anonymous.get(f"/campaigns/{campaign.id}/progress.json")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert organiser.get("/campaigns/999999/progress.json").status_code == 404


def test_pause_resume_and_cancel_after_confirmation(organiser, db):
    _people(db, 2)
    campaign = make_announcement(db)
    _send(organiser, campaign)
    page = organiser.get(f"/campaigns/{campaign.id}/sending").get_data(as_text=True)
    token = csrf_token_from(page)

    assert organiser.post(f"/campaigns/{campaign.id}/pause", data={}).status_code == 400
    assert _status(db, campaign) == CampaignStatus.SENDING
    paused = organiser.post(f"/campaigns/{campaign.id}/pause", data={"csrf_token": token})
    assert paused.status_code == 302 and _status(db, campaign) == CampaignStatus.PAUSED
    assert "Sending is paused." in organiser.get(paused.headers["Location"]).get_data(as_text=True)

    again = organiser.post(f"/campaigns/{campaign.id}/pause", data={"csrf_token": token})
    shown = organiser.get(again.headers["Location"]).get_data(as_text=True)
    assert "Only a campaign that is sending can be paused." in shown

    organiser.post(f"/campaigns/{campaign.id}/resume", data={"csrf_token": token})
    assert _status(db, campaign) == CampaignStatus.SENDING

    question = organiser.get(f"/campaigns/{campaign.id}/cancel")
    assert question.status_code == 200 and _status(db, campaign) == CampaignStatus.SENDING
    cancel_token = csrf_token_from(question.get_data(as_text=True))
    done = organiser.post(f"/campaigns/{campaign.id}/cancel", data={"csrf_token": cancel_token})
    assert done.status_code == 302 and _status(db, campaign) == CampaignStatus.CANCELLED
    html = organiser.get(done.headers["Location"]).get_data(as_text=True)
    assert "Sending is cancelled." in html and _shown_count(html, "cancelled") == 2


def test_why_the_send_paused_itself_is_shown(organiser, db):
    _people(db, 1)
    campaign = make_announcement(db)
    _send(organiser, campaign)
    pause_by_itself(db, campaign.id, relay_said("535 5.7.8 authentication failed"))
    db.commit()
    html = organiser.get(f"/campaigns/{campaign.id}/sending").get_data(as_text=True)
    assert "535 5.7.8 authentication failed" in html
    assert re.search(r'<div data-show-when="paused">\s*<form', html)  # Resume is offered
    data = organiser.get(f"/campaigns/{campaign.id}/progress.json").get_json()
    assert data["status"] == "paused"
    assert data["status_reason"] == "535 5.7.8 authentication failed"


# ---------------------------------------------------------------------------------------------
# Invitations and reminders whose meeting can no longer be answered


SOON = {
    # A published meeting in 2027, answerable by the real clock.
    "starts_at": amsterdam(date(2027, 6, 1), time(10, 0)),
    "ends_at": amsterdam(date(2027, 6, 1), time(13, 0)),
}
CLOSED_MEETINGS = {
    "past": ({}, "The meeting has already taken place"),  # make_meeting: 3 June 2025
    "held": (SOON | {"status": MeetingStatus.HELD}, "The meeting has already taken place"),
    "cancelled": (SOON | {"status": MeetingStatus.CANCELLED}, "The meeting has been cancelled"),
    "draft": (SOON | {"status": MeetingStatus.DRAFT}, "The meeting is still a draft"),
    "deadline": (
        SOON | {"registration_deadline": datetime(2026, 1, 1, tzinfo=UTC)},
        "Registration for the meeting has closed",
    ),
}


def _about_meeting(db, kind: str, meeting, **fields):
    return make_announcement(
        db, kind=kind, meeting_id=meeting.id, subject="Kom je, [[first_name]]?", **fields
    )


@pytest.mark.parametrize("kind", ["invitation", "reminder"])
@pytest.mark.parametrize("closed", list(CLOSED_MEETINGS))
def test_an_invitation_or_reminder_for_a_meeting_that_cannot_be_answered_is_refused(
    organiser, db, kind, closed
):
    _people(db, 2)
    meeting_fields, message = CLOSED_MEETINGS[closed]
    campaign = _about_meeting(db, kind, make_meeting(db, **meeting_fields))
    composer = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert message in composer
    assert "No problems found" not in composer
    page = organiser.get(f"/campaigns/{campaign.id}/send").get_data(as_text=True)
    assert 'id="send-problem"' in page and 'id="confirm-send"' not in page
    assert message in page
    answer = organiser.post(
        f"/campaigns/{campaign.id}/send", data={"csrf_token": csrf_token_from(page)}
    )
    assert answer.status_code == 302
    assert _deliveries(db, campaign) == 0
    assert _status(db, campaign) == CampaignStatus.DRAFT


def test_after_the_deadline_a_reminder_may_still_go_to_those_who_said_yes(organiser, db):
    meeting = make_meeting(db, **CLOSED_MEETINGS["deadline"][0])
    coming = make_contact(db)
    invite_contacts(db, meeting, [coming.id])
    db.scalar(select(Invitation)).answer = Answer.YES
    db.commit()
    to_yes = _about_meeting(
        db, "reminder", meeting, audience={"meeting": {"id": meeting.id, "answers": ["yes"]}}
    )
    assert "No problems found" in organiser.get(f"/campaigns/{to_yes.id}").get_data(as_text=True)
    assert _send(organiser, to_yes).status_code == 302
    assert _deliveries(db, to_yes) == 1
    # To those who never answered it would be a question nobody can answer any more.
    to_silent = _about_meeting(
        db, "reminder", meeting, audience={"meeting": {"id": meeting.id, "answers": ["invited"]}}
    )
    page = organiser.get(f"/campaigns/{to_silent.id}/send").get_data(as_text=True)
    assert "Registration for the meeting has closed" in page and 'id="confirm-send"' not in page


def test_an_invitation_without_its_meeting_is_refused(organiser, db):
    _people(db, 1)
    campaign = make_announcement(db, kind="invitation")
    page = organiser.get(f"/campaigns/{campaign.id}/send").get_data(as_text=True)
    assert "Choose the meeting this email is about" in page
    assert 'id="confirm-send"' not in page


def test_an_invitation_for_a_good_meeting_passes_the_checks(organiser, db):
    _people(db, 1)
    campaign = _about_meeting(db, "invitation", make_meeting(db, **SOON))
    composer = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "No problems found" in composer
