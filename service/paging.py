"""Pages of a search result: how many there are and which one to show (contacts, the wall).

Nothing here imports Flask or the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` results fill at `per_page` each (at least one, even when empty)."""
    return max(1, math.ceil(total / per_page))


def clamp_page(page: int, total: int, per_page: int) -> int:
    """The page asked for, moved onto the first or the last one when it lies outside."""
    return max(1, min(page, page_count(total, per_page)))


@dataclass(frozen=True)
class Paging:
    """Where one page stands among all: the pages the results fill and whether others come."""

    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the search fills (at least one)."""
        return page_count(self.total, self.per_page)

    @property
    def has_previous(self) -> bool:
        """Whether a page comes before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether a page comes after this one."""
        return self.page < self.pages
