"""POST /api/v1/contacts/import: a CSV file in, the import report out as JSON."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from service.models import Contact, Role
from service.settings import change_settings
from tests.api_helpers import ApiClient, api_client
from tests.builders import make_contact


@pytest.fixture
def api(app):
    return api_client(app, Role.ORGANISER)


def upload(api, data: bytes, filename: str = "contacten.csv", field: str = "file"):
    """Send the file as a browser or curl -F would: multipart/form-data in the field `file`."""
    # Encoded here in memory: werkzeug's test client spools a large body to a temporary file
    # that stays open when the app refuses it unread (413), which pytest reports as a leak.
    boundary, body = encode_multipart({field: FileStorage(io.BytesIO(data), filename)})
    return api.post(
        "/api/v1/contacts/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _emails(db) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(Contact.email).order_by(Contact.email)))


DUTCH_EXCEL = (
    "Naam;E-mail;Organisatie;Provincie;Functie\r\n"
    "Fatima el Amrani;Fatima.elAmrani@zuid-holland.nl;Provincie Zuid-Holland;Zuid-Holland;"
    "Programmamanager\r\n"
    'Jan de Vries;jan@zwolle.nl;"Gemeente Zwolle\r\nafdeling Wonen";Overijssel;Strateeg\r\n'
    "Onbekende;geen-adres;Gemeente X;Utrecht;\r\n"
    "Atlantiër;a@atlantis.nl;Atlantis;Atlantis;\r\n"
    "Sanne Bakker;sanne@utrecht.nl;Provincie Utrecht;Utrecht;Adviseur\r\n"
).encode("cp1252")


def test_import_answers_the_report_and_stores_the_good_rows(db, api):
    make_contact(db, email="sanne@utrecht.nl", name="Sanne Bakker", role="")
    response = upload(api, DUTCH_EXCEL)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["imported"] == 2
    assert report["updated"] == 1
    assert report["source"] == "contacten.csv"
    # Line numbers are those of the file: the quoted newline makes Jan's row two lines long.
    assert [row["line"] for row in report["rejected"]] == [5, 6]
    assert "geen-adres" in report["rejected"][0]["reason"]
    assert "Atlantis" in report["rejected"][1]["reason"]
    assert all(set(row) == {"line", "email", "reason"} for row in report["rejected"])

    assert _emails(db) == [
        "fatima.elamrani@zuid-holland.nl",
        "jan@zwolle.nl",
        "sanne@utrecht.nl",
    ]
    fatima = db.scalar(select(Contact).where(Contact.email.startswith("fatima")))
    assert fatima.province == "zuid-holland"
    sanne = db.scalar(select(Contact).where(Contact.email == "sanne@utrecht.nl"))
    assert sanne.role == "Adviseur"


def test_imported_contacts_are_found_through_the_api(api):
    upload(api, DUTCH_EXCEL)
    body = api.get("/api/v1/contacts?province=overijssel").get_json()
    assert [c["email"] for c in body["items"]] == ["jan@zwolle.nl"]
    organisation = body["items"][0]["organisation"]
    assert organisation.startswith("Gemeente Zwolle") and organisation.endswith("afdeling Wonen")


@pytest.mark.parametrize(
    ("data", "filename", "says"),
    [
        (b"", "leeg.csv", "leeg"),
        (b"PK\x03\x04\x14\x00\x06\x00binary", "contacten.xlsx", "Excel"),
    ],
)
def test_unreadable_file_is_refused_with_422_and_changes_nothing(db, api, data, filename, says):
    make_contact(db, email="blijft@example.nl")
    response = upload(api, data, filename)
    assert response.status_code == 422
    body = response.get_json()
    assert says in body["message"]
    assert body["errors"] == {"file": [body["message"]]}
    assert _emails(db) == ["blijft@example.nl"]


def test_missing_file_field_is_422(api):
    response = upload(api, b"email\r\nx@example.nl\r\n", field="bestand")
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]


def test_oversized_upload_is_413_and_changes_nothing(app, db, api):
    change_settings(app, MAX_UPLOAD_MB=1)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    rows = "".join(f"Persoon {n};p{n}@example.nl\r\n" for n in range(60_000))
    data = ("naam;email\r\n" + rows).encode()
    assert len(data) > 1024 * 1024
    response = upload(api, data)
    assert response.status_code == 413
    body = response.get_json()
    assert body["code"] == 413
    assert "1 MB" in body["message"]
    assert db.scalar(select(func.count(Contact.id))) == 0


def test_import_needs_a_token(app, db):
    response = upload(ApiClient(app.test_client(), "opg_wrong"), DUTCH_EXCEL)
    assert response.status_code == 401
    assert _emails(db) == []


def test_editors_may_import(app):
    editor = api_client(app, Role.ORGANISER, language="en")
    assert upload(editor, b"email\r\nnieuw@example.nl\r\n").get_json()["imported"] == 1
