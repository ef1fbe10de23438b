"""Builders that keep tests short: make_contact, make_meeting and make_announcement (db, ...)."""

from __future__ import annotations

from datetime import date, datetime, time
from itertools import count

from service.audience.subscriptions import MAILINGS, subscribe
from service.campaigns import store
from service.dates import local_to_utc
from service.models import Campaign, Consent, Contact, Meeting, MeetingStatus, Tag

_numbers = count(1)


def make_contact(db, **fields) -> Contact:
    """A stored contact; every field can be overridden, tags given as a list of names.

    A contact with consent given is subscribed to both mailings, as every way of giving consent
    does; `subscriptions=[Mailing.NEWS]` (or []) says otherwise.
    """
    n = next(_numbers)
    tag_names = fields.pop("tags", [])
    mailings = fields.pop("subscriptions", None)
    values = {
        "email": f"persoon{n}@example.nl",
        "name": f"Persoon {n}",
        "organisation": "Gemeente Utrecht",
        "role": "Beleidsadviseur",
        "province": "utrecht",
        "consent": Consent.GIVEN,
    } | fields
    contact = Contact(**values)
    for name in tag_names:
        tag = db.query(Tag).filter_by(name=name).one_or_none() or Tag(name=name)
        contact.tags.append(tag)
    db.add(contact)
    db.flush()
    if mailings is None:
        mailings = list(MAILINGS) if contact.consent == Consent.GIVEN else []
    subscribe(db, contact, mailings, source="test builder")
    db.commit()
    return contact


def amsterdam(day: date, clock: time) -> datetime:
    """A wall-clock time in Europe/Amsterdam as the aware UTC moment the database stores."""
    return local_to_utc(day, clock, "Europe/Amsterdam")


def make_meeting(db, **fields) -> Meeting:
    """A stored meeting; by default Gemeente Zwolle on dinsdag 3 juni 2025, 10:00-13:00."""
    values = {
        "title": "Opgavebeweging bij Gemeente Zwolle",
        "theme": "",
        "host_organisation": "Gemeente Zwolle",
        "city": "Zwolle",
        "venue": "Stadhuis",
        "address": "Grote Kerkplein 15, 8011 PK Zwolle",
        "starts_at": amsterdam(date(2025, 6, 3), time(10, 0)),
        "ends_at": amsterdam(date(2025, 6, 3), time(13, 0)),
        "status": MeetingStatus.PUBLISHED,
    } | fields
    meeting = Meeting(**values)
    db.add(meeting)
    db.commit()
    return meeting


def make_announcement(db, **fields) -> Campaign:
    """A stored draft announcement personalised with [[first_name]]; any field can be changed."""
    values = {
        "kind": "announcement",
        "subject": "Nieuws voor [[first_name]]",
        "preheader": "Kort nieuws",
        "sender_name": "Opgavebeweging",
        "blocks": [{"type": "text", "body": "Beste [[first_name]], hier is het nieuws."}],
    }
    campaign = store.create_campaign(db, actor=None, **(values | fields))
    db.commit()
    return campaign
