"""API tokens and the audit log in Chromium: an admin makes a token, sees it once, uses it with
the API over HTTP, revokes it, and finds both in the audit log filtered by person and kind;
every page passes axe-core."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.conftest import ADMIN_EMAIL
from tests.e2e.conftest import PHONE, check_accessibility, translated, visit

pytestmark = pytest.mark.browser


def _rows(page: Page):
    return page.locator("main table tbody tr")


def _contacts(live_server: str, token: str) -> int:
    response = requests.get(
        f"{live_server}/api/v1/contacts", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    return response.status_code


def test_make_use_and_revoke_a_token_then_find_it_in_the_audit_log(
    logged_in_page: Page, live_server: str, app
):
    page = logged_in_page
    # Everyone's own tokens are reached through their account page.
    page.locator("header").get_by_role("link", name=translated(app, "My account")).click()
    check_accessibility(page)
    page.locator("main").get_by_role("link", name=translated(app, "API tokens")).click()
    expect(page.locator("h1")).to_have_text(translated(app, "API tokens"))
    expect(page.locator("main")).to_contain_text(translated(app, "You have no API tokens."))
    check_accessibility(page)

    page.get_by_label(translated(app, "Name")).fill("Koppeling met het CRM")
    page.get_by_role("button", name=translated(app, "Make the token")).click()
    shown = page.locator("#new-token")
    expect(shown).to_have_value(re.compile(r"^opg_"))
    expect(page.locator(".new-token")).to_contain_text(
        translated(app, "Copy it now: it is shown only this once.")
    )
    check_accessibility(page)
    token = shown.input_value()
    row = _rows(page).filter(has_text="Koppeling met het CRM")
    expect(row).to_contain_text(token[:10])
    expect(row).to_contain_text(translated(app, "never"))
    page.set_viewport_size(PHONE)
    check_accessibility(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    assert _contacts(live_server, token) == 200

    visit(page, "/account/tokens")
    expect(page.locator("#new-token")).to_have_count(0)
    assert token not in page.content()
    row = _rows(page).filter(has_text="Koppeling met het CRM")
    expect(row).not_to_contain_text(translated(app, "never"))
    expect(row.locator("td").nth(2)).to_contain_text(re.compile(r"\d{4}, \d\d:\d\d"))

    row.get_by_role("link", name=re.compile(translated(app, "Revoke"))).click()
    expect(page.locator("h1")).to_have_text(
        translated(app, "Revoke the API token %(name)s?", name="Koppeling met het CRM")
    )
    check_accessibility(page)
    page.get_by_role("button", name=translated(app, "Yes, revoke this token")).click()
    expect(page.locator(".flashes .notice")).to_have_text(
        translated(
            app,
            "The API token %(name)s is revoked: it no longer works.",
            name="Koppeling met het CRM",
        )
    )
    check_accessibility(page)
    assert _contacts(live_server, token) == 401

    page.locator("header nav").get_by_role("link", name=translated(app, "Audit log")).click()
    expect(page.locator("h1")).to_have_text(translated(app, "Audit log"))
    check_accessibility(page)
    page.get_by_label(translated(app, "Person")).select_option(label=f"Beheerder ({ADMIN_EMAIL})")
    page.get_by_label(translated(app, "Kind of action")).select_option(value="token")
    page.get_by_role("button", name=translated(app, "Filter")).click()
    expect(page).to_have_url(re.compile(r"kind=token"))
    expect(_rows(page)).to_have_count(2)
    expect(_rows(page).nth(0)).to_contain_text(translated(app, "Revoked an API token"))
    expect(_rows(page).nth(1)).to_contain_text(translated(app, "Made an API token"))
    expect(_rows(page).nth(0)).to_contain_text("Koppeling met het CRM")
    check_accessibility(page)
    page.set_viewport_size(PHONE)
    check_accessibility(page)
