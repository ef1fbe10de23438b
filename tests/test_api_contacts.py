"""/api/v1/contacts: search, create, read, change and delete, with real tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.models import AuditEntry, Consent, Contact, Role
from tests.api_helpers import api_client
from tests.builders import count_rows, make_contact

CONTACT_FIELDS = {
    "id",
    "email",
    "name",
    "organisation",
    "role",
    "province",
    "language",
    "consent",
    "consent_at",
    "consent_source",
    "tags",
    "notes",
    "created_at",
    "updated_at",
    "warnings",
    "suppression",
}


@pytest.fixture
def api(app):
    return api_client(app, Role.ORGANISER)


# --- reading ------------------------------------------------------------------------------------


def test_read_contact_answers_every_field_in_snake_case(db, api):
    contact = make_contact(
        db,
        email="fatima.elamrani@zuid-holland.nl",
        name="Fatima el Amrani",
        organisation="Provincie Zuid-Holland",
        province="zuid-holland",
        tags=["kernteam", "gastheer"],
    )
    response = api.get(f"/api/v1/contacts/{contact.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == CONTACT_FIELDS
    assert body["email"] == "fatima.elamrani@zuid-holland.nl"
    assert body["province"] == "zuid-holland"
    assert body["consent"] == "given"
    assert body["tags"] == ["gastheer", "kernteam"]
    assert body["created_at"].endswith("+00:00")


def test_list_answers_items_and_pagination(db, api):
    for n in range(3):
        make_contact(db, name=f"Persoon {n}")
    body = api.get("/api/v1/contacts").get_json()
    assert [c["name"] for c in body["items"]] == ["Persoon 0", "Persoon 1", "Persoon 2"]
    assert body["pagination"] == {"page": 1, "per_page": 50, "total": 3, "pages": 1}


def test_list_searches_and_filters_on_province_and_tag(db, api):
    make_contact(db, name="Jan de Vries", organisation="Gemeente Zwolle", province="overijssel")
    make_contact(
        db, name="Sanne Bakker", organisation="Provincie Utrecht", province="utrecht", tags=["kern"]
    )
    make_contact(db, name="Pieter Jansen", organisation="Gemeente Utrecht", province="utrecht")

    def names(query: str) -> list[str]:
        response = api.get(f"/api/v1/contacts?{query}")
        assert response.status_code == 200, response.get_json()
        return [c["name"] for c in response.get_json()["items"]]

    assert names("q=zwolle") == ["Jan de Vries"]
    assert names("q=UTRECHT") == ["Pieter Jansen", "Sanne Bakker"]
    assert names("province=utrecht") == ["Pieter Jansen", "Sanne Bakker"]
    # A province as people write it works as well as its code.
    assert names("province=Overijssel") == ["Jan de Vries"]
    assert names("tag=Kern") == ["Sanne Bakker"]
    assert names("q=utrecht&province=utrecht&tag=kern") == ["Sanne Bakker"]


def test_list_pages_and_caps_per_page(db, api):
    for n in range(5):
        make_contact(db, name=f"Persoon {n}")
    body = api.get("/api/v1/contacts?page=2&per_page=2").get_json()
    assert [c["name"] for c in body["items"]] == ["Persoon 2", "Persoon 3"]
    assert body["pagination"] == {"page": 2, "per_page": 2, "total": 5, "pages": 3}

    capped = api.get("/api/v1/contacts?per_page=100000").get_json()
    assert capped["pagination"]["per_page"] == 200


@pytest.mark.parametrize("query", ["page=0", "per_page=0", "page=twee"])
def test_list_refuses_bad_query_parameters(api, query):
    response = api.get(f"/api/v1/contacts?{query}")
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422
    assert set(body["errors"]) == {query.split("=")[0]}


def test_list_with_unknown_province_is_422(api):
    response = api.get("/api/v1/contacts?province=Atlantis")
    assert response.status_code == 422
    assert "Atlantis" in response.get_json()["message"]
    assert "province" in response.get_json()["errors"]


def test_unknown_contact_is_json_404(api):
    response = api.get("/api/v1/contacts/999999")
    assert response.status_code == 404
    assert response.get_json() == {
        "code": 404,
        "status": "Not Found",
        "message": "Er is geen contact met id 999999.",
    }


# --- creating -----------------------------------------------------------------------------------


def test_create_contact_answers_201_with_location(db, api):
    response = api.post(
        "/api/v1/contacts",
        json={
            "email": "  Jan.deVries@Zwolle.NL ",
            "name": "Jan de Vries",
            "organisation": "Gemeente Zwolle",
            "role": "Strateeg",
            "province": "Overijssel",
            "language": "en",
            "consent": "given",
            "consent_source": "aanmelding bijeenkomst Zwolle",
            "tags": ["Kernteam", "kernteam", "gastheer"],
            "notes": "Host van 3 juni.",
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/contacts/{body['id']}"
    assert body["email"] == "jan.devries@zwolle.nl"
    assert body["province"] == "overijssel"
    assert body["tags"] == ["gastheer", "kernteam"]
    assert body["consent_source"] == "aanmelding bijeenkomst Zwolle"
    assert body["consent_at"] is not None

    assert api.get(response.headers["Location"]).get_json() == body
    stored = db.get(Contact, body["id"])
    assert stored.consent == Consent.GIVEN
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.object_id == body["id"])) == (
        "contact.create"
    )


def test_create_with_only_an_email_gets_the_defaults(api):
    body = api.post("/api/v1/contacts", json={"email": "kaal@example.nl"}).get_json()
    assert body["name"] == ""
    assert body["province"] is None
    assert body["language"] == "nl"
    assert body["consent"] == "unknown"
    assert body["consent_at"] is None
    assert body["tags"] == []


def test_duplicate_email_is_409_whatever_the_case(db, api):
    make_contact(db, email="sanne@utrecht.nl", name="Sanne")
    response = api.post("/api/v1/contacts", json={"email": "SANNE@Utrecht.nl", "name": "Ander"})
    assert response.status_code == 409
    body = response.get_json()
    assert body["status"] == "Conflict"
    assert "sanne@utrecht.nl" in body["message"]
    assert count_rows(db, Contact) == 1
    assert db.scalar(select(Contact.name)) == "Sanne"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "geen-adres"}, "email"),
        ({"email": "a@example.nl", "province": "Atlantis"}, "province"),
        ({"email": "a@example.nl", "language": "fr"}, "language"),
        ({"email": "a@example.nl", "consent": "misschien"}, "consent"),
        ({"email": "a@example.nl", "name": "x" * 201}, "name"),
        ({"email": "a@example.nl", "name": 12}, "name"),
        ({"email": "a@example.nl", "tags": "kern"}, "tags"),
        ({"email": "a@example.nl", "organization": "typo"}, "organization"),
        ({"email": "a@example.nl", "id": 5}, "id"),
        ({"name": "Zonder adres"}, "email"),
    ],
)
def test_invalid_contact_is_422_naming_the_field_and_stores_nothing(db, api, payload, field):
    response = api.post("/api/v1/contacts", json=payload)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422
    assert body["status"] == "Unprocessable Entity"
    assert body["message"]
    assert list(body["errors"]) == [field]
    assert all(isinstance(text, str) and text for text in body["errors"][field])
    assert count_rows(db, Contact) == 0


def test_province_error_names_the_value(api):
    response = api.post("/api/v1/contacts", json={"email": "a@example.nl", "province": "Atlantis"})
    assert "Atlantis" in response.get_json()["errors"]["province"][0]


# --- changing -----------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(db, api):
    contact = make_contact(db, name="Sanne Bakker", role="Adviseur", tags=["kern"])
    response = api.patch(f"/api/v1/contacts/{contact.id}", json={"role": "Programmamanager"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["role"] == "Programmamanager"
    assert body["name"] == "Sanne Bakker"
    assert body["tags"] == ["kern"]
    db.expire_all()
    assert db.get(Contact, contact.id).role == "Programmamanager"


def test_patch_withdrawing_consent_records_when_and_by_whom(db, api):
    contact = make_contact(db, consent=Consent.GIVEN)
    body = api.patch(f"/api/v1/contacts/{contact.id}", json={"consent": "withdrawn"}).get_json()
    assert body["consent"] == "withdrawn"
    assert body["consent_source"] == "API (organiser-nl@example.nl)"
    assert body["consent_at"] is not None


def test_put_replaces_the_whole_contact(db, api):
    contact = make_contact(db, name="Oud", notes="oude notitie", tags=["oud"])
    full = {
        "email": "nieuw@example.nl",
        "name": "Nieuw",
        "organisation": "Rijkswaterstaat",
        "role": "Adviseur",
        "province": "landelijk",
        "language": "nl",
        "consent": "given",
        "tags": [],
        "notes": "",
    }
    response = api.put(f"/api/v1/contacts/{contact.id}", json=full)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert {k: body[k] for k in full} == full


def test_put_without_every_field_is_422(db, api):
    contact = make_contact(db)
    response = api.put(f"/api/v1/contacts/{contact.id}", json={"email": "x@example.nl"})
    assert response.status_code == 422
    assert {"name", "organisation", "tags", "notes"} <= set(response.get_json()["errors"])


def test_changing_the_email_to_one_taken_is_409_and_keeps_both(db, api):
    first = make_contact(db, email="een@example.nl")
    second = make_contact(db, email="twee@example.nl")
    response = api.patch(f"/api/v1/contacts/{second.id}", json={"email": "EEN@example.nl"})
    assert response.status_code == 409
    db.expire_all()
    assert db.get(Contact, first.id).email == "een@example.nl"
    assert db.get(Contact, second.id).email == "twee@example.nl"


def test_invalid_patch_changes_nothing(db, api):
    contact = make_contact(db, name="Blijft", province="utrecht")
    response = api.patch(
        f"/api/v1/contacts/{contact.id}", json={"name": "Anders", "province": "Atlantis"}
    )
    assert response.status_code == 422
    db.expire_all()
    stored = db.get(Contact, contact.id)
    assert (stored.name, stored.province) == ("Blijft", "utrecht")


def test_changing_an_unknown_contact_is_404(api):
    assert api.patch("/api/v1/contacts/999999", json={"name": "x"}).status_code == 404
    assert api.delete("/api/v1/contacts/999999").status_code == 403  # editors may not delete


def test_admin_deleting_an_unknown_contact_is_404(app):
    admin = api_client(app, Role.ADMIN)
    response = admin.delete("/api/v1/contacts/999999")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_deletion_is_audited_with_the_address(app, db):
    admin = api_client(app, Role.ADMIN)
    contact = make_contact(db, email="weg@example.nl")
    assert admin.delete(f"/api/v1/contacts/{contact.id}").status_code == 204
    db.expire_all()
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "contact.delete"))
    assert entry.detail == {"email": "weg@example.nl"}
    assert entry.user.email == "admin-nl@example.nl"
