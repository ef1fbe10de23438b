"""Putting someone forward and offering to host, in Chromium: the public forms by keyboard, the
organisers' decisions; every page shown passes axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from service.models import Delivery, HostProposal, Meeting, Nomination, NominationStatus
from tests.e2e.conftest import check_accessibility, log_in, translated, visit

pytestmark = pytest.mark.browser


def _type_and_tab(page: Page, text: str) -> None:
    page.keyboard.type(text)
    page.keyboard.press("Tab")


def test_put_someone_forward_by_keyboard_and_accept(page: Page, app, db, admin_user):
    visit(page, "/aandragen")
    expect(page.locator("h1")).to_have_text(translated(app, "Put someone forward"))

    page.locator("#nominator_name").focus()
    _type_and_tab(page, "Fatima Bakker")
    _type_and_tab(page, "fatima@example.nl")
    _type_and_tab(page, "Joost de Vries")
    _type_and_tab(page, "joost@example.nl")
    _type_and_tab(page, "Gemeente Zwolle")
    _type_and_tab(page, "Verbindt wijkteams en provincie.")
    # The honeypot is out of the tab order: Tab went from the reason to the checkbox.
    assert page.evaluate("document.activeElement.id") == "reason_shared"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text(translated(app, "Thank you!"))
    check_accessibility(page)
    nomination = db.scalars(select(Nomination)).one()
    assert nomination.nominee_email == "joost@example.nl" and nomination.reason_shared

    log_in(page)
    visit(page, "/nominations/")
    expect(page.locator("main h2")).to_contain_text("Joost de Vries")
    page.get_by_role("button", name=translated(app, "Accept")).click()
    expect(page.locator(".notice-success")).to_contain_text("Joost de Vries")
    check_accessibility(page)
    db.expire_all()
    assert db.get(Nomination, nomination.id).status == NominationStatus.ACCEPTED
    delivery = db.scalars(select(Delivery)).one()
    assert (delivery.kind, delivery.email, delivery.contact_id) == (
        "introduction",
        "joost@example.nl",
        None,
    )


def test_an_errored_form_and_a_host_proposal_made_a_meeting(page: Page, app, db, admin_user):
    visit(page, "/aandragen")
    page.get_by_role("button", name=translated(app, "Send")).click()
    expect(page.locator("#form-errors")).to_be_visible()
    check_accessibility(page)

    visit(page, "/gastheer-worden")
    page.locator("#organisation").fill("Provincie Overijssel")
    page.locator("#city").fill("Zwolle")
    page.locator("#contact_name").fill("Sanne Jansen")
    page.locator("#contact_email").fill("sanne@example.nl")
    page.locator("#proposed_period").fill("najaar 2026")
    page.locator("#theme").fill("Energietransitie")
    page.get_by_role("button", name=translated(app, "Send")).click()
    expect(page.locator("h1")).to_have_text(translated(app, "Thank you!"))
    check_accessibility(page)

    log_in(page)
    visit(page, "/nominations/hosts")
    page.get_by_role("link", name=translated(app, "Make it a meeting")).click()
    check_accessibility(page)
    page.locator("#date").fill("2026-10-15")
    page.locator("#start_time").fill("13:30")
    page.locator("#end_time").fill("17:00")
    page.get_by_role("button", name=translated(app, "Make it a meeting")).click()
    expect(page).to_have_url(re.compile(r"/meetings/\d+/edit$"))
    check_accessibility(page)
    meeting = db.scalars(select(Meeting)).one()
    assert meeting.title == "Opgavebeweging bij Provincie Overijssel"
    db.expire_all()
    assert db.scalars(select(HostProposal.status)).one() == "planned"
