"""Builders that keep tests short: make_contact, make_meeting, make_campaign and its kinds, and
count_rows (db, ...)."""

from __future__ import annotations

from datetime import date, datetime, time
from itertools import count
from typing import Any

from sqlalchemy import func, select

from service.audience.subscriptions import MAILINGS, subscribe
from service.campaigns import store
from service.dates import local_to_utc
from service.demo.recap import seed_recap
from service.models import Base, Campaign, Consent, Contact, Meeting, MeetingStatus, Tag
from service.rendering.blocks import block_to_dict

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


# Where make_meeting's meeting is, for tests that build a meeting's facts without a database.
ZWOLLE: dict[str, Any] = {
    "title": "Opgavebeweging bij Gemeente Zwolle",
    "host_organisation": "Gemeente Zwolle",
    "city": "Zwolle",
    "venue": "Stadhuis",
}


def make_meeting(db, **fields) -> Meeting:
    """A stored meeting; by default Gemeente Zwolle on dinsdag 3 juni 2025, 10:00-13:00."""
    values = {
        **ZWOLLE,
        "theme": "",
        "address": "Grote Kerkplein 15, 8011 PK Zwolle",
        "starts_at": amsterdam(date(2025, 6, 3), time(10, 0)),
        "ends_at": amsterdam(date(2025, 6, 3), time(13, 0)),
        "status": MeetingStatus.PUBLISHED,
    } | fields
    meeting = Meeting(**values)
    db.add(meeting)
    db.commit()
    return meeting


# The held meeting of the demo recap: Provincie Zuid-Holland in Den Haag, 4 March 2025.
PZH_MEETING: dict[str, Any] = {
    "title": "De Opgavebeweging bij Provincie Zuid-Holland",
    "host_organisation": "Provincie Zuid-Holland",
    "city": "Den Haag",
    "venue": "Provinciehuis",
    "starts_at": amsterdam(date(2025, 3, 4), time(9, 30)),
    "ends_at": amsterdam(date(2025, 3, 4), time(12, 30)),
    "status": MeetingStatus.HELD,
}


def make_campaign(db, **fields) -> Campaign:
    """A stored draft, by default the recap "Terugblik voor [[first_name]]" with one text block.

    Every argument of store.create_campaign can be given (kind, subject, blocks, audience,
    meeting_id, actor, ...); audience None is everyone subscribed to the kind's mailing.
    """
    values = {
        "kind": "recap",
        "subject": "Terugblik voor [[first_name]]",
        "preheader": "Wat we deden",
        "sender_name": "Opgavebeweging",
        "blocks": [{"type": "text", "body": "Beste [[first_name]], dank voor je komst."}],
        "actor": None,
    }
    campaign = store.create_campaign(db, **(values | fields))
    db.commit()
    return campaign


def make_announcement(db, **fields) -> Campaign:
    """A stored draft announcement personalised with [[first_name]]; any field can be changed."""
    values = {
        "kind": "announcement",
        "subject": "Nieuws voor [[first_name]]",
        "preheader": "Kort nieuws",
        "blocks": [{"type": "text", "body": "Beste [[first_name]], hier is het nieuws."}],
    }
    return make_campaign(db, **(values | fields))


def make_invitation(db, meeting: Meeting, **fields) -> Campaign:
    """A stored draft invitation to the meeting: "Uitnodiging", "Beste [[first_name]], kom je?"."""
    values = {
        "kind": "invitation",
        "subject": "Uitnodiging",
        "preheader": "",
        "sender_name": "",
        "meeting_id": meeting.id,
        "blocks": [{"type": "text", "body": "Beste [[first_name]], kom je?"}],
    }
    return make_campaign(db, **(values | fields))


def demo_recap_blocks() -> list[dict[str, Any]]:
    """The blocks of the demo recap (service/demo/recap.py) as a campaign stores them."""
    return [block_to_dict(block) for block in seed_recap().blocks]


def make_demo_recap(db, **fields) -> Campaign:
    """A stored draft with the subject, preheader and blocks of the demo recap."""
    values = {
        "subject": "Terugblik: de Opgavebeweging op bezoek bij Provincie Zuid-Holland",
        "preheader": "Wat als alles een opgave is?",
        "blocks": demo_recap_blocks(),
    }
    return make_campaign(db, **(values | fields))


def count_rows(db, model: type[Base]) -> int:
    """How many rows the model's table holds now, with what requests committed meanwhile."""
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))
