"""`opgavepost serve` and `opgavepost demo ...`: the embedded default and its demo data."""

from __future__ import annotations

import logging
import os

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from config.settings import Settings
from service import migrate
from service.auth.passwords import PasswordRefused
from service.database import get_engine, make_engine, session_scope
from service.heartbeats import Heartbeat
from service.settings import change_settings, settings_of


@click.group("demo")
def demo_group() -> None:
    """Demo data from the seed recap."""


@demo_group.command("load", short_help="Load the demo data into an empty database.")
@with_appcontext
def demo_load() -> None:
    """Load the demo meetings and contacts, only into a database without contacts and meetings."""
    from service.demo.seed import load_demo

    engine = get_engine()
    if migrate.current_revision(engine) != migrate.head_revision():
        raise click.ClickException(
            "the database is not at the latest schema; run 'opgavepost db upgrade' first"
        )
    with session_scope(current_app) as session:
        result = load_demo(session)
    if result is None:
        click.echo("The database already holds contacts or meetings; nothing was loaded.")
    else:
        click.echo(
            f"Loaded the demo data: {result.contacts} contacts and {result.meetings} meetings."
        )


@click.command("serve", short_help="Start the service (on 127.0.0.1:5000 by default).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port."
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Requests served at the same time.",
)
@with_appcontext
def serve_command(host: str, port: int, threads: int) -> None:
    """Run Opgavepost here: upgrade the database, set up a first start, serve on HOST:PORT.

    Runs gunicorn with one worker process. The demo data goes only into a database without
    contacts and meetings; the admin account is made only when there is no organiser yet, and its
    generated password is printed this once (or set ADMIN_EMAIL and ADMIN_PASSWORD).
    """
    from service.delivery.worker import LOG_FORMAT
    from service.demo.embedded import (
        DEFAULT_ADMIN_EMAIL,
        EmbeddedServer,
        display_url,
        ensure_first_admin,
    )
    from service.demo.seed import load_demo

    # Flask types current_app as Flask, not as the LocalProxy (with this method) it is.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = settings_of(app)
    _check_mail_settings(settings)
    engine = get_engine()
    try:
        migrate.upgrade(engine)
    except OperationalError as exc:
        # The usual first-start mistake (a wrong host or database name): say so in one line.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise click.ClickException(
            f"the database does not answer ({reason}); check DATABASE_URL"
        ) from exc
    click.echo(f"Database is at revision {migrate.current_revision(engine)}.")
    from service import share_secret_key

    # A first start made the table for the shared key just now: keep the key there.
    share_secret_key(app)
    settings = settings_of(app)
    try:
        with session_scope(app) as session:
            demo = load_demo(session)
            admin = ensure_first_admin(
                session,
                settings.ADMIN_EMAIL or DEFAULT_ADMIN_EMAIL,
                settings.ADMIN_PASSWORD,
            )
    except PasswordRefused as exc:
        # A common ADMIN_PASSWORD, or one holding the address: say which rule, not the password.
        raise click.ClickException(f"ADMIN_PASSWORD is refused: {exc}") from exc
    # Printed only after the commit, so a password on screen always belongs to a stored account.
    if demo is not None:
        click.echo(f"Loaded the demo data: {demo.contacts} contacts and {demo.meetings} meetings.")
    if admin is not None:
        click.echo("Created the first admin account. Log in with:")
        click.echo(f"  Email:    {admin.email}")
        if admin.password is not None:
            click.echo(f"  Password: {admin.password}")
            click.echo("  This password is shown only now; write it down.")

    url = display_url(host, port)
    if "BASE_URL" not in os.environ:
        # Links in emails should lead to where this server really listens.
        change_settings(app, BASE_URL=url.rstrip("/"))
    # The send loop's lines (service.*) on stderr beside gunicorn's own.
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    # The worker is forked from this process; connections opened above must not be shared with it.
    engine.dispose()
    # Its own engine: gunicorn forks the worker from this process, which must not share the
    # connections this thread opens.
    heartbeat_engine = make_engine(settings.DATABASE_URL)
    heartbeat = Heartbeat(
        sessionmaker(heartbeat_engine),
        role="serve",
        secret_key=settings.SECRET_KEY,
        warn=lambda text: click.secho(f"Warning: {text}", fg="yellow", err=True),
    ).start()
    try:
        EmbeddedServer(
            app,
            host,
            port,
            threads=threads,
            on_ready=lambda: click.echo(f"Opgavepost is running at {url} (stop with Ctrl+C)."),
        ).run()
    finally:
        heartbeat.stop()
        heartbeat_engine.dispose()


def _check_mail_settings(settings: Settings) -> None:
    """Stop with one line (exit 2) when MAIL_TRANSPORT cannot be set up, before anything starts."""
    from service.mail.factory import transport_from_config
    from service.mail.transports import TransportConfigError
    from service.settings import SettingsProblem

    try:
        transport_from_config(settings).close()
    except TransportConfigError as exc:
        raise SettingsProblem(str(exc)) from exc
