"""Contact search and CSV upload in a real browser."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from service.models import Contact
from tests.builders import make_contact
from tests.e2e.conftest import check_accessibility, translated_plural, visit

pytestmark = pytest.mark.browser


def _rows(page: Page):
    return page.locator("main table tbody tr")


def test_search_on_part_of_the_organisation_shows_only_matching_contacts(logged_in_page, db):
    make_contact(db, name="Fatima el Amrani", organisation="Provincie Zuid-Holland")
    make_contact(db, name="Joost de Vries", organisation="Gemeente Zwolle", province="overijssel")
    make_contact(db, name="Sanne Bakker", organisation="Gemeente Den Haag", province="zuid-holland")
    page = logged_in_page
    visit(page, "/contacts/")
    expect(_rows(page)).to_have_count(3)

    page.locator("#q").fill("zuid-hol")
    page.locator("#q").press("Enter")

    expect(page).to_have_url(re.compile(r"[?&]q=zuid-hol"))
    expect(_rows(page)).to_have_count(1)
    expect(_rows(page)).to_contain_text(["Fatima el Amrani"])
    expect(page.locator("main table")).not_to_contain_text("Gemeente")
    expect(page.locator("#q")).to_have_value("zuid-hol")
    check_accessibility(page)

    page.locator("#q").fill("GEMEENTE")
    page.locator("#q").press("Enter")
    expect(_rows(page)).to_have_count(2)
    expect(_rows(page)).to_contain_text(["Joost de Vries", "Sanne Bakker"])
    check_accessibility(page)


def test_csv_upload_reports_imported_and_the_rejected_line(logged_in_page, app, db, tmp_path: Path):
    make_contact(db, email="anna.jansen@example.nl", name="Anna Jansen", organisation="")
    upload = tmp_path / "contacten.csv"
    # As Dutch Excel saves it: semicolons, Windows-1252, CRLF; line 4 has no valid address.
    upload.write_bytes(
        "naam;e-mail;organisatie;provincie\r\n"
        "Anna Jansen;Anna.Jansen@example.nl;Gemeente Zwolle;Overijssel\r\n"
        "Carla de Wit;carla.dewit@example.nl;Provincie Zeeland;Zeeland\r\n"
        "Bram Bakker;bram.bakker@;Gemeente Utrecht;Utrecht\r\n"
        "Daan Mulder;daan.mulder@example.nl;Gemeente Maastricht;Limburg\r\n".encode("cp1252")
    )
    page = logged_in_page
    visit(page, "/contacts/")
    page.locator("main").get_by_role("link", name=re.compile("CSV")).first.click()
    expect(page.locator("#file")).to_be_attached()
    check_accessibility(page)

    page.locator("#file").set_input_files(upload)
    page.locator("main form[enctype='multipart/form-data'] button[type=submit]").click()

    report = page.locator(".import-report")
    expect(report).to_be_visible()
    expect(report.get_by_role("listitem")).to_have_text(
        [
            translated_plural(
                app, "%(num)s new contact imported", "%(num)s new contacts imported", 2
            ),
            translated_plural(
                app, "%(num)s existing contact updated", "%(num)s existing contacts updated", 1
            ),
            translated_plural(app, "%(num)s row rejected", "%(num)s rows rejected", 1),
        ]
    )
    rejected = report.locator("table tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.locator("th")).to_have_text("4")
    expect(rejected).to_contain_text("bram.bakker@")
    check_accessibility(page)

    db.expire_all()
    stored = {c.email: c for c in db.query(Contact)}
    assert set(stored) == {
        "anna.jansen@example.nl",
        "carla.dewit@example.nl",
        "daan.mulder@example.nl",
    }
    assert stored["anna.jansen@example.nl"].organisation == "Gemeente Zwolle"
    assert stored["carla.dewit@example.nl"].province == "zeeland"
