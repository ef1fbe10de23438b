"""`opgavepost worker`: the send loop as its own process (Procfile `worker`)."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext

from service.cli import SettingsProblem
from service.delivery.worker import LOG_FORMAT, SendThread, WorkerLoop
from service.mail.transports import TransportConfigError
from service.settings import settings_of

log = logging.getLogger("service.delivery.worker")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@click.command("worker", short_help="Send the queued campaign mail (run one or more).")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@with_appcontext
def worker_command(once: bool) -> None:
    """Send due deliveries until stopped (SIGTERM or Ctrl+C end it after the batch in flight).

    Several workers may run side by side on PostgreSQL; on SQLite run one. With --once it sends
    what is due now, prints how many deliveries it handled and exits.
    """
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    app = current_app._get_current_object()
    try:
        loop = WorkerLoop.from_config(settings_of(app), app.extensions["db_sessionmaker"])
    except TransportConfigError as exc:
        raise SettingsProblem(str(exc)) from exc
    log.info("send worker started: %s%s", loop.describe(), ", once" if once else "")
    sender = SendThread(loop, once=once, name="send-worker")
    with _stopping_on(sender):
        sender.start().wait()
    if sender.error is not None:
        raise click.ClickException(f"the send loop stopped: {sender.error}")
    handled = sender.handled if once else loop.handled
    log.info("send worker stopped after %d deliveries", handled)
    if once:
        click.echo(f"Handled {handled} deliveries.")


@contextmanager
def _stopping_on(sender: SendThread) -> Iterator[None]:
    """SIGTERM and SIGINT ask the sender to stop after its round; the handlers are undone after.

    The loop runs in its own thread and this (main) thread only waits, so the handler never
    interrupts a database write or an SMTP conversation halfway.
    """

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s: stopping after the batch in flight", signal.Signals(signum).name)
        sender.request_stop()

    previous = {number: signal.signal(number, stop) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
