"""The network card and the wall in Chromium: a contact fills in the card with a photo from
their own link and finds it on the wall; organisers open the cards and the wall. Every page
shown passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from service.contact_links import CARD, ContactSigner
from service.models import Consent
from tests.builders import make_contact
from tests.e2e.conftest import PHONE, check_accessibility, translated, visit
from tests.test_cards import jpeg_with_exif, stored_card
from tests.test_wall import make_card

pytestmark = pytest.mark.browser


def test_a_contact_fills_in_the_card_with_a_photo_and_finds_it_on_the_wall(
    page: Page, app, db, tmp_path
):
    anna = make_contact(db, name="Anna", organisation="Gemeente Zwolle", province="overijssel")
    bram = make_contact(db, name="Bram Bakker", organisation="Waterschap Vallei")
    make_card(db, bram, brings="Dijken")
    photo = tmp_path / "anna.jpg"
    photo.write_bytes(jpeg_with_exif(size=(1600, 1200)))
    token = ContactSigner(app.config["SECRET_KEY"], CARD).token(anna.id)

    visit(page, f"/netwerkkaart/{token}")
    expect(page.locator("h1")).to_have_text(translated(app, "Network card"))
    # On a phone the card fits the screen: the photo's file field once made it 418 px wide.
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_accessibility(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label(translated(app, "Name"), exact=True).fill("Anna de Vries")
    page.get_by_label(translated(app, "Province"), exact=True).select_option("utrecht")
    page.get_by_label(translated(app, "Province's treasure")).fill("De Utrechtse Heuvelrug")
    page.get_by_label(translated(app, "What I bring")).fill("Kennis van warmtenetten")
    page.get_by_label(translated(app, "What I seek")).fill("Woningbouwers")
    page.locator("#photo").set_input_files(str(photo))
    page.get_by_label(
        translated(app, "Description of the photo (for those who cannot see it)")
    ).fill("Anna lacht, met de Dom achter haar")
    page.get_by_label(translated(app, "Show my card on the network wall")).check()
    page.get_by_role("button", name=translated(app, "Save my card")).click()

    expect(page.locator("#card-saved")).to_be_visible()
    check_accessibility(page)
    own = page.locator("#current-photo")
    expect(own).to_have_attribute("alt", "Anna lacht, met de Dom achter haar")
    assert own.evaluate("img => img.naturalWidth") == 600
    assert stored_card(db, anna).on_wall

    page.get_by_role("link", name=translated(app, "Go to the network wall")).click()
    expect(page.locator("h1")).to_have_text(translated(app, "Network wall"))
    check_accessibility(page)
    cards = page.locator(".wall-card")
    expect(cards).to_have_count(2)
    anna_card = cards.filter(has_text="Anna de Vries")
    expect(anna_card).to_contain_text("Kennis van warmtenetten")
    picture = anna_card.get_by_role("img", name="Anna lacht, met de Dom achter haar")
    expect(picture).to_be_visible()
    picture.evaluate("img => img.decode()")
    assert picture.evaluate("img => img.naturalWidth") == 600

    page.get_by_label(translated(app, "Search"), exact=True).fill("warmtenetten")
    page.get_by_role("button", name=translated(app, "Search"), exact=True).click()
    check_accessibility(page)
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Anna de Vries")
    page.get_by_role("link", name=translated(app, "Clear the search and filters")).click()
    check_accessibility(page)
    page.get_by_label(translated(app, "Organisation"), exact=True).select_option(
        "Waterschap Vallei"
    )
    page.get_by_role("button", name=translated(app, "Search"), exact=True).click()
    check_accessibility(page)
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Bram Bakker")


def test_organisers_open_the_cards_and_the_wall(logged_in_page: Page, app, db, tmp_path):
    page = logged_in_page
    anna = make_contact(db, name="Anna de Vries", consent=Consent.GIVEN)
    hidden = make_contact(db, name="Carla Smit", consent=Consent.WITHDRAWN)
    make_card(db, anna, brings="Warmtenetten")
    make_card(db, hidden, brings="Dijken")

    visit(page, f"/contacts/{anna.id}/edit")
    page.get_by_role(
        "link", name=translated(app, "Network card of %(name)s", name="Anna de Vries")
    ).click()
    check_accessibility(page)
    page.get_by_label(translated(app, "What I seek")).fill("Woningbouwers")
    page.get_by_role("button", name=translated(app, "Save the card")).click()
    expect(page.locator("#card-saved")).to_be_visible()
    check_accessibility(page)
    assert stored_card(db, anna).seeks == "Woningbouwers"

    page.get_by_role("link", name=translated(app, "Back to all network cards")).click()
    check_accessibility(page)
    expect(page.locator("tbody tr")).to_have_count(2)
    page.get_by_role("link", name=translated(app, "View the network wall")).click()
    check_accessibility(page)
    expect(page.locator(".wall-card")).to_have_count(1)
    expect(page.locator(".wall-card")).to_contain_text("Anna de Vries")
