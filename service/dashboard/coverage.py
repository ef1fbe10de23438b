"""Province coverage: how many contacts each province has, which have none, and how to shade them.

The network wants every province at the table; the dashboard shows where it is not yet. A
province counts the contacts who can receive mail (consent given, subscribed to a mailing, not
suppressed): a contact who withdrew is not at the table. The tile map (`tile_map`) is drawn by
the template macro in templates/_tile_map.html, for the dashboard and a campaign's report alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from babel.lists import format_list
from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from service.models import Consent, Contact, Subscription, Suppression
from service.provinces import CHOICES, NATIONAL, PROVINCES


@dataclass(frozen=True)
class ProvinceCount:
    """One province (or "landelijk") and how many contacts it has."""

    code: str
    name: str
    count: int


class Band(NamedTuple):
    """A shade of the map and the range of counts it stands for (low..high, inclusive)."""

    level: int
    low: int
    high: int


class Tile(NamedTuple):
    """Where a province sits on the tile map, in tile units (column, row)."""

    column: float
    row: float


# A tile map, not a true map: each province one equal tile, placed roughly where it lies. The
# eastern column is set half a row higher, as Groningen, Drenthe, Overijssel, Gelderland and
# Limburg stack down the east side of the country.
TILES: dict[str, Tile] = {
    "groningen": Tile(2, 0),
    "friesland": Tile(1, 0.5),
    "drenthe": Tile(2, 1),
    "noord-holland": Tile(0, 1.5),
    "flevoland": Tile(1, 1.5),
    "overijssel": Tile(2, 2),
    "zuid-holland": Tile(0, 2.5),
    "utrecht": Tile(1, 2.5),
    "gelderland": Tile(2, 3),
    "zeeland": Tile(0, 3.5),
    "noord-brabant": Tile(1, 3.5),
    "limburg": Tile(2, 4),
}

# Fill and text colour per shade level (0 = no contacts). Every text colour has a contrast of at
# least 4.5:1 on its fill (WCAG 2.1 AA), checked in tests/test_dashboard.py.
SHADES: dict[int, tuple[str, str]] = {
    0: ("#ffffff", "#1b1b1b"),
    1: ("#deebf7", "#1b1b1b"),
    2: ("#9ecae1", "#1b1b1b"),
    3: ("#3a75b0", "#ffffff"),
    4: ("#154273", "#ffffff"),
}
LEVELS = max(SHADES)


def count_contacts(session: Session) -> int:
    """How many contacts the network has."""
    return session.scalar(select(func.count()).select_from(Contact)) or 0


def can_receive_mail() -> ColumnElement[bool]:
    """A contact who can receive mail: consent given, subscribed to at least one mailing, and
    the address not on the suppression list (stored lower-case, as contacts' addresses are)."""
    subscribed = exists().where(Subscription.contact_id == Contact.id)
    suppressed = exists().where(Suppression.email == Contact.email)
    return and_(Contact.consent == Consent.GIVEN, subscribed, ~suppressed)


def province_coverage(session: Session) -> list[ProvinceCount]:
    """Contacts who can receive mail per province: the twelve provinces north to south, then
    "landelijk"."""
    rows = session.execute(
        select(Contact.province, func.count())
        .where(Contact.province.is_not(None), can_receive_mail())
        .group_by(Contact.province)
    )
    counts: dict[str | None, int] = dict(rows.all())
    return [ProvinceCount(code, name, counts.get(code, 0)) for code, name in CHOICES.items()]


def contacts_without_province(session: Session) -> int:
    """How many contacts who can receive mail have no province recorded."""
    query = (
        select(func.count())
        .select_from(Contact)
        .where(Contact.province.is_(None), can_receive_mail())
    )
    return session.scalar(query) or 0


# The order in which the sentence names missing provinces: from the south up, as the network's
# own recap does ("Zeeland, Limburg, Drenthe en Friesland").
SOUTH_TO_NORTH = (
    "zeeland",
    "limburg",
    "noord-brabant",
    "zuid-holland",
    "utrecht",
    "gelderland",
    "noord-holland",
    "flevoland",
    "overijssel",
    "drenthe",
    "friesland",
    "groningen",
)


def missing_provinces(coverage: Sequence[ProvinceCount]) -> list[ProvinceCount]:
    """The provinces (not "landelijk") without any contact, named from the south up."""
    missing = [p for p in coverage if p.code in PROVINCES and p.count == 0]
    return sorted(missing, key=lambda p: SOUTH_TO_NORTH.index(p.code))


def name_list(names: Sequence[str], locale: str) -> str:
    """Names joined as the reader's language does: "Zeeland, Limburg en Drenthe"."""
    return format_list(list(names), locale=locale)


def shade_bands(coverage: Sequence[ProvinceCount]) -> list[Band]:
    """The shades in use for these counts: level 0 for none, then up to four equal ranges.

    The ranges scale with the largest province, so the map still tells provinces apart whether
    the network has forty contacts or forty thousand.
    """
    top = max((p.count for p in coverage if p.code in PROVINCES), default=0)
    bands = [Band(0, 0, 0)]
    low = 1
    for level in range(1, LEVELS + 1):
        high = math.ceil(top * level / LEVELS)
        if high >= low:
            bands.append(Band(level, low, high))
            low = high + 1
    return bands


def shade_level(count: int, bands: Sequence[Band]) -> int:
    """The shade level of a count within the bands of shade_bands."""
    for band in bands:
        if band.low <= count <= band.high:
            return band.level
    return bands[-1].level


def map_tiles(coverage: Sequence[ProvinceCount]) -> list[tuple[ProvinceCount, Tile, int]]:
    """Each province with its place on the tile map and its shade level; "landelijk" left out."""
    bands = shade_bands(coverage)
    return [(p, TILES[p.code], shade_level(p.count, bands)) for p in coverage if p.code != NATIONAL]


# Tile size and gap of the tile map, in SVG user units.
TILE_WIDTH, TILE_HEIGHT, TILE_GAP = 150, 80, 6


@dataclass(frozen=True)
class TileMap:
    """What the tile map macro draws: each province's tile with its shade, the legend's bands,
    the shades, and the sizes in SVG user units."""

    tiles: list[tuple[ProvinceCount, Tile, int]]
    bands: list[Band]
    shades: dict[int, tuple[str, str]]
    tile_size: tuple[int, int, int]
    map_size: tuple[int, int]


def tile_map(counts: Sequence[ProvinceCount]) -> TileMap:
    """The tile map of these counts per province, ready for templates/_tile_map.html."""
    tiles = map_tiles(counts)
    columns = max(tile.column for _p, tile, _l in tiles) + 1
    rows = max(tile.row for _p, tile, _l in tiles) + 1
    size = (
        round(columns * (TILE_WIDTH + TILE_GAP) - TILE_GAP),
        round(rows * (TILE_HEIGHT + TILE_GAP) - TILE_GAP),
    )
    return TileMap(
        tiles=tiles,
        bands=shade_bands(counts),
        shades=SHADES,
        tile_size=(TILE_WIDTH, TILE_HEIGHT, TILE_GAP),
        map_size=size,
    )
