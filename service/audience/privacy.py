"""What a contact can do with their own data from the preference page: take it, or erase it.

`export_data` gathers everything held about one person (the contact row, subscriptions, the
consent record, invitations and answers, deliveries, the network card, signup requests) as
JSON-ready values. `erase_contact` removes it: the contact row goes, and with it (by the foreign
keys) their subscriptions, card and invitations; deliveries stay for the campaigns' counts but
lose the link and the address; signup requests and the card photo file go too; the address and
the name go from every other column that can hold them, JSON ones included (campaigns'
audiences, introductions, audit details). The audit entry keeps no personal data, only that
someone erased themselves.

Nothing here imports Flask.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, delete, func, select, update
from sqlalchemy.orm import Session

from service.cards.photos import remove_photo
from service.models import (
    AuditEntry,
    Bounce,
    Campaign,
    Contact,
    Delivery,
    HostProposal,
    Invitation,
    Meeting,
    NetworkCard,
    Nomination,
    SignupRequest,
    Subscription,
    record_audit,
)
from service.nominations.introduction import INTRODUCTION


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_data(
    session: Session, contact: Contact, *, card_page_url: str, photo_url: str
) -> dict[str, Any]:
    """Everything held about this contact, for "Download my data" (JSON-ready)."""
    subscriptions = session.scalars(
        select(Subscription).where(Subscription.contact_id == contact.id)
    )
    invitations = session.execute(
        select(Invitation, Meeting.title, Meeting.starts_at)
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .where(Invitation.contact_id == contact.id)
        .order_by(Meeting.starts_at)
    ).all()
    deliveries = session.execute(
        select(Delivery, Campaign.subject)
        .outerjoin(Campaign, Campaign.id == Delivery.campaign_id)
        .where(Delivery.contact_id == contact.id)
        .order_by(Delivery.created_at, Delivery.id)
    ).all()
    card = session.get(NetworkCard, contact.id)
    signups = session.scalars(
        select(SignupRequest).where(SignupRequest.email == contact.email).order_by(SignupRequest.id)
    )
    return {
        "contact": {
            "email": contact.email,
            "name": contact.name,
            "organisation": contact.organisation,
            "role": contact.role,
            "province": contact.province,
            "language": contact.language,
            "tags": contact.tag_names,
            "notes": contact.notes,
            "created_at": _when(contact.created_at),
            "updated_at": _when(contact.updated_at),
        },
        "consent": {
            "state": contact.consent.value,
            "at": _when(contact.consent_at),
            "source": contact.consent_source,
        },
        "subscriptions": [
            {"mailing": row.mailing.value, "since": _when(row.created_at), "source": row.source}
            for row in subscriptions
        ],
        "invitations": [
            {
                "meeting": title,
                "starts_at": _when(starts_at),
                "answer": invitation.answer.value,
                "answered_at": _when(invitation.answered_at),
                "remark": invitation.remark,
                "shown_to_colleagues": invitation.show_to_colleagues,
                "attended": invitation.attended,
            }
            for invitation, title, starts_at in invitations
        ],
        "deliveries": [
            {
                "campaign_subject": subject,
                "kind": delivery.kind,
                "email": delivery.email,
                "status": delivery.status.value,
                "sent_at": _when(delivery.sent_at),
            }
            for delivery, subject in deliveries
        ],
        "network_card": _card(card, card_page_url, photo_url),
        "signup_requests": [
            {
                "name": request.name,
                "organisation": request.organisation,
                "role": request.role,
                "province": request.province,
                "language": request.language,
                "mailings": list(request.mailings or []),
                "created_at": _when(request.created_at),
                "confirmed_at": _when(request.confirmed_at),
            }
            for request in signups
        ],
    }


def _card(card: NetworkCard | None, page_url: str, photo_url: str) -> dict[str, Any] | None:
    if card is None:
        return None
    return {
        "page": page_url,
        "treasure": card.treasure,
        "brings": card.brings,
        "seeks": card.seeks,
        # The photo itself is not copied in; its address is (it opens with the card's link).
        "photo_url": photo_url if card.photo else None,
        "photo_alt": card.photo_alt,
        "on_wall": card.on_wall,
        "on_wall_since": _when(card.on_wall_since),
    }


def erased_address(email: str) -> str:
    """What a delivery keeps instead of an erased address: a one-way mark, not the address."""
    return "erased-" + hashlib.sha256(email.encode()).hexdigest()[:16]


def erase_contact(
    session: Session, contact: Contact, *, legacy_photo_folder: Path | None = None
) -> None:
    """Erase everything held about this contact at their own request; the caller commits.

    Deliveries and bounces stay, so campaign counts stay right, but hold neither the contact,
    the address, nor what a relay said about it. Every other place that can hold the address or
    the name is mended too: campaigns' audiences (the JSON list of addresses), nominations and
    host proposals by or about them and the introductions that name them, and audit entries
    about them or that mention the address. The suppression list keeps a bounced or complaining
    address on purpose: it must hold for an address that is imported again.
    """
    email, contact_id = contact.email, contact.id
    erased = erased_address(email)
    card = session.get(NetworkCard, contact_id)
    photo = card.photo if card is not None else ""
    mine = (Delivery.contact_id == contact_id) | (Delivery.email == email)
    # Bounces stay too, so the campaign's report still counts them, but without the address
    # (the reason often quotes it).
    session.execute(
        update(Bounce)
        .where(
            Bounce.email.in_({email, email.lower()})
            | Bounce.delivery_id.in_(select(Delivery.id).where(mine))
        )
        .values(email=erased, reason=func.replace(Bounce.reason, email, erased))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Delivery)
        .where(mine)
        .values(
            email=erased,
            contact_id=None,
            payload=None,
            # A refusal often quotes the address ("550 <anna@...>: no such user").
            last_error=func.replace(Delivery.last_error, email, erased),
        )
        .execution_options(synchronize_session=False)
    )
    _erase_from_reasons(session, email, erased)
    _erase_from_audiences(session, email, erased)
    session.execute(
        delete(SignupRequest)
        .where(SignupRequest.email == email)
        .execution_options(synchronize_session=False)
    )
    _erase_from_nominations(session, email, erased)
    session.execute(
        update(HostProposal)
        .where(HostProposal.contact_email == email)
        .values(contact_email=erased, contact_name="")
        .execution_options(synchronize_session=False)
    )
    # Earlier entries (e.g. "contact.create" with the address) would keep the person on record.
    session.execute(
        update(AuditEntry)
        .where(
            (
                (AuditEntry.object_type == Contact.__tablename__)
                & (AuditEntry.object_id == contact_id)
            )
            | _json_mentions(AuditEntry.detail, email)
        )
        .values(detail={"erased": True})
        .execution_options(synchronize_session=False)
    )
    # Invitations, subscriptions and the card go with the contact (ON DELETE CASCADE); removed
    # here as well so no ORM-held copy lingers in this session.
    for model in (Invitation, Subscription, NetworkCard):
        session.execute(
            delete(model)
            .where(model.contact_id == contact_id)
            .execution_options(synchronize_session=False)
        )
    session.delete(contact)
    session.flush()
    record_audit(session, None, "contact.erase_self", None, by="preferences page")
    if photo:
        remove_photo(session, photo, legacy_folder=legacy_photo_folder)


def _json_mentions(column: Any, text: str) -> Any:
    """Whether a JSON column's stored text holds `text` (written as JSON writes it)."""
    needle = json.dumps(text)[1:-1]  # non-ASCII as \uXXXX escapes, as the column stores it
    return cast(column, Text).contains(needle, autoescape=True)


def _erase_from_audiences(session: Session, email: str, erased: str) -> None:
    """Put the erased mark in place of the address in every campaign's list of addresses.

    Not simply removed: a selection left without parts would mean everyone with consent, so a
    draft meant for this one person would go to the whole list.
    """
    campaigns = session.scalars(select(Campaign).where(_json_mentions(Campaign.audience, email)))
    for campaign in campaigns:
        audience = dict(campaign.audience or {})
        emails = audience.get("emails") or []
        if email in emails:
            audience["emails"] = sorted({erased if e == email else e for e in emails})
            campaign.audience = audience


def _erase_from_reasons(session: Session, email: str, erased: str) -> None:
    """A relay's words kept as a campaign's reason often quote the address; the mark replaces it."""
    mentioning = select(Campaign).where(_json_mentions(Campaign.status_reason_params, email))
    for campaign in session.scalars(mentioning):
        campaign.status_reason_params = _replaced(campaign.status_reason_params, email, erased)


def _replaced(value: Any, old: str, new: str) -> Any:
    """Every string in a JSON value with `old` replaced by `new`."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replaced(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _replaced(item, old, new) for key, item in value.items()}
    return value


def _erase_from_nominations(session: Session, email: str, erased: str) -> None:
    """Nominations about them, or by them, stay for the organisers without who it was."""
    about_them = list(
        session.scalars(select(Nomination.id).where(Nomination.nominee_email == email))
    )
    by_them = list(
        session.scalars(select(Nomination.id).where(Nomination.nominator_email == email))
    )
    if about_them:
        # The reason and a decline's reason are written about them, and often name them.
        session.execute(
            update(Nomination)
            .where(Nomination.id.in_(about_them))
            .values(nominee_email=erased, nominee_name="", reason="", decline_reason="")
            .execution_options(synchronize_session=False)
        )
    if by_them:
        session.execute(
            update(Nomination)
            .where(Nomination.id.in_(by_them))
            .values(nominator_email=erased, nominator_name="")
            .execution_options(synchronize_session=False)
        )
        # The introduction to whoever they put forward names them ("X thinks you ...").
        for delivery in session.scalars(
            select(Delivery).where(Delivery.kind == INTRODUCTION, Delivery.campaign_id.is_(None))
        ):
            payload = dict(delivery.payload or {})
            if payload.get("nomination_id") in by_them:
                payload["nominator_name"] = ""
                delivery.payload = payload
    if about_them or by_them:
        # "nomination.decline" keeps the reason given, which may name them.
        session.execute(
            update(AuditEntry)
            .where(
                AuditEntry.object_type == Nomination.__tablename__,
                AuditEntry.object_id.in_([*about_them, *by_them]),
            )
            .values(detail={"erased": True})
            .execution_options(synchronize_session=False)
        )
