"""Every organiser page passes axe-core and fits a 375 px phone screen, in Dutch and English."""

from datetime import date, time

import pytest
from playwright.sync_api import Page, expect

from service.models import MeetingStatus
from tests.builders import amsterdam, make_contact, make_meeting
from tests.e2e.conftest import PHONE, check_accessibility, visit

pytestmark = pytest.mark.browser


@pytest.fixture
def filled(db) -> dict[str, int]:
    """A few contacts, a meeting to come and one held, so lists and forms show real rows."""
    contact = make_contact(
        db, name="Fatima el Amrani", organisation="Provincie Zuid-Holland", tags=["recap"]
    )
    make_contact(db, name="Joost de Vries", organisation="Gemeente Zwolle", province="overijssel")
    upcoming = make_meeting(
        db,
        starts_at=amsterdam(date(2099, 6, 2), time(10, 0)),
        ends_at=amsterdam(date(2099, 6, 2), time(13, 0)),
    )
    make_meeting(db, title="Opgavebeweging bij Provincie Zuid-Holland", status=MeetingStatus.HELD)
    return {"meeting": upcoming.id, "contact": contact.id}


def _pages(filled: dict[str, int]) -> list[str]:
    contact, meeting = filled["contact"], filled["meeting"]
    return [
        "/",
        "/contacts/",
        "/contacts/?q=zuid&province=zuid-holland&tag=recap",
        "/contacts/new",
        f"/contacts/{contact}/edit",
        f"/contacts/{contact}/delete",
        "/contacts/import",
        "/contacts/withdrawn",
        "/media/",
        "/outbox/",
        "/meetings/",
        "/meetings/new",
        f"/meetings/{meeting}/edit",
        "/account/two-factor",
        "/account/two-factor/setup",
        "/team/",
        "/account/",
    ]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_organiser_pages_pass_axe_on_desktop_and_phone(
    logged_in_page: Page, filled: dict[str, int], language: str
):
    page = logged_in_page
    if language == "en":
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        check_accessibility(page)
    too_wide = []
    for path in _pages(filled):
        page.set_viewport_size({"width": 1280, "height": 900})
        visit(page, path)
        page.set_viewport_size(PHONE)
        check_accessibility(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide.append(f"{path}: {width}px")
    assert not too_wide, "pages wider than a 375 px phone screen: " + ", ".join(too_wide)


def test_form_with_errors_and_error_pages_pass_axe(logged_in_page: Page):
    page = logged_in_page
    visit(page, "/meetings/new")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()
    check_accessibility(page)

    visit(page, "/contacts/new")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()
    check_accessibility(page)

    visit(page, "/contacts/import")
    page.locator("main form[enctype='multipart/form-data'] button[type=submit]").click()
    expect(page.locator("#file[aria-invalid=true]")).to_be_visible()
    check_accessibility(page)

    response = page.goto("/meetings/999999/edit")
    assert response is not None and response.status == 404
    check_accessibility(page)


def test_a_province_tile_opens_the_contact_list_of_that_province(
    logged_in_page: Page, filled: dict[str, int]
):
    page = logged_in_page
    visit(page, "/")
    page.locator('.tile-link[data-province="utrecht"]').click()
    page.wait_for_url("**/contacts/?province=utrecht")
    expect(page.locator("main")).to_contain_text("Fatima el Amrani")
    expect(page.locator("main")).not_to_contain_text("Joost de Vries")
    check_accessibility(page)
