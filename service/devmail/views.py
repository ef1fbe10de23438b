"""/outbox/: the mail the outbox transport caught, for organisers without a mail server."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, make_response, render_template
from flask_babel import lazy_gettext as _l

from service.auth.access import allow, require_login
from service.devmail import reader
from service.errors import error_response
from service.models import Role
from service.settings import current_settings

bp = Blueprint("devmail", __name__, url_prefix="/outbox")
require_login(bp)

# The HTML of an email is shown as mail clients show it: no scripts, no forms, no plugins, nothing
# fetched but images; the iframe's sandbox gives it a unique origin besides.
EMAIL_CSP = (
    "default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; form-action 'none'; base-uri 'none'; sandbox"
)


# The headers in the reader's words; the header's own name stays beside it, small, for whoever
# compares it with a mail program's "show original". Other X- headers keep their name only.
HEADER_LABELS = {
    "From": _l("From"),
    "To": _l("To"),
    "Reply-To": _l("Replies go to"),
    "Subject": _l("Subject"),
    "Date": _l("Date"),
    "Message-ID": _l("Message number"),
    "List-Id": _l("Mailing list"),
    "List-Unsubscribe": _l("Unsubscribe link"),
    "List-Unsubscribe-Post": _l("Unsubscribe with one click"),
}


def _folder() -> Path:
    return Path(current_settings().MAIL_OUTBOX_PATH)


@bp.get("/")
@allow(Role.ADMIN)
def index():
    """The caught messages, newest first."""
    return render_template("devmail/index.html", entries=reader.list_messages(_folder()))


@bp.get("/<name>")
@allow(Role.ADMIN)
def show(name: str):
    """One caught message: headers, the HTML in a sandboxed frame, the text part."""
    message = reader.read_message(_folder(), name)
    if message is None:
        return error_response(404)
    return render_template("devmail/show.html", message=message, header_labels=HEADER_LABELS)


@bp.get("/<name>/html")
@allow(Role.ADMIN)
def html(name: str):
    """The HTML part alone, for the sandboxed frame, under a strict Content-Security-Policy."""
    message = reader.read_message(_folder(), name)
    if message is None:
        return error_response(404)
    response = make_response(message.html)
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = EMAIL_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
