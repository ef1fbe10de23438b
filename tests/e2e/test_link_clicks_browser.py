"""Switching on link counting in the composer of a real browser: the checkbox autosaves, and a
counted link followed in the browser lands on its address and adds one to its total."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from service.click_links import ClickSigner
from service.models import Campaign, CampaignLinkClicks
from tests.builders import make_campaign
from tests.e2e.conftest import check_accessibility, translated, visit

pytestmark = pytest.mark.browser

PROGRAMME = "/archief"  # a page of our own, so the browser needs no network to land on it


def test_the_checkbox_autosaves_and_a_counted_link_counts_in_the_browser(
    logged_in_page: Page, app, db, live_server
):
    programme = live_server.rstrip("/") + PROGRAMME
    campaign = make_campaign(
        db, blocks=[{"type": "button", "label": "Het archief van terugblikken", "url": programme}]
    )
    page = logged_in_page
    visit(page, f"/campaigns/{campaign.id}")
    box = page.get_by_label(translated(app, "Count how often each link in this email is clicked"))
    expect(box).not_to_be_checked()
    box.check()
    expect(page.locator("input[name=version]")).to_have_value("2", timeout=20_000)
    db.expire_all()
    assert db.get(Campaign, campaign.id).count_clicks is True
    page.reload()
    expect(box).to_be_checked()
    check_accessibility(page)

    token = ClickSigner(app.config["SECRET_KEY"]).token(campaign.id, 1)
    page.goto(f"/k/{token}")
    expect(page).to_have_url(programme)
    check_accessibility(page)
    db.expire_all()
    [row] = db.scalars(select(CampaignLinkClicks))
    assert (row.campaign_id, row.link_number, row.url, row.clicks) == (campaign.id, 1, programme, 1)

    # A changed link gets a page that says so (and is accessible), and counts nothing.
    response = page.goto(f"/k/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text(translated(app, "This link leads nowhere"))
    check_accessibility(page)
    db.expire_all()
    assert db.scalars(select(CampaignLinkClicks.clicks)).all() == [1]
