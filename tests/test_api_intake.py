"""The API's intake: every documented operation refuses a control character in any string it
reads (body, query, a file's name) with 422 and the field's name, and stores nothing; one-line
fields store a line break as one space; an address only SMTPUTF8 servers accept comes back with
a warning in the reader's language.

The walk reads the operations and their string fields from /api/v1/openapi.json, so a new
operation or field is walked without changing this file.
"""

from __future__ import annotations

import io
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import select

from service.models import Base, Campaign, CampaignTemplate, Contact, Meeting, Role, Suppression
from tests.api_helpers import api_client
from tests.builders import amsterdam, make_contact, make_meeting

HOSTILE = "Jan\x00Jansen\x0bde Vries"
BLOCKED = "klacht@example.nl"  # on the suppression list, for DELETE /suppressions/{address}
METHODS = ("get", "post", "put", "patch", "delete")

# A body each operation accepts; the walk puts the hostile text in one field at a time.
CONTACT = {
    "email": "walk@example.nl",
    "name": "Walk",
    "organisation": "",
    "role": "",
    "province": None,
    "language": "nl",
    "consent": "unknown",
    "tags": [],
    "notes": "",
}
MEETING = {
    "title": "Bijeenkomst",
    "theme": "",
    "host_organisation": "Gemeente Ede",
    "city": "Ede",
    "venue": "",
    "address": "",
    "starts_at": "2030-06-04T10:00",
    "ends_at": "2030-06-04T12:00",
    "description": "",
    "capacity": None,
    "status": "draft",
}
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/v1/contacts"): {"email": "walk@example.nl"},
    ("patch", "/api/v1/contacts/{contact_id}"): {},
    ("put", "/api/v1/contacts/{contact_id}"): CONTACT,
    ("post", "/api/v1/meetings"): {k: MEETING[k] for k in ("title", "host_organisation", "city")}
    | {"starts_at": MEETING["starts_at"], "ends_at": MEETING["ends_at"]},
    ("patch", "/api/v1/meetings/{meeting_id}"): {},
    ("put", "/api/v1/meetings/{meeting_id}"): MEETING,
    ("post", "/api/v1/meetings/{meeting_id}/reminders"): {"days_before": 3},
    ("post", "/api/v1/campaigns"): {},
    ("patch", "/api/v1/campaigns/{campaign_id}"): {},
    ("post", "/api/v1/campaigns/{campaign_id}/schedule"): {"scheduled_at": "2030-01-01T10:00"},
    ("post", "/api/v1/templates"): {"name": "Walk"},
    ("patch", "/api/v1/templates/{template_id}"): {},
    ("delete", "/api/v1/suppressions/{address}"): {"reason": "Typfout", "person_asked": True},
    # The actions take no fields; their (optional) body is walked all the same.
    **{
        ("post", f"/api/v1/campaigns/{{campaign_id}}/{action}"): {}
        for action in ("send", "unschedule", "pause", "resume", "cancel")
    },
}


@pytest.fixture
def api(app):
    return api_client(app, Role.ADMIN, language="en")


@pytest.fixture
def ids(db) -> dict[str, int]:
    person = make_contact(db, email="anna.bijl@example.nl")
    meeting = make_meeting(
        db,
        starts_at=amsterdam(date(2030, 6, 4), time(10, 0)),
        ends_at=amsterdam(date(2030, 6, 4), time(13, 0)),
    )
    campaign = Campaign(kind="announcement", subject="Nieuws", blocks=[], audience={"all": True})
    template = CampaignTemplate(name="Sjabloon", subject="Nieuws", blocks=[])
    db.add_all([campaign, template])
    db.add(Suppression(email=BLOCKED, kind="complaint", source="postmark"))
    db.commit()
    return {
        "contact_id": person.id,
        "meeting_id": meeting.id,
        "campaign_id": campaign.id,
        "template_id": template.id,
    }


def _operations(api) -> list[tuple[str, str, dict]]:
    spec = api.get("/api/v1/openapi.json").get_json()
    return [
        (method, path, {**operation, "_spec": spec})
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _schema(spec: dict, ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


def _hostile_value(prop: dict, spec: dict) -> Any:
    """The hostile text in the shape the field takes: a string, in a list, inside an object."""
    prop = _schema(spec, prop)
    if prop.get("type") == "array":
        return [_hostile_value(prop.get("items", {}), spec)]
    if prop.get("type") == "object" or "properties" in prop:
        return {"type": "text", "body": HOSTILE, "emails": [HOSTILE]}
    return HOSTILE


def _text_fields(schema: dict, spec: dict) -> list[str]:
    def holds_text(prop: dict) -> bool:
        prop = _schema(spec, prop)
        return prop.get("type") in ("string", "object") or (
            prop.get("type") == "array" and holds_text(prop.get("items", {}))
        )

    return [
        name
        for name, prop in schema.get("properties", {}).items()
        if not prop.get("readOnly") and holds_text(prop)
    ]


def _snapshot(app) -> dict[str, list[str]]:
    """Every row of every table (but the token's "last used"), to tell that nothing was stored."""
    with app.extensions["db_engine"].connect() as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            for table in Base.metadata.sorted_tables
            if table.name != "api_tokens"
        }


def _refused(response, field: str, where: str) -> None:
    assert response.status_code == 422, (where, response.get_json())
    body = response.get_json()
    assert set(body) >= {"code", "status", "message", "errors"}, where
    assert "U+0000, U+000B" in " ".join(body["errors"][field]), (where, body)


def test_every_operation_refuses_a_control_character_in_every_string(app, api, ids):
    walked = 0
    for method, path, operation in _operations(api):
        spec = operation["_spec"]
        concrete = path.format(**ids, reminder_id=1, address=BLOCKED)
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            assert (method, path) in BODIES, f"give {method.upper()} {path} a body in BODIES"
            schema = _schema(spec, content["application/json"]["schema"])
            for field in _text_fields(schema, spec):
                body = {
                    **BODIES[(method, path)],
                    field: _hostile_value(schema["properties"][field], spec),
                }
                before = _snapshot(app)
                response = api.open(method.upper(), concrete, json=body)
                _refused(response, field, f"{method.upper()} {path} {field}")
                assert _snapshot(app) == before, (method, path, field)
                walked += 1
        if "multipart/form-data" in content:
            upload = (io.BytesIO(b"email\nbert@example.nl\n"), f"{HOSTILE}.csv")
            before = _snapshot(app)
            response = api.post(concrete, data={"file": upload}, content_type="multipart/form-data")
            _refused(response, "file", f"{method.upper()} {path}")
            assert _snapshot(app) == before
            walked += 1
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query" or parameter["schema"].get("type") != "string":
                continue
            response = api.open(method.upper(), concrete, query_string={parameter["name"]: HOSTILE})
            _refused(response, parameter["name"], f"{method.upper()} {path}?{parameter['name']}")
            walked += 1
    assert walked > 40


def test_one_line_fields_store_a_line_break_as_one_space(api, ids, db):
    broken = "Jan\r\nJansen\tde\u2028Vries"
    created = api.post(
        "/api/v1/contacts",
        json={
            "email": "jan@example.nl",
            "name": broken,
            "role": " Adviseur\n",
            "notes": "Een\r\ntwee",
        },
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["name"] == "Jan Jansen de Vries"
    assert created.get_json()["role"] == "Adviseur"
    assert created.get_json()["notes"] == "Een\ntwee"  # several lines allowed, as LF
    patched = api.patch(f"/api/v1/contacts/{ids['contact_id']}", json={"organisation": broken})
    assert patched.get_json()["organisation"] == "Jan Jansen de Vries"

    meeting = api.patch(
        f"/api/v1/meetings/{ids['meeting_id']}",
        json={"title": "Terugblik\nZwolle", "description": "Eerst\r\nkoffie"},
    )
    assert meeting.status_code == 200, meeting.get_json()
    assert (meeting.get_json()["title"], meeting.get_json()["description"]) == (
        "Terugblik Zwolle",
        "Eerst\nkoffie",
    )
    campaign = api.patch(
        f"/api/v1/campaigns/{ids['campaign_id']}",
        json={
            "subject": "Nieuws\r\nvan juni",
            "sender_name": "Opgave\tbeweging",
            "blocks": [{"type": "header", "title": "De Opgavebeweging\nop bezoek"}],
        },
    )
    assert campaign.status_code == 200, campaign.get_json()
    body = campaign.get_json()
    assert (body["subject"], body["sender_name"]) == ("Nieuws van juni", "Opgave beweging")
    assert body["blocks"][0]["title"] == "De Opgavebeweging op bezoek"
    db.expire_all()
    assert db.scalar(select(Contact.name).where(Contact.email == "jan@example.nl")) == (
        "Jan Jansen de Vries"
    )
    assert db.get(Meeting, ids["meeting_id"]).title == "Terugblik Zwolle"


def test_an_address_for_smtputf8_servers_only_is_stored_with_a_warning(api, app):
    response = api.post("/api/v1/contacts", json={"email": "jöran.dijkstra@example.nl"})
    assert response.status_code == 201
    [warning] = response.get_json()["warnings"]
    assert "jöran.dijkstra@example.nl" in warning and "SMTPUTF8" in warning
    # An internationalised domain has a plain form every server takes: no warning.
    plain = api.post("/api/v1/contacts", json={"email": "anna@bücher.example"})
    assert plain.status_code == 201 and plain.get_json()["warnings"] == []
    # In the reader's language.
    dutch = api_client(app, Role.ORGANISER, language="nl")
    read = dutch.get(response.headers["Location"]).get_json()
    assert "SMTPUTF8" in read["warnings"][0] and "kunnen" in read["warnings"][0]


def test_the_import_report_lists_warnings_per_row(api):
    data = "e-mail;naam\r\nbert@example.nl;Bert\r\njöran.dijkstra@example.nl;Jöran\r\n".encode()
    response = api.post(
        "/api/v1/contacts/import",
        data={"file": (io.BytesIO(data), "leden.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    report = response.get_json()
    assert (report["imported"], report["rejected"]) == (2, [])
    [warning] = report["warnings"]
    assert (warning["line"], warning["email"]) == (3, "jöran.dijkstra@example.nl")
    assert "SMTPUTF8" in warning["message"]


def test_the_document_declares_the_warnings(api):
    schemas = api.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["Contact"]["properties"]["warnings"]["readOnly"] is True
    assert schemas["Contact"]["properties"]["warnings"]["items"] == {"type": "string"}
    assert "warnings" in schemas["ImportReport"]["properties"]
    assert set(schemas["RowWarning"]["properties"]) == {"line", "email", "message"}


def test_a_lone_surrogate_is_refused_not_a_500(api, app):
    # Valid JSON ("\ud800" escaped), but no UTF-8 can hold it: both databases failed on it.
    body = '{"email": "sur@example.nl", "name": "Jan \\ud800"}'
    before = _snapshot(app)
    response = api.post("/api/v1/contacts", data=body, content_type="application/json")
    _refused_with(response, "name", "U+D800")
    assert _snapshot(app) == before


def _refused_with(response, field: str, code: str) -> None:
    assert response.status_code == 422, response.get_json()
    assert code in " ".join(response.get_json()["errors"][field])
