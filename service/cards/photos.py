"""Card photos: checked by content, turned upright, fitted into 600x600 and stripped of metadata.

Every photo is decoded and encoded again as JPEG, so nothing of the upload survives but its
pixels: no EXIF (camera, GPS position, date), no ICC or XMP data, no comments, and no file that
only pretends to be an image. The type is what Pillow reads from the bytes, never the file name.
Stored photos get a random name, so the address of a photo says nothing about whose it is. The
bytes live in the database (CardPhoto), so every machine shows every photo; photos an older
version kept in an instance folder are moved in on first read, or by `import_photos`.
Nothing here imports Flask.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.messages import N_, Message
from service.models import CardPhoto, NetworkCard

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_SIDE = 600
# Far more than any camera, far less than a decompression bomb that would eat the memory.
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 85
FILENAME = re.compile(r"^[0-9a-f]{32}\.jpg$")


class PhotoError(ValueError):
    """The upload cannot be a card photo; `message` says why, for the contact."""

    def __init__(self, message: Message):
        self.message = message
        super().__init__(str(message))


def prepare_photo(data: bytes, *, max_bytes: int) -> bytes:
    """The photo as we store it: upright, at most 600x600, JPEG, without any metadata."""
    if not data:
        raise PhotoError(Message(N_("The photo file is empty. Choose a photo to upload.")))
    if len(data) > max_bytes:
        raise PhotoError(
            Message(
                N_("The photo is too large: at most %(mb)s MB is accepted."),
                {"mb": max_bytes // (1024 * 1024)},
            )
        )
    image = _open(data)
    try:
        image = ImageOps.exif_transpose(image)
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        flat = _flatten(image)
        # Pillow writes a JPEG comment it finds in `info` again; only pixels may go through.
        flat.info = {}
        out = io.BytesIO()
        # A fresh encode with no exif/icc arguments writes pixels only.
        flat.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except (OSError, ValueError, SyntaxError) as exc:
        raise PhotoError(
            Message(N_("The photo could not be read; it may be damaged. Save it again and retry."))
        ) from exc
    return out.getvalue()


def _open(data: bytes) -> Image.Image:
    wrong_type = Message(N_("Only JPEG, PNG and WebP photos can be uploaded; this file is none."))
    try:
        image = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise PhotoError(wrong_type) from exc
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise PhotoError(
            Message(N_("The photo has too many pixels. Make it smaller and upload it again."))
        )
    if image.format == "JPEG":
        # Let the JPEG decoder scale down by 1/2, 1/4 or 1/8 while reading (never below
        # 600x600): a 12-megapixel photo then costs a fraction of the memory and time.
        image.draft("RGB", (MAX_SIDE, MAX_SIDE))
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise PhotoError(
            Message(N_("The photo could not be read; it may be damaged. Save it again and retry."))
        ) from exc
    return image


def _flatten(image: Image.Image) -> Image.Image:
    # JPEG has no transparency: put transparent photos (PNG, WebP) on white, not on black.
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def store_photo(session: Session, photo: bytes) -> str:
    """Keep a prepared photo under a new random name; returns the name (the caller commits)."""
    filename = f"{secrets.token_hex(16)}.jpg"
    session.add(CardPhoto(filename=filename, data=photo))
    return filename


def remove_photo(session: Session, filename: str, *, legacy_folder: Path | None = None) -> None:
    """Delete a stored photo (the caller commits), and its file if an older version kept one.

    Nothing happens for a name we never hand out or a photo that is gone already.
    """
    if not FILENAME.match(filename or ""):
        return
    session.execute(delete(CardPhoto).where(CardPhoto.filename == filename))
    if legacy_folder is not None:
        (legacy_folder / filename).unlink(missing_ok=True)


@dataclass(frozen=True)
class PhotoBytes:
    """A stored photo (JPEG); `imported`: moved in from an instance folder now, to commit."""

    data: bytes
    imported: bool = False


def photo_bytes(
    session: Session, filename: str, *, legacy_folder: Path | None = None
) -> PhotoBytes | None:
    """The stored photo by its name, or None for a name we never hand out or a gone photo.

    A photo an older version kept only in `legacy_folder` is moved into the database the first
    time it is read, so every machine shows it from then on.
    """
    if not FILENAME.match(filename or ""):
        return None
    photo = session.get(CardPhoto, filename)
    if photo is not None:
        return PhotoBytes(photo.data)
    if legacy_folder is not None:
        imported = _import_photo(session, legacy_folder / filename)
        if imported is not None:
            return PhotoBytes(imported.data, imported=True)
    return None


def import_photos(session: Session, folder: Path) -> tuple[int, int]:
    """Move the card photos an instance folder holds into the database: (moved, already there).

    Only photos a card still shows; the files stay (remove_photo deletes them with the photo).
    The caller commits.
    """
    moved = present = 0
    if not folder.is_dir():
        return moved, present
    in_use = set(session.scalars(select(NetworkCard.photo).where(NetworkCard.photo != "")))
    for path in sorted(folder.iterdir()):
        if path.name not in in_use or not FILENAME.match(path.name):
            continue
        if session.get(CardPhoto, path.name) is not None:
            present += 1
        elif _import_photo(session, path) is not None:
            moved += 1
    return moved, present


def _import_photo(session: Session, path: Path) -> CardPhoto | None:
    # Every stored photo was encoded again as JPEG by prepare_photo; anything else is no photo
    # of ours.
    if not path.is_file():
        return None
    data = path.read_bytes()
    if not data.startswith(b"\xff\xd8\xff"):
        return None
    photo = CardPhoto(filename=path.name, data=data)
    try:
        # Two requests for a photo not yet moved in: the second finds the first one's row.
        with session.begin_nested():
            session.add(photo)
    except IntegrityError:
        return session.get(CardPhoto, path.name)
    return photo
