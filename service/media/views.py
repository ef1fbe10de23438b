"""Image uploads for image blocks (organisers) and the public image files (everyone)."""

from __future__ import annotations

import io
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select

from service.auth.access import allow, login_needed, public
from service.database import get_session
from service.errors import error_response
from service.forms import AppForm
from service.media import storage
from service.models import MediaFile, Role
from service.settings import current_settings

bp = Blueprint("media", __name__, url_prefix="/media")

# The name holds the content hash, so the file behind an address never changes.
CACHE_SECONDS = 365 * 24 * 3600
RECENT = 50


class UploadForm(AppForm):
    file = FileField(
        _l("Image"), validators=[FileRequired(message=_l("Choose an image to upload."))]
    )


def legacy_media_folder() -> Path:
    """Where versions before the images moved into the database kept them: instance/media."""
    return Path(current_app.instance_path) / "media"


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"


@bp.route("/", methods=["GET", "POST"])
@bp.route("/upload", methods=["GET", "POST"], endpoint="upload")
@allow(Role.ORGANISER)
def index():
    """The upload form with the latest images; POST stores one (JSON answer for the composer)."""
    if not current_user.is_authenticated:
        return login_needed()
    form = UploadForm()
    session = get_session()
    if request.method == "POST":
        if not form.validate_on_submit():
            message = "; ".join(map(str, form.file.errors)) or _("Choose an image to upload.")
            if _wants_json():
                return jsonify(error=message), 400
            return _page(form, session), 400
        upload = form.file.data
        try:
            stored = storage.store_image(
                session,
                upload.read(),
                original_name=upload.filename or "",
                uploaded_by=current_user,
            )
        except storage.MediaError as exc:
            text = exc.message.render(_)
            if _wants_json():
                return jsonify(error=text), 422
            form.file.errors = [text]
            return _page(form, session), 422
        session.commit()
        media = stored.media
        url = storage.media_url(media.filename, current_settings().BASE_URL)
        if _wants_json():
            return jsonify(url=url, width=media.width, height=media.height), (
                201 if stored.created else 200
            )
        flash(_("The image was uploaded. Its address is %(url)s", url=url), "success")
        return redirect(url_for("media.index"))
    return _page(form, session)


def _page(form: UploadForm, session):
    images = session.scalars(
        select(MediaFile).order_by(MediaFile.created_at.desc(), MediaFile.id.desc()).limit(RECENT)
    )
    base_url = current_settings().BASE_URL
    rows = [(m, storage.media_url(m.filename, base_url)) for m in images]
    return render_template("media/index.html", form=form, images=rows)


@bp.errorhandler(413)
def too_large(_exc):
    """An oversized upload: JSON for the composer, the error page otherwise."""
    if not _wants_json():
        return error_response(413)
    message = _(
        "The upload is too large: at most %(mb)s MB is accepted. Split the file and try again.",
        mb=current_settings().MAX_UPLOAD_MB,
    )
    return jsonify(error=message), 413


@bp.get("/<filename>")
@public
def serve(filename: str):
    """One stored image, publicly, cached for a year (emails load it from here)."""
    session = get_session()
    image = storage.image_bytes(session, filename, legacy_folder=legacy_media_folder())
    if image is None:
        return error_response(404)
    if image.imported:
        session.commit()
    response = send_file(
        io.BytesIO(image.data),
        mimetype=image.content_type,
        max_age=CACHE_SECONDS,
        conditional=True,
        etag=image.etag,
        last_modified=image.stored_at,
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
