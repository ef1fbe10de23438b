"""/api/v1/suppressions: the list searched and paged, an address lifted by an admin with a
reason (audited), the rule for complaints, and errors; a contact says whether it is blocked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from service.models import AuditEntry, Role, Suppression
from tests.api_helpers import api_client
from tests.builders import count_rows, make_campaign, make_contact

ENTRY_FIELDS = {"email", "kind", "reason", "source", "campaign_id", "created_at"}


@pytest.fixture
def editor(app):
    return api_client(app, Role.ORGANISER, language="en")


@pytest.fixture
def admin(app):
    return api_client(app, Role.ADMIN, language="en")


def block(db, email: str, kind: str = "hard_bounce", **fields) -> Suppression:
    values = {"reason": "550 5.1.1 user unknown", "source": "smtp"} | fields
    entry = Suppression(email=email, kind=kind, **values)
    db.add(entry)
    db.commit()
    return entry


def listed(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["email"] for item in response.get_json()["items"]]


# --- the list ----------------------------------------------------------------------------------


def test_the_list_answers_every_field_newest_first(db, editor):
    campaign = make_campaign(db)
    block(
        db,
        "oud@example.nl",
        campaign_id=campaign.id,
        created_at=datetime(2025, 6, 3, 8, tzinfo=UTC),
    )
    block(db, "nieuw@example.nl", kind="complaint", source="postmark", reason="SpamComplaint")
    response = editor.get("/api/v1/suppressions")
    assert listed(response) == ["nieuw@example.nl", "oud@example.nl"]
    body = response.get_json()
    assert body["pagination"] == {"page": 1, "per_page": 50, "total": 2, "pages": 1}
    old = body["items"][1]
    assert set(old) == ENTRY_FIELDS
    assert old == {
        "email": "oud@example.nl",
        "kind": "hard_bounce",
        "reason": "550 5.1.1 user unknown",
        "source": "smtp",
        "campaign_id": campaign.id,
        "created_at": "2025-06-03T08:00:00+00:00",
    }
    assert body["items"][0]["campaign_id"] is None


def test_search_and_pages(db, editor):
    for n in range(5):
        block(db, f"p{n}@zwolle.nl", created_at=datetime(2025, 6, 1 + n, tzinfo=UTC))
    block(db, "elders@ede.nl", created_at=datetime(2025, 5, 1, tzinfo=UTC))
    assert listed(editor.get("/api/v1/suppressions?q=ZWOLLE&per_page=2")) == [
        "p4@zwolle.nl",
        "p3@zwolle.nl",
    ]
    last = editor.get("/api/v1/suppressions?q=zwolle&per_page=2&page=3")
    assert listed(last) == ["p0@zwolle.nl"]
    assert last.get_json()["pagination"] == {"page": 3, "per_page": 2, "total": 5, "pages": 3}
    past = editor.get("/api/v1/suppressions?q=zwolle&per_page=2&page=9223372036854775808")
    assert past.get_json()["pagination"]["page"] == 3
    assert listed(editor.get("/api/v1/suppressions?q=niemand")) == []
    assert (
        editor.get("/api/v1/suppressions?per_page=1000").get_json()["pagination"]["per_page"] == 200
    )


def test_the_list_needs_a_token_and_refuses_a_control_character(client, editor):
    assert client.get("/api/v1/suppressions").status_code == 401
    refused = editor.get("/api/v1/suppressions", query_string={"q": "a\x00b"})
    assert refused.status_code == 422 and "U+0000" in refused.get_json()["errors"]["q"][0]
    assert editor.get("/api/v1/suppressions?page=0").status_code == 422


# --- lifting -----------------------------------------------------------------------------------


def test_an_admin_lifts_an_address_with_a_reason_which_is_audited(db, admin):
    entry = block(db, "weigert@example.nl", created_at=datetime(2025, 6, 3, 8, tzinfo=UTC))
    entry_id = entry.id
    block(db, "blijft@example.nl")
    response = admin.delete(
        "/api/v1/suppressions/Weigert@Example.NL", json={"reason": " Typfout\nverbeterd "}
    )
    assert response.status_code == 204, response.get_json()
    assert response.get_data() == b""
    db.expire_all()
    assert db.scalars(select(Suppression.email)).all() == ["blijft@example.nl"]
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "suppression.lift")).one()
    assert audit.object_type == "suppressions" and audit.object_id == entry_id
    assert audit.user.email == "admin-en@example.nl"
    assert audit.detail["email"] == "weigert@example.nl"
    assert audit.detail["lift_reason"] == "Typfout verbeterd"
    assert audit.detail["reason"] == "550 5.1.1 user unknown"
    assert (
        admin.delete(
            "/api/v1/suppressions/weigert@example.nl", json={"reason": "Nog eens"}
        ).status_code
        == 404
    )


def test_a_complaint_needs_person_asked_true(db, admin):
    block(db, "klaagt@example.nl", kind="complaint", source="mailgun")
    path = "/api/v1/suppressions/klaagt@example.nl"
    refused = admin.delete(path, json={"reason": "Zij belde ons"})
    assert refused.status_code == 422
    assert list(refused.get_json()["errors"]) == ["person_asked"]
    assert (
        "klaagt@example.nl is blocked because its owner complained"
        in (refused.get_json()["errors"]["person_asked"][0])
    )
    # Only a JSON true confirms it.
    for value in ("true", 1, "ja"):
        wrong = admin.delete(path, json={"reason": "Zij belde ons", "person_asked": value})
        assert wrong.status_code == 422
        assert wrong.get_json()["errors"]["person_asked"] == [
            "Give true or false (without quotes)."
        ]
    unconfirmed = admin.delete(path, json={"reason": "Zij belde ons", "person_asked": False})
    assert unconfirmed.status_code == 422
    assert count_rows(db, Suppression) == 1
    lifted = admin.delete(path, json={"reason": "Zij belde ons", "person_asked": True})
    assert lifted.status_code == 204
    assert count_rows(db, Suppression) == 0
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "suppression.lift")).one()
    assert audit.detail["person_asked"] is True and audit.detail["kind"] == "complaint"


def test_lifting_needs_a_reason_in_a_json_body(db, admin):
    block(db, "weigert@example.nl")
    path = "/api/v1/suppressions/weigert@example.nl"
    missing = admin.delete(path, json={})
    assert missing.status_code == 422 and list(missing.get_json()["errors"]) == ["reason"]
    empty = admin.delete(path, json={"reason": "  "})
    assert empty.status_code == 422
    assert empty.get_json()["errors"] == {
        "reason": ["Give a reason: why may mail go to this address again?"]
    }
    too_long = admin.delete(path, json={"reason": "x" * 501})
    assert too_long.get_json()["errors"]["reason"] == ["This is too long: at most 500 characters."]
    assert admin.delete(path).status_code == 400  # no body at all
    assert admin.delete(path, data="reden", content_type="text/plain").status_code == 400
    unknown = admin.delete(path, json={"reason": "Typfout", "force": True})
    assert unknown.status_code == 422 and list(unknown.get_json()["errors"]) == ["force"]
    assert count_rows(db, Suppression) == 1
    assert count_rows(db, AuditEntry) == 0


def test_an_editor_may_not_lift_and_learns_nothing(db, editor):
    block(db, "weigert@example.nl")
    for address in ("weigert@example.nl", "onbekend@example.nl"):
        refused = editor.delete(f"/api/v1/suppressions/{address}", json={"reason": "Ik wil"})
        assert refused.status_code == 403
        assert refused.get_json()["message"] == (
            "Only an admin may lift a blocked address. Ask an admin to do it."
        )
    assert count_rows(db, Suppression) == 1


def test_an_unknown_address_is_404_in_the_readers_language(app, db):
    dutch = api_client(app, Role.ADMIN, language="nl")
    response = dutch.delete("/api/v1/suppressions/onbekend@example.nl", json={"reason": "Weg"})
    assert response.status_code == 404
    assert response.get_json()["message"] == (
        "onbekend@example.nl staat niet op de lijst met geblokkeerde adressen."
    )
    # An address with a control character is on no list (and no 500 on PostgreSQL).
    odd = dutch.delete("/api/v1/suppressions/a%00b@example.nl", json={"reason": "Weg"})
    assert odd.status_code == 404


# --- contacts ----------------------------------------------------------------------------------


def test_a_contact_says_whether_and_why_it_is_blocked(db, editor):
    campaign = make_campaign(db)
    blocked = make_contact(db, email="weigert@example.nl", name="Anna")
    free = make_contact(db, email="vrij@example.nl", name="Bert")
    block(
        db,
        "weigert@example.nl",
        kind="soft_bounce_limit",
        source="listener",
        reason="452 4.2.2 mailbox full",
        campaign_id=campaign.id,
        created_at=datetime(2025, 6, 3, 8, tzinfo=UTC),
    )
    body = editor.get(f"/api/v1/contacts/{blocked.id}").get_json()
    assert body["suppression"] == {
        "kind": "soft_bounce_limit",
        "reason": "452 4.2.2 mailbox full",
        "source": "listener",
        "campaign_id": campaign.id,
        "created_at": "2025-06-03T08:00:00+00:00",
    }
    assert editor.get(f"/api/v1/contacts/{free.id}").get_json()["suppression"] is None
    page = editor.get("/api/v1/contacts").get_json()["items"]
    assert {item["email"]: item["suppression"] is not None for item in page} == {
        "weigert@example.nl": True,
        "vrij@example.nl": False,
    }
    # Read-only: a client cannot send it.
    refused = editor.patch(f"/api/v1/contacts/{free.id}", json={"suppression": None})
    assert refused.status_code == 422 and list(refused.get_json()["errors"]) == ["suppression"]


def test_the_document_describes_the_list_the_lift_and_the_contact_field(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    query = {p["name"] for p in paths["/api/v1/suppressions"]["get"]["parameters"]}
    assert query == {"q", "page", "per_page"}
    lift = paths["/api/v1/suppressions/{address}"]["delete"]
    assert {"204", "403", "404", "422"} <= set(lift["responses"])
    body = lift["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[1]
    lift_schema = spec["components"]["schemas"][name]
    assert set(lift_schema["properties"]) == {"reason", "person_asked"}
    assert lift_schema["required"] == ["reason"]
    assert "complaint" in lift_schema["properties"]["person_asked"]["description"]
    contact = spec["components"]["schemas"]["Contact"]["properties"]["suppression"]
    assert contact["readOnly"] is True
