"""`opgavepost contacts ...`: import and export from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from service.contacts import csvio
from service.database import session_scope
from service.settings import current_settings


@click.group("contacts")
def contacts_group() -> None:
    """Contacts: import and export CSV files."""


@contacts_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(file: Path) -> None:
    """Import contacts from the CSV FILE; print what was imported and which rows were rejected.

    Exits with status 1, changing nothing, when the file cannot be read at all.
    """
    try:
        with session_scope(current_app) as session:
            report = csvio.import_contacts(session, file.read_bytes(), file.name)
    except csvio.ImportRefused as exc:
        raise click.ClickException(f"{file}: {exc.message}") from exc
    click.echo(
        f"{file}: {report.imported} imported, {report.updated} updated, "
        f"{len(report.rejected)} rejected ({report.encoding}, "
        f"delimiter {'tab' if report.delimiter == chr(9) else repr(report.delimiter)})."
    )
    for row in report.rejected:
        click.echo(f"line {row.line}: {row.reason()}")
    for warning in report.warnings:
        click.echo(f"line {warning.line}: imported, but: {warning.text()}")


@contacts_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_command(file: Path) -> None:
    """Write every contact to FILE as CSV (UTF-8 with BOM, semicolons: opens in Dutch Excel)."""
    with session_scope(current_app) as session, file.open("w", encoding="utf-8", newline="") as out:
        settings = current_settings()
        count = csvio.export_contacts(
            session, out, timezone=settings.TIMEZONE, language=settings.default_language
        )
    click.echo(f"Exported {count} contacts to {file}.")
