"""Two-factor sign-in in a real browser: set it up from the key on the page, then sign in with
a code from it and with a recovery code."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import check_accessibility, translated

pytestmark = pytest.mark.browser

DASHBOARD = re.compile(r"^http://127\.0\.0\.1:\d+/$")
SECOND_STEP = re.compile(r"/login/two-factor")


def _log_out(page: Page, app) -> None:
    log_out = translated(app, "Log out")
    page.get_by_role("button", name=re.compile(re.escape(log_out))).click()
    expect(page.get_by_role("status")).to_contain_text(translated(app, "You are logged out."))
    check_accessibility(page)


def _password_step(page: Page) -> None:
    page.locator("#email").fill(ADMIN_EMAIL)
    page.locator("#password").fill(ADMIN_PASSWORD)
    page.locator("#password").press("Enter")
    expect(page).to_have_url(SECOND_STEP)
    check_accessibility(page)


def test_set_up_two_factor_and_sign_in_with_a_code_and_a_recovery_code(logged_in_page: Page, app):
    page = logged_in_page
    page.locator("header").get_by_role("link", name=translated(app, "My account")).click()
    check_accessibility(page)
    page.locator("main").get_by_role("link", name=translated(app, "Two-factor sign-in")).click()
    check_accessibility(page)
    page.get_by_role("link", name=translated(app, "Set up two-factor sign-in")).click()
    check_accessibility(page)

    qr = page.get_by_role(
        "img", name=translated(app, "QR code with the key for your authenticator app")
    )
    expect(qr).to_be_visible()
    key = page.locator("#secret-key").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", key), key
    totp = pyotp.TOTP(key)
    code_field = page.get_by_label(translated(app, "Code from the app"))
    code_field.fill("123456" if totp.now() != "123456" else "654321")
    code_field.press("Enter")
    expect(page.locator("#code[aria-invalid=true]")).to_be_visible()
    check_accessibility(page)
    assert page.locator("#secret-key").inner_text().replace(" ", "") == key  # the same key
    code_field.fill(totp.now())
    page.get_by_role("button", name=translated(app, "Turn on two-factor sign-in")).click()

    expect(page.get_by_role("alert")).to_contain_text(translated(app, "Store these codes now."))
    check_accessibility(page)
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", c) for c in codes)
    page.get_by_role("link", name=translated(app, "I have stored them, continue")).click()
    expect(page).to_have_url(DASHBOARD)
    check_accessibility(page)
    _log_out(page, app)

    # The password alone opens nothing yet.
    _password_step(page)
    page.goto("/contacts/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    check_accessibility(page)
    _password_step(page)
    code_field = page.get_by_label(translated(app, "Code from the app, or a recovery code"))
    code_field.fill("000000" if totp.now() != "000000" else "111111")
    code_field.press("Enter")
    expect(page.locator("#code[aria-invalid=true]")).to_be_visible()
    check_accessibility(page)
    code_field.fill(totp.at(time.time() + 30))  # the next step: the set-up's code is used up
    code_field.press("Enter")
    expect(page).to_have_url(re.compile(r"/contacts/$"))  # where the visit began
    check_accessibility(page)
    _log_out(page, app)

    _password_step(page)
    code_field = page.get_by_label(translated(app, "Code from the app, or a recovery code"))
    code_field.fill(codes[0])
    code_field.press("Enter")
    expect(page).to_have_url(DASHBOARD)
    expect(page.get_by_role("status")).to_contain_text(
        translated(
            app,
            "You signed in with a recovery code; it cannot be used again. "
            "%(count)d recovery codes are left.",
            count=9,
        )
    )
    check_accessibility(page)
