"""A campaign's report in a real browser: from the campaign list to the report, axe on every
page, on a desktop and a phone screen, in Dutch and English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, check_accessibility, visit
from tests.report_helpers import EXPECTED, seed_report

pytestmark = pytest.mark.browser


def _fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    check_accessibility(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a phone"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_from_the_campaign_list_to_the_report(logged_in_page: Page, db):
    seeded = seed_report(db)
    page = logged_in_page
    visit(page, "/campaigns/")
    row = page.locator(f'tr[data-campaign="{seeded.invitation.id}"]')
    expect(row.locator('[data-figure="recipients"]')).to_have_text("15")
    expect(row.locator('[data-figure="yes"]')).to_have_text("2")
    _fits_a_phone(page)

    # The report link, reached and followed with the keyboard.
    link = row.get_by_role("link", name=re.compile(r"^Rapport\W+Kom naar Zwolle$"))
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(
        f"{page.url.split('/campaigns/')[0]}/campaigns/{seeded.invitation.id}/report"
    )
    check_accessibility(page)
    expect(page.locator('[data-figure="delivered"]')).to_have_text(str(EXPECTED["delivered"]))
    expect(page.locator('[data-figure="unsubscribed"]')).to_have_text("3")

    # The chart is one picture with a name; its numbers are in the table beside it.
    chart = page.get_by_role("img", name="Staafdiagram van de antwoorden per dag")
    expect(chart).to_be_visible()
    table = page.get_by_role("table", name="Antwoorden per dag")
    expect(table.get_by_role("row")).to_have_count(4)  # the header and three days
    expect(table.get_by_role("rowheader").last).to_have_text("donderdag 22 mei 2025")
    expect(
        page.get_by_role("img", name="Kaart van de twaalf provincies", exact=False)
    ).to_be_visible()
    expect(page.locator("#not-reached")).to_contain_text("Zeeland, Limburg")
    expect(page.get_by_role("table", name="Kliks per link")).to_contain_text(
        "https://example.nl/verslag"
    )
    expect(page.locator("#scanner-warning")).to_be_visible()
    expect(page.get_by_role("link", name="CSV downloaden")).to_have_attribute(
        "href", f"/campaigns/{seeded.invitation.id}/report.csv"
    )
    _fits_a_phone(page)

    # The web version's signed link is on the report (the email page itself is tested in
    # tests/test_web_version.py).
    web = page.get_by_role("link", name="Webversie van de e-mail")
    expect(web).to_have_attribute("href", re.compile(rf"^/web/{seeded.invitation.id}\?token="))


def test_report_of_a_recap_and_the_meeting_funnel_in_english(logged_in_page: Page, db):
    seeded = seed_report(db)
    page = logged_in_page
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_accessibility(page)
    visit(page, f"/campaigns/{seeded.recap.id}/report")
    expect(page.locator("h1")).to_have_text("Report of “Terugblik Zwolle”")
    expect(page.locator("#clicks-off")).to_be_visible()
    expect(page.locator("#report-answers")).to_have_count(0)
    _fits_a_phone(page)

    visit(page, f"/meetings/{seeded.meeting_id}/invitations")
    funnel = page.locator("#meeting-funnel")
    expect(funnel.locator('[data-funnel="invited"]')).to_have_text("6")
    expect(funnel.locator('[data-funnel="attended"]')).to_have_text("2")
    _fits_a_phone(page)
