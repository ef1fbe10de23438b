"""Province coverage: how many contacts each province has, which have none, and how to shade them.

The network wants every province at the table; the dashboard shows where it is not yet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from babel.lists import format_list
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Contact
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


def province_coverage(session: Session) -> list[ProvinceCount]:
    """Contacts per province: the twelve provinces north to south, then "landelijk"."""
    rows = session.execute(
        select(Contact.province, func.count())
        .where(Contact.province.is_not(None))
        .group_by(Contact.province)
    )
    counts: dict[str | None, int] = dict(rows.all())
    return [ProvinceCount(code, name, counts.get(code, 0)) for code, name in CHOICES.items()]


def contacts_without_province(session: Session) -> int:
    """How many contacts have no province recorded."""
    query = select(func.count()).select_from(Contact).where(Contact.province.is_(None))
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
