"""Campaign pages without login: the web version of every email (signed link), the public
archive of sent recaps, and the redirect of a counted link (`/k/<token>`)."""

from flask import Blueprint, current_app, redirect, render_template, request, session
from flask_babel import gettext as _

from service.auth.access import public
from service.campaigns import archive
from service.campaigns.clicks import follow_link
from service.campaigns.webversion import token_opens
from service.database import get_session
from service.errors import error_response
from service.models import Campaign
from service.rendering.network import network_from_config
from service.rendering.render import TemplateError
from service.settings import current_settings

bp = Blueprint("web", __name__)


def _web_page(campaign):
    settings = current_settings()
    # The language the email was in (its link says), else the one chosen in this browser.
    language = _chosen_language(request.args.get("lang")) or _chosen_language(session.get("lang"))
    language = language or settings.default_language
    try:
        page = archive.web_page(
            get_session(),
            campaign,
            network=network_from_config(settings),
            base_url=settings.BASE_URL,
            language=language,
        )
    except TemplateError as exc:
        # Its content fails today's checks (or a template broke): a reader can do nothing
        # about it, the organisers find it marked in the composer.
        current_app.logger.warning("campaign %s has no web version: %s", campaign.id, exc)
        return error_response(
            503, _("This email cannot be shown right now. Please try again later.")
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


def _chosen_language(value: object) -> str | None:
    return value if value in current_settings().LANGUAGES else None


@bp.get("/web/<int:campaign_id>")
@public
def web_version(campaign_id: int):
    """The web version of any campaign, for the holder of the signed link in the email."""
    token = request.args.get("token", "")
    if not token or not token_opens(token, campaign_id, current_settings().SECRET_KEY):
        return render_template("campaigns/link_refused.html"), 403
    campaign = get_session().get(Campaign, campaign_id)
    if campaign is None:
        return error_response(404, _("This email no longer exists."))
    return _web_page(campaign)


@bp.get("/archief")
@public
def archive_index():
    """The public archive: every sent recap, newest first."""
    return render_template("campaigns/archive.html", recaps=archive.sent_recaps(get_session()))


@bp.get("/archief/<int:campaign_id>")
@public
def archive_recap(campaign_id: int):
    """One sent recap, public, without a token."""
    campaign = archive.archived_recap(get_session(), campaign_id)
    if campaign is None:
        return error_response(404)
    return _web_page(campaign)


@bp.get("/k/<token>")
@public
def counted_link(token: str):
    """A counted link of an email: add one to the link's total and go on to its address.

    Public and anonymous: no login, no session cookie (service/__init__.py), nothing about the
    visitor read or logged. A token that is not ours or a link that does not exist counts
    nothing and gets a page saying so.
    """
    db = get_session()
    followed = follow_link(db, token, current_settings().SECRET_KEY)
    if followed is None:
        return render_template("campaigns/link_unknown.html"), 404
    if followed.counted:
        db.commit()
    response = redirect(followed.url, 302)
    # Every click must reach us to be counted, not a copy of the answer kept on the way.
    response.headers["Cache-Control"] = "no-store"
    return response
