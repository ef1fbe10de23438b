"""Pages without login: the health check, the web version of emails and the recap archive."""

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from service.campaigns.testsend import network_from_config
from service.database import database_answers, get_engine, get_session
from service.errors import error_response
from service.models import Campaign
from service.public import archive
from service.public.webversion import token_opens

bp = Blueprint("public", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not (for load balancers)."""
    if database_answers(get_engine()):
        return jsonify(status="ok", database="ok")
    return jsonify(status="error", database="unreachable"), 503


def _web_page(campaign):
    config = current_app.config
    language = config["BABEL_DEFAULT_LOCALE"]
    # The page is one language throughout, whoever opens it.
    with force_locale(language):
        page = archive.web_page(
            get_session(),
            campaign,
            network=network_from_config(config),
            base_url=config["BASE_URL"],
            language=language,
            archive_url=url_for("public.archive_index", _external=False),
            archive_text=_("All recaps in the archive"),
            # The footer already says why people receive it; this only says how to stop.
            unsubscribe_text=_(
                "To stop receiving this newsletter, use the unsubscribe link in the email you "
                "received."
            ),
        )
    response = current_app.make_response(page)
    response.mimetype = "text/html"
    # Organiser text is sanitised already; no page of ours needs scripts, so none may run.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'; "
        "frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/web/<int:campaign_id>")
def web_version(campaign_id: int):
    """The web version of any campaign, for the holder of the signed link in the email."""
    token = request.args.get("token", "")
    if not token or not token_opens(token, campaign_id, current_app.config["SECRET_KEY"]):
        return render_template("public/link_refused.html"), 403
    campaign = get_session().get(Campaign, campaign_id)
    if campaign is None:
        return error_response(404, _("This email no longer exists."))
    return _web_page(campaign)


@bp.get("/archief")
def archive_index():
    """The public archive: every sent recap, newest first."""
    return render_template("public/archive.html", recaps=archive.sent_recaps(get_session()))


@bp.get("/archief/<int:campaign_id>")
def archive_recap(campaign_id: int):
    """One sent recap, public, without a token."""
    campaign = archive.archived_recap(get_session(), campaign_id)
    if campaign is None:
        return error_response(404)
    return _web_page(campaign)
