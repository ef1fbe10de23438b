"""Subscriptions to the two mailings, and the rule that ties them to consent.

A contact receives a campaign only with consent "given" AND a subscription to the campaign's
mailing (service.delivery.queue.audience_condition). The two move together here: the last
subscription going withdraws consent, and a contact with consent given holds at least one
subscription. Organisers never subscribe someone who withdrew: only the person can, through
the signup form or their preference page.

Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, func, insert, select, update
from sqlalchemy.orm import Session

from service.messages import N_
from service.models import (
    AuditEntry,
    Campaign,
    CampaignKind,
    CampaignStatus,
    Consent,
    Contact,
    Delivery,
    DeliveryStatus,
    Mailing,
    Subscription,
    utcnow,
)

# Every kind of campaign belongs to one mailing.
MAILING_OF_KIND = {
    CampaignKind.RECAP: Mailing.NEWS,
    CampaignKind.ANNOUNCEMENT: Mailing.NEWS,
    CampaignKind.INVITATION: Mailing.INVITATIONS,
    CampaignKind.REMINDER: Mailing.INVITATIONS,
}
KINDS_OF_MAILING = {
    mailing: tuple(kind for kind, of in MAILING_OF_KIND.items() if of == mailing)
    for mailing in Mailing
}
# The order mailings are shown in.
MAILINGS = (Mailing.NEWS, Mailing.INVITATIONS)
# What people see: "Terugblikken en nieuws", "Uitnodigingen voor bijeenkomsten".
MAILING_LABELS = {
    Mailing.NEWS: N_("Recaps and news"),
    Mailing.INVITATIONS: N_("Invitations to meetings"),
}


def mailing_of(kind: CampaignKind | str) -> Mailing:
    """The mailing a campaign of this kind goes to."""
    return MAILING_OF_KIND[CampaignKind(kind)]


def parse_mailings(values: Iterable[str]) -> list[Mailing]:
    """Known mailings among the given values, in display order (unknown values are dropped)."""
    chosen = set()
    for value in values:
        try:
            chosen.add(Mailing(value))
        except ValueError:
            continue
    return [mailing for mailing in MAILINGS if mailing in chosen]


def subscribed_mailings(session: Session, contact_id: int) -> list[Mailing]:
    """The mailings this contact is subscribed to, in display order."""
    held = set(
        session.scalars(select(Subscription.mailing).where(Subscription.contact_id == contact_id))
    )
    return [mailing for mailing in MAILINGS if mailing in held]


def subscriptions_of(session: Session, contact_id: int) -> list[Subscription]:
    """The contact's subscription rows (with when and how), in display order."""
    rows = session.scalars(select(Subscription).where(Subscription.contact_id == contact_id))
    order = {mailing: index for index, mailing in enumerate(MAILINGS)}
    return sorted(rows, key=lambda row: order[row.mailing])


def subscribe(
    session: Session,
    contact: Contact,
    mailings: Iterable[Mailing],
    *,
    source: str,
    now: datetime | None = None,
) -> list[Mailing]:
    """Add the subscriptions the contact does not hold yet; returns those added.

    Consent is not touched here: the caller records it (a form, the signup, the preferences).
    """
    if contact.id is None:
        session.flush()  # a new contact gets its id, so its subscriptions can point at it
    held = set(subscribed_mailings(session, contact.id))
    added = []
    for mailing in MAILINGS:
        if mailing in mailings and mailing not in held:
            session.add(
                Subscription(
                    contact_id=contact.id,
                    mailing=mailing,
                    created_at=now or utcnow(),
                    source=source[:200],
                )
            )
            added.append(mailing)
    if added:
        session.flush()
    return added


def subscribe_all(
    session: Session, contact: Contact, *, source: str, now: datetime | None = None
) -> list[Mailing]:
    """Subscribe a contact whose consent was just given to both mailings (the default).

    A contact not yet in the database is subscribed when the session next flushes, in one
    INSERT with every other such contact: a CSV import of 10,000 contacts with consent would
    otherwise flush and query once per row (4.7 s became 21 s).
    """
    if contact.id is None:
        session.info.setdefault(_PENDING, []).append((contact, source[:200], now or utcnow()))
        return list(MAILINGS)
    return subscribe(session, contact, MAILINGS, source=source, now=now)


_PENDING = "audience.subscribe_all"


@event.listens_for(Session, "after_flush")
def _subscribe_flushed(session: Session, _context: Any) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    waiting = [entry for entry in pending if entry[0].id is None]
    if waiting:  # not in this flush (added to the session later): the next flush takes them
        session.info[_PENDING] = waiting
    rows = [
        {"contact_id": contact.id, "mailing": mailing, "created_at": now, "source": source}
        for contact, source, now in pending
        if contact.id is not None
        for mailing in MAILINGS
    ]
    if rows:
        session.connection().execute(insert(Subscription), rows)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    # Contacts of a rolled-back transaction were never stored; nothing to subscribe.
    session.info.pop(_PENDING, None)


def withdraw_consent(
    session: Session, contact: Contact, *, source: str, now: datetime | None = None
) -> bool:
    """Withdraw consent and every subscription; True when consent was given until now.

    Deliveries still queued for this contact in running campaigns are skipped at once, so
    a contact who leaves during a send gets none of the messages not yet sent.
    """
    was_given = contact.consent == Consent.GIVEN
    # With no subscription left, unsubscribe withdraws consent as well.
    unsubscribe(session, contact, MAILINGS, source=source, now=now)
    return was_given


def unsubscribe(
    session: Session,
    contact: Contact,
    mailings: Iterable[Mailing],
    *,
    source: str,
    now: datetime | None = None,
) -> list[Mailing]:
    """Remove these subscriptions; returns those removed.

    When no subscription is left, consent becomes withdrawn as well (with this source): there
    is nothing left the contact agreed to receive.
    """
    mailings = [Mailing(m) for m in mailings]
    held = set(subscribed_mailings(session, contact.id))
    removed = [mailing for mailing in MAILINGS if mailing in mailings and mailing in held]
    if removed:
        session.execute(
            delete(Subscription).where(
                Subscription.contact_id == contact.id, Subscription.mailing.in_(removed)
            )
        )
        _skip_queued(session, contact.id, removed)
    if not subscribed_mailings(session, contact.id) and contact.consent != Consent.WITHDRAWN:
        contact.consent = Consent.WITHDRAWN
        contact.consent_at = now or utcnow()
        contact.consent_source = source[:200]
    session.flush()
    return removed


def set_mailings(
    session: Session,
    contact: Contact,
    mailings: Iterable[Mailing],
    *,
    source: str,
    now: datetime | None = None,
) -> tuple[list[Mailing], list[Mailing]]:
    """The contact's own choice of mailings (preferences page, a confirmed signup).

    Choosing at least one is consent given by the person themselves, so it also restores
    consent withdrawn earlier; choosing none withdraws it. Returns (added, removed).
    """
    now = now or utcnow()
    wanted = set(mailings)
    removed = unsubscribe(
        session, contact, [m for m in MAILINGS if m not in wanted], source=source, now=now
    )
    added = subscribe(session, contact, wanted, source=source, now=now)
    if wanted and contact.consent != Consent.GIVEN:
        contact.consent = Consent.GIVEN
        contact.consent_at = now
        contact.consent_source = source[:200]
        session.flush()
    return added, removed


def _skip_queued(session: Session, contact_id: int, mailings: list[Mailing]) -> None:
    # The send loop checks consent and the campaign's mailing when it claims a delivery; this
    # shows the deliveries not claimed yet as skipped at once. One a worker holds is left to
    # it: marking it skipped here could hide a message the relay is accepting right now.
    kinds = [kind for mailing in mailings for kind in KINDS_OF_MAILING[mailing]]
    running = select(Campaign.id).where(
        Campaign.kind.in_(kinds),
        Campaign.status.in_([CampaignStatus.SENDING, CampaignStatus.PAUSED]),
    )
    session.execute(
        update(Delivery)
        .where(
            Delivery.contact_id == contact_id,
            Delivery.status == DeliveryStatus.QUEUED,
            Delivery.claim == "",
            Delivery.campaign_id.in_(running),
        )
        .values(status=DeliveryStatus.SKIPPED, last_error="unsubscribed")
        .execution_options(synchronize_session=False)
    )


def withdrawn_contacts(session: Session, *, limit: int = 500) -> list[Contact]:
    """Contacts who withdrew consent, most recent first (the organisers' "Afgemeld" list)."""
    return list(
        session.scalars(
            select(Contact)
            .where(Contact.consent == Consent.WITHDRAWN)
            .order_by(Contact.consent_at.desc(), Contact.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class MailingsLeft:
    """A contact who still takes one mailing but left another, and when they last did."""

    contact: Contact
    mailings: list[Mailing]
    left_at: datetime


# The two ways a person leaves one mailing, and where the audit entry names what was left.
_LEAVING = ("contact.unsubscribe", "contact.preferences")


def contacts_who_left_a_mailing(session: Session, *, limit: int = 500) -> list[MailingsLeft]:
    """Contacts with consent who left a mailing themselves, most recent first (the second part
    of the organisers' "Afgemeld" list).

    Read from the audit log, the only record of leaving one mailing: a contact who never took
    a mailing did not leave it. A mailing taken again since is not listed.
    """
    full = (
        select(Subscription.contact_id)
        .group_by(Subscription.contact_id)
        .having(func.count() >= len(MAILINGS))
    )
    candidates = select(Contact.id).where(Contact.consent == Consent.GIVEN, Contact.id.not_in(full))
    entries = session.execute(
        select(AuditEntry.object_id, AuditEntry.at, AuditEntry.detail)
        .where(
            AuditEntry.action.in_(_LEAVING),
            AuditEntry.object_type == Contact.__tablename__,
            AuditEntry.object_id.in_(candidates),
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).all()
    # Per contact, each mailing left and the last time it was (entries come newest first).
    left: dict[int, dict[Mailing, datetime]] = {}
    for contact_id, at, detail in entries:
        if contact_id is None:
            continue
        named = detail.get("removed") or [detail.get("mailing")]
        for mailing in parse_mailings(m for m in named if isinstance(m, str)):
            if contact_id in left or len(left) < limit:
                left.setdefault(contact_id, {}).setdefault(mailing, at)
    held: dict[int, set[Mailing]] = {}
    for contact_id, mailing in session.execute(
        select(Subscription.contact_id, Subscription.mailing).where(
            Subscription.contact_id.in_(list(left))
        )
    ):
        held.setdefault(contact_id, set()).add(mailing)
    contacts = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(list(left))))}
    result = []
    for contact_id, dates in left.items():
        still_left = [m for m in MAILINGS if m in dates and m not in held.get(contact_id, set())]
        if still_left and contact_id in contacts:
            last = max(dates[m] for m in still_left)
            result.append(MailingsLeft(contacts[contact_id], still_left, last))
    result.sort(key=lambda row: row.left_at, reverse=True)
    return result
