"""`opgavepost worker`: the send loop as its own process (Procfile `worker`)."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from service.delivery.kinds import kinds_of
from service.delivery.worker import LOG_FORMAT, SendThread, WorkerLoop
from service.mail.transports import TransportConfigError
from service.settings import SettingsProblem, settings_of
from service.stop_signals import stopping_on_signals

log = logging.getLogger("service.delivery.worker")


@click.command("worker", short_help="Send the queued campaign mail (run one or more).")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@with_appcontext
def worker_command(once: bool) -> None:
    """Send due deliveries until stopped (SIGTERM or Ctrl+C end it after the batch in flight).

    Several workers may run side by side on PostgreSQL; on SQLite run one. With --once it sends
    what is due now, prints how many deliveries it handled and exits.
    """
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    # Flask types current_app as Flask, not as the LocalProxy (with this method) it is.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        loop = WorkerLoop.from_config(
            settings_of(app), app.extensions["db_sessionmaker"], kinds_of(app)
        )
    except TransportConfigError as exc:
        raise SettingsProblem(str(exc)) from exc
    log.info("send worker started: %s%s", loop.describe(), ", once" if once else "")
    sender = SendThread(loop, once=once, name="send-worker")
    # The loop runs in its own thread and this (main) thread only waits, so the handler never
    # interrupts a database write or an SMTP conversation halfway.
    with stopping_on_signals(sender.request_stop, log=log, after="the batch in flight"):
        sender.start().wait()
    if sender.error is not None:
        raise click.ClickException(f"the send loop stopped: {sender.error}")
    handled = sender.handled if once else loop.handled
    log.info("send worker stopped after %d deliveries", handled)
    if once:
        click.echo(f"Handled {handled} deliveries.")
