"""`opgavepost worker`: the send loop as its own process (Procfile `worker`).

`opgavepost bounces listen` and `opgavepost bounces fetch`: bounces that come back by mail
(service/delivery/bounce_inbox.py).
"""

from __future__ import annotations

import logging
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from service.delivery.bounce_inbox import (
    BounceHandler,
    BounceListener,
    MailboxError,
    fetch_bounces,
)
from service.delivery.bounce_log import BounceRules
from service.delivery.kinds import kinds_of
from service.delivery.worker import LOG_FORMAT, SendThread, WorkerLoop
from service.heartbeats import Heartbeat
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
    # Warns in the log when other processes on the database sign with another SECRET_KEY.
    heartbeat = Heartbeat(
        app.extensions["db_sessionmaker"], role="worker", secret_key=settings_of(app).SECRET_KEY
    ).start()
    sender = SendThread(loop, once=once, name="send-worker")
    # The loop runs in its own thread and this (main) thread only waits, so the handler never
    # interrupts a database write or an SMTP conversation halfway.
    try:
        with stopping_on_signals(sender.request_stop, log=log, after="the batch in flight"):
            sender.start().wait()
    finally:
        heartbeat.stop()
    if sender.error is not None:
        raise click.ClickException(f"the send loop stopped: {sender.error}")
    handled = sender.handled if once else loop.handled
    log.info("send worker stopped after %d deliveries", handled)
    if once:
        click.echo(f"Handled {handled} deliveries.")


@click.group("bounces")
def bounces_group() -> None:
    """Bounces that come back by mail: the listener and the bounce mailbox."""


@bounces_group.command("listen")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=2525, show_default=True, type=click.IntRange(1, 65535))
@click.option("--lmtp", is_flag=True, help="Speak LMTP (RFC 2033) instead of SMTP.")
@with_appcontext
def bounces_listen(host: str, port: int, lmtp: bool) -> None:
    """Take bounces the mail server forwards for MAIL_BOUNCE_ADDRESS and record them.

    Runs until SIGTERM or Ctrl+C. Each bounce is answered 250 only after it is recorded, so the
    mail server keeps and retries whatever could not be.
    """
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    rules = BounceRules.from_config(settings_of(app))
    try:
        handler = BounceHandler(app.extensions["db_sessionmaker"], rules, lmtp=lmtp)
    except ValueError as exc:
        raise SettingsProblem(str(exc)) from exc
    listener = BounceListener(handler, host, port)
    try:
        listener.start()
    except (OSError, RuntimeError) as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
    stop = threading.Event()
    log.info(
        "bounce listener (%s) on %s:%d for %s",
        "LMTP" if lmtp else "SMTP",
        host,
        listener.port,
        rules.bounce_address,
    )
    with stopping_on_signals(stop.set, log=log, after="the bounce in flight"):
        stop.wait()
    listener.stop()
    log.info("bounce listener stopped: %s", handler.tally.summary())


@bounces_group.command("fetch")
@with_appcontext
def bounces_fetch() -> None:
    """Read the bounce mailbox (BOUNCE_MAILBOX_URL), record its bounces and delete them."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = settings_of(app)
    if not settings.BOUNCE_MAILBOX_URL:
        raise SettingsProblem(
            "BOUNCE_MAILBOX_URL is not set; set it to the bounce mailbox, "
            "e.g. imaps://user:password@mail.example.nl/INBOX"
        )
    try:
        tally = fetch_bounces(
            settings.BOUNCE_MAILBOX_URL,
            app.extensions["db_sessionmaker"],
            BounceRules.from_config(settings),
        )
    except MailboxError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(tally.summary())
