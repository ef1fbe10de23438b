"""Sending a campaign in a real browser: confirm, watch the numbers move, pause, resume."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from service.mail.transports import OutboxTransport
from tests.builders import make_announcement, make_contact
from tests.e2e.conftest import check_accessibility, translated, visit
from tests.mail_helpers import run_until_idle, send_loop

pytestmark = pytest.mark.browser


def _announcement_to_three(db) -> int:
    for _ in range(3):
        make_contact(db)
    return make_announcement(db).id


def _tab_to(page: Page, before: str, target: str) -> None:
    """Reach `target` with the keyboard from the element before it; its focus ring must show."""
    page.locator(before).focus()
    page.keyboard.press("Tab")
    button = page.locator(target)
    expect(button).to_be_focused()
    assert button.evaluate("el => el.matches(':focus-visible')")
    outline = button.evaluate(
        "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline[0] != "none" and outline[1] != "0px", outline


def test_send_a_campaign_and_watch_the_numbers_move(logged_in_page, app, db, tmp_path):
    campaign_id = _announcement_to_three(db)
    page = logged_in_page
    visit(page, f"/campaigns/{campaign_id}")

    page.locator("#send-now").click()
    check_accessibility(page)
    expect(page.locator("#recipient-count")).to_have_text("3")
    page.locator("#confirm-send").click()
    expect(page).to_have_url(f"{page.url.split('/campaigns/')[0]}/campaigns/{campaign_id}/sending")
    check_accessibility(page)
    expect(page.locator("#count-waiting")).to_have_text("3")
    expect(page.locator("#count-sent")).to_have_text("0")
    expect(page.locator("#progress")).to_have_attribute("aria-live", "polite")

    # Pause with the keyboard, look at the cancel question, keep sending, resume.
    _tab_to(page, "a.button-secondary[href$='/sending']", "#pause")
    page.keyboard.press("Enter")
    expect(page.locator("#resume")).to_be_visible()
    check_accessibility(page)
    expect(page.locator("#pause")).to_be_hidden()
    page.locator("#cancel").click()
    check_accessibility(page)
    expect(page.locator("#confirm-cancel")).to_be_visible()
    page.get_by_role("link", name=translated(app, "No, keep sending")).click()
    check_accessibility(page)
    _tab_to(page, "a.button-secondary[href$='/sending']", "#resume")
    page.keyboard.press("Enter")
    expect(page.locator("#pause")).to_be_visible()
    check_accessibility(page)

    # The loop sends while the page stays open: the numbers change without a reload.
    page.evaluate("window.__stillHere = true")
    # The send loop, in this process, on the live server's database.
    run_until_idle(send_loop(app, OutboxTransport(tmp_path / "outbox"), batch_size=2))
    expect(page.locator("#count-sent")).to_have_text("3")
    expect(page.locator("#count-waiting")).to_have_text("0")
    expect(page.locator("[data-field=status_label]")).to_have_text(translated(app, "Sent"))
    expect(page.locator("#pause")).to_be_hidden()
    expect(page.locator("#cancel")).to_be_hidden()
    assert page.evaluate("window.__stillHere") is True
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3
    check_accessibility(page)
