"""The recap archive, the outbox reader and the image page pass axe-core, also at 375 px."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from service.delivery.testsend import send_test_email
from service.models import CampaignStatus, User
from service.settings import settings_of
from tests.builders import make_demo_recap
from tests.e2e.conftest import PHONE, check_accessibility, visit

pytestmark = pytest.mark.browser


def _recap(db, subject: str, sent_at: datetime):
    campaign = make_demo_recap(db, subject=subject, sender_name="")
    campaign.status = CampaignStatus.SENT
    campaign.sent_at = sent_at
    db.commit()
    return campaign


def _fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_archive_lists_recaps_and_opens_one(page: Page, db):
    _recap(db, "Terugblik maart", datetime(2025, 3, 10, 9, 0, tzinfo=UTC))
    _recap(db, "Terugblik juni", datetime(2025, 6, 10, 9, 0, tzinfo=UTC))
    visit(page, "/archief")
    links = page.locator("main li a")
    expect(links).to_have_count(2)
    expect(links.first).to_have_text("Terugblik juni")
    page.set_viewport_size(PHONE)
    visit(page, "/archief")
    assert _fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Terugblik maart").click()
    expect(page.locator("body")).to_contain_text("Maaïke Heijnen")


def test_outbox_and_images_pages_pass_axe(logged_in_page: Page, app, db):
    campaign = _recap(db, "Terugblik maart", datetime(2025, 3, 10, 9, 0, tzinfo=UTC))
    organiser = db.query(User).one()
    send_test_email(db, campaign, organiser, settings_of(app))
    page = logged_in_page
    visit(page, "/outbox/")
    page.get_by_role("link", name="[TEST] Terugblik maart").click()
    expect(page.locator("h1")).to_have_text("[TEST] Terugblik maart")
    check_accessibility(page)
    page.set_viewport_size(PHONE)
    visit(page, "/outbox/")
    assert _fits(page)
    visit(page, "/media/")
    assert _fits(page)
