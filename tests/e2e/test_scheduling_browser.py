"""Scheduling a campaign in a real browser with the keyboard; the new composer parts pass axe."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from playwright.sync_api import Page, expect

from service import dates
from service.campaigns import store
from service.models import Campaign, CampaignStatus, MeetingStatus, utcnow
from service.scheduler.jobs import run_due
from service.settings import settings_of
from tests.builders import amsterdam, make_announcement, make_contact, make_meeting
from tests.e2e.conftest import check_accessibility, visit

pytestmark = pytest.mark.browser
ZONE = "Europe/Amsterdam"


def _announcement_to_two(db) -> int:
    for _ in range(2):
        make_contact(db)
    return make_announcement(db).id


def _campaign_row(app, campaign_id: int) -> Campaign:
    with app.extensions["db_sessionmaker"]() as session:
        campaign = session.get(Campaign, campaign_id)
        session.expunge(campaign)
        return campaign


def _press_tab_until(page: Page, target: str, presses: int = 6) -> None:
    """Move the focus forward with Tab until `target` has it (a keyboard user's way there)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.locator(target).evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{target} was not reached with Tab")


def _type_date(page: Page, field: str, day) -> None:
    """Type a day into a date field, in whichever order of parts this Chromium shows.

    Each part moves on to the next when it is full; Chromium orders the parts by its own
    locale (day first for nl, month first for en-US), which the test cannot choose.
    """
    for order in ("%d%m%Y", "%m%d%Y"):
        page.locator(field).evaluate("el => { el.blur(); el.focus(); }")
        page.keyboard.type(day.strftime(order))
        if page.locator(field).input_value() == day.isoformat():
            return
    raise AssertionError(f"{field} did not take {day} typed in either order")


def test_schedule_and_unschedule_a_campaign_with_the_keyboard(logged_in_page: Page, app, db):
    page = logged_in_page
    campaign_id = _announcement_to_two(db)
    visit(page, f"/campaigns/{campaign_id}")
    page.locator("#schedule-link").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#schedule-heading")).to_be_visible()
    check_accessibility(page)

    day = dates.utc_to_local(utcnow() + timedelta(days=10), ZONE).date()
    page.locator("#confirm-send").focus()
    _press_tab_until(page, "#date")
    _type_date(page, "#date", day)
    _press_tab_until(page, "#time")
    page.keyboard.type("0830")
    if page.locator("#time").input_value() != "08:30":
        page.keyboard.type("A")  # a 12-hour clock (en-US) asks AM or PM last
    assert page.locator("#time").input_value() == "08:30"
    _press_tab_until(page, "#confirm-schedule")
    page.keyboard.press("Enter")

    state = page.locator("#schedule-state")
    expect(state).to_be_visible()
    moment = amsterdam(day, time(8, 30))
    expect(state).to_contain_text(dates.format_local(moment, ZONE, "nl"))
    check_accessibility(page)
    scheduled = _campaign_row(app, campaign_id)
    assert scheduled.status == CampaignStatus.SCHEDULED and scheduled.scheduled_at == moment

    visit(page, "/campaigns/")
    expect(page.locator(".scheduled-at")).to_contain_text(dates.format_local(moment, ZONE, "nl"))

    visit(page, f"/campaigns/{campaign_id}")
    page.locator("#unschedule").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#schedule-state")).to_have_count(0)
    check_accessibility(page)
    assert _campaign_row(app, campaign_id).status == CampaignStatus.DRAFT


def test_late_campaign_audiences_and_recap_offer_pass_axe(logged_in_page: Page, app, db):
    page = logged_in_page
    make_meeting(db, status=MeetingStatus.HELD)
    campaign_id = _announcement_to_two(db)
    campaign = db.get(Campaign, campaign_id)
    at = utcnow() - timedelta(hours=8)
    store.schedule_campaign(db, campaign, at, actor=None, now=at - timedelta(days=1))
    db.commit()
    run_due(db, now=utcnow(), settings=settings_of(app))

    visit(page, f"/campaigns/{campaign_id}")
    expect(page.locator("#schedule-late")).to_be_visible()
    expect(page.locator("#late-send-now")).to_be_visible()
    expect(page.locator("#reschedule")).to_be_visible()
    expect(page.locator("#audience-attended input[type=checkbox]")).to_have_count(1)
    expect(page.locator("#audience-answers input[type=checkbox]")).to_have_count(4)
    expect(page.locator("#emails")).to_be_visible()

    visit(page, "/campaigns/new")
    recap = page.locator("#recaps button")
    expect(recap).to_have_count(1)
    recap.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#blocks")).to_be_visible()
    check_accessibility(page)
