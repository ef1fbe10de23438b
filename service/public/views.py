"""Pages without login: the health check, the web version of emails, the recap archive and the
unsubscribe link."""

from flask import Blueprint, current_app, jsonify, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _

from service.audience.subscriptions import MAILING_LABELS, subscribed_mailings
from service.campaigns.testsend import network_from_config
from service.database import database_answers, get_engine, get_session
from service.errors import error_response
from service.extensions import csrf
from service.mail.render import TemplateError
from service.messages import preferred_language
from service.models import Campaign, Consent, Contact
from service.public import archive
from service.public.contact_links import PREFERENCES, ContactSigner
from service.public.unsubscribe import (
    contact_for_token,
    link_mailing,
    masked_email,
    unsubscribe_by_link,
)
from service.public.webversion import token_opens
from service.settings import current_settings

bp = Blueprint("public", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not (for load balancers)."""
    if database_answers(get_engine()):
        return jsonify(status="ok", database="ok")
    return jsonify(status="error", database="unreachable"), 503


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
def web_version(campaign_id: int):
    """The web version of any campaign, for the holder of the signed link in the email."""
    token = request.args.get("token", "")
    if not token or not token_opens(token, campaign_id, current_settings().SECRET_KEY):
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


def reader_language(contact: Contact | None) -> str:
    # A language chosen in this browser wins; else the contact's own, as their emails are;
    # else what the browser asks for, Dutch first.
    languages = current_settings().LANGUAGES
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if contact is not None and contact.language in languages:
        return contact.language
    return preferred_language(request.accept_languages, languages) or languages[0]


def _unsubscribe_page(template: str, status: int = 200, contact: Contact | None = None, **values):
    with force_locale(reader_language(contact)):
        html = render_template(
            template,
            masked_email=masked_email(contact.email) if contact is not None else "",
            **values,
        )
    response = current_app.make_response((html, status))
    # The token in the address is the key to this contact: keep it out of Referer headers,
    # search engines and shared caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"
    return response


def _read_link(token: str):
    """The signed token and its contact, or the refusal page to answer instead."""
    found = contact_for_token(get_session(), token, current_settings().SECRET_KEY)
    if found.signed is None:
        return found, _unsubscribe_page("public/unsubscribe_refused.html", 400, gone=False)
    if found.contact is None:
        return found, _unsubscribe_page("public/unsubscribe_refused.html", 404, gone=True)
    return found, None


def _mailing_state(found) -> dict:
    """What the unsubscribe pages show: the link's mailing, what is still held, the way back."""
    db = get_session()
    contact = found.contact
    mailing = link_mailing(db, found.signed)
    return {
        "mailing_label": _(MAILING_LABELS[mailing]) if mailing is not None else "",
        "mailing": mailing.value if mailing is not None else "",
        "remaining": [_(MAILING_LABELS[m]) for m in subscribed_mailings(db, contact.id)],
        "withdrawn": contact.consent == Consent.WITHDRAWN,
        # Relative: the page's own origin.
        "preferences_url": ContactSigner(current_settings().SECRET_KEY, PREFERENCES).url(
            contact.id, ""
        ),
    }


def _mailing_page(template: str, found):
    with force_locale(reader_language(found.contact)):
        state = _mailing_state(found)
    return _unsubscribe_page(template, contact=found.contact, **state)


@bp.get("/afmelden/<token>")
def unsubscribe_page(token: str):
    """Ask the holder of an unsubscribe link to confirm; a GET changes nothing.

    Mail scanners (Safe Links and the like) open every link in an email; if opening the link
    unsubscribed, people would be unsubscribed without ever asking. A link whose mailing the
    contact already left shows where they stand instead.
    """
    found, refusal = _read_link(token)
    if refusal is not None:
        return refusal
    db = get_session()
    mailing = link_mailing(db, found.signed)
    held = subscribed_mailings(db, found.contact.id)
    if found.contact.consent == Consent.WITHDRAWN or (mailing is not None and mailing not in held):
        return _mailing_page("public/unsubscribe_done.html", found)
    return _mailing_page("public/unsubscribe.html", found)


@bp.post("/afmelden/<token>")
@csrf.exempt
def unsubscribe(token: str):
    """Unsubscribe the holder of the link: the form on the page, or RFC 8058 one-click.

    Exempt from CSRF, the only page that is: mail clients post `List-Unsubscribe=One-Click`
    without cookies or a CSRF token. The signed token is the authority, and nobody can post
    for someone else without their link. Posting twice is fine. `scope=all` leaves every
    mailing; otherwise only the campaign's own mailing goes.
    """
    found, refusal = _read_link(token)
    if refusal is not None:
        return refusal
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    everything = request.form.get("scope") == "all"
    db = get_session()
    unsubscribe_by_link(db, found.signed, found.contact, one_click=one_click, everything=everything)
    db.commit()
    return _mailing_page("public/unsubscribe_done.html", found)


# The answer pages of invitations and the .ics download of a meeting ("add to calendar" in
# invitations) hang on this blueprint; imported last, as they use it.
from service.public import answers, calendar_views  # noqa: E402, F401
