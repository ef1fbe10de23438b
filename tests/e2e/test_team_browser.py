"""The team in Chromium: an admin invites a colleague, who accepts from the mail that arrived and
signs in; someone who forgot their password chooses a new one through the mail. Every page
shown passes axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from service.models import Role, User
from tests.conftest import ADMIN_EMAIL
from tests.e2e.conftest import check_accessibility, log_in, translated, visit
from tests.mail_helpers import drain, message_to

pytestmark = pytest.mark.browser

NEW_PASSWORD = "rivier-fiets-lantaarn"


def _link_in_mail(smtp_server, email: str, path: str) -> str:
    text = message_to(smtp_server, email).get_body(("plain",)).get_content()
    return re.search(rf"https?://\S+{path}\S+", text).group(0)


def _log_out(page: Page, app) -> None:
    page.get_by_role("button", name=translated(app, "Log out")).click()
    check_accessibility(page)


def test_an_admin_invites_a_colleague_who_accepts_from_the_mail(
    page: Page, app, db, smtp_server, admin_user
):
    log_in(page)
    page.get_by_role("link", name=translated(app, "Organisers")).click()
    expect(page.locator("h1")).to_have_text(translated(app, "Organisers"))
    check_accessibility(page)
    page.get_by_label(translated(app, "Email address of your colleague")).fill("carla@example.nl")
    page.get_by_label(translated(app, "Role in the team"), exact=True).select_option("organiser")
    page.get_by_role("button", name=translated(app, "Send invitation")).click()
    expect(page.get_by_role("status")).to_contain_text("carla@example.nl")
    expect(page.locator("#pending + div table")).to_contain_text("carla@example.nl")
    check_accessibility(page)
    _log_out(page, app)

    drain(app, smtp_server)
    link = _link_in_mail(smtp_server, "carla@example.nl", "/team/accept/")
    visit(page, link)
    expect(page.locator("h1")).to_have_text(translated(app, "Join the organising team"))
    page.get_by_label(translated(app, "Your name")).fill("Carla Claes")
    # First a password that is too common: the page says which rule.
    page.get_by_label(translated(app, "New password"), exact=True).fill("password1234")
    page.get_by_label(translated(app, "New password again")).fill("password1234")
    page.get_by_role("button", name=translated(app, "Create my account")).click()
    expect(page.locator("#password-error-1")).to_contain_text(
        translated(
            app,
            "This password is one of the most common passwords, which are tried first. "
            "Choose another, for example a few unrelated words.",
        )
    )
    check_accessibility(page)
    page.get_by_label(translated(app, "New password"), exact=True).fill(NEW_PASSWORD)
    page.get_by_label(translated(app, "New password again")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=translated(app, "Create my account")).click()
    expect(page.get_by_role("status")).to_contain_text("Carla Claes")
    check_accessibility(page)
    user = db.scalar(select(User).where(User.email == "carla@example.nl"))
    assert user.role == Role.ORGANISER and user.name == "Carla Claes"

    page.get_by_role("link", name=translated(app, "My account")).click()
    expect(page.locator("h1")).to_have_text(translated(app, "My account"))
    check_accessibility(page)
    _log_out(page, app)
    log_in(page, "carla@example.nl", NEW_PASSWORD)

    # The link worked once.
    _log_out(page, app)
    page.goto(link)
    expect(page.locator("h1")).to_have_text(translated(app, "This invitation does not work"))
    check_accessibility(page)


def test_a_forgotten_password_is_reset_from_the_mail(page: Page, app, db, smtp_server, admin_user):
    visit(page, "/login")
    page.get_by_role("link", name=translated(app, "Forgot your password?")).click()
    check_accessibility(page)
    page.get_by_label(translated(app, "Email address")).fill(ADMIN_EMAIL)
    page.get_by_role("button", name=translated(app, "Send the link")).click()
    expect(page.locator("h1")).to_have_text(translated(app, "Check your mailbox"))
    check_accessibility(page)

    drain(app, smtp_server)
    visit(page, _link_in_mail(smtp_server, ADMIN_EMAIL, "/password/reset/"))
    expect(page.locator("h1")).to_have_text(translated(app, "Choose a new password"))
    page.get_by_label(translated(app, "New password"), exact=True).fill(NEW_PASSWORD)
    page.get_by_label(translated(app, "New password again")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=translated(app, "Save the new password")).click()
    expect(page.get_by_role("status")).to_contain_text(
        translated(app, "Your password is changed. Sign in with your new password.")
    )
    check_accessibility(page)
    log_in(page, ADMIN_EMAIL, NEW_PASSWORD)
