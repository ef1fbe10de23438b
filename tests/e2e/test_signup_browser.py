"""Signing up in Chromium: the form, the confirmation from the link of the email really
received, and changing one's preferences; every page shown passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from service.audience.subscriptions import subscribed_mailings
from service.models import Consent, Contact, Mailing
from tests.builders import make_contact
from tests.e2e.conftest import check_accessibility, log_in, translated, visit
from tests.test_signup import _confirm_link, _send_all

pytestmark = pytest.mark.browser


def test_sign_up_confirm_from_the_email_and_change_preferences(
    page: Page, app, db, smtp_server, admin_user
):
    visit(page, "/aanmelden")
    page.get_by_label(translated(app, "Your name")).fill("Sanne de Boer")
    page.get_by_label(translated(app, "Your email address")).fill("sanne@example.nl")
    page.get_by_label(translated(app, "Organisation")).fill("Gemeente Deventer")
    page.get_by_label(translated(app, "Province")).select_option("overijssel")
    # Both mailings are ticked to begin with; this person wants only the invitations.
    page.get_by_label(translated(app, "Recaps and news")).uncheck()
    page.get_by_role("button", name=translated(app, "Sign up")).click()
    expect(page.locator("h1")).to_have_text(translated(app, "Check your mailbox"))
    check_accessibility(page)
    assert db.scalars(select(Contact)).all() == []

    _send_all(app, smtp_server)
    visit(page, _confirm_link(smtp_server, "sanne@example.nl"))
    expect(page.locator("h1")).to_have_text(translated(app, "Confirm your signup"))
    page.get_by_role("button", name=translated(app, "Confirm my signup")).click()
    expect(page.locator("h1")).to_have_text(translated(app, "You are signed up"))
    check_accessibility(page)
    contact = db.scalars(select(Contact)).one()
    assert contact.consent == Consent.GIVEN
    assert subscribed_mailings(db, contact.id) == [Mailing.INVITATIONS]

    page.get_by_role("link", name=translated(app, "Change your preferences")).click()
    expect(page.locator("h1")).to_have_text(translated(app, "Your preferences"))
    check_accessibility(page)
    page.get_by_label(translated(app, "Recaps and news")).check()
    page.get_by_label(translated(app, "Language of the emails")).select_option("en")
    page.get_by_role("button", name=translated(app, "Save preferences")).click()
    expect(page.get_by_role("status")).to_be_visible()
    check_accessibility(page)
    db.expire_all()
    assert subscribed_mailings(db, contact.id) == [Mailing.NEWS, Mailing.INVITATIONS]
    assert db.get(Contact, contact.id).language == "en"

    # The erasure asks first; its page passes axe too.
    page.get_by_role("link", name=translated(app, "Delete me", locale="en")).click()
    expect(page.locator("h1")).to_have_text(translated(app, "Delete me", locale="en"))
    check_accessibility(page)
    db.expire_all()
    assert db.get(Contact, contact.id) is not None  # opening the page erased nothing


def test_the_form_with_errors_and_the_organisers_list_pass_axe(page: Page, app, db, admin_user):
    visit(page, "/aanmelden")
    page.get_by_label(translated(app, "Recaps and news")).uncheck()
    page.get_by_label(translated(app, "Invitations to meetings")).uncheck()
    page.get_by_role("button", name=translated(app, "Sign up")).click()
    expect(page.locator("#form-errors")).to_be_visible()
    check_accessibility(page)

    make_contact(db, name="Ging Weg", consent=Consent.WITHDRAWN, consent_source="voorkeurenpagina")
    log_in(page)
    visit(page, "/contacts/withdrawn")
    expect(page.locator("tbody")).to_contain_text("Ging Weg")
