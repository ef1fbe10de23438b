"""The OpenAPI document at /api/v1/openapi.json: valid, complete, and true to the routes."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.report_helpers import EXPECTED as REPORT  # the report's JSON, written out once
from tests.test_api_contacts import CONTACT_FIELDS  # the JSON contract, written out once

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_document_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "Opgavepost API"
    assert spec["info"]["version"] == "v1"
    validate(spec)  # raises with the offending path when the document breaks the OpenAPI schema


def test_document_needs_no_token_and_no_cdn(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    for path in ("/api/v1/swagger-ui", "/api/v1/redoc", "/api/v1/rapidoc"):
        assert client.get(path).status_code == 404


def test_bearer_security_is_declared_for_every_operation(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token made with 'opgavepost tokens create EMAIL'.",
    }
    assert spec["security"] == [{"bearerAuth": []}]


def test_contacts_meetings_and_import_are_documented(spec):
    paths = spec["paths"]
    assert set(paths["/api/v1/contacts"]) >= {"get", "post"}
    assert set(paths["/api/v1/contacts/{contact_id}"]) >= {"get", "patch", "put", "delete"}
    assert (
        "multipart/form-data" in paths["/api/v1/contacts/import"]["post"]["requestBody"]["content"]
    )
    assert set(paths["/api/v1/meetings"]) >= {"get", "post"}
    assert set(paths["/api/v1/meetings/{meeting_id}"]) >= {"get", "patch", "put"}

    query = {p["name"] for p in paths["/api/v1/contacts"]["get"]["parameters"]}
    assert query == {"q", "province", "tag", "page", "per_page"}
    meeting_query = {p["name"] for p in paths["/api/v1/meetings"]["get"]["parameters"]}
    assert meeting_query == {"upcoming", "status"}


def test_documented_field_names_are_the_contract(spec):
    schemas = spec["components"]["schemas"]
    assert set(schemas["Contact"]["properties"]) == CONTACT_FIELDS
    assert {"starts_at", "ends_at", "starts_at_local", "ends_at_local"} <= set(
        schemas["Meeting"]["properties"]
    )
    assert set(schemas["ImportReport"]["properties"]) >= {"imported", "updated", "rejected"}
    assert set(schemas["RejectedRow"]["properties"]) >= {"line", "reason"}
    assert set(schemas["Error"]["properties"]) >= {"code", "status", "message", "errors"}


def test_every_documented_operation_is_served_and_every_api_route_is_documented(app, spec):
    adapter = app.url_map.bind("localhost")
    documented = set()
    for path, item in spec["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in set(item) & METHODS:
            documented.add((path, method))
            try:
                adapter.match(concrete, method=method.upper())
            except (NotFound, MethodNotAllowed) as exc:
                pytest.fail(f"{method.upper()} {path} is documented but not served: {exc}")

    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs."):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        served |= {(path, m.lower()) for m in rule.methods & {m.upper() for m in METHODS}}
    assert served == documented


def test_every_operation_documents_its_responses(spec):
    for path, item in spec["paths"].items():
        for method in set(item) & METHODS:
            responses = item[method]["responses"]
            assert any(code.startswith("2") for code in responses), (method, path)
            assert "default" in responses, (method, path)
            assert item[method]["summary"], (method, path)


def test_campaign_report_and_list_figures_are_documented(spec):
    operation = spec["paths"]["/api/v1/campaigns/{campaign_id}/report"]["get"]
    assert operation["summary"] and "404" in operation["responses"]
    schemas = spec["components"]["schemas"]
    assert set(schemas["CampaignReport"]["properties"]) == set(REPORT)
    assert set(schemas["Answers"]["properties"]) == set(REPORT["answers"])
    assert set(schemas["Bounced"]["properties"]) >= {"hard", "soft"}
    assert set(schemas["Unsubscribed"]["properties"]) == {"total", "by_mailing"}
    assert schemas["CampaignListItem"]["properties"]["figures"]["$ref"].endswith("/ListFigures")
    assert set(schemas["ListFigures"]["properties"]) == {
        "recipients",
        "delivered",
        "failed",
        "unsubscribed",
        "yes",
    }
