"""Network cards and the wall: reading and saving a card, and finding the cards on the wall.

A card is shown on the wall only while its contact chose `on_wall` AND their consent is
"given": both are checked in the one query that lists the wall, so withdrawing consent or
turning the wall off hides the card on the next page view. Nothing here imports Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from service.contact_links import CARD, WALL, ContactSigner
from service.models import Consent, Contact, NetworkCard
from service.paging import Paging, clamp_page
from service.search_text import folded

WALL_PAGE_SIZE = 24


@dataclass(frozen=True)
class CardValues:
    """What the card form sends: the contact's own fields and the card's."""

    name: str
    organisation: str
    role: str
    province: str | None
    treasure: str
    brings: str
    seeks: str
    on_wall: bool


@dataclass(frozen=True)
class WallPage(Paging):
    """One page of the wall: the cards (with their contacts), how many in all, and paging."""

    cards: list[NetworkCard]


def card_url(contact_id: int, secret_key: str, base_url: str) -> str:
    """The absolute address where this contact fills in their own card (for emails)."""
    return ContactSigner(secret_key, CARD).url(contact_id, base_url)


def wall_url(contact_id: int, secret_key: str, base_url: str) -> str:
    """The absolute address of the wall for this contact (for emails)."""
    return ContactSigner(secret_key, WALL).url(contact_id, base_url)


def card_of(session: Session, contact: Contact) -> NetworkCard:
    """The contact's card; a new, unsaved empty one when they have none yet."""
    card = session.get(NetworkCard, contact.id)
    if card is None:
        card = NetworkCard(
            contact_id=contact.id,
            contact=contact,
            treasure="",
            brings="",
            seeks="",
            photo="",
            photo_alt="",
            on_wall=False,
        )
    return card


def save_card(
    session: Session, contact: Contact, values: CardValues, *, now: datetime
) -> NetworkCard:
    """Store the card and the contact's name, organisation, role and province from it.

    `on_wall_since` records when the contact last chose to appear on the wall, and is cleared
    when they leave it, so it always tells since when the current choice holds.
    """
    card = card_of(session, contact)
    contact.name = values.name.strip()
    contact.organisation = values.organisation.strip()
    contact.role = values.role.strip()
    contact.province = values.province or None
    card.treasure = values.treasure.strip()
    card.brings = values.brings.strip()
    card.seeks = values.seeks.strip()
    if values.on_wall and not card.on_wall:
        card.on_wall_since = now
    elif not values.on_wall:
        card.on_wall_since = None
    card.on_wall = values.on_wall
    session.add(card)
    return card


def on_the_wall() -> ColumnElement[bool]:
    """The condition for a card to be shown: chosen by the contact and with consent given."""
    return and_(NetworkCard.on_wall.is_(True), Contact.consent == Consent.GIVEN)


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search(q: str) -> ColumnElement[bool]:
    # Every word must occur somewhere on the card, so "utrecht wonen" narrows rather than widens.
    conditions = []
    for word in q.split():
        pattern = _like(word)
        card_texts = (NetworkCard.brings, NetworkCard.seeks, NetworkCard.treasure)
        conditions.append(
            or_(
                # Names and organisations with accents and case ignored ("esmee": "Esmée").
                Contact.search_text.like(_like(folded(word)), escape="\\"),
                *(func.lower(text).like(pattern, escape="\\") for text in card_texts),
            )
        )
    return and_(*conditions)


def wall_cards(
    session: Session,
    *,
    q: str = "",
    province: str | None = None,
    organisation: str | None = None,
    page: int = 1,
    per_page: int = WALL_PAGE_SIZE,
) -> WallPage:
    """The cards on the wall matching the search and filters, by name, one page of them."""
    conditions = [on_the_wall()]
    if q.strip():
        conditions.append(_search(q))
    if province:
        conditions.append(Contact.province == province)
    if organisation:
        conditions.append(Contact.organisation == organisation)
    base = select(NetworkCard).join(Contact, NetworkCard.contact_id == Contact.id)
    base = base.where(*conditions)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = clamp_page(page, total, per_page)
    # The contact comes with the card from the same join: one query for the whole page.
    cards = session.scalars(
        base.options(contains_eager(NetworkCard.contact))
        .order_by(Contact.name, Contact.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return WallPage(cards=list(cards), total=total, page=page, per_page=per_page)


def wall_organisations(session: Session) -> list[str]:
    """The organisations of the cards on the wall, for the filter (A to Z)."""
    rows = session.scalars(
        select(Contact.organisation)
        .join(NetworkCard, NetworkCard.contact_id == Contact.id)
        .where(on_the_wall(), Contact.organisation != "")
        .distinct()
        .order_by(Contact.organisation)
    )
    return list(rows)


def all_cards(session: Session) -> list[NetworkCard]:
    """Every card, for organisers, by the contact's name."""
    return list(
        session.scalars(
            select(NetworkCard)
            .join(Contact, NetworkCard.contact_id == Contact.id)
            .options(contains_eager(NetworkCard.contact))
            .order_by(Contact.name, Contact.id)
        )
    )


def wall_photo_visible(session: Session, filename: str) -> bool:
    """Whether a photo belongs to a card on the wall now (so wall visitors may see it)."""
    found = session.scalar(
        select(NetworkCard.contact_id)
        .join(Contact, NetworkCard.contact_id == Contact.id)
        .where(NetworkCard.photo == filename, on_the_wall())
    )
    return found is not None


def photo_in_use(session: Session, filename: str) -> bool:
    """Whether any card has this photo (organisers may see every card's photo)."""
    found = session.scalar(select(NetworkCard.contact_id).where(NetworkCard.photo == filename))
    return found is not None
