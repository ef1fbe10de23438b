"""Card photos: checked by content, turned upright, fitted into 600x600 and stripped of metadata.

Every photo is decoded and encoded again as JPEG, so nothing of the upload survives but its
pixels: no EXIF (camera, GPS position, date), no ICC or XMP data, no comments, and no file that
only pretends to be an image. The type is what Pillow reads from the bytes, never the file name.
Stored files get a random name, so the address of a photo says nothing about whose it is.
Nothing here imports Flask.
"""

from __future__ import annotations

import io
import os
import re
import secrets
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from service.messages import N_, Message

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


def store_photo(folder: Path, photo: bytes) -> str:
    """Write a prepared photo under a new random name in the folder; returns the name."""
    folder.mkdir(parents=True, exist_ok=True)
    filename = f"{secrets.token_hex(16)}.jpg"
    # Written under a private name and renamed, so a reader never gets half a photo.
    draft = folder / f".{filename}.part"
    draft.write_bytes(photo)
    os.replace(draft, folder / filename)
    return filename


def remove_photo(folder: Path, filename: str) -> None:
    """Delete a stored photo (nothing happens for a name we never hand out or a gone file)."""
    path = photo_path(folder, filename)
    if path is not None:
        path.unlink(missing_ok=True)


def photo_path(folder: Path, filename: str) -> Path | None:
    """The stored file for a photo name, or None for a name we never hand out or a gone file."""
    if not FILENAME.match(filename or ""):
        return None
    path = folder / filename
    return path if path.is_file() else None
