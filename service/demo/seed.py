"""Demo data from the seed recap (recap-pzh-2025-03-04.md): its meetings and invented contacts.

The meetings are the ones the recap names. Everything the recap does not say (times, capacities,
the venues in Zwolle and Amsterdam, every address but the Provinciehuis) is invented and marked so.
The contacts are invented too, with example.nl and example.org addresses only, so nobody real ever
gets a message from a demo. The three people the recap names (Jos van der Ploeg, Bob Houtkamp,
Maaïke Heijnen) appear with the organisation the recap gives them and invented addresses.

The provinces follow the recap: the network reaches Zuid-Holland, Noord-Holland, Utrecht,
Overijssel, Gelderland, Noord-Brabant, Groningen, Flevoland and the ministries ("landelijk"), and
"Zeeland, Limburg, Drenthe en Friesland" are "nog niet vertegenwoordigd", so the demo holds nobody
from those four and the dashboard says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import DEFAULT_LANGUAGE
from service.audience.subscriptions import subscribe_all
from service.campaigns import store
from service.campaigns.reminders import add_default_reminders
from service.dates import local_to_utc, utc_to_local
from service.demo.recap import seed_recap
from service.models import Consent, Contact, Meeting, MeetingStatus, NetworkCard, Tag, utcnow
from service.rendering.blocks import block_to_dict

TIMEZONE = "Europe/Amsterdam"
CONSENT_SOURCE = "demo data"


@dataclass(frozen=True)
class DemoContact:
    """One invented person; `province` is a code of service.provinces.CHOICES."""

    name: str
    email: str
    organisation: str
    role: str
    province: str
    tags: tuple[str, ...] = ()
    language: str = DEFAULT_LANGUAGE
    notes: str = ""


# fmt: off
CONTACTS: tuple[DemoContact, ...] = (
    # Zuid-Holland: the host of 4 March. The first three are named in the recap; their roles beyond
    # "ambtelijk opdrachtgever" (Bob Houtkamp) and all addresses are invented.
    DemoContact("Maaïke Heijnen", "maaike.heijnen@example.nl", "Provincie Zuid-Holland",
                "Organisatieadviseur opgavegericht werken", "zuid-holland", ("kernteam",),
                notes="Sloot de terugblik van 4 maart af: een hele grote denktank in huis."),
    DemoContact("Jos van der Ploeg", "jos.vanderploeg@example.nl", "Provincie Zuid-Holland",
                "Strategisch adviseur opgavegericht organiseren", "zuid-holland", ("spreker",)),
    DemoContact("Bob Houtkamp", "bob.houtkamp@example.nl", "Provincie Zuid-Holland",
                "Ambtelijk opdrachtgever Groene cirkels", "zuid-holland", ("spreker",)),
    DemoContact("Noor Blijdorpsma", "noor.blijdorpsma@example.nl", "Gemeente Rotterdam",
                "Beleidsadviseur stedelijke ontwikkeling", "zuid-holland", ("nieuw",),
                notes="Provincieschat: Blijdorp, Rotterdam."),
    DemoContact("Thijs Voorbeeldt", "thijs.voorbeeldt@example.nl", "Gemeente Den Haag",
                "Programmaleider wijkaanpak", "zuid-holland"),
    DemoContact("Lotte Proefhuis", "lotte.proefhuis@example.org", "Hoogheemraadschap van Delfland",
                "Omgevingsmanager", "zuid-holland"),
    DemoContact("Yasmina Proefstra", "yasmina.proefstra@example.nl", "Gemeente Dordrecht",
                "Adviseur organisatieontwikkeling", "zuid-holland", ("nieuw",)),
    DemoContact("Sem Kaartsma", "sem.kaartsma@example.nl", "Gemeente Leiden",
                "Projectleider energietransitie", "zuid-holland"),
    # Noord-Holland: the host of 30 September.
    DemoContact("Ingrid Denkhout", "ingrid.denkhout@example.org", "Hogeschool van Amsterdam",
                "Lector publieke innovatie", "noord-holland", ("spreker",)),
    DemoContact("Daniel Fictief", "daniel.fictief@example.org", "Hogeschool van Amsterdam",
                "Guest researcher, public administration", "noord-holland", language="en"),
    DemoContact("Fleur Grachtema", "fleur.grachtema@example.nl", "Gemeente Amsterdam",
                "Strategisch adviseur", "noord-holland"),
    DemoContact("Joost Duinwater", "joost.duinwater@example.nl", "Provincie Noord-Holland",
                "Opgavemanager bereikbaarheid", "noord-holland", ("nieuw",)),
    # Utrecht.
    DemoContact("Marieke Domstra", "marieke.domstra@example.nl", "Gemeente Utrecht",
                "Beleidsadviseur", "utrecht", ("kernteam",), notes="Provincieschat: de Domtoren."),
    DemoContact("Pieter Heuvelrug", "pieter.heuvelrug@example.nl", "Provincie Utrecht",
                "Programmamanager vitaal platteland", "utrecht"),
    DemoContact("Anouk Stichtse", "anouk.stichtse@example.org",
                "Hoogheemraadschap De Stichtse Rijnlanden", "Adviseur samenwerking", "utrecht"),
    DemoContact("Rens Kromhout", "rens.kromhout@example.org", "Hogeschool Utrecht",
                "Docent-onderzoeker", "utrecht"),
    # Overijssel: the host of 3 June.
    DemoContact("Hanneke Vechtman", "hanneke.vechtman@example.nl", "Gemeente Zwolle",
                "Programmamanager opgavegericht werken", "overijssel", ("kernteam",)),
    DemoContact("Gerrit Noaberink", "gerrit.noaberink@example.nl", "Gemeente Enschede",
                "Wijkregisseur", "overijssel", ("nieuw",),
                notes="Provincieschat: Twents noaberschap."),
    DemoContact("Wendy Sallandt", "wendy.sallandt@example.nl", "Provincie Overijssel",
                "Beleidsmedewerker regionale economie", "overijssel"),
    DemoContact("Bart Vechtstroom", "bart.vechtstroom@example.org", "Waterschap Vechtstromen",
                "Gebiedsregisseur", "overijssel"),
    # Gelderland.
    DemoContact("Esther Veluwsma", "esther.veluwsma@example.nl", "Provincie Gelderland",
                "Opgaveregisseur natuur en landbouw", "gelderland"),
    DemoContact("Koen Rijnbrug", "koen.rijnbrug@example.nl", "Gemeente Arnhem",
                "Adviseur bedrijfsvoering", "gelderland"),
    DemoContact("Sofie Waalkant", "sofie.waalkant@example.nl", "Gemeente Nijmegen",
                "Programmasecretaris", "gelderland", ("nieuw",)),
    # Noord-Brabant.
    DemoContact("Luuk Kempenaar", "luuk.kempenaar@example.nl", "Provincie Noord-Brabant",
                "Strategisch adviseur", "noord-brabant"),
    DemoContact("Iris Lichtstad", "iris.lichtstad@example.nl", "Gemeente Eindhoven",
                "Teamleider programma's", "noord-brabant"),
    DemoContact("Tom Aamaas", "tom.aamaas@example.org", "Waterschap Aa en Maas",
                "Adviseur omgevingsmanagement", "noord-brabant"),
    # Groningen.
    DemoContact("Aukje Wierdema", "aukje.wierdema@example.nl", "Provincie Groningen",
                "Programmamanager", "groningen"),
    DemoContact("Emma Martinistra", "emma.martinistra@example.nl", "Gemeente Groningen",
                "Policy advisor, international affairs", "groningen", language="en"),
    # Flevoland.
    DemoContact("Ruben Polderman", "ruben.polderman@example.nl", "Gemeente Almere",
                "Beleidsadviseur wonen", "flevoland"),
    DemoContact("Mirjam Dijkgraaf-Nieuwland", "mirjam.nieuwland@example.nl", "Provincie Flevoland",
                "Adviseur opgavegericht werken", "flevoland", ("nieuw",)),
    # Landelijk: the ministries. The network's mailbox is at the Rijksoverheid.
    DemoContact("Karin Grenzeloos", "karin.grenzeloos@example.nl",
                "Ministerie van Binnenlandse Zaken en Koninkrijksrelaties",
                "Coördinator Opgavebeweging", "landelijk", ("kernteam",)),
    DemoContact("Hugo Rijksen", "hugo.rijksen@example.nl",
                "Ministerie van Infrastructuur en Waterstaat", "Senior beleidsmedewerker",
                "landelijk"),
    DemoContact("Nadia Veldhoeve", "nadia.veldhoeve@example.nl",
                "Ministerie van Landbouw, Visserij, Voedselzekerheid en Natuur",
                "Programmadirecteur gebiedsgericht werken", "landelijk", ("spreker",)),
    DemoContact("Wouter Beleidsma", "wouter.beleidsma@example.nl",
                "Ministerie van Economische Zaken", "Adviseur", "landelijk"),
    DemoContact("Olivia Testbed", "olivia.testbed@example.org", "Rijkswaterstaat",
                "Programme manager, cross-border cooperation", "landelijk", language="en"),
)
# fmt: on


@dataclass(frozen=True)
class DemoMeeting:
    """One meeting from the recap, with its wall-clock times in Europe/Amsterdam.

    A held meeting has its fixed `day`; a coming one has none: it is placed on the first Tuesday
    at least `days_ahead` days after the day the demo is loaded (see `meeting_day`), so a fresh
    demo always has meetings ahead, whatever the date.
    """

    title: str
    theme: str
    host_organisation: str
    city: str
    venue: str
    address: str
    day: date | None
    starts: time
    ends: time
    status: MeetingStatus
    capacity: int | None
    description: str
    days_ahead: int = 0


MEETINGS: tuple[DemoMeeting, ...] = (
    # From the recap: host, Provinciehuis in Den Haag, 4 March 2025, the theme and that it was a
    # morning. Invented: the times and the capacity. The address is the Provinciehuis's own.
    DemoMeeting(
        title="De Opgavebeweging op bezoek bij Provincie Zuid-Holland",
        theme="Wat als alles een opgave is?",
        host_organisation="Provincie Zuid-Holland",
        city="Den Haag",
        venue="Provinciehuis",
        address="Zuid-Hollandplein 1, 2596 AW Den Haag",
        day=date(2025, 3, 4),
        starts=time(9, 30),
        ends=time(13, 0),
        status=MeetingStatus.HELD,
        capacity=60,
        description=(
            "De collega's van Provincie Zuid-Holland openen de deuren van hun duurzame "
            "Provinciehuis en geven een inkijk in hun opgavegerichte aanpak. Aan ronde tafels "
            "werken we aan drie vraagstukken van de provincie: de kloof tussen topmanagement en "
            "werkvloer, het gedrag van medewerkers en de inrichting van de bedrijfsvoering."
        ),
    ),
    # From the recap: the host. Invented: times, venue, address, capacity; no theme yet. The recap
    # planned it for 3 June 2025; the demo puts it about five weeks after the day it is loaded.
    DemoMeeting(
        title="De Opgavebeweging op bezoek bij Gemeente Zwolle",
        theme="",
        host_organisation="Gemeente Zwolle",
        city="Zwolle",
        venue="Stadhuis Zwolle",
        address="Grote Kerkplein 15, 8011 PK Zwolle",
        day=None,
        days_ahead=35,
        starts=time(9, 30),
        ends=time(13, 0),
        status=MeetingStatus.PUBLISHED,
        capacity=50,
        description=(
            "De volgende bijeenkomst van de Opgavebeweging is te gast bij Gemeente Zwolle. "
            "Het programma volgt."
        ),
    ),
    # From the recap: the host. Invented: times, venue, address, capacity; no theme yet. The recap
    # planned it for 30 September 2025; the demo puts it about four months ahead.
    DemoMeeting(
        title="De Opgavebeweging op bezoek bij Hogeschool van Amsterdam",
        theme="",
        host_organisation="Hogeschool van Amsterdam",
        city="Amsterdam",
        venue="Wibauthuis",
        address="Wibautstraat 3b, 1091 GH Amsterdam",
        day=None,
        days_ahead=120,
        starts=time(9, 30),
        ends=time(13, 0),
        status=MeetingStatus.PUBLISHED,
        capacity=50,
        description=(
            "De Opgavebeweging is te gast bij de Hogeschool van Amsterdam. Het programma volgt."
        ),
    ),
)


@dataclass(frozen=True)
class DemoCard:
    """A network card on the wall; the treasures are the recap's check-in ("provincieschat")."""

    email: str
    treasure: str
    brings: str
    seeks: str


# The three treasures on the recap's quote wall, and the host's own. What people bring and seek is
# invented.
CARDS: tuple[DemoCard, ...] = (
    DemoCard(
        "noor.blijdorpsma@example.nl",
        "Blijdorp, Rotterdam",
        "Ervaring met gebiedsgericht werken in een grote stad.",
        "Collega's die een opgave met inwoners samen oppakken.",
    ),
    DemoCard(
        "gerrit.noaberink@example.nl",
        "Twents noaberschap",
        "Hoe buren en wijkteams in Enschede elkaar helpen.",
        "Voorbeelden van opgavegericht werken in kleinere gemeenten.",
    ),
    DemoCard(
        "marieke.domstra@example.nl",
        "De Domtoren",
        "Een netwerk van beleidsadviseurs in de regio Utrecht.",
        "Gesprekspartners over sturing op opgaven.",
    ),
    DemoCard(
        "maaike.heijnen@example.nl",
        "Het Groene Hart",
        "Twee jaar ervaring met een volledig opgavegerichte provincie.",
        "Andere organisaties die hun bedrijfsvoering anders inrichten.",
    ),
)


@dataclass(frozen=True)
class DemoLoadResult:
    """What load_demo added."""

    contacts: int
    meetings: int


def database_is_empty(session: Session) -> bool:
    """Whether the database holds no contacts and no meetings (a fresh install)."""
    has_contacts = session.execute(select(func.count()).select_from(Contact)).scalar_one() > 0
    has_meetings = session.execute(select(func.count()).select_from(Meeting)).scalar_one() > 0
    return not has_contacts and not has_meetings


def meeting_day(demo: DemoMeeting, today: date) -> date:
    """The day of a demo meeting: its own, or the first Tuesday `days_ahead` days after today."""
    if demo.day is not None:
        return demo.day
    earliest = today + timedelta(days=demo.days_ahead)
    return earliest + timedelta(days=(1 - earliest.weekday()) % 7)  # Monday is 0, Tuesday 1


def load_demo(session: Session, *, now: datetime | None = None) -> DemoLoadResult | None:
    """Add the demo meetings and contacts to an empty database; None (and no change) otherwise.

    Only an empty database gets them, so the demo never mixes with an organiser's real data and
    loading twice adds nothing. The held meeting keeps its date; the coming ones are placed after
    `now` (default: this moment) and get the default reminders, as any new meeting does. A few
    contacts' network cards are on the wall.
    """
    if not database_is_empty(session):
        return None
    now = now or utcnow()
    today = utc_to_local(now, TIMEZONE).date()
    meetings = [_meeting(meeting, meeting_day(meeting, today)) for meeting in MEETINGS]
    session.add_all(meetings)
    tags: dict[str, Tag] = {}
    contacts: dict[str, Contact] = {}
    for person in CONTACTS:
        contact = _contact(session, person, now, tags)
        session.add(contact)
        contacts[contact.email] = contact
        subscribe_all(session, contact, source=CONSENT_SOURCE, now=now)
    session.flush()
    for meeting in meetings:
        if meeting.status == MeetingStatus.PUBLISHED:
            add_default_reminders(session, meeting)
    for card in CARDS:
        session.add(
            NetworkCard(
                contact_id=contacts[card.email].id,
                treasure=card.treasure,
                brings=card.brings,
                seeks=card.seeks,
                on_wall=True,
                on_wall_since=now,
            )
        )
    session.flush()
    host = next(m for m in meetings if m.host_organisation == "Provincie Zuid-Holland")
    _add_seed_recap(session, host)
    return DemoLoadResult(contacts=len(CONTACTS), meetings=len(MEETINGS))


def _add_seed_recap(session: Session, meeting: Meeting) -> None:
    """The recap of 4 March (the seed file) as a draft, "Klik hier" links to "#" and all."""
    content = seed_recap()
    store.create_campaign(
        session,
        kind=content.kind,
        subject=content.subject,
        preheader=content.preheader,
        sender_name="Opgavebeweging",
        meeting_id=meeting.id,
        blocks=[block_to_dict(block) for block in content.blocks],
    )


def _meeting(demo: DemoMeeting, day: date) -> Meeting:
    return Meeting(
        title=demo.title,
        theme=demo.theme,
        host_organisation=demo.host_organisation,
        city=demo.city,
        venue=demo.venue,
        address=demo.address,
        starts_at=local_to_utc(day, demo.starts, TIMEZONE),
        ends_at=local_to_utc(day, demo.ends, TIMEZONE),
        status=demo.status,
        capacity=demo.capacity,
        description=demo.description,
    )


def _contact(session: Session, demo: DemoContact, now, tags: dict[str, Tag]) -> Contact:
    contact = Contact(
        email=demo.email.lower(),
        name=demo.name,
        organisation=demo.organisation,
        role=demo.role,
        province=demo.province,
        language=demo.language,
        consent=Consent.GIVEN,
        consent_at=now,
        consent_source=CONSENT_SOURCE,
        notes=demo.notes,
    )
    for name in demo.tags:
        if name not in tags:
            # An empty database may still hold tags, e.g. after every contact was deleted.
            tags[name] = session.scalar(select(Tag).where(Tag.name == name)) or Tag(name=name)
        contact.tags.append(tags[name])
    return contact
