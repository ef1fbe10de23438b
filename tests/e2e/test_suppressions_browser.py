"""The suppression list (Contacten → Geblokkeerd) in Chromium: reached from the contacts,
searched, and an address lifted by keyboard with a reason; every page passes axe-core and fits
a phone screen."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from service.models import AuditEntry, Suppression
from tests.builders import make_campaign
from tests.e2e.conftest import PHONE, check_accessibility, tab_to_button, translated, visit

pytestmark = pytest.mark.browser


def _rows(page: Page):
    return page.locator("main table tbody tr")


def _tab_to_link(page: Page, name: str, presses: int) -> None:
    """Press Tab until the link whose accessible text is `name` has the focus."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "document.activeElement.tagName === 'A'"
            " && document.activeElement.textContent.replace(/\\s+/g, ' ').trim()"
        )
        if focused == name:
            return
    pytest.fail(f"no link {name!r} reached with {presses} presses of Tab")


def _fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    check_accessibility(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url
    page.set_viewport_size({"width": 1280, "height": 900})


def test_search_the_list_and_lift_an_address_by_keyboard(logged_in_page: Page, app, db):
    campaign = make_campaign(db, subject="Terugblik Zwolle")
    db.add_all(
        [
            Suppression(
                email="weigert@zwolle.nl",
                kind="hard_bounce",
                reason="550 5.1.1 <weigert@zwolle.nl>: Recipient address rejected: "
                "User unknown in virtual mailbox table",
                source="smtp",
                campaign_id=campaign.id,
                created_at=datetime(2025, 6, 3, 8, tzinfo=UTC),
            ),
            Suppression(
                email="klaagt@zwolle.nl",
                kind="complaint",
                reason="SpamComplaint",
                source="postmark",
                created_at=datetime(2025, 6, 2, 8, tzinfo=UTC),
            ),
            Suppression(email="elders@ede.nl", kind="hard_bounce", source="mailbox"),
        ]
    )
    db.commit()
    page = logged_in_page

    visit(page, "/contacts/")
    page.locator("main nav").get_by_role("link", name=translated(app, "Blocked")).click()
    expect(page.locator("h1")).to_have_text(translated(app, "Blocked addresses"))
    expect(_rows(page)).to_have_count(3)
    check_accessibility(page)
    _fits_a_phone(page)

    page.locator("#q").fill("zwolle")
    page.locator("#q").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=zwolle"))
    expect(_rows(page)).to_have_count(2)
    row = _rows(page).filter(has_text="weigert@zwolle.nl")
    expect(row).to_contain_text(translated(app, "Relay answer"))
    expect(row).to_contain_text("dinsdag 3 juni 2025")
    expect(row.get_by_role("link", name="Terugblik Zwolle")).to_be_visible()
    check_accessibility(page)

    _tab_to_link(page, f"{translated(app, 'Lift')} weigert@zwolle.nl", presses=40)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(
        translated(app, "Lift the block on %(email)s?", email="weigert@zwolle.nl")
    )
    check_accessibility(page)
    _fits_a_phone(page)

    # Sent without a reason: the message is tied to the field.
    tab_to_button(page, translated(app, "Lift the block"), presses=20)
    page.keyboard.press("Enter")
    expect(page.locator("#reason")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error-text")).to_have_text(
        translated(app, "Give a reason: why may mail go to this address again?")
    )
    check_accessibility(page)

    page.locator("#reason").focus()
    page.keyboard.type("Typfout in het domein, door de gemeente verbeterd")
    tab_to_button(page, translated(app, "Lift the block"), presses=5)
    page.keyboard.press("Enter")
    notice = page.locator(".flashes .notice")
    expect(notice).to_have_text(
        translated(
            app,
            "%(email)s is no longer blocked: campaigns and other mail go to it again.",
            email="weigert@zwolle.nl",
        )
    )
    expect(_rows(page)).to_have_count(2)
    expect(page.locator("main table")).not_to_contain_text("weigert@zwolle.nl")
    check_accessibility(page)

    db.expire_all()
    assert db.scalars(select(Suppression.email).order_by(Suppression.email)).all() == [
        "elders@ede.nl",
        "klaagt@zwolle.nl",
    ]
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "suppression.lift")).one()
    assert audit.detail["lift_reason"] == "Typfout in het domein, door de gemeente verbeterd"


def test_a_complaint_asks_for_the_confirmation(logged_in_page: Page, app, db):
    entry = Suppression(email="klaagt@zwolle.nl", kind="complaint", source="mailgun")
    db.add(entry)
    db.commit()
    page = logged_in_page
    visit(page, f"/contacts/suppressions/{entry.id}/lift")
    page.locator("#reason").fill("Ze vroeg het zelf aan de telefoon")
    page.get_by_role("button", name=translated(app, "Lift the block")).click()
    expect(page.locator("#person_asked")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page)

    page.locator("#person_asked").focus()
    page.keyboard.press("Space")
    expect(page.locator("#person_asked")).to_be_checked()
    page.get_by_role("button", name=translated(app, "Lift the block")).click()
    expect(page.locator(".flashes .notice")).to_contain_text("klaagt@zwolle.nl")
    check_accessibility(page)
    db.expire_all()
    assert db.scalar(select(Suppression.id)) is None
