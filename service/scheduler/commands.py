"""`opgavepost scheduler`: the clock as its own process (Procfile `scheduler`), and `run-due`.

`opgavepost scheduler` runs APScheduler in the foreground until SIGTERM or Ctrl+C, then gives
the lease up so a successor need not wait for it to run out. `opgavepost scheduler run-due`
runs one tick at a chosen moment: the tests and the bench travel in time with it, and an
operator can catch up by hand.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

from service.dates import EARLIEST_DAY, LATEST_DAY, moment_supported
from service.delivery.worker import LOG_FORMAT
from service.heartbeats import Heartbeat
from service.scheduler.jobs import TICK_SECONDS, Clock, build_scheduler, run_due
from service.settings import settings_of
from service.stop_signals import stopping_on_signals

log = logging.getLogger("service.scheduler")

STARTED = "scheduler started"


class BadMoment(click.ClickException):
    """A --now that is not a time: one line, exit code 2 (as click's own usage errors)."""

    exit_code = 2


@click.group("scheduler", invoke_without_command=True)
@click.pass_context
@with_appcontext
def scheduler_group(ctx: click.Context) -> None:
    """Start scheduled campaigns and reminders when they are due (run exactly one).

    A second scheduler started by mistake finds the lease taken and waits; SIGTERM or Ctrl+C
    stop it after the tick in flight and release the lease.
    """
    if ctx.invoked_subcommand is not None:
        return
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    # APScheduler logs every run of the 30 s job; our tick logs what it did instead.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Flask types current_app as Flask, not as the LocalProxy (with this method) it is.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    clock = Clock(app.extensions["db_sessionmaker"], settings_of(app))
    scheduler = build_scheduler(clock, blocking=True)
    log.info("%s: tick every %d s, lease holder %s", STARTED, TICK_SECONDS, clock.holder)
    # Warns in the log when other processes on the database sign with another SECRET_KEY.
    heartbeat = Heartbeat(
        app.extensions["db_sessionmaker"], role="scheduler", secret_key=settings_of(app).SECRET_KEY
    ).start()
    # Waits for the tick in flight, so the lease is released only once nothing runs.
    shut_down = functools.partial(scheduler.shutdown, wait=True)
    try:
        with stopping_on_signals(shut_down, log=log, after="the tick in flight"):
            scheduler.start()
    finally:
        heartbeat.stop()
    clock.stop()
    log.info("scheduler stopped; lease released")


@scheduler_group.command("run-due")
@click.option(
    "--now",
    "moment",
    metavar="ISO-TIME",
    help="The moment to run for, e.g. 2025-06-02T08:30 (Europe/Amsterdam) or with an offset.",
)
@with_appcontext
def run_due_command(moment: str | None) -> None:
    """Run once what is due at --now (default: now) and print what was done."""
    # Flask types current_app as Flask, not as the LocalProxy (with this method) it is.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = settings_of(app)
    now = parse_moment(moment, settings.TIMEZONE) if moment else datetime.now(UTC)
    with app.extensions["db_sessionmaker"]() as session:
        report = run_due(session, now=now, settings=settings)
    click.echo(report.summary())


def parse_moment(text: str, timezone: str) -> datetime:
    """An ISO 8601 time as an aware UTC moment; without an offset it is read in `timezone`."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadMoment(
            f"--now {text!r} is not an ISO 8601 time; write it like 2025-06-02T08:30 "
            "or 2025-06-02T08:30+02:00"
        ) from None
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    if not moment_supported(moment, timezone):
        raise BadMoment(f"--now {text!r} is outside {EARLIEST_DAY} to {LATEST_DAY}")
    return moment.astimezone(UTC)
