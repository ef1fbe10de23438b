"""Templates in a real browser: save a campaign as a template, start a new campaign from it,
rename and delete it; axe on every page, the list on a phone too."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from service.models import Campaign
from tests.builders import make_demo_recap
from tests.e2e.conftest import PHONE, check_accessibility, translated, visit

pytestmark = pytest.mark.browser


def test_save_a_recap_as_a_template_and_start_a_new_campaign_from_it(logged_in_page, app, db):
    recap = make_demo_recap(db)
    page: Page = logged_in_page
    visit(page, f"/campaigns/{recap.id}")
    blocks = page.locator("#blocks > li").count()
    assert blocks == len(recap.blocks)
    page.get_by_label(translated(app, "Template name")).fill("Terugblik provincie")
    page.get_by_role("button", name=translated(app, "Save as template")).click()
    expect(page.locator("body")).to_contain_text(
        translated(
            app,
            "Saved as the template “%(name)s”; “New campaign” offers it.",
            name="Terugblik provincie",
        )
    )
    check_accessibility(page)

    visit(page, "/campaigns/new")
    page.get_by_role(
        "button", name=translated(app, "From the template “%(name)s”", name="Terugblik provincie")
    ).click()
    expect(page.locator("body")).to_contain_text(
        translated(
            app, "The draft is made from the template “%(name)s”.", name="Terugblik provincie"
        )
    )
    expect(page.locator("#blocks > li")).to_have_count(blocks)
    check_accessibility(page)
    db.expire_all()
    draft = db.scalars(select(Campaign).order_by(Campaign.id.desc())).first()
    assert draft.id != recap.id and draft.blocks == recap.blocks
    assert page.url.endswith(f"/campaigns/{draft.id}")

    # The list, on a phone: rename, then delete.
    page.set_viewport_size(PHONE)
    visit(page, "/campaigns/templates")
    page.get_by_role("link", name=f"{translated(app, 'Rename')} Terugblik provincie").click()
    check_accessibility(page)
    page.get_by_label(translated(app, "Template name")).fill("Terugblik standaard")
    page.get_by_role("button", name=translated(app, "Save the name")).click()
    expect(page.locator("main table")).to_contain_text("Terugblik standaard")
    check_accessibility(page)
    page.get_by_role("link", name=f"{translated(app, 'Delete')} Terugblik standaard").click()
    check_accessibility(page)
    page.get_by_role("button", name=translated(app, "Yes, delete this template")).click()
    expect(page.locator("main")).to_contain_text(translated(app, "There are no templates yet."))
    check_accessibility(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
