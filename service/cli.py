"""The `opgavepost` command: Flask's CLI with the service's own commands."""

from __future__ import annotations

from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

from config import ConfigError
from service import migrate
from service.database import get_engine, session_scope
from service.models import Role
from service.settings import SettingsProblem


def _create_app() -> Flask:
    from service import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise SettingsProblem(str(exc)) from exc


class OpgavepostGroup(FlaskGroup):
    """Flask's CLI, except that bad settings stop it with one line instead of a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        # FlaskGroup prints a traceback for any error while loading the app to list commands
        # (as for --help); loading it first lets our one-line error through.
        ctx.ensure_object(ScriptInfo).load_app()
        return super().list_commands(ctx)


@click.group(cls=OpgavepostGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Opgavepost: newsletters and meeting invitations for professional networks."""


@click.group("db")
def db_group() -> None:
    """Database schema: upgrade, downgrade, new migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Bring the database to the latest schema (or REVISION)."""
    from service import share_secret_key

    migrate.upgrade(get_engine(), revision)
    # The first upgrade to 0016 moves the instance folder's generated key into the database.
    share_secret_key(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"Database is at revision {migrate.current_revision(get_engine())}.")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Take the database back to REVISION ("base" empties it)."""
    migrate.downgrade(get_engine(), revision)
    click.echo(f"Database is at revision {migrate.current_revision(get_engine())}.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the database's revision and the newest one available."""
    click.echo(
        f"database: {migrate.current_revision(get_engine())}, newest: {migrate.head_revision()}"
    )


@db_group.command("revision")
@click.argument("message")
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration from the difference between models and database (for developers)."""
    migrate.make_revision(get_engine(), message)


@click.group("users")
def users_group() -> None:
    """Organiser accounts."""


@users_group.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.ORGANISER.value,
    show_default=True,
)
@click.option("--name", default="", help="The organiser's name.")
@click.option(
    "--password", envvar="OPGAVEPOST_PASSWORD", help="Generated and printed when not given."
)
@with_appcontext
def users_create(email: str, role: str, name: str, password: str | None) -> None:
    """Create an organiser account."""
    from service.auth.users import AccountError, create_user, generate_password
    from service.text import ForbiddenCharacters

    shown = password is None
    password = password or generate_password()
    try:
        with session_scope(current_app) as session:
            user = create_user(session, email, password, Role(role), name)
            email = user.email
    except ForbiddenCharacters as exc:
        raise click.ClickException(f"--name: {exc}") from exc
    except (AccountError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {role} {email}.")
    if shown:
        click.echo(f"Password: {password}")


def _account(session, email: str):
    from service.auth.users import find_user

    user = find_user(session, email)
    if user is None:
        raise click.ClickException(
            f"no organiser with address {email}; see 'opgavepost users list'"
        )
    return user


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List the accounts: email, name, role, active, last sign-in (network time) and 2FA."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from service.models import User
    from service.settings import settings_of

    zone = ZoneInfo(settings_of(current_app).TIMEZONE)
    header = ("EMAIL", "NAME", "ROLE", "ACTIVE", "LAST SIGN-IN", "2FA")
    rows = [header]
    with session_scope(current_app) as session:
        for user in session.scalars(select(User).order_by(User.email)):
            last = user.last_login_at
            rows.append(
                (
                    user.email,
                    user.name or "-",
                    user.role.value,
                    "yes" if user.active else "no",
                    _local(last, zone) if last else "never",
                    "on" if user.totp_enabled_at else "off",
                )
            )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


def _local(moment, zone) -> str:
    from datetime import UTC

    if moment.tzinfo is None:  # stored as UTC; SQLite gives it back without a zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


@users_group.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([role.value for role in Role]))
@with_appcontext
def users_set_role(email: str, role: str) -> None:
    """Give the account EMAIL another ROLE (the last active admin stays admin)."""
    from service.auth.accounts import set_role
    from service.auth.users import AccountError

    try:
        with session_scope(current_app) as session:
            user = _account(session, email)
            changed = set_role(session, None, user, Role(role))
            email = user.email
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{email} is {role} now." if changed else f"{email} was {role} already.")


@users_group.command("deactivate")
@click.argument("email")
@with_appcontext
def users_deactivate(email: str) -> None:
    """End the account EMAIL: no more sign-ins, its sessions end, its API tokens stop."""
    from service.auth.accounts import deactivate
    from service.auth.users import AccountError

    try:
        with session_scope(current_app) as session:
            user = _account(session, email)
            changed = deactivate(session, None, user)
            email = user.email
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Deactivated {email}." if changed else f"{email} was inactive already.")


@users_group.command("reset-2fa")
@click.argument("email")
@with_appcontext
def users_reset_2fa(email: str) -> None:
    """Clear the second factor of the organiser EMAIL (key and recovery codes); audited."""
    from service.auth.two_factor import reset_two_factor

    with session_scope(current_app) as session:
        user = _account(session, email)
        reset_two_factor(session, None, user)
        email = user.email
    click.echo(f"Two-factor sign-in of {email} is reset; it signs in with its password alone.")


@click.group("tokens")
def tokens_group() -> None:
    """API tokens."""


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", default="", help="What the token is for.")
@with_appcontext
def tokens_create(email: str, name: str) -> None:
    """Create an API token for the organiser EMAIL and print it (it is shown only once)."""
    from service.auth.tokens import create_token
    from service.auth.users import find_user

    with session_scope(current_app) as session:
        user = find_user(session, email)
        if user is None:
            raise click.ClickException(
                f"no organiser with address {email}; create one with 'opgavepost users create'"
            )
        try:
            _stored, token = create_token(session, None, user, name)
        except ValueError as exc:
            raise click.ClickException(f"--name: {exc}") from exc
    click.echo(token)


@tokens_group.command("list")
@with_appcontext
def tokens_list() -> None:
    """List every API token: id, owner, name, prefix, created, last used, revoked (UTC)."""
    from service.auth.tokens import list_tokens

    def when(moment: datetime | None) -> str:
        return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"

    with session_scope(current_app) as session:
        rows = [
            (
                str(token.id),
                token.user.email,
                token.name or "-",
                token.prefix,
                when(token.created_at),
                when(token.last_used_at) if token.last_used_at else "never",
                when(token.revoked_at) if token.revoked_at else "no",
            )
            for token in list_tokens(session)
        ]
    if not rows:
        click.echo("No API tokens; make one with 'opgavepost tokens create EMAIL'.")
        return
    header = ("id", "owner", "name", "prefix", "created", "last used", "revoked")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


@tokens_group.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    """Revoke the API token ID (see 'opgavepost tokens list'); it stops working at once."""
    from service.auth.tokens import get_token, revoke_token

    with session_scope(current_app) as session:
        token = get_token(session, token_id)
        if token is None:
            raise click.ClickException(
                f"no API token with id {token_id}; 'opgavepost tokens list' shows them"
            )
        label = f"{token_id} ({token.name or token.prefix}, of {token.user.email})"
        revoked = revoke_token(session, None, token)
    click.echo(f"Revoked token {label}." if revoked else f"Token {label} was revoked already.")


def register_commands(app: Flask) -> None:
    """Attach the service's command groups to the app's CLI."""
    from service.contacts.commands import contacts_group
    from service.delivery.commands import bounces_group, worker_command
    from service.demo.commands import demo_group, serve_command
    from service.media.commands import media_group
    from service.scheduler.commands import scheduler_group

    for group in (db_group, users_group, tokens_group, contacts_group, demo_group, serve_command):
        app.cli.add_command(group)
    app.cli.add_command(worker_command)
    app.cli.add_command(bounces_group)
    app.cli.add_command(scheduler_group)
    app.cli.add_command(media_group)
