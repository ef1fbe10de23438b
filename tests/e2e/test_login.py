"""Login, logout, the language switch and the small screen, in a real browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import PHONE, check_accessibility, translated, visit

pytestmark = pytest.mark.browser

DASHBOARD = re.compile(r"^http://127\.0\.0\.1:\d+/$")


def test_wrong_password_shows_an_error_and_stays_on_login(page: Page, app, admin_user):
    visit(page, "/login")
    page.locator("#email").fill(ADMIN_EMAIL)
    page.locator("#password").fill("niet-het-wachtwoord")
    page.locator("main").get_by_role("button").click()

    message = translated(app, "Email address or password is not correct.")
    expect(page.get_by_role("status")).to_contain_text(message)
    check_accessibility(page)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_right_password_opens_the_dashboard(page: Page, app, admin_user):
    visit(page, "/login")
    page.locator("#email").fill(ADMIN_EMAIL)
    page.locator("#password").fill(ADMIN_PASSWORD)
    page.locator("main").get_by_role("button").click()

    expect(page).to_have_url(DASHBOARD)
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, "Overview"))
    expect(page.get_by_role("navigation")).to_be_visible()


def test_login_with_keyboard_only_and_focus_is_visible(page: Page, app, admin_user):
    visit(page, "/login")
    for _ in range(15):
        if page.evaluate("document.activeElement.id") == "email":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email", (
        "Tab never reached the email field"
    )
    assert _focus_outline(page) != "none"
    page.keyboard.type(ADMIN_EMAIL)

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    assert _focus_outline(page) != "none"
    page.keyboard.type(ADMIN_PASSWORD)

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    assert _focus_outline(page) != "none"
    page.keyboard.press("Enter")

    expect(page).to_have_url(DASHBOARD)
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, "Overview"))


def _focus_outline(page: Page) -> str:
    """The computed outline of the focused element, e.g. 'rgb(255, 182, 18) solid 3px'."""
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.outline]; })()"
    )
    outline_style, width, outline = style
    if outline_style == "none" or width in ("0px", ""):
        return "none"
    return outline


def test_logout_ends_the_session(logged_in_page: Page, app):
    page = logged_in_page
    log_out = translated(app, "Log out")
    page.get_by_role("button", name=re.compile(re.escape(log_out))).click()

    expect(page.get_by_role("status")).to_contain_text(translated(app, "You are logged out."))
    expect(page.get_by_role("navigation")).to_have_count(0)
    check_accessibility(page)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("status")).to_contain_text(
        translated(app, "Please log in to open this page.")
    )


def test_language_switch_to_english_and_back(logged_in_page: Page, app):
    page = logged_in_page
    heading = page.get_by_role("heading", level=1)
    expect(page.locator("html")).to_have_attribute("lang", "nl")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(heading).to_have_text("Overview")
    check_accessibility(page)

    # The choice stays for the next page, not only the one where it was made.
    visit(page, "/contacts/")
    expect(heading).to_have_text("Contacts")

    page.get_by_role("button", name="Nederlands").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(heading).to_have_text(translated(app, "Contacts"))
    expect(page).to_have_url(re.compile(r"/contacts/$"))


def test_phone_width_has_no_horizontal_scroll(page: Page, app, admin_user):
    page.set_viewport_size(PHONE)
    visit(page, "/login")
    assert _scroll_width(page) <= PHONE["width"]

    page.locator("#email").fill(ADMIN_EMAIL)
    page.locator("#password").fill(ADMIN_PASSWORD)
    page.locator("main").get_by_role("button").click()
    expect(page).to_have_url(DASHBOARD)
    check_accessibility(page)
    assert _scroll_width(page) <= PHONE["width"]


def _scroll_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")
