"""Storing uploaded images by content: checked by their bytes, named by their hash.

The type is read from the first bytes (PNG, JPEG, GIF, WebP), never from the file name or the
browser's Content-Type, and Pillow must be able to read the image's size, so a renamed HTML or
SVG file cannot end up served as an image. The file is called `<sha256>.<ext>`: the same image
uploaded twice is stored once, and its address never changes, so it can be cached for a year.
The bytes live in the database (MediaBlob), so every web process on every machine serves every
image; images that an older version kept in an instance folder are moved in by `import_files`
(`opgavepost media import-files`), or one at a time by `image_bytes` on the machine that has them.
Nothing here imports Flask.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.messages import N_, Message
from service.models import MediaBlob, MediaFile, User
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
    _store_bytes(session, filename, data)
    existing = session.scalar(select(MediaFile).where(MediaFile.filename == filename))
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


@dataclass(frozen=True)
class ImageBytes:
    """A stored image as served: its bytes, type, content hash and when it was stored."""

    data: bytes
    content_type: str
    # The content hash: the same ETag on every machine, so caches agree whoever answered.
    etag: str
    stored_at: datetime
    # Moved in from an instance folder by this call: the caller commits.
    imported: bool = False


def image_bytes(
    session: Session, filename: str, *, legacy_folder: Path | None = None
) -> ImageBytes | None:
    """The stored image for a public name, or None for a name we never hand out or no longer have.

    An image an older version kept only in `legacy_folder` (the instance folder's media) is moved
    into the database the first time it is asked for, so the other machines serve it from then on
    (the caller commits when `imported` says so).
    """
    if not FILENAME.match(filename):
        return None
    blob = session.get(MediaBlob, filename)
    imported = False
    if blob is None and legacy_folder is not None:
        blob = _import_file(session, legacy_folder / filename)
        imported = blob is not None
    if blob is None:
        return None
    digest = filename.partition(".")[0]
    return ImageBytes(blob.data, content_type_for(filename), digest, blob.created_at, imported)


def import_files(session: Session, folder: Path) -> tuple[int, int]:
    """Move the images of an instance folder into the database: (moved, already there).

    Only files whose name an upload gave them, whose bytes still match that name, and that
    pass the same checks as an upload; the files themselves are left alone. The caller commits.
    """
    moved = present = 0
    if not folder.is_dir():
        return moved, present
    for path in sorted(folder.iterdir()):
        if not FILENAME.match(path.name) or not path.is_file():
            continue
        if session.get(MediaBlob, path.name) is not None:
            present += 1
        elif _import_file(session, path) is not None:
            moved += 1
    return moved, present


def _import_file(session: Session, path: Path) -> MediaBlob | None:
    # Trust a file only as far as an upload would be trusted: the name must be the hash of its
    # bytes, and the bytes an image of the type its extension says.
    if not FILENAME.match(path.name) or not path.is_file():
        return None
    data = path.read_bytes()
    digest, extension = path.name.split(".")
    if hashlib.sha256(data).hexdigest() != digest or sniff_extension(data) != extension:
        return None
    try:
        image_size(data, extension)
    except MediaError:
        return None
    return _store_bytes(session, path.name, data)


def _store_bytes(session: Session, filename: str, data: bytes) -> MediaBlob:
    """The blob for this name, added if it is not stored yet (the same bytes win any race)."""
    blob = session.get(MediaBlob, filename)
    if blob is not None:
        return blob
    blob = MediaBlob(filename=filename, data=data)
    try:
        # Two uploads of one image at once: the loser's savepoint rolls back, the winner's row
        # holds the very same bytes.
        with session.begin_nested():
            session.add(blob)
    except IntegrityError:
        winner = session.get(MediaBlob, filename)
        if winner is None:
            raise
        return winner
    return blob


def content_type_for(filename: str) -> str:
    """The content type of a stored file, from its (checked) extension."""
    return FORMATS[filename.rsplit(".", 1)[1]][0]


def media_url(filename: str, base_url: str) -> str:
    """The absolute address of a stored image, as emails need it."""
    return f"{base_url.rstrip('/')}/media/{filename}"
