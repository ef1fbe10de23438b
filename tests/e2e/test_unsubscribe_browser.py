"""The unsubscribe link of a sent email, in Chromium: reachable and usable by keyboard, and every
page it shows (asking, done, refused) passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from service.audience.subscriptions import subscribed_mailings
from service.models import Consent, Contact, Mailing
from tests.builders import make_contact
from tests.e2e.conftest import check_accessibility, tab_to_button, translated, visit
from tests.mail_helpers import message_to
from tests.test_unsubscribe import _link, _path, _send

pytestmark = pytest.mark.browser


def test_unsubscribe_from_a_sent_email_by_keyboard(page: Page, app, db, smtp_server):
    contact = make_contact(db, name="Maaike Heijnen", email="maaike@example.nl")
    _send(app, db, smtp_server)
    path = _path(_link(message_to(smtp_server, contact.email)))

    visit(page, path)
    expect(page.locator("h1")).to_contain_text(app.config["NETWORK_NAME"])
    expect(page.locator("main")).to_contain_text("m•••@example.nl")
    db.expire_all()
    assert db.get(Contact, contact.id).consent == Consent.GIVEN  # opening changed nothing

    button = translated(app, "Unsubscribe")
    tab_to_button(page, button, presses=15)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(translated(app, "You are unsubscribed"))
    check_accessibility(page)
    db.expire_all()
    # A recap's link leaves the news only; the page offers to leave everything (issue 6).
    assert subscribed_mailings(db, contact.id) == [Mailing.INVITATIONS]
    assert db.get(Contact, contact.id).consent == Consent.GIVEN
    tab_to_button(page, translated(app, "Also unsubscribe from everything"), presses=15)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(translated(app, "You are unsubscribed"))
    check_accessibility(page)
    db.expire_all()
    assert db.get(Contact, contact.id).consent == Consent.WITHDRAWN


def test_an_altered_link_shows_a_refusal_that_passes_axe(page: Page, app, db, smtp_server):
    contact = make_contact(db)
    _send(app, db, smtp_server)
    path = _path(_link(message_to(smtp_server, contact.email)))
    altered = path[:-1] + ("A" if path[-1] != "A" else "B")

    response = page.goto(altered)
    assert response is not None and response.status == 400
    expect(page.locator("h1")).to_have_text(translated(app, "This link does not work"))
    check_accessibility(page)
    db.expire_all()
    assert db.get(Contact, contact.id).consent == Consent.GIVEN
