"""The clock of Opgavepost: the only place that builds APScheduler and registers its job.

APScheduler 3 ticks; the database decides. Every tick runs `run_due(now)`, which starts what is
due at that moment: scheduled campaigns and meeting reminders. What was done is recorded in the
same transaction (the campaign's status, the reminder's `sent_at`, each by a conditional UPDATE),
so a restart or a missed tick catches up on the next one and nothing is done twice.

Exactly one scheduler should run (`opgavepost scheduler`, or inside `opgavepost serve`). A second
one started by mistake finds the lease held in `scheduler_leases` and stays idle until the first
stops renewing it. `opgavepost scheduler run-due --now ...` runs one tick at a chosen moment, for
tests and for catching up by hand.

Nothing here imports Flask: it takes a settings mapping and a session maker.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.settings import Settings
from service.campaigns.lifecycle import Action, Reason, ReasonCode, TransitionError, transition
from service.campaigns.reminders import SentReminder, send_due_reminders
from service.campaigns.sending import NotReadyError, check_ready
from service.delivery.bounce_inbox import MailboxError, Tally, fetch_bounces
from service.delivery.bounce_log import BounceRules
from service.delivery.queue import start_sending
from service.dml import rows_changed
from service.models import Campaign, CampaignStatus, SchedulerLease, utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
# A tick every 30 s; the lease outlives three missed ticks before another scheduler may take over.
TICK_SECONDS = 30
LEASE = timedelta(seconds=100)
# The bounce mailbox (BOUNCE_MAILBOX_URL) is read this often.
BOUNCE_FETCH_SECONDS = 300
# A scheduled campaign this late (the service was down) waits for an organiser to decide.
LATE_LIMIT = timedelta(hours=6)


@dataclass
class DueReport:
    """What one tick did."""

    started: list[int] = field(default_factory=list)
    too_late: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    reminders: list[SentReminder] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the log and the CLI."""
        sent = [r for r in self.reminders if r.campaign_id is not None]
        passed = [r for r in self.reminders if r.campaign_id is None]
        line = (
            f"campaigns started: {len(self.started)}, left for an organiser (late): "
            f"{len(self.too_late)}, refused: {len(self.refused)}, reminders sent: {len(sent)}"
        )
        if passed:
            reasons = ", ".join(f"{r.reminder_id} {r.passed_over}" for r in passed)
            line += f", reminders passed over: {len(passed)} ({reasons})"
        return line


def run_due(session: Session, *, now: datetime, settings: Settings) -> DueReport:
    """Start everything that is due at `now`, and commit."""
    report = DueReport()
    start_due_campaigns(session, now=now, settings=settings, report=report)
    session.commit()
    report.reminders = send_due_reminders(session, now=now, settings=settings)
    session.commit()
    return report


def start_due_campaigns(
    session: Session, *, now: datetime, settings: Settings, report: DueReport
) -> None:
    """Start scheduled campaigns whose moment has come, unless more than 6 hours late.

    Every move is the lifecycle's conditional one: a campaign an organiser started, unscheduled
    or moved while this tick looked at it is left as the organiser left it.
    """
    due = session.scalars(
        select(Campaign)
        .where(
            Campaign.status == CampaignStatus.SCHEDULED,
            Campaign.scheduled_at <= now,
            # Already left for an organiser: said once, not every tick.
            Campaign.status_reason_code != ReasonCode.DUE_TOO_LATE,
        )
        .order_by(Campaign.scheduled_at, Campaign.id)
    ).all()
    for campaign in due:
        assert campaign.scheduled_at is not None
        try:
            if now - campaign.scheduled_at > LATE_LIMIT:
                due_at = campaign.scheduled_at.isoformat()
                late = Reason(ReasonCode.DUE_TOO_LATE, {"due_at": due_at})
                transition(session, campaign, Action.LEAVE_LATE, reason=late)
                report.too_late.append(campaign.id)
                continue
            _start_or_send_back(session, campaign, now=now, settings=settings, report=report)
        except TransitionError:
            continue  # someone else moved it meanwhile; theirs is the last word


def _start_or_send_back(
    session: Session,
    campaign: Campaign,
    *,
    now: datetime,
    settings: Settings,
    report: DueReport,
) -> None:
    """Start a due campaign after the checks of "send now", or send it back to draft with why."""
    try:
        # The same checks as "send now": it may have been edited since it was scheduled.
        check_ready(session, campaign, settings, now=now)
    except NotReadyError as exc:
        # Back to draft with the reason: nothing of a campaign that cannot go is sent.
        refused = Reason(ReasonCode.START_REFUSED, {"cause": exc.reason.as_dict()})
        transition(session, campaign, Action.SEND_BACK, reason=refused)
        report.refused.append(campaign.id)
        return
    start_sending(session, campaign, actor=None, now=now)
    report.started.append(campaign.id)


def hold_lease(session: Session, holder: str, *, now: datetime) -> bool:
    """Take or renew the scheduler lease for `holder`; False when another scheduler holds it."""
    renewed = rows_changed(
        session,
        update(SchedulerLease)
        .where(
            SchedulerLease.name == LEASE_NAME,
            (SchedulerLease.holder == holder) | (SchedulerLease.expires_at < now),
        )
        .values(holder=holder, expires_at=now + LEASE)
        .execution_options(synchronize_session=False),
    )
    if renewed:
        session.commit()
        return True
    if session.get(SchedulerLease, LEASE_NAME) is not None:
        session.rollback()
        return False
    try:
        session.add(SchedulerLease(name=LEASE_NAME, holder=holder, expires_at=now + LEASE))
        session.commit()
    except IntegrityError:
        session.rollback()  # another scheduler inserted it first
        return False
    return True


def release_lease(session: Session, holder: str) -> None:
    """Give the lease up at a clean stop, so a successor need not wait for it to run out."""
    session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder)
        .values(expires_at=utcnow() - timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )
    session.commit()


class Clock:
    """One scheduler process: its name for the lease, and the tick APScheduler calls."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        settings: Settings,
        *,
        now: Callable[[], datetime] = utcnow,
    ):
        self.sessions = sessions
        self.settings = settings
        self.now = now
        self.holder = f"{socket.gethostname()}:{os.getpid()}"

    def tick(self) -> DueReport | None:
        """Run what is due if this process holds the lease; None when another one does."""
        with self.sessions() as session:
            moment = self.now()
            if not hold_lease(session, self.holder, now=moment):
                log.info("another scheduler holds the lease; this one waits")
                return None
            report = run_due(session, now=moment, settings=self.settings)
        if report.started or report.reminders or report.too_late or report.refused:
            log.info("scheduler tick: %s", report.summary())
        return report

    def fetch_bounces(self) -> Tally | None:
        """Read the bounce mailbox if this process holds the lease; None when it did not.

        A mailbox that cannot be read is reported in the log and tried again next time.
        """
        url = self.settings.BOUNCE_MAILBOX_URL
        if not url:
            return None
        with self.sessions() as session:
            if not hold_lease(session, self.holder, now=self.now()):
                return None
        try:
            tally = fetch_bounces(url, self.sessions, BounceRules.from_config(self.settings))
        except MailboxError as exc:
            log.warning("the bounce mailbox could not be read: %s", exc)
            return None
        if tally.read:
            log.info("bounce mailbox: %s", tally.summary())
        return tally

    def stop(self) -> None:
        """Release the lease."""
        with self.sessions() as session:
            release_lease(session, self.holder)


def build_scheduler(clock: Clock, *, blocking: bool) -> BaseScheduler:
    """APScheduler with the interval job (and the bounce mailbox's, when BOUNCE_MAILBOX_URL is
    set); a missed tick is run once, never piled up."""
    scheduler: BaseScheduler = BlockingScheduler() if blocking else BackgroundScheduler()
    scheduler.add_job(
        clock.tick,
        "interval",
        seconds=TICK_SECONDS,
        id="run-due",
        next_run_time=utcnow(),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    if clock.settings.BOUNCE_MAILBOX_URL:
        scheduler.add_job(
            clock.fetch_bounces,
            "interval",
            seconds=BOUNCE_FETCH_SECONDS,
            id="fetch-bounces",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
    return scheduler
