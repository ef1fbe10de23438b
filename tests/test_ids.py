"""Ids from outside: a number no row can have is "not found" on every route, never a 500.

Ids live in integer columns, which PostgreSQL keeps to 2^31 - 1 (SQLite to 2^63 - 1); a query
with a larger number fails as a whole there. The app's `int` URL converter keeps such numbers
from matching any route, so pages, public links and the API all answer 404.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import Rule

from service.ids import MAX_ID, parse_id, whole_number
from service.models import Role
from tests.api_helpers import make_token

# Just past PostgreSQL's integer, past SQLite's, far past both, another script's digits.
UNUSABLE_IDS = ["2147483648", "9223372036854775808", "1" * 40, "٣", "0"]
_INT_ARGUMENT = re.compile(r"<int:([^>]+)>")


def _id_rules(app) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule]


def _path(rule: Rule, value: str) -> str:
    return _INT_ARGUMENT.sub(value, rule.rule)


def test_every_route_with_an_id_answers_404_for_an_id_no_row_can_have(app, organiser):
    token = make_token(app, "ids@example.nl", Role.ADMIN)
    rules = _id_rules(app)
    assert len(rules) > 40  # pages, public links and the API alike
    problems = []
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for value in UNUSABLE_IDS:
                response = organiser.open(
                    _path(rule, value),
                    method=method,
                    headers={"Authorization": f"Bearer {token}"},
                    json={} if method in {"POST", "PUT", "PATCH"} else None,
                )
                if response.status_code != 404:
                    problems.append(f"{method} {_path(rule, value)}: {response.status_code}")
    assert problems == [], "\n".join(problems)


def test_an_api_path_with_an_unusable_id_is_a_json_404(app):
    token = make_token(app, "ids@example.nl", Role.ADMIN)
    response = app.test_client().get(
        "/api/v1/contacts/2147483648", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_the_largest_id_still_reaches_the_view(app, organiser):
    # The bound is the column's, not lower: the view looks and finds nothing.
    token = make_token(app, "ids@example.nl", Role.ADMIN)
    response = organiser.get(
        f"/api/v1/meetings/{MAX_ID}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404
    assert str(MAX_ID) in response.get_json()["message"]


def test_the_openapi_document_gives_every_path_id_its_range(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    path_parameters = [
        (path, parameter)
        for path, item in spec["paths"].items()
        for parameter in item.get("parameters", [])
        if parameter["in"] == "path"
    ]
    ids = [(path, p) for path, p in path_parameters if p["name"].endswith("_id")]
    assert len(ids) >= 7
    for path, parameter in ids:
        assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_ID}, path
    # The one path parameter that is no id: the address of DELETE /api/v1/suppressions/<address>.
    others = [
        (path, p["name"], p["schema"]["type"])
        for path, p in path_parameters
        if not p["name"].endswith("_id")
    ]
    assert others == [("/api/v1/suppressions/{address}", "address", "string")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7),
        ("7", 7),
        (" 12 ", 12),
        (MAX_ID, MAX_ID),
        (MAX_ID + 1, None),
        (0, None),
        (-3, None),
        ("²", None),
        ("٣", None),
        ("1.0", None),
        (1.0, None),
        (True, None),
        (None, None),
        ("9" * 5000, None),
    ],
)
def test_parse_id_takes_ascii_digits_within_the_column_range(value, expected):
    assert parse_id(value) == expected


def test_whole_number_refuses_signs_and_decimals():
    assert whole_number("600") == 600
    assert whole_number("+600") is None
    assert whole_number("6e2") is None
    assert whole_number("") is None
