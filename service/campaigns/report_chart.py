"""The answers-per-day chart of a campaign's report, drawn on the server as plain SVG shapes.

No script draws it: the page holds the bars as rectangles with their numbers printed, and a data
table with the same numbers beside it for screen readers and keyboard users. This module only
does the arithmetic (where each bar stands and how high); the template writes the SVG. Nothing
here imports Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from service.campaigns.report import DayCount

# In SVG user units: the plot's height, the room for numbers above and labels below the bars,
# each bar's width and the gap between bars.
PLOT_HEIGHT = 120
TOP = 24
BOTTOM = 28
LEFT = 8
BAR_WIDTH = 28
BAR_GAP = 10
# With more days than this, only every few days carry a label below their bar.
LABELLED_DAYS = 14


@dataclass(frozen=True)
class Bar:
    """One day's bar: where it stands, how high, and its label (empty when left out)."""

    day: date
    count: int
    x: int
    y: int
    height: int
    label: str

    @property
    def centre(self) -> int:
        return self.x + BAR_WIDTH // 2


@dataclass(frozen=True)
class Chart:
    """Every bar of the chart and the size of the whole picture."""

    bars: list[Bar]
    width: int
    height: int
    baseline: int
    bar_width: int = BAR_WIDTH


def answers_chart(per_day: Sequence[DayCount], locale: str) -> Chart:
    """The bars for these answers per day; the tallest bar fills the plot."""
    top = max((d.count for d in per_day), default=0) or 1
    every = max(1, -(-len(per_day) // LABELLED_DAYS))
    baseline = TOP + PLOT_HEIGHT
    bars = []
    for n, day in enumerate(per_day):
        height = round(PLOT_HEIGHT * day.count / top)
        bars.append(
            Bar(
                day=day.day,
                count=day.count,
                x=LEFT + n * (BAR_WIDTH + BAR_GAP),
                y=baseline - height,
                height=height,
                label=_short_day(day.day, locale) if n % every == 0 else "",
            )
        )
    width = LEFT * 2 + max(len(bars), 1) * (BAR_WIDTH + BAR_GAP) - BAR_GAP
    return Chart(bars=bars, width=width, height=baseline + BOTTOM, baseline=baseline)


def _short_day(day: date, locale: str) -> str:
    # "3 jun." in Dutch, "Jun 3" in English.
    return format_date(day, "d MMM", locale=locale)
