"""A viewer reads the organisers' pages in a real browser, finds no way to change anything, and
is refused a change it sends anyway."""

import re

import pytest
from playwright.sync_api import Page, expect

from service.auth.users import create_user
from service.models import HostProposal, Nomination, Role
from tests.builders import make_campaign, make_contact, make_meeting
from tests.e2e.conftest import check_accessibility, log_in, visit

pytestmark = pytest.mark.browser

PASSWORD = "een-lang-wachtwoord"
# Words on a button or link that would change something.
CHANGES = re.compile(
    r"nieuw|opslaan|verwijder|importe|accepte|afwijz|maak er|uitnodig|toevoeg|pauze|hervat|"
    r"verzend|plan een",
    re.IGNORECASE,
)
# What organisers see on these pages, so the words above are known to catch them.
ORGANISERS_CONTROLS = (
    "Nieuw contact",
    "Contact opslaan",
    "Contacten importeren uit een CSV-bestand",
    "Nieuwe bijeenkomst",
    "Bijeenkomst opslaan",
    "Herinnering toevoegen",
    "Verwijderen",
    "Accepteren",
    "Afwijzen",
    "Maak er een bijeenkomst van",
    "Nieuwe campagne",
    "Uitnodigen",
    "Aanwezigheid opslaan",
    "Plan een bijeenkomst",
)


def _change_controls(page: Page) -> list[str]:
    """The buttons and links in the page's main part whose words would change something."""
    texts = page.locator("main button, main a.button, main input[type=submit]").all_inner_texts()
    return [text.strip() for text in texts if CHANGES.search(text)]


def test_a_viewer_reads_every_page_without_change_buttons_and_is_refused_a_change(page, db):
    assert all(CHANGES.search(text) for text in ORGANISERS_CONTROLS)
    create_user(db, "meekijker@example.nl", PASSWORD, Role.VIEWER, "Mees Kijker")
    contact = make_contact(db, name="Fatima el Amrani")
    meeting = make_meeting(db)
    campaign = make_campaign(db)
    db.add(
        Nomination(
            nominator_name="Aan Drager",
            nominator_email="aan@example.nl",
            nominee_name="Voor Gedragen",
            nominee_email="voor@example.nl",
        )
    )
    db.add(
        HostProposal(
            organisation="Gemeente Deventer", contact_name="Gast Heer", contact_email="g@example.nl"
        )
    )
    db.commit()
    log_in(page, "meekijker@example.nl", PASSWORD)

    for path in (
        "/",
        "/contacts/",
        f"/contacts/{contact.id}/edit",
        "/contacts/suppressions/",
        "/meetings/",
        f"/meetings/{meeting.id}/edit",
        f"/meetings/{meeting.id}/invitations",
        "/campaigns/",
        "/nominations/",
        "/nominations/hosts",
        "/cards/",
    ):
        visit(page, path)
        assert _change_controls(page) == [], path
    expect(page.locator("nav").get_by_role("link", name="Afbeeldingen")).to_have_count(0)

    # A contact's page shows its details, read-only.
    visit(page, f"/contacts/{contact.id}/edit")
    expect(page.locator("#read-only")).to_be_visible()
    expect(page.locator("#name")).to_have_value("Fatima el Amrani")
    expect(page.locator("#name")).to_be_disabled()

    # The campaign list leads a viewer to the email, not to the composer.
    visit(page, "/campaigns/")
    link = page.locator(f"tr[data-campaign='{campaign.id}'] a").first
    expect(link).to_have_attribute("href", f"/campaigns/{campaign.id}/preview")

    # A change sent anyway (as a crafted form would) is refused with a page that says why.
    visit(page, f"/contacts/{contact.id}/edit")
    page.evaluate(
        "() => { const form = document.querySelector('main form.contact-form');"
        " form.querySelector('fieldset').disabled = false; form.submit(); }"
    )
    page.wait_for_load_state("load")
    expect(page.locator("main")).to_contain_text("Je account heeft de rol meekijker")
    expect(page.locator("main")).to_contain_text("Er is niets gewijzigd")
    check_accessibility(page)
