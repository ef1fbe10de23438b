"""`opgavepost scheduler` as a process, `scheduler run-due` in time, the scheduler in `serve`."""

from __future__ import annotations

import signal
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from service.campaigns import store
from service.demo.embedded import start_background_jobs
from service.meetings.invitations import invite_contacts
from service.models import (
    Answer,
    Campaign,
    CampaignStatus,
    Delivery,
    Invitation,
    Reminder,
    SchedulerLease,
    utcnow,
)
from service.scheduler.jobs import LEASE_NAME
from service.settings import change_settings
from tests.builders import amsterdam, make_announcement, make_contact, make_meeting
from tests.worker_helpers import (
    ROOT,
    WorkerProcess,
    serve_process,
    wait_for,
    worker_environment,
)

SECOND_WAITS = "another scheduler holds the lease; this one waits"


def _scheduled(db, at) -> Campaign:
    campaign = make_announcement(db)
    store.schedule_campaign(db, campaign, at, actor=None, now=at - timedelta(days=1))
    db.commit()
    return campaign


def _status(app, campaign_id: int) -> CampaignStatus:
    with app.extensions["db_sessionmaker"]() as session:
        return session.get(Campaign, campaign_id).status


def _recipients(app, campaign_id: int) -> list[str]:
    with app.extensions["db_sessionmaker"]() as session:
        return sorted(
            session.scalars(select(Delivery.email).where(Delivery.campaign_id == campaign_id))
        )


def _lease(app) -> SchedulerLease | None:
    with app.extensions["db_sessionmaker"]() as session:
        lease = session.get(SchedulerLease, LEASE_NAME)
        if lease is not None:
            session.expunge(lease)
        return lease


def _procfile_command(name: str) -> str:
    lines = (ROOT / "Procfile").read_text().splitlines()
    [command] = [line.split(":", 1)[1].strip() for line in lines if line.startswith(f"{name}:")]
    return command


# --- run-due: one tick at a chosen moment -------------------------------------------------------


def test_run_due_starts_a_scheduled_campaign_at_its_moment_and_not_before(app, db, runner):
    make_contact(db, email="lid@example.nl")
    campaign = _scheduled(db, amsterdam(date(2025, 6, 2), time(8, 30)))

    # A time without offset is read in Europe/Amsterdam: 08:29 there is one minute early.
    early = runner.invoke(args=["scheduler", "run-due", "--now", "2025-06-02T08:29"])
    assert early.exit_code == 0, early.output
    assert "campaigns started: 0" in early.output
    assert _status(app, campaign.id) == CampaignStatus.SCHEDULED
    assert _recipients(app, campaign.id) == []

    on_time = runner.invoke(args=["scheduler", "run-due", "--now", "2025-06-02T06:30:20+00:00"])
    assert on_time.exit_code == 0, on_time.output
    assert on_time.output.strip() == (
        "campaigns started: 1, left for an organiser (late): 0, refused: 0, reminders sent: 0"
    )
    assert _status(app, campaign.id) == CampaignStatus.SENDING
    assert _recipients(app, campaign.id) == ["lid@example.nl"]

    again = runner.invoke(args=["scheduler", "run-due", "--now", "2025-06-02T08:31"])
    assert "campaigns started: 0" in again.output
    assert _recipients(app, campaign.id) == ["lid@example.nl"]


def test_run_due_leaves_a_campaign_more_than_six_hours_late_to_an_organiser(app, db, runner):
    make_contact(db)
    campaign = _scheduled(db, amsterdam(date(2025, 6, 2), time(8, 30)))
    result = runner.invoke(args=["scheduler", "run-due", "--now", "2025-06-02T14:31"])
    assert "left for an organiser (late): 1" in result.output
    assert _status(app, campaign.id) == CampaignStatus.SCHEDULED
    assert _recipients(app, campaign.id) == []


def test_run_due_sends_a_late_reminder_while_half_its_notice_is_left_and_then_passes_it_over(
    app, db, runner
):
    meeting = make_meeting(db)  # dinsdag 3 juni 2025, 10:00
    meeting.reminders.append(Reminder(days_before=1, send_time="09:00", audience="yes"))
    coming = make_contact(db)
    invite_contacts(db, meeting, [coming.id])
    db.scalar(select(Invitation)).answer = Answer.YES
    db.commit()
    # Due 2 June 09:00: 6.5 hours late it still goes, the meeting being 18.5 hours away.
    late = runner.invoke(args=["scheduler", "run-due", "--now", "2025-06-02T15:30"])
    assert late.output.strip().endswith("reminders sent: 1"), late.output
    db.expire_all()
    reminder = db.scalar(select(Reminder))
    assert reminder.campaign_id is not None
    # Had the scheduler come back only at 21:31, less than half the notice would be left.
    reminder.sent_at, reminder.campaign_id = None, None
    db.commit()
    too_late = runner.invoke(args=["scheduler", "run-due", "--now", "2025-06-02T21:31"])
    assert f"reminders passed over: 1 ({reminder.id} too-late)" in too_late.output
    again = runner.invoke(args=["scheduler", "run-due", "--now", "2025-06-02T21:32"])
    assert "passed over" not in again.output  # reported once


def test_run_due_without_now_runs_what_is_due_now(app, db, runner):
    make_contact(db)
    campaign = _scheduled(db, utcnow() - timedelta(minutes=2))
    result = runner.invoke(args=["scheduler", "run-due"])
    assert "campaigns started: 1" in result.output, result.output
    assert _status(app, campaign.id) == CampaignStatus.SENDING


def test_run_due_with_a_bad_time_stops_with_one_line(runner):
    result = runner.invoke(args=["scheduler", "run-due", "--now", "tomorrow"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: --now 'tomorrow' is not an ISO 8601 time; write it like 2025-06-02T08:30 "
        "or 2025-06-02T08:30+02:00"
    ]


# --- the scheduler process and its lease ---------------------------------------------------------


def test_scheduler_process_starts_due_work_and_a_second_one_waits_on_the_lease(app, db, tmp_path):
    make_contact(db, email="lid@example.nl")
    campaign = _scheduled(db, utcnow() - timedelta(minutes=1))
    env = worker_environment(app)
    # Started as the Procfile says, through a shell that execs, as platforms do.
    first = WorkerProcess(env, tmp_path / "first.log", command=_procfile_command("scheduler"))
    second = None
    try:
        # Its first tick runs at once: the campaign that was due starts by itself.
        wait_for(
            lambda: _status(app, campaign.id) == CampaignStatus.SENDING,
            60,
            first.text,
            process=first.process,
        )
        assert _lease(app).holder.endswith(f":{first.process.pid}")

        second = WorkerProcess(env, tmp_path / "second.log", command=_procfile_command("scheduler"))
        wait_for(lambda: SECOND_WAITS in second.text(), 60, second.text, process=second.process)
        assert _lease(app).holder.endswith(f":{first.process.pid}")
        assert _recipients(app, campaign.id) == ["lid@example.nl"]

        assert first.stop(signal.SIGTERM, timeout=30) == 0, first.text()
        assert "SIGTERM: stopping after the tick in flight" in first.text()
        assert "scheduler stopped; lease released" in first.text()
        # Released at once, so the next scheduler need not wait 100 s for it to run out.
        assert _lease(app).expires_at < utcnow()
        assert second.stop(signal.SIGINT, timeout=30) == 0, second.text()
    finally:
        first.kill()
        if second is not None:
            second.kill()
    assert "Traceback" not in first.text() + second.text()


# --- the scheduler inside `opgavepost serve` -----------------------------------------------------


def test_serve_runs_the_scheduler_which_starts_a_due_campaign_by_itself(app, db):
    for n in range(3):
        make_contact(db, email=f"lid{n}@example.nl")
    campaign = _scheduled(db, utcnow() - timedelta(minutes=1))
    outbox = Path(app.config["MAIL_OUTBOX_PATH"])
    jobs = start_background_jobs(app)
    try:
        assert jobs.scheduler.running
        assert jobs.thread.name == "opgavepost-send-loop"
        # The scheduler starts it, the send loop beside it delivers it.
        wait_for(lambda: _status(app, campaign.id) == CampaignStatus.SENT, 20, str)
        assert len(list(outbox.glob("*.eml"))) == 3
        assert _lease(app).holder == jobs.clock.holder
    finally:
        assert jobs.stop(timeout=10), "the send loop did not stop"
    assert not jobs.scheduler.running
    assert _lease(app).expires_at < utcnow()


def test_serve_runs_the_scheduler_even_when_mail_settings_are_incomplete(app, db):
    make_contact(db)
    campaign = _scheduled(db, utcnow() - timedelta(minutes=1))
    change_settings(app, MAIL_TRANSPORT="smtp", MAIL_SERVER="")
    jobs = start_background_jobs(app)
    try:
        assert jobs.sender is None
        wait_for(lambda: _status(app, campaign.id) == CampaignStatus.SENDING, 20, str)
    finally:
        assert jobs.stop(timeout=10)


def test_opgavepost_serve_starts_and_sends_a_due_campaign_without_other_processes(
    app, db, tmp_path
):
    for n in range(2):
        make_contact(db, email=f"lid{n}@example.nl")
    campaign = _scheduled(db, utcnow() - timedelta(minutes=1))
    outbox = Path(app.instance_path) / "outbox"
    serve = serve_process(app, tmp_path / "serve.log")
    try:
        wait_for(
            lambda: _status(app, campaign.id) == CampaignStatus.SENT,
            60,
            serve.text,
            process=serve.process,
        )
        assert len(list(outbox.glob("*.eml"))) == 2
        assert serve.stop(signal.SIGTERM, timeout=30) == 0, serve.text()
    finally:
        serve.kill()
    assert "scheduler started in this process" in serve.text(), serve.text()
    assert "Traceback" not in serve.text(), serve.text()
    # The worker gave the lease up as it ended.
    assert _lease(app).expires_at < utcnow(), serve.text()


@pytest.mark.parametrize("moment", ["0001-01-01T00:00+01:00", "9999-12-31T23:30"])
def test_run_due_refuses_a_moment_outside_1900_to_2200(runner, moment):
    result = runner.invoke(args=["scheduler", "run-due", "--now", moment])
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: --now {moment!r} is outside 1900-01-01 to 2200-12-31"
