"""The scheduler with a controlled clock: scheduled campaigns, reminders, the lease."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from service.campaigns import store
from service.campaigns.lifecycle import status_reason
from service.campaigns.reminders import add_default_reminders, due_at
from service.campaigns.sending import NotReadyError, schedule_campaign
from service.meetings.invitations import answer_invitation, invite_contacts
from service.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Delivery,
    Invitation,
    MeetingStatus,
    Reminder,
)
from service.rendering.network import network_from_config
from service.scheduler.jobs import Clock, hold_lease, run_due
from service.settings import settings_of
from tests.builders import amsterdam, make_announcement, make_contact, make_meeting


def _tick(app, db, now):
    report = run_due(db, now=now, settings=settings_of(app))
    db.expire_all()
    return report


def _recipients(db, campaign_id) -> list[str]:
    return sorted(db.scalars(select(Delivery.email).where(Delivery.campaign_id == campaign_id)))


def test_a_scheduled_campaign_starts_at_its_moment_not_before(app, db):
    make_contact(db, email="lid@example.nl")
    campaign = make_announcement(db)
    at = amsterdam(date(2025, 6, 2), time(8, 30))
    store.schedule_campaign(db, campaign, at, actor=None, now=at - timedelta(days=1))
    db.commit()

    assert _tick(app, db, at - timedelta(minutes=1)).started == []
    assert db.get(Campaign, campaign.id).status == CampaignStatus.SCHEDULED
    assert _tick(app, db, at + timedelta(seconds=20)).started == [campaign.id]
    assert db.get(Campaign, campaign.id).status == CampaignStatus.SENDING
    assert _recipients(db, campaign.id) == ["lid@example.nl"]
    # The next tick finds nothing more to do.
    assert _tick(app, db, at + timedelta(seconds=50)).started == []


def test_a_campaign_more_than_six_hours_late_waits_for_an_organiser(app, db):
    make_contact(db)
    campaign = make_announcement(db)
    at = datetime(2025, 6, 2, 6, 30, tzinfo=UTC)
    store.schedule_campaign(db, campaign, at, actor=None, now=at - timedelta(days=1))
    db.commit()
    report = _tick(app, db, at + timedelta(hours=6, minutes=1))
    assert report.too_late == [campaign.id] and report.started == []
    late = db.get(Campaign, campaign.id)
    assert late.status == CampaignStatus.SCHEDULED
    assert "more than 6 hours" in status_reason(late)
    assert _recipients(db, campaign.id) == []


def test_scheduling_in_the_past_is_refused(app, db):
    campaign = make_announcement(db)
    now = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    with pytest.raises(store.CampaignError):
        store.schedule_campaign(db, campaign, now - timedelta(minutes=5), actor=None, now=now)


def _meeting_with_answers(db):
    meeting = make_meeting(db)  # Gemeente Zwolle, dinsdag 3 juni 2025, 10:00
    add_default_reminders(db, meeting)
    yes, no, silent = (make_contact(db, email=f"{n}@example.nl") for n in ("ja", "nee", "stil"))
    invite_contacts(db, meeting, [yes.id, no.id, silent.id])
    db.commit()
    by_contact = {i.contact_id: i for i in db.scalars(select(Invitation))}
    before = datetime(2025, 5, 1, tzinfo=UTC)
    answer_invitation(db, by_contact[yes.id], coming=True, now=before)
    answer_invitation(db, by_contact[no.id], coming=False, now=before)
    db.commit()
    return meeting


def test_reminders_are_due_at_nine_local_time_across_daylight_saving(app, db):
    meeting = make_meeting(
        db,
        starts_at=amsterdam(date(2025, 3, 31), time(10, 0)),
        ends_at=amsterdam(date(2025, 3, 31), time(12, 0)),
    )
    add_default_reminders(db, meeting)
    db.commit()
    week, day = sorted(meeting.reminders, key=lambda r: -r.days_before)
    # 24 March is still winter time (UTC+1), 30 March already summer time (UTC+2).
    assert due_at(week, meeting, "Europe/Amsterdam") == datetime(2025, 3, 24, 8, 0, tzinfo=UTC)
    assert due_at(day, meeting, "Europe/Amsterdam") == datetime(2025, 3, 30, 7, 0, tzinfo=UTC)


def test_reminders_go_once_to_those_who_said_yes(app, db):
    meeting = _meeting_with_answers(db)
    week_due = amsterdam(date(2025, 5, 27), time(9, 0))

    assert _tick(app, db, week_due - timedelta(minutes=1)).reminders == []
    [sent] = _tick(app, db, week_due).reminders
    reminder_campaign = db.get(Campaign, sent.campaign_id)
    assert reminder_campaign.kind == CampaignKind.REMINDER
    assert reminder_campaign.meeting_id == meeting.id
    assert _recipients(db, sent.campaign_id) == ["ja@example.nl"]
    # A restart of the scheduler (a new Clock) and later ticks send it no second time.
    clock = Clock(app.extensions["db_sessionmaker"], settings_of(app), now=lambda: week_due)
    assert clock.tick().reminders == []
    assert _tick(app, db, week_due + timedelta(hours=3)).reminders == []
    day_due = amsterdam(date(2025, 6, 2), time(9, 0))
    [day_before] = _tick(app, db, day_due).reminders
    assert _recipients(db, day_before.campaign_id) == ["ja@example.nl"]


def test_a_reminder_to_those_who_did_not_answer(app, db):
    meeting = _meeting_with_answers(db)
    nudge = Reminder(meeting_id=meeting.id, days_before=3, send_time="12:00", audience="unanswered")
    db.add(nudge)
    db.commit()
    reports = _tick(app, db, amsterdam(date(2025, 5, 31), time(12, 0))).reminders
    by_reminder = {r.reminder_id: r for r in reports}
    assert _recipients(db, by_reminder[nudge.id].campaign_id) == ["stil@example.nl"]


def test_after_downtime_only_the_latest_reminder_goes(app, db):
    _meeting_with_answers(db)
    # Down from before the week reminder until after the day reminder was due.
    reports = _tick(app, db, amsterdam(date(2025, 6, 2), time(15, 0))).reminders
    sent = {db.get(Reminder, r.reminder_id).days_before: r.campaign_id for r in reports}
    assert sent[1] is not None and sent[7] is None
    assert db.scalar(select(Reminder).where(Reminder.sent_at.is_(None))) is None


def test_a_cancelled_or_moved_meeting(app, db):
    meeting = _meeting_with_answers(db)
    # Moved a week later: the reminders move along.
    meeting.starts_at += timedelta(days=7)
    meeting.ends_at += timedelta(days=7)
    db.commit()
    assert _tick(app, db, amsterdam(date(2025, 5, 27), time(9, 0))).reminders == []
    assert len(_tick(app, db, amsterdam(date(2025, 6, 3), time(9, 0))).reminders) == 1
    meeting.status = MeetingStatus.CANCELLED
    db.commit()
    assert _tick(app, db, amsterdam(date(2025, 6, 9), time(9, 0))).reminders == []


def test_a_second_scheduler_waits_while_the_first_holds_the_lease(app, db):
    now = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    assert hold_lease(db, "host-a:1", now=now)
    assert not hold_lease(db, "host-b:2", now=now + timedelta(seconds=30))
    assert hold_lease(db, "host-a:1", now=now + timedelta(seconds=30))  # renewal
    # The first stops renewing; after the lease runs out the second takes over.
    assert hold_lease(db, "host-b:2", now=now + timedelta(minutes=5))
    assert not hold_lease(db, "host-a:1", now=now + timedelta(minutes=5, seconds=1))


def test_content_that_no_longer_validates_sends_the_campaign_back_not_the_tick_down(app, db):
    make_contact(db)
    broken = store.create_campaign(
        db, kind="announcement", subject="Kapot", blocks=[{"type": "text", "body": "x"}], actor=None
    )
    fine = store.create_campaign(
        db, kind="announcement", subject="Goed", blocks=[{"type": "text", "body": "y"}], actor=None
    )
    at = amsterdam(date(2025, 6, 2), time(8, 30))
    for campaign in (broken, fine):
        store.schedule_campaign(db, campaign, at, actor=None, now=at - timedelta(days=1))
    # Written past the store, as content stored before a rule existed.
    broken.blocks = [{"type": "image", "src": "javascript:alert(1)", "alt": "x"}]
    db.commit()

    report = run_due(db, now=at + timedelta(minutes=1), settings=settings_of(app))

    assert report.refused == [broken.id]
    assert report.started == [fine.id]
    db.expire_all()
    assert db.get(Campaign, broken.id).status == CampaignStatus.DRAFT
    assert "could not be rendered" in status_reason(db.get(Campaign, broken.id))


def test_a_late_campaign_is_reported_once_not_every_tick(app, db):
    make_contact(db)
    campaign = make_announcement(db)
    at = datetime(2025, 6, 2, 6, 30, tzinfo=UTC)
    store.schedule_campaign(db, campaign, at, actor=None, now=at - timedelta(days=1))
    db.commit()
    assert _tick(app, db, at + timedelta(hours=7)).too_late == [campaign.id]
    assert _tick(app, db, at + timedelta(hours=7, seconds=30)).too_late == []


# --- invitations and reminders whose meeting cannot be answered; late reminders ----------------


def _scheduled_invitation(db, meeting, at) -> Campaign:
    campaign = store.create_campaign(
        db,
        kind="invitation",
        subject="Uitnodiging",
        meeting_id=meeting.id,
        blocks=[{"type": "text", "body": "Beste [[first_name]], kom je?"}],
        actor=None,
    )
    store.schedule_campaign(db, campaign, at, actor=None, now=at - timedelta(days=1))
    db.commit()
    return campaign


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": MeetingStatus.CANCELLED}, "The meeting has been cancelled"),
        ({"status": MeetingStatus.HELD}, "The meeting has already taken place"),
        (
            {"registration_deadline": datetime(2025, 5, 31, tzinfo=UTC)},
            "Registration for the meeting has closed",
        ),
    ],
    ids=["cancelled", "held", "deadline"],
)
def test_a_scheduled_invitation_whose_meeting_closed_meanwhile_is_sent_back(
    app, db, change, reason
):
    make_contact(db)
    meeting = make_meeting(db)  # 3 June 2025
    at = amsterdam(date(2025, 6, 1), time(9, 0))
    campaign = _scheduled_invitation(db, meeting, at)
    for name, value in change.items():
        setattr(meeting, name, value)
    db.commit()

    report = _tick(app, db, at + timedelta(minutes=1))

    assert report.refused == [campaign.id] and report.started == []
    assert db.get(Campaign, campaign.id).status == CampaignStatus.DRAFT
    assert _recipients(db, campaign.id) == []
    # The reason names the check that failed, in the organiser's words on the composer.
    assert "found 1 error(s)" in status_reason(db.get(Campaign, campaign.id))
    composer_lint = store.preview_campaign(
        db,
        db.get(Campaign, campaign.id),
        language="en",
        network=network_from_config(settings_of(app)),
        base_url=app.config["BASE_URL"],
        now=at,
    ).lint
    assert next(f.message("en") for f in composer_lint if f.level == "error").startswith(reason)


def test_an_invitation_cannot_be_scheduled_for_after_the_deadline(app, db):
    make_contact(db)
    meeting = make_meeting(db, registration_deadline=amsterdam(date(2025, 5, 30), time(17, 0)))
    campaign = store.create_campaign(
        db, kind="invitation", subject="Uitnodiging", meeting_id=meeting.id, actor=None
    )
    db.commit()
    with pytest.raises(NotReadyError):
        schedule_campaign(
            db,
            campaign,
            amsterdam(date(2025, 5, 31), time(9, 0)),
            settings_of(app),
            actor=None,
            now=datetime(2025, 5, 1, tzinfo=UTC),
        )


def test_a_late_reminder_goes_while_half_its_notice_is_left(app, db):
    _meeting_with_answers(db)  # 3 June 2025 at 10:00; the day reminder is due 2 June 09:00
    # 6.5 hours late: the meeting is still 18.5 hours away.
    [day, week] = sorted(
        _tick(app, db, amsterdam(date(2025, 6, 2), time(15, 30))).reminders,
        key=lambda r: db.get(Reminder, r.reminder_id).days_before,
    )
    assert _recipients(db, day.campaign_id) == ["ja@example.nl"]
    assert week.campaign_id is None and week.passed_over == "later-one"


def test_a_reminder_later_than_half_its_notice_is_passed_over_and_reported_once(app, db):
    meeting = _meeting_with_answers(db)
    week = next(r for r in meeting.reminders if r.days_before == 7)
    db.delete(next(r for r in meeting.reminders if r.days_before == 1))
    db.commit()
    # Due 27 May 09:00; half its notice (7 days and an hour) is gone on 30 May at 21:30.
    [went] = _tick(app, db, amsterdam(date(2025, 5, 30), time(21, 29))).reminders
    assert went.campaign_id is not None
    db.get(Reminder, week.id).sent_at = None
    db.delete(db.get(Campaign, went.campaign_id))
    db.commit()
    [late] = _tick(app, db, amsterdam(date(2025, 5, 30), time(21, 31))).reminders
    assert late.campaign_id is None and late.passed_over == "too-late"
    assert db.scalars(select(Campaign).where(Campaign.kind == CampaignKind.REMINDER)).all() == []
    assert _tick(app, db, amsterdam(date(2025, 5, 30), time(21, 32))).reminders == []


def test_after_the_deadline_only_those_who_said_yes_are_reminded(app, db):
    meeting = _meeting_with_answers(db)
    meeting.registration_deadline = amsterdam(date(2025, 5, 30), time(17, 0))
    nudge = Reminder(meeting_id=meeting.id, days_before=1, send_time="09:00", audience="unanswered")
    db.add(nudge)
    db.commit()
    reports = _tick(app, db, amsterdam(date(2025, 6, 2), time(9, 0))).reminders
    [nudged] = [r for r in reports if r.reminder_id == nudge.id]
    assert nudged.campaign_id is None and nudged.passed_over == "closed"
    [to_yes] = [r.campaign_id for r in reports if r.campaign_id is not None]
    assert _recipients(db, to_yes) == ["ja@example.nl"]
    # Its answer can no longer change, so the email offers no link that would be refused.
    preview = store.preview_campaign(
        db,
        db.get(Campaign, to_yes),
        language="nl",
        network=network_from_config(settings_of(app)),
        base_url=app.config["BASE_URL"],
        now=amsterdam(date(2025, 6, 2), time(9, 0)),
    )
    assert "[[answer_url]]" not in preview.text and "/sample/answer" not in preview.html
    assert "De aanmelding is gesloten. Kun je toch niet komen?" in preview.text
    assert not [f for f in preview.lint if f.level == "error"]
