"""The overview page: counts, the next meeting and the province coverage map and table."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from service.dashboard import coverage
from service.database import session_scope
from service.dates import format_local
from service.models import Consent, Contact, MeetingStatus, Suppression
from service.provinces import PROVINCES
from tests.builders import amsterdam, make_contact, make_meeting
from tests.conftest import csrf_token_from

# The provinces of the demo data (as in the seed), with an invented number of contacts each.
DEMO_PROVINCES = {
    "zuid-holland": 9,
    "noord-holland": 5,
    "utrecht": 6,
    "overijssel": 3,
    "gelderland": 4,
    "noord-brabant": 2,
    "groningen": 2,
    "flevoland": 1,
    "landelijk": 5,
}
NOT_IN_DEMO = {"Zeeland", "Limburg", "Drenthe", "Friesland"}


def add_contacts(db, per_province: dict[str, int]) -> None:
    for province, number in per_province.items():
        for _ in range(number):
            make_contact(db, province=province)


def missing_paragraph(html: str) -> str:
    match = re.search(r'<p class="coverage-missing"[^>]*>(.*?)</p>', html, re.S)
    assert match, "the page says nothing about missing provinces"
    return match.group(1)


def contrast(foreground: str, background: str) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# --- logic ---------------------------------------------------------------------------------


def test_coverage_counts_every_province_and_landelijk(db):
    add_contacts(db, DEMO_PROVINCES)
    make_contact(db, province=None)
    per_province = coverage.province_coverage(db)
    assert [p.code for p in per_province] == [*PROVINCES, "landelijk"]
    counts = {p.code: p.count for p in per_province}
    assert counts == {code: DEMO_PROVINCES.get(code, 0) for code in counts}
    assert coverage.contacts_without_province(db) == 1
    assert coverage.count_contacts(db) == sum(DEMO_PROVINCES.values()) + 1


def test_missing_provinces_are_exactly_those_without_contacts(db):
    add_contacts(db, DEMO_PROVINCES)
    missing = coverage.missing_provinces(coverage.province_coverage(db))
    assert {p.name for p in missing} == NOT_IN_DEMO
    assert all(p.count == 0 for p in missing)


def test_landelijk_alone_does_not_count_as_a_province(db):
    add_contacts(db, {"landelijk": 3})
    missing = coverage.missing_provinces(coverage.province_coverage(db))
    assert [p.code for p in missing] == list(coverage.SOUTH_TO_NORTH)
    assert set(coverage.SOUTH_TO_NORTH) == set(PROVINCES)


def test_no_province_missing_when_all_twelve_have_someone(db):
    add_contacts(db, dict.fromkeys(PROVINCES, 1))
    assert coverage.missing_provinces(coverage.province_coverage(db)) == []


def test_names_are_joined_the_way_each_language_does():
    names = ["Zeeland", "Limburg", "Drenthe", "Friesland"]
    assert coverage.name_list(names, "nl") == "Zeeland, Limburg, Drenthe en Friesland"
    assert coverage.name_list(names, "en") == "Zeeland, Limburg, Drenthe, and Friesland"
    assert coverage.name_list(["Zeeland"], "nl") == "Zeeland"


def test_shade_bands_scale_with_the_largest_province():
    def bands_for(top: int) -> list[tuple[int, int, int]]:
        counts = [coverage.ProvinceCount("utrecht", "Utrecht", top)]
        return [tuple(b) for b in coverage.shade_bands(counts)]

    assert bands_for(0) == [(0, 0, 0)]
    assert bands_for(2) == [(0, 0, 0), (1, 1, 1), (3, 2, 2)]
    assert bands_for(9) == [(0, 0, 0), (1, 1, 3), (2, 4, 5), (3, 6, 7), (4, 8, 9)]
    big = coverage.shade_bands([coverage.ProvinceCount("utrecht", "Utrecht", 40_000)])
    assert coverage.shade_level(1, big) == 1 and coverage.shade_level(40_000, big) == 4
    assert coverage.shade_level(0, big) == 0


def test_every_shade_keeps_its_text_readable():
    for level, (fill, ink) in coverage.SHADES.items():
        assert contrast(ink, fill) >= 4.5, level


def test_every_province_has_its_own_tile():
    places = list(coverage.TILES.values())
    assert set(coverage.TILES) == set(PROVINCES)
    for i, a in enumerate(places):
        for b in places[i + 1 :]:
            overlap = abs(a.column - b.column) < 1 and abs(a.row - b.row) < 1
            assert not overlap, (a, b)


# --- page ----------------------------------------------------------------------------------


def test_dashboard_with_demo_data_names_the_four_missing_provinces(organiser, db):
    add_contacts(db, DEMO_PROVINCES)
    html = organiser.get("/").get_data(as_text=True)
    sentence = missing_paragraph(html)
    listed = {name for name in PROVINCES.values() if name in sentence}
    assert listed == NOT_IN_DEMO
    # Dutch by default, joined as Babel does for Dutch, north to south as on the map.
    assert "Zeeland, Limburg, Drenthe en Friesland" in sentence
    # Each tile, and each province in the table, opens the contact list filtered by it.
    assert 'data-href="/contacts/?province=zuid-holland"' in html and "tile_links.js" in html
    assert re.search(r'<a href="/contacts/\?province=zuid-holland">[^<]+<span', html)
    assert html.count(" tile-link") == 12
    filtered = organiser.get("/contacts/?province=zuid-holland")
    assert filtered.status_code == 200


def test_every_page_has_the_favicon(client, organiser):
    for page in (client.get("/aanmelden"), organiser.get("/")):
        assert 'rel="icon" href="/static/favicon.svg"' in page.get_data(as_text=True)
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert b"<svg" in icon.data


def test_missing_provinces_follow_the_readers_language(app, organiser):
    # No `db` fixture here: its app context would be shared by the requests and keep their
    # locale (Flask-Babel caches it on g), hiding the switch of language.
    with session_scope(app) as session:
        session.add(Contact(email="iemand@example.nl", province="utrecht"))
    page = organiser.get("/").get_data(as_text=True)
    organiser.post("/language", data={"language": "en", "csrf_token": csrf_token_from(page)})
    sentence = missing_paragraph(organiser.get("/").get_data(as_text=True))
    assert ", and Groningen" in sentence and " en " not in sentence


def test_dashboard_shows_counts_and_the_next_meeting(organiser, db):
    add_contacts(db, {"utrecht": 2, "zuid-holland": 1})
    soon = (datetime.now(UTC) + timedelta(days=20)).date()
    later = soon + timedelta(days=40)
    make_meeting(
        db,
        title="Provincie Zuid-Holland",
        starts_at=amsterdam(date(2025, 3, 4), time(10)),
        ends_at=amsterdam(date(2025, 3, 4), time(13)),
        status=MeetingStatus.HELD,
    )
    make_meeting(
        db,
        title="Afgelast",
        starts_at=amsterdam(soon - timedelta(days=5), time(10)),
        ends_at=amsterdam(soon - timedelta(days=5), time(12)),
        status=MeetingStatus.CANCELLED,
    )
    first = make_meeting(
        db,
        title="Hogeschool van Amsterdam",
        starts_at=amsterdam(soon, time(10)),
        ends_at=amsterdam(soon, time(13)),
    )
    make_meeting(db, starts_at=amsterdam(later, time(10)), ends_at=amsterdam(later, time(13)))
    html = organiser.get("/").get_data(as_text=True)
    stats = re.findall(r'<dd class="stat-number"><a [^>]*>(\d+)</a></dd>', html)
    assert stats == ["3", "2"]  # contacts; upcoming meetings, the cancelled one left out
    assert "Hogeschool van Amsterdam" in html
    assert format_local(first.starts_at, "Europe/Amsterdam", "nl") in html


def test_coverage_map_is_an_accessible_picture_with_a_table(organiser, db):
    add_contacts(db, DEMO_PROVINCES)
    html = organiser.get("/").get_data(as_text=True)
    svg = re.search(r"<svg role=\"img\"[^>]*>.*?</svg>", html, re.S)
    assert svg, "no map with role=img"
    svg_html = svg.group(0)
    ids = re.search(r'aria-labelledby="([^"]+)"', svg_html).group(1).split()
    for element_id in ids:
        assert re.search(rf'<(title|desc) id="{element_id}">[^<]+</', svg_html), element_id

    # Each of the twelve tiles prints its name and number; landelijk is not a tile.
    tiles = dict(
        re.findall(r'data-province="([a-z-]+)">.*?font-weight="700">(\d+)<', svg_html, re.S)
    )
    assert tiles == {code: str(DEMO_PROVINCES.get(code, 0)) for code in PROVINCES}
    assert "Landelijk" not in svg_html and "Landelijk" in html

    # The table after the map holds the same numbers, landelijk included.
    row_pattern = (
        r'<tr data-province="([a-z-]+)"><th scope="row">[^<]+</th><td class="number">(\d+)<'
    )
    rows = dict(re.findall(row_pattern, html))
    assert rows == {code: str(DEMO_PROVINCES.get(code, 0)) for code in [*PROVINCES, "landelijk"]}
    assert html.index("<svg role") < html.index('<table class="coverage-table">')


def test_only_contacts_who_can_receive_mail_are_counted_per_province(organiser, db):
    add_contacts(db, {"utrecht": 1})
    # Each of these cannot receive mail, so Zeeland, Limburg and Drenthe stay unrepresented.
    make_contact(db, province="zeeland", consent=Consent.WITHDRAWN)
    make_contact(db, province="limburg", subscriptions=[])  # left every mailing
    blocked = make_contact(db, province="drenthe")
    db.add(Suppression(email=blocked.email, kind="hard_bounce", source="smtp"))
    make_contact(db, province=None, consent=Consent.UNKNOWN)
    db.commit()

    counts = {p.code: p.count for p in coverage.province_coverage(db)}
    assert counts["utrecht"] == 1
    assert counts["zeeland"] == counts["limburg"] == counts["drenthe"] == 0
    assert coverage.contacts_without_province(db) == 0
    missing = {p.code for p in coverage.missing_provinces(coverage.province_coverage(db))}
    assert {"zeeland", "limburg", "drenthe"} <= missing

    html = organiser.get("/").get_data(as_text=True)
    assert "Zeeland, Limburg" in missing_paragraph(html) and "Drenthe" in missing_paragraph(html)
    rows = dict(
        re.findall(
            r'<tr data-province="([a-z-]+)"><th scope="row">[^<]+</th><td class="number">(\d+)<',
            html,
        )
    )
    assert rows["zeeland"] == rows["limburg"] == rows["drenthe"] == "0"
    assert "Geen provincie ingevuld" not in html
