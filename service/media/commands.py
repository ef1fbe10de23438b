"""`opgavepost media import-files`: move images and card photos an older version kept on disk
into the database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from service.cards import photos
from service.database import session_scope
from service.media import storage


@click.group("media")
def media_group() -> None:
    """Uploaded images."""


@media_group.command("import-files")
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to read (default: the instance folder's media).",
)
@with_appcontext
def import_files_command(folder: Path | None) -> None:
    """Move the images and card photos in the instance folder into the database.

    Then every machine serves them. Run it once on each machine that served images before they
    were kept in the database; the files are left in place. An image or photo not yet moved is
    also moved the first time it is asked for on the machine that has it.
    """
    # Flask types current_app as Flask, not as the LocalProxy (with this method) it is.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    folder = folder or Path(app.instance_path) / "media"
    with session_scope(app) as session:
        moved, present = storage.import_files(session, folder)
        photos_moved, photos_present = photos.import_photos(session, folder / "cards")
    click.echo(
        f"Moved {moved} images from {folder} into the database; {present} were there already."
    )
    click.echo(
        f"Moved {photos_moved} card photos from {folder / 'cards'} into the database; "
        f"{photos_present} were there already."
    )
