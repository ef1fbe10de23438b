"""Storing uploaded images by content: checked by their bytes, named by their hash.

The type is read from the first bytes (PNG, JPEG, GIF, WebP), never from the file name or the
browser's Content-Type, and Pillow must be able to read the image's size, so a renamed HTML or
SVG file cannot end up served as an image. The file is called `<sha256>.<ext>`: the same image
uploaded twice is stored once, and its address never changes, so it can be cached for a year.
Nothing here imports Flask.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.messages import N_, Message
from service.models import MediaFile, User
from service.text import one_line

# extension -> (content type, Pillow's format name)
FORMATS = {
    "png": ("image/png", "PNG"),
    "jpg": ("image/jpeg", "JPEG"),
    "gif": ("image/gif", "GIF"),
    "webp": ("image/webp", "WEBP"),
}
FILENAME = re.compile(r"^[0-9a-f]{64}\.(png|jpg|gif|webp)$")
MAX_ORIGINAL_NAME = 255


class MediaError(ValueError):
    """The upload is not an image we accept; `message` says why, for the organiser."""

    def __init__(self, message: Message):
        self.message = message
        super().__init__(str(message))


@dataclass(frozen=True)
class StoredImage:
    """An image as stored: its row and whether this upload added it."""

    media: MediaFile
    created: bool


def sniff_extension(data: bytes) -> str | None:
    """The extension that the first bytes announce (png, jpg, gif, webp), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def image_size(data: bytes, extension: str) -> tuple[int, int]:
    """Width and height in pixels; raises MediaError when Pillow cannot read the image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != FORMATS[extension][1]:
                raise MediaError(Message(N_("The file is not a valid image.")))
            image.verify()
            return image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, MediaError):
            raise
        raise MediaError(
            Message(N_("The image could not be read; it may be damaged. Save it again and retry."))
        ) from exc


def store_image(
    session: Session,
    data: bytes,
    *,
    folder: Path,
    original_name: str = "",
    uploaded_by: User | None = None,
) -> StoredImage:
    """Check and store an image (once per content); raises MediaError for anything else."""
    if not data:
        raise MediaError(Message(N_("The file is empty. Choose an image to upload.")))
    extension = sniff_extension(data)
    if extension is None:
        raise MediaError(
            Message(N_("Only PNG, JPEG, GIF and WebP images can be uploaded; this file is none."))
        )
    width, height = image_size(data, extension)
    filename = f"{hashlib.sha256(data).hexdigest()}.{extension}"
    existing = session.scalar(select(MediaFile).where(MediaFile.filename == filename))
    _write_once(folder, filename, data)
    if existing is not None:
        return StoredImage(existing, created=False)
    media = MediaFile(
        filename=filename,
        # The form refused control characters; a line break in a name is one space.
        original_name=one_line(Path(original_name or "").name)[:MAX_ORIGINAL_NAME],
        content_type=FORMATS[extension][0],
        size=len(data),
        width=width,
        height=height,
        uploaded_by_id=uploaded_by.id if uploaded_by is not None else None,
    )
    try:
        # A savepoint, so that when the same image arrives twice at once, the second upload
        # finds the first one's row instead of failing on the unique file name.
        with session.begin_nested():
            session.add(media)
    except IntegrityError:
        winner = session.scalar(select(MediaFile).where(MediaFile.filename == filename))
        if winner is None:
            raise
        return StoredImage(winner, created=False)
    return StoredImage(media, created=True)


def media_path(folder: Path, filename: str) -> Path | None:
    """The stored file for a public name, or None for a name we never hand out."""
    if not FILENAME.match(filename):
        return None
    path = folder / filename
    return path if path.is_file() else None


def content_type_for(filename: str) -> str:
    """The content type of a stored file, from its (checked) extension."""
    return FORMATS[filename.rsplit(".", 1)[1]][0]


def media_url(filename: str, base_url: str) -> str:
    """The absolute address of a stored image, as emails need it."""
    return f"{base_url.rstrip('/')}/media/{filename}"


def _write_once(folder: Path, filename: str, data: bytes) -> None:
    target = folder / filename
    if target.is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    # Written under a private name and renamed, so a reader never gets half an image.
    draft = folder / f".{filename}.{secrets.token_hex(4)}.part"
    draft.write_bytes(data)
    os.replace(draft, target)
