"""The network card and the wall: public pages from signed links, and the organisers' pages.

`/netwerkkaart/<token>` lets a contact fill in their own card; `/netwerkmuur/<token>` shows the
wall to the holder of any contact's wall link. Organisers see and edit every card under
`/cards/` and the wall at `/cards/wall`. Photos are served only to those who may see the card
they belong to, at addresses that carry a random name and no contact id.
"""

from __future__ import annotations

import io
from contextlib import nullcontext
from pathlib import Path

from flask import Blueprint, current_app, render_template, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from service.auth.access import allow, public
from service.cards import photos
from service.cards.cards import (
    CardValues,
    all_cards,
    card_of,
    photo_in_use,
    save_card,
    wall_cards,
    wall_organisations,
    wall_photo_visible,
)
from service.cards.forms import CardForm, WallSearchForm
from service.contact_links import CARD, WALL, ContactSigner
from service.database import get_session
from service.errors import error_response
from service.languages import reader_language
from service.models import Consent, Contact, NetworkCard, Role, utcnow
from service.provinces import CHOICES
from service.settings import current_settings

bp = Blueprint("cards", __name__)

ALTERED, GONE = "altered", "gone"
REFUSAL_STATUS = {ALTERED: 400, GONE: 404}


def legacy_photo_folder() -> Path:
    """Where versions before the photos moved into the database kept them: instance/media/cards."""
    return Path(current_app.instance_path) / "media" / "cards"


def _signer(purpose: str) -> ContactSigner:
    return ContactSigner(current_settings().SECRET_KEY, purpose)


def _private(response):
    # The token in the address is the contact's key: keep it out of search engines, shared
    # caches and other sites' Referer headers. "same-origin" rather than "no-referrer":
    # Flask-WTF refuses a form posted over HTTPS without a Referer from our site.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"
    return response


def _public_page(template: str, status: int = 200, reader: Contact | None = None, **values):
    with force_locale(reader_language(reader)):
        html = render_template(template, **values)
    return _private(current_app.make_response((html, status)))


def _contact_for(token: str, purpose: str) -> Contact | str:
    """The contact a signed link is for, or the problem (ALTERED, GONE) to refuse it with."""
    contact_id = _signer(purpose).read(token)
    if contact_id is None:
        return ALTERED
    contact = get_session().get(Contact, contact_id)
    if contact is None:
        return GONE
    return contact


def _refusal(problem: str):
    return _public_page("cards/refused.html", REFUSAL_STATUS[problem], problem=problem)


def _send_photo(filename: str):
    db = get_session()
    photo = photos.photo_bytes(db, filename, legacy_folder=legacy_photo_folder())
    if photo is None:
        return error_response(404)
    if photo.imported:
        db.commit()
    response = send_file(
        io.BytesIO(photo.data), mimetype="image/jpeg", max_age=0, conditional=False
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Whoever leaves the wall disappears at once: no copy kept by a cache.
    return _private(response)


@bp.errorhandler(413)
def photo_too_large(_exc):
    """An upload over MAX_UPLOAD_MB: say so about the photo, in the reader's language."""
    token = (request.view_args or {}).get("token", "")
    found = _contact_for(token, CARD) if token else None
    contact = found if isinstance(found, Contact) else None
    public = request.endpoint == "cards.card_page"
    # Organisers read their own language (the default locale selector); contacts theirs.
    with force_locale(reader_language(contact)) if public else nullcontext():
        message = _(
            "The photo is too large: at most %(mb)s MB is accepted.",
            mb=current_settings().MAX_UPLOAD_MB,
        )
        return _private(current_app.make_response(error_response(413, message)))


# --- The card -----------------------------------------------------------------------------


def _card_form(card: NetworkCard, contact: Contact, *, submitted: bool) -> CardForm:
    has_photo = bool(card.photo)
    if submitted:
        return CardForm(has_photo=has_photo)
    return CardForm(
        formdata=None,
        has_photo=has_photo,
        name=contact.name,
        organisation=contact.organisation,
        role=contact.role,
        province=contact.province or "",
        treasure=card.treasure,
        brings=card.brings,
        seeks=card.seeks,
        photo_alt=card.photo_alt,
        on_wall=card.on_wall,
    )


def _save(contact: Contact, form: CardForm) -> NetworkCard | None:
    """Store the card from a valid form and return it; None (error on the form) for a bad photo."""
    db = get_session()
    prepared = None
    upload = form.new_upload()
    if upload is not None:
        max_bytes = current_settings().MAX_UPLOAD_MB * 1024 * 1024
        try:
            prepared = photos.prepare_photo(upload.read(), max_bytes=max_bytes)
        except photos.PhotoError as exc:
            form.photo.errors = [*form.photo.errors, exc.message.render(_)]
            return None
    card = save_card(
        db,
        contact,
        CardValues(
            name=form.name.data or "",
            organisation=form.organisation.data or "",
            role=form.role.data or "",
            province=form.province.data if form.province.data in CHOICES else None,
            treasure=form.treasure.data or "",
            brings=form.brings.data or "",
            seeks=form.seeks.data or "",
            on_wall=form.on_wall.data,
        ),
        now=utcnow(),
    )
    old_photo = card.photo
    if prepared is not None:
        card.photo = photos.store_photo(db, prepared)
    elif form.remove_photo.data:
        card.photo = ""
    card.photo_alt = (form.photo_alt.data or "").strip() if card.photo else ""
    if old_photo and old_photo != card.photo:
        photos.remove_photo(db, old_photo, legacy_folder=legacy_photo_folder())
    db.commit()
    return card


def _card_values(card: NetworkCard, contact: Contact, photo_url, **values) -> dict:
    """What the card page shows besides the form; `photo_url(name)` gives the photo's address."""
    return {
        "card": card,
        "contact": contact,
        "photo_url": photo_url(card.photo) if card.photo else None,
        "hidden_without_consent": card.on_wall and contact.consent != Consent.GIVEN,
        "max_mb": current_settings().MAX_UPLOAD_MB,
    } | values


def _own_photo_url(token: str, photo: str) -> str:
    # The address stays the same for a new photo; the part of its name makes browsers load it.
    return url_for("cards.own_photo", token=token, v=photo[:8])


@bp.route("/netwerkkaart/<token>", methods=["GET", "POST"])
@public
def card_page(token: str):
    """A contact's own network card from their signed link; the POST saves it."""
    contact = _contact_for(token, CARD)
    if isinstance(contact, str):
        return _refusal(contact)
    card = card_of(get_session(), contact)
    submitted = request.method == "POST"
    with force_locale(reader_language(contact)):
        # Built inside the reader's language, so the error texts are in it too.
        form = _card_form(card, contact, submitted=submitted)
        saved = submitted and form.validate() and _save(contact, form)
    if saved:
        card = saved
        form = _card_form(card, contact, submitted=False)
    status = 422 if submitted and not saved else 200
    return _public_page(
        "cards/card.html",
        status,
        contact,
        form=form,
        saved=bool(saved),
        organiser=False,
        wall_link=url_for("cards.wall_page", token=_signer(WALL).token(contact.id)),
        **_card_values(card, contact, lambda name: _own_photo_url(token, name)),
    )


@bp.get("/netwerkkaart/<token>/foto")
@public
def own_photo(token: str):
    """The photo on one's own card, for the holder of the card link."""
    contact = _contact_for(token, CARD)
    if isinstance(contact, str):
        return error_response(REFUSAL_STATUS[contact])
    card = get_session().get(NetworkCard, contact.id)
    if card is None or not card.photo:
        return error_response(404)
    return _send_photo(card.photo)


# --- The wall -----------------------------------------------------------------------------


def _wall_values(photo_url) -> dict:
    """The search form, the page of cards and what the template needs to show them."""
    db = get_session()
    form = WallSearchForm(request.args)
    form.province.choices = [("", _("All provinces")), *CHOICES.items()]
    organisations = wall_organisations(db)
    form.organisation.choices = [("", _("All organisations")), *((o, o) for o in organisations)]
    # A search with a control character searches nothing: its message shows under the field.
    searchable = form.validate()
    q = (form.q.data or "").strip() if searchable else ""
    province = form.province.data if form.province.data in CHOICES else None
    organisation = form.organisation.data if form.organisation.data in organisations else None
    result = wall_cards(
        db,
        q=q,
        province=province,
        organisation=organisation,
        page=request.args.get("page", 1, type=int),
    )
    filters = {"q": q or None, "province": province, "organisation": organisation}
    return {
        "form": form,
        "result": result,
        "entries": [(card, photo_url(card.photo) if card.photo else None) for card in result.cards],
        "filters": {k: v for k, v in filters.items() if v},
        "filtered": any(filters.values()),
    }


@bp.get("/netwerkmuur/<token>")
@public
def wall_page(token: str):
    """The network wall for the holder of any contact's wall link."""
    contact = _contact_for(token, WALL)
    if isinstance(contact, str):
        return _refusal(contact)
    with force_locale(reader_language(contact)):
        values = _wall_values(lambda name: url_for("cards.wall_photo", token=token, filename=name))
    return _public_page(
        "cards/wall.html",
        _search_status(values),
        contact,
        organiser=False,
        own_card_link=url_for("cards.card_page", token=_signer(CARD).token(contact.id)),
        **values,
    )


@bp.get("/netwerkmuur/<token>/foto/<filename>")
@public
def wall_photo(token: str, filename: str):
    """A photo of a card on the wall, for the holder of a wall link."""
    found = _contact_for(token, WALL)
    if isinstance(found, str):
        return error_response(REFUSAL_STATUS[found])
    if not wall_photo_visible(get_session(), filename):
        return error_response(404)
    return _send_photo(filename)


# --- Organisers ---------------------------------------------------------------------------


@bp.get("/cards/")
@allow(Role.VIEWER)
def index():
    """Every network card, with whether it is on the wall."""
    return render_template("cards/list.html", cards=all_cards(get_session()))


@bp.route("/cards/<int:contact_id>", methods=["GET", "POST"])
@allow(Role.ORGANISER)
def edit(contact_id: int):
    """An organiser opens and edits any contact's card."""
    db = get_session()
    contact = db.get(Contact, contact_id)
    if contact is None:
        return error_response(404)
    card = card_of(db, contact)
    submitted = request.method == "POST"
    form = _card_form(card, contact, submitted=submitted)
    saved = submitted and form.validate() and _save(contact, form)
    if saved:
        card = saved
        form = _card_form(card, contact, submitted=False)
    html = render_template(
        "cards/card.html",
        form=form,
        saved=bool(saved),
        organiser=True,
        card_link=_signer(CARD).url(contact.id, current_settings().BASE_URL),
        **_card_values(card, contact, lambda name: url_for("cards.organiser_photo", filename=name)),
    )
    return _private(current_app.make_response((html, 422 if submitted and not saved else 200)))


@bp.get("/cards/wall")
@allow(Role.VIEWER)
def organiser_wall():
    """The wall as members see it, for organisers."""
    values = _wall_values(lambda name: url_for("cards.organiser_photo", filename=name))
    html = render_template("cards/wall.html", organiser=True, **values)
    return _private(current_app.make_response((html, _search_status(values))))


def _search_status(values: dict) -> int:
    return 400 if values["form"].errors else 200


@bp.get("/cards/photos/<filename>")
@allow(Role.VIEWER)
def organiser_photo(filename: str):
    """The photo of any card, for organisers."""
    if not photo_in_use(get_session(), filename):
        return error_response(404)
    return _send_photo(filename)
