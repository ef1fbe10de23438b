"""The audience's own pages, all without login: signing up (/aanmelden) with its confirmation
link, the preference page (/voorkeuren/<token>) with data export and erasure, and the
unsubscribe link of every email (/afmelden/<token>).

Every form carries a CSRF token; the signup's POST is rate limited per address and has a
honeypot. The answer to a signup never tells whether an address is known. Pages with a token in
the address keep it out of caches, search engines and other sites' Referer headers.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from service.addresses import normalise_email
from service.audience import privacy, signup
from service.audience.forms import PostForm, PreferencesForm, SignupForm
from service.audience.subscriptions import (
    MAILING_LABELS,
    parse_mailings,
    set_mailings,
    subscribed_mailings,
)
from service.audience.unsubscribe import (
    contact_for_token,
    link_mailing,
    masked_email,
    unsubscribe_by_link,
)
from service.auth.access import public
from service.contact_links import CARD, PREFERENCES, ContactSigner
from service.database import get_session
from service.extensions import csrf, limiter
from service.languages import reader_language
from service.models import Consent, Contact, record_audit, utcnow
from service.provinces import CHOICES
from service.settings import current_settings
from service.translation import language_or_default

# Posts per address: a person who mistyped signs up again; a bot cannot fill mailboxes.
SIGNUP_LIMIT = "5 per hour"
PREFERENCES_SOURCE = "voorkeurenpagina"

bp = Blueprint("audience", __name__)


def _private(response):
    # "same-origin" rather than "no-referrer": Flask-WTF refuses a form posted over HTTPS
    # without a Referer from our site.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(template: str, status: int = 200, reader: Contact | None = None, **values):
    with force_locale(reader_language(reader)):
        html = render_template(template, **values)
    return _private(current_app.make_response((html, status)))


# --- signup -------------------------------------------------------------------------------


@bp.route("/aanmelden", methods=["GET", "POST"])
@limiter.limit(SIGNUP_LIMIT, methods=["POST"])
@public
def signup_page():
    """The public signup form; a valid post queues the confirmation email."""
    with force_locale(reader_language(None)):
        form = SignupForm()
        valid = form.validate_on_submit()
    if valid:
        if not (form.website.data or "").strip():
            _request_signup(form)
        # The same answer whatever happened: known, new, repeated, or a bot.
        return redirect(url_for("audience.check_mailbox"))
    return _page("audience/signup.html", 400 if form.errors else 200, form=form)


def _request_signup(form: SignupForm) -> None:
    try:
        email = normalise_email(form.email.data)
    except ValueError:
        return
    province = form.province.data if form.province.data in CHOICES else None
    data = signup.SignupData(
        email=email,
        name=form.name.data.strip(),
        organisation=(form.organisation.data or "").strip(),
        role=(form.role.data or "").strip(),
        province=province,
        language=language_or_default(form.language.data, current_settings().LANGUAGES),
        mailings=parse_mailings(form.mailings.data or []),
    )
    db = get_session()
    signup.request_signup(db, data, secret_key=current_settings().SECRET_KEY)
    db.commit()


@bp.get("/aanmelden/controleer-je-mail")
@public
def check_mailbox():
    """ "Check your mailbox": the one answer to every signup."""
    return _page("audience/check_mailbox.html")


def _open(token: str):
    request = signup.open_signup(get_session(), token)
    if request is None:
        return None, _page("audience/signup_refused.html", 404)
    return request, None


@bp.get("/aanmelden/bevestigen/<token>")
@public
def confirm_page(token: str):
    """One button to confirm; opening the link (as mail scanners do) changes nothing."""
    request, refusal = _open(token)
    if refusal is not None:
        return refusal
    with force_locale(reader_language(None)):
        labels = [_(MAILING_LABELS[m]) for m in parse_mailings(request.mailings)]
    return _page("audience/confirm.html", form=PostForm(), mailings=labels)


@bp.post("/aanmelden/bevestigen/<token>")
@public
def confirm(token: str):
    """Confirm the signup: the contact gets consent and the chosen mailings."""
    request, refusal = _open(token)
    if refusal is not None:
        return refusal
    form = PostForm()
    if not form.validate_on_submit():
        return _page("audience/confirm.html", 400, form=form, mailings=[])
    db = get_session()
    contact = signup.confirm_signup(db, request)
    db.commit()
    return _page(
        "audience/confirmed.html",
        reader=contact,
        preferences_url=_signer(PREFERENCES).url(contact.id, ""),
    )


# --- preferences ---------------------------------------------------------------------------


def _signer(purpose: str) -> ContactSigner:
    return ContactSigner(current_settings().SECRET_KEY, purpose)


def _contact(token: str):
    """The contact of a preferences link, or the refusal page (400 altered, 404 gone)."""
    contact_id = _signer(PREFERENCES).read(token)
    if contact_id is None:
        return None, _page("audience/link_refused.html", 400, gone=False)
    contact = get_session().get(Contact, contact_id)
    if contact is None:
        return None, _page("audience/link_refused.html", 404, gone=True)
    return contact, None


def _preferences_page(contact: Contact, form: PreferencesForm, token: str, status=200, saved=False):
    return _page(
        "audience/preferences.html",
        status,
        reader=contact,
        form=form,
        token=token,
        contact=contact,
        saved=saved,
        withdrawn=contact.consent == Consent.WITHDRAWN,
        card_url=_signer(CARD).url(contact.id, ""),
    )


@bp.get("/voorkeuren/<token>")
@public
def preferences(token: str):
    """The contact's own page: mailings, language, their card, their data."""
    contact, refusal = _contact(token)
    if refusal is not None:
        return refusal
    held = subscribed_mailings(get_session(), contact.id)
    with force_locale(reader_language(contact)):
        form = PreferencesForm(
            formdata=None, mailings=[m.value for m in held], language=contact.language
        )
    return _preferences_page(contact, form, token)


@bp.post("/voorkeuren/<token>")
@public
def save_preferences(token: str):
    """Store the chosen mailings and language; none chosen withdraws consent."""
    contact, refusal = _contact(token)
    if refusal is not None:
        return refusal
    with force_locale(reader_language(contact)):
        form = PreferencesForm()
        valid = form.validate_on_submit()
    if not valid:
        return _preferences_page(contact, form, token, status=400)
    db = get_session()
    added, removed = set_mailings(
        db, contact, parse_mailings(form.mailings.data or []), source=PREFERENCES_SOURCE
    )
    if contact.language != form.language.data:
        contact.language = form.language.data
    if added or removed:
        record_audit(
            db,
            None,
            "contact.preferences",
            contact,
            added=[m.value for m in added],
            removed=[m.value for m in removed],
        )
    db.commit()
    # The page now speaks the chosen language (the contact's, unless this browser chose one).
    return _preferences_page(contact, form, token, saved=True)


@bp.post("/voorkeuren/<token>/gegevens")
@public
def download_data(token: str):
    """Everything held about the contact, as a JSON download."""
    contact, refusal = _contact(token)
    if refusal is not None:
        return refusal
    if not PostForm().validate_on_submit():
        return _page("audience/link_refused.html", 400, gone=False)
    card_token = _signer(CARD).token(contact.id)
    base = current_settings().BASE_URL.rstrip("/")
    data = privacy.export_data(
        get_session(),
        contact,
        card_page_url=f"{base}/netwerkkaart/{card_token}",
        photo_url=f"{base}/netwerkkaart/{card_token}/foto",
    )
    data["exported_at"] = utcnow().isoformat()
    response = current_app.response_class(
        json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="mijn-gegevens.json"'
    return _private(response)


@bp.route("/voorkeuren/<token>/verwijderen", methods=["GET", "POST"])
@public
def erase(token: str):
    """Ask, then erase everything held about the contact."""
    contact, refusal = _contact(token)
    if refusal is not None:
        return refusal
    form = PostForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return _page("audience/erase.html", status, reader=contact, form=form, token=token)
    language = reader_language(contact)
    db = get_session()
    privacy.erase_contact(db, contact, legacy_photo_folder=_legacy_photo_folder())
    db.commit()
    with force_locale(language):
        html = render_template("audience/erased.html")
    return _private(current_app.make_response(html))


def _legacy_photo_folder() -> Path:
    # Where versions before the photos moved into the database kept them (service/cards).
    return Path(current_app.instance_path) / "media" / "cards"


# --- unsubscribe (the link in every email's footer and List-Unsubscribe header) -----------


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
        return found, _unsubscribe_page("audience/unsubscribe_refused.html", 400, gone=False)
    if found.contact is None:
        return found, _unsubscribe_page("audience/unsubscribe_refused.html", 404, gone=True)
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
@public
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
        return _mailing_page("audience/unsubscribe_done.html", found)
    return _mailing_page("audience/unsubscribe.html", found)


@bp.post("/afmelden/<token>")
@csrf.exempt
@public
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
    return _mailing_page("audience/unsubscribe_done.html", found)
