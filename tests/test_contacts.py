"""The contact directory: its logic, and the organiser pages to list, search, edit and delete."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from service.contacts import directory
from service.database import session_scope
from service.models import AuditEntry, Consent, Contact, Role, Tag, User
from service.settings import change_settings
from tests.api_helpers import api_client
from tests.builders import make_contact
from tests.conftest import csrf_token_from, login

DATA = Path(__file__).parent / "data"


@pytest.fixture
def english(organiser, db, admin_user):
    """The logged-in organiser reads the pages in English (the msgids), whatever the catalog."""
    db.get(User, admin_user).language = "en"
    db.commit()
    return organiser


def emails_on(html: str) -> list[str]:
    return re.findall(r'<td class="contact-email">([^<]+)</td>', html)


# --- validation -----------------------------------------------------------------------------


def test_fields_are_normalised():
    data = directory.validate_contact_fields(
        {
            "email": "  Maaike.DeVries@Zwolle.NL ",
            "name": " Maaïke de Vries ",
            "province": "Fryslân",
            "language": "English",
            "consent": "ja",
            "tags": "Wonen, bestuur; wonen,, ",
        }
    )
    assert data.email == "maaike.devries@zwolle.nl" and data.name == "Maaïke de Vries"
    assert data.province == "friesland" and data.language == "en"
    assert data.consent is Consent.GIVEN and data.tags == ("wonen", "bestuur")


def test_every_wrong_field_gets_its_own_message():
    with pytest.raises(directory.ContactValidationError) as error:
        directory.validate_contact_fields(
            {
                "email": "geen-adres",
                "name": "x" * 201,
                "province": "Atlantis",
                "language": "fr",
                "consent": "misschien",
                "tags": ["t" * 61],
            }
        )
    messages = error.value.messages()
    assert messages["email"] == ["geen-adres is not a valid email address."]
    assert messages["name"] == ["This is too long: at most 200 characters."]
    assert messages["province"][0].startswith("Atlantis is not a Dutch province.")
    assert messages["language"] == ["The language must be nl (Dutch) or en (English), not fr."]
    assert messages["consent"] == ["Consent must be given, withdrawn or unknown, not misschien."]
    assert "is too long: at most 60 characters" in messages["tags"][0]


def test_a_missing_address_is_required():
    with pytest.raises(directory.ContactValidationError) as error:
        directory.validate_contact_fields({"name": "Anne"})
    assert error.value.messages() == {"email": ["Enter an email address."]}


def test_partial_input_keeps_the_current_values(db):
    person = make_contact(db, name="Anne", organisation="Gemeente Zwolle", tags=["wonen"])
    data = directory.validate_contact_fields({"role": "Lector"}, current=person)
    assert (data.email, data.name, data.organisation) == (person.email, "Anne", "Gemeente Zwolle")
    assert data.role == "Lector" and data.tags == ("wonen",)


# --- changing -------------------------------------------------------------------------------


def test_create_refuses_an_address_that_exists_in_other_case(db):
    make_contact(db, email="anne@example.nl")
    data = directory.validate_contact_fields({"email": "ANNE@Example.nl"})
    with pytest.raises(directory.DuplicateContactError) as error:
        directory.create_contact(db, data)
    assert str(error.value) == "A contact with the email address anne@example.nl already exists."


def test_create_records_consent_tags_and_an_audit_entry(db, admin_user):
    actor = db.get(User, admin_user)
    data = directory.validate_contact_fields(
        {"email": "a@example.nl", "consent": "given", "tags": "wonen, Klimaat"}
    )
    person = directory.create_contact(db, data, actor=actor, source="signup form")
    db.commit()
    assert person.consent is Consent.GIVEN and person.consent_source == "signup form"
    assert person.consent_at is not None and person.tag_names == ["klimaat", "wonen"]
    entry = db.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.object_id, entry.user_id) == ("contact.create", person.id, actor.id)


def test_update_reports_what_changed_and_keeps_consent_time(db):
    person = make_contact(db, consent=Consent.GIVEN, consent_at=datetime(2025, 3, 4, tzinfo=UTC))
    data = directory.validate_contact_fields({"name": "Nieuwe Naam"}, current=person)
    assert directory.update_contact(db, person, data, source="x") == ["name"]
    assert person.consent_at == datetime(2025, 3, 4, tzinfo=UTC)
    data = directory.validate_contact_fields({"consent": "withdrawn"}, current=person)
    assert directory.update_contact(db, person, data, source="phone call") == ["consent"]
    assert person.consent_source == "phone call" and person.consent_at.year > 2025 - 1
    data = directory.validate_contact_fields({}, current=person)
    assert directory.update_contact(db, person, data) == []


def test_update_to_an_address_of_another_contact_is_refused(db):
    make_contact(db, email="bezet@example.nl")
    person = make_contact(db, email="vrij@example.nl")
    data = directory.validate_contact_fields({"email": "Bezet@example.nl"}, current=person)
    with pytest.raises(directory.DuplicateContactError):
        directory.update_contact(db, person, data)


def test_delete_removes_the_contact_and_its_tag_links_but_keeps_the_tag(db):
    person = make_contact(db, tags=["wonen"])
    make_contact(db, tags=["wonen"])
    directory.delete_contact(db, person)
    db.commit()
    assert len(db.scalars(select(Contact)).all()) == 1
    assert db.scalars(select(Tag.name)).all() == ["wonen"]
    assert db.scalars(select(AuditEntry.action)).all() == ["contact.delete"]


# --- searching ------------------------------------------------------------------------------


def seed_people(db) -> None:
    make_contact(
        db,
        name="Maaïke de Vries",
        email="m.devries@zwolle.nl",
        organisation="Gemeente Zwolle",
        province="overijssel",
        tags=["wonen"],
    )
    make_contact(
        db,
        name="Joost Bakker",
        email="j.bakker@pzh.nl",
        organisation="Provincie Zuid-Holland",
        province="zuid-holland",
        tags=["bestuur", "wonen"],
    )
    make_contact(
        db,
        name="Anne Mulder",
        email="anne@hva.nl",
        organisation="Hogeschool van Amsterdam",
        province="noord-holland",
    )
    make_contact(db, name="Percent 100%_x", email="p@example.nl", organisation="Test")


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        (
            {},
            ["Anne Mulder", "Esmée Çelik", "Joost Bakker", "Maaïke de Vries", "Percent 100%_x"],
        ),
        ({"q": "VRIES"}, ["Maaïke de Vries"]),
        ({"q": "Maaïke"}, ["Maaïke de Vries"]),
        # Case and accents are ignored on SQLite as on PostgreSQL.
        ({"q": "maaike"}, ["Maaïke de Vries"]),
        ({"q": "MAAÏKE"}, ["Maaïke de Vries"]),
        ({"q": "Çelik"}, ["Esmée Çelik"]),
        ({"q": "esmee celik"}, ["Esmée Çelik"]),
        ({"q": "ÉCOLE"}, ["Esmée Çelik"]),
        # A search never runs from one field into the next.
        ({"q": "vries gemeente"}, []),
        ({"q": "pzh.NL"}, ["Joost Bakker"]),
        ({"q": "hogeschool"}, ["Anne Mulder"]),
        ({"q": "100%_"}, ["Percent 100%_x"]),
        ({"q": "0%"}, ["Percent 100%_x"]),
        ({"q": "%"}, ["Percent 100%_x"]),
        ({"province": "zuid-holland"}, ["Joost Bakker"]),
        ({"tag": "Wonen"}, ["Joost Bakker", "Maaïke de Vries"]),
        ({"tag": "wonen", "q": "zwolle"}, ["Maaïke de Vries"]),
        ({"tag": "wonen", "province": "noord-holland"}, []),
        ({"q": "niemand"}, []),
    ],
)
def test_search_on_name_email_organisation_province_and_tag(db, kwargs, names):
    seed_people(db)
    make_contact(db, name="Esmée Çelik", email="e.celik@example.nl", organisation="École Utrecht")
    result = directory.search_contacts(db, **kwargs)
    assert [c.name for c in result.items] == names
    assert result.total == len(names)


def test_search_finds_a_contact_by_its_new_name_after_a_change(db):
    contact = make_contact(db, name="Anne Mulder", organisation="Gemeente Zwolle")
    db.commit()
    contact.name = "Anne Çelik"
    contact.organisation = "Provincie Overijssel"
    db.commit()

    assert [c.id for c in directory.search_contacts(db, q="celik").items] == [contact.id]
    assert [c.id for c in directory.search_contacts(db, q="overijssel").items] == [contact.id]
    assert directory.search_contacts(db, q="mulder").total == 0
    assert directory.search_contacts(db, q="zwolle").total == 0


def test_pages_have_totals_and_a_page_past_the_end_gives_the_last(db):
    for n in range(7):
        make_contact(db, name=f"Persoon {n}", organisation="Gemeente Zwolle")
    make_contact(db, name="Ander", organisation="Provincie Utrecht")
    first = directory.search_contacts(db, page=1, per_page=3)
    assert (first.total, first.pages, first.has_previous, first.has_next) == (8, 3, False, True)
    last = directory.search_contacts(db, page=99, per_page=3)
    assert last.page == 3 and [c.name for c in last.items] == ["Persoon 5", "Persoon 6"]
    searched = directory.search_contacts(db, q="zwolle", page=99, per_page=3)
    assert (searched.page, searched.pages, searched.total) == (3, 3, 7)
    assert [c.name for c in searched.items] == ["Persoon 6"]
    second = directory.search_contacts(db, q="zwolle", page=2, per_page=3)
    assert [c.name for c in second.items] == ["Persoon 3", "Persoon 4", "Persoon 5"]


def test_list_tags_gives_the_tags_in_use(db):
    make_contact(db, tags=["wonen", "bestuur"])
    gone = make_contact(db, tags=["vervallen"])
    directory.delete_contact(db, gone)
    assert directory.list_tags(db) == ["bestuur", "wonen"]


# --- pages ----------------------------------------------------------------------------------


def test_contact_pages_need_a_login(client, app):
    for path in ("/contacts/", "/contacts/new", "/contacts/import", "/contacts/export.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_list_shows_contacts_with_labelled_search_and_filters(english, db):
    seed_people(db)
    html = english.get("/contacts/").get_data(as_text=True)
    assert html.count("<h1") == 1
    assert '<label for="q">Search</label>' in html and 'id="q"' in html and 'type="search"' in html
    assert '<label for="province">Province</label>' in html
    assert '<label for="tag">Tag</label>' in html
    assert '<option value="bestuur">bestuur</option>' in html
    assert "4 contacts in total" in html
    assert '<th scope="col">Email address</th>' in html
    assert emails_on(html) == [
        "anne@hva.nl",
        "j.bakker@pzh.nl",
        "m.devries@zwolle.nl",
        "p@example.nl",
    ]
    assert "Zuid-Holland" in html


def test_search_and_filters_through_the_page(english, db):
    seed_people(db)
    html = english.get("/contacts/?q=zwolle").get_data(as_text=True)
    assert emails_on(html) == ["m.devries@zwolle.nl"]
    assert "1 contact found" in html and 'value="zwolle"' in html
    html = english.get("/contacts/?province=zuid-holland").get_data(as_text=True)
    assert emails_on(html) == ["j.bakker@pzh.nl"]
    assert (
        '<option selected value="zuid-holland">' in html or 'value="zuid-holland" selected' in html
    )
    html = english.get("/contacts/?tag=wonen&q=").get_data(as_text=True)
    assert emails_on(html) == ["j.bakker@pzh.nl", "m.devries@zwolle.nl"]
    html = english.get("/contacts/?q=niemand").get_data(as_text=True)
    assert "0 contacts found" in html and "No contact matches this search" in html
    # An unknown province in a hand-made URL is ignored, not an error.
    assert english.get("/contacts/?province=atlantis").status_code == 200


def test_pagination_links_keep_the_search(english, app, db):
    change_settings(app, CONTACTS_PER_PAGE=2)
    for n in range(5):
        make_contact(db, name=f"Zwolle {n}", organisation="Gemeente Zwolle")
    make_contact(db, name="Elders", organisation="Gemeente Utrecht")
    html = english.get("/contacts/?q=zwolle").get_data(as_text=True)
    assert "Page 1 of 3" in html and "5 contacts found" in html
    assert 'href="/contacts/?page=2&amp;q=zwolle">Next page</a>' in html
    assert 'href="/contacts/?page=3&amp;q=zwolle">Last page</a>' in html
    assert "Previous page" not in html
    html = english.get("/contacts/?q=zwolle&page=3").get_data(as_text=True)
    assert "Page 3 of 3" in html and "Next page" not in html
    assert 'href="/contacts/?page=2&amp;q=zwolle">Previous page</a>' in html
    assert emails_on(html) and len(emails_on(html)) == 1


def test_list_speaks_dutch_dates_on_the_edit_page(organiser, db):
    person = make_contact(
        db,
        created_at=datetime(2025, 6, 3, 8, tzinfo=UTC),
        updated_at=datetime(2025, 6, 3, 8, tzinfo=UTC),
    )
    html = organiser.get(f"/contacts/{person.id}/edit").get_data(as_text=True)
    assert "dinsdag 3 juni 2025" in html


def contact_form(**fields) -> dict[str, str]:
    values = {
        "email": "Maaike.DeVries@Zwolle.nl",
        "name": "Maaïke de Vries",
        "organisation": "Gemeente Zwolle",
        "role": "Programmamanager",
        "province": "overijssel",
        "language": "nl",
        "consent": "given",
        "tags": "wonen, bestuur",
        "notes": "Sprak op 3 juni.",
    }
    return values | fields


def post_with_token(client, path: str, data: dict[str, str], form_path: str | None = None):
    token = csrf_token_from(client.get(form_path or path).get_data(as_text=True))
    return client.post(path, data=data | {"csrf_token": token})


def test_create_through_the_form(english, app):
    form_html = english.get("/contacts/new").get_data(as_text=True)
    for name in (
        "email",
        "name",
        "organisation",
        "role",
        "province",
        "language",
        "consent",
        "tags",
        "notes",
    ):
        assert f'<label for="{name}"' in form_html, name
    response = post_with_token(english, "/contacts/new", contact_form())
    assert response.status_code == 302
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "Contact Maaïke de Vries was added." in page
    with session_scope(app) as session:
        person = session.scalars(select(Contact)).one()
        assert person.email == "maaike.devries@zwolle.nl" and person.tag_names == [
            "bestuur",
            "wonen",
        ]
        assert person.consent is Consent.GIVEN
        assert person.consent_source == "organiser form by beheer@example.nl"
        assert session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "contacts")
        ).all() == ["contact.create"]


def test_form_errors_are_tied_to_fields_and_keep_the_input(english, db):
    response = post_with_token(
        english, "/contacts/new", contact_form(email="geen-adres", province="", name="Bewaard")
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "geen-adres is not a valid email address." in html
    assert 'id="email-error-1"' in html and 'aria-describedby="email-error-1"' in html
    assert 'value="Bewaard"' in html
    assert db.scalars(select(Contact)).all() == []


def test_a_duplicate_address_is_refused_on_the_form(english, db):
    make_contact(db, email="maaike.devries@zwolle.nl")
    response = post_with_token(english, "/contacts/new", contact_form())
    assert response.status_code == 422
    assert "A contact with the email address maaike.devries@zwolle.nl already exists." in (
        response.get_data(as_text=True)
    )
    assert len(db.scalars(select(Contact)).all()) == 1


def test_edit_through_the_form(english, app, db):
    person = make_contact(db, name="Oud", tags=["wonen"], consent=Consent.UNKNOWN)
    path = f"/contacts/{person.id}/edit"
    html = english.get(path).get_data(as_text=True)
    assert 'value="Oud"' in html and 'value="wonen"' in html
    response = post_with_token(
        english, path, contact_form(email=person.email, name="Nieuw", tags="")
    )
    assert response.status_code == 302
    assert "The changes to Nieuw were saved." in english.get("/contacts/").get_data(as_text=True)
    with session_scope(app) as session:
        stored = session.get(Contact, person.id)
        assert stored.name == "Nieuw" and stored.tag_names == [] and stored.consent is Consent.GIVEN
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "contact.update")
        ).one()
        assert "name" in entry.detail["fields"] and "consent" in entry.detail["fields"]


def test_editing_a_missing_contact_is_404(english):
    response = english.get("/contacts/999/edit")
    assert response.status_code == 404
    assert "This contact does not exist (any more)." in response.get_data(as_text=True)


def test_delete_asks_for_confirmation_then_deletes(english, app, db):
    person = make_contact(db, name="Weg Ermee")
    path = f"/contacts/{person.id}/delete"
    html = english.get(path).get_data(as_text=True)
    assert "Delete Weg Ermee?" in html and 'method="post"' in html
    assert english.get(f"/contacts/{person.id}/edit").get_data(as_text=True).count(path) == 1
    # Without the token nothing happens.
    assert english.post(path).status_code == 400
    with session_scope(app) as session:
        assert session.get(Contact, person.id) is not None
    response = post_with_token(english, path, {})
    assert response.status_code == 302
    assert "Contact Weg Ermee was deleted." in english.get("/contacts/").get_data(as_text=True)
    with session_scope(app) as session:
        assert session.get(Contact, person.id) is None
        assert session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("contact.%"))
        ).all() == ["contact.delete"]


def test_an_editor_may_not_delete_a_contact_on_the_web_as_in_the_api(app, client, db):
    """One rule for both: deleting a contact is for admins (service/contacts/deletion.py)."""
    from service.auth.users import create_user

    with session_scope(app) as session:
        create_user(session, "redacteur@example.nl", "nog-een-lang-wachtwoord", Role.ORGANISER)
    login(client, "redacteur@example.nl", "nog-een-lang-wachtwoord")
    db.scalars(select(User)).one().language = "en"
    db.commit()
    person = make_contact(db, name="Blijft Bestaan")
    path = f"/contacts/{person.id}/delete"

    assert path not in client.get(f"/contacts/{person.id}/edit").get_data(as_text=True)
    refused = client.get(path)
    assert refused.status_code == 403
    assert "Only an admin may delete contacts." in refused.get_data(as_text=True)
    token = csrf_token_from(client.get(f"/contacts/{person.id}/edit").get_data(as_text=True))
    assert client.post(path, data={"csrf_token": token}).status_code == 403
    # Not even whether a contact exists is told.
    assert client.get("/contacts/999999/delete").status_code == 403
    with session_scope(app) as session:
        assert session.get(Contact, person.id) is not None
        assert session.scalars(select(AuditEntry.action)).all() == ["login"]
    # The API refuses with the same words.
    api = api_client(app, Role.ORGANISER, language="en")
    answer = api.delete(f"/api/v1/contacts/{person.id}")
    assert answer.status_code == 403
    assert answer.get_json()["message"] in refused.get_data(as_text=True)


def test_the_form_puts_a_name_on_one_line_and_warns_about_an_smtputf8_address(english, app):
    response = post_with_token(
        english,
        "/contacts/new",
        contact_form(email="jöran.dijkstra@example.nl", name="Jöran\r\nDijkstra", province=""),
    )
    assert response.status_code == 302
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "Contact Jöran Dijkstra was added." in page
    assert "Emails to jöran.dijkstra@example.nl may not arrive" in page
    with session_scope(app) as session:
        assert session.scalars(select(Contact.name)).one() == "Jöran Dijkstra"


def test_the_form_refuses_a_select_sent_with_a_control_character(english, app):
    # No browser sends it, but a script can: a province is not free text, and still refused.
    response = post_with_token(english, "/contacts/new", contact_form(province="utrecht\x00"))
    assert response.status_code in (400, 422)
    assert "U+0000" in response.get_data(as_text=True)
    with session_scope(app) as session:
        assert session.scalars(select(Contact)).all() == []


# --- import and export pages ----------------------------------------------------------------


def upload(client, data: bytes, filename: str = "contacten.csv"):
    import io

    token = csrf_token_from(client.get("/contacts/import").get_data(as_text=True))
    return client.post(
        "/contacts/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_import_page_has_a_labelled_csv_file_input(english):
    html = english.get("/contacts/import").get_data(as_text=True)
    assert '<label for="file">CSV file</label>' in html
    assert re.search(r'<input[^>]*accept="\.csv"[^>]*id="file"', html) or re.search(
        r'<input[^>]*id="file"[^>]*accept="\.csv"', html
    )
    assert 'enctype="multipart/form-data"' in html


def test_import_page_reports_counts_and_rejected_lines(english, app):
    response = upload(english, (DATA / "bad-rows.csv").read_bytes(), "bad-rows.csv")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2 new contacts imported" in html
    assert "1 existing contact updated" in html
    assert "4 rows rejected" in html
    assert '<th scope="row">3</th>' in html and "This row has no email address." in html
    assert (
        '<th scope="row">7</th>' in html and "provincie: Atlantis is not a Dutch province" in html
    )
    with session_scope(app) as session:
        assert len(session.scalars(select(Contact)).all()) == 2
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "contacts.import")
        ).one()
        assert entry.detail["file"] == "bad-rows.csv" and entry.user_id is not None


def test_import_page_lists_rows_imported_with_a_warning(english):
    data = "e-mail;naam\r\njöran.dijkstra@example.nl;Jöran\r\n".encode()
    html = upload(english, data).get_data(as_text=True)
    assert "1 new contact imported" in html and "Imported, with a warning" in html
    assert '<th scope="row">2</th>' in html
    assert "only mail servers with SMTPUTF8 accept" in html


def test_import_page_refuses_an_unreadable_file_and_changes_nothing(english, app, db):
    make_contact(db, email="bestaand@example.nl")
    response = upload(english, (DATA / "no-email-column.csv").read_bytes())
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The file has no column with email addresses." in html
    assert 'id="file-error-1"' in html
    with session_scope(app) as session:
        assert session.scalars(select(Contact.email)).all() == ["bestaand@example.nl"]


def test_import_without_a_file_asks_for_one(english):
    token = csrf_token_from(english.get("/contacts/import").get_data(as_text=True))
    response = english.post("/contacts/import", data={"csrf_token": token})
    assert response.status_code == 422
    assert "Choose a CSV file to import." in response.get_data(as_text=True)


def test_an_upload_over_the_limit_gets_413_and_imports_nothing(english, app):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    data = b"e-mail\r\n" + b"".join(b"p%d@example.nl\r\n" % n for n in range(500))
    response = upload(english, data)
    assert response.status_code == 413
    assert "The upload is too large" in response.get_data(as_text=True)
    with session_scope(app) as session:
        assert session.scalars(select(Contact)).all() == []


def test_export_link_downloads_excel_csv(english, app, db):
    make_contact(db, name="=SOM(A1)", email="a@example.nl")
    html = english.get("/contacts/").get_data(as_text=True)
    assert 'href="/contacts/export.csv"' in html and "Export all contacts as CSV" in html
    response = english.get("/contacts/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbfe-mail;naam;")
    assert b"a@example.nl;'=SOM(A1);" in data
    with session_scope(app) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "contacts.export")
        ).one()
        assert entry.detail == {"contacts": 1}
