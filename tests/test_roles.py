"""Every route and every API operation states its least role, and each role gets what it states.

The walks request every route of the URL map and every operation of the OpenAPI document as
anonymous, viewer, organiser and admin: below the role a visitor is sent to the login page (401
for the API) or refused with 403, at or above it the request is not refused. A route without a
mark fails the first test.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.routing import Rule

from service.auth.access import CHANGES_ROLE, READING_METHODS, REQUIRED_ROLE
from service.auth.roles import ORDER, may
from service.auth.users import create_user
from service.campaigns.templates import create_template
from service.database import session_scope
from service.models import HostProposal, Nomination, Reminder, Role, Suppression
from tests.api_helpers import api_client
from tests.builders import make_campaign, make_contact, make_meeting
from tests.conftest import csrf_token_from, login

PASSWORD = "een-lang-wachtwoord"
# The signed-in roles, from the fewest rights to the most; None is a visitor without a login.
ROLES: tuple[Role | None, ...] = (None, *ORDER)
# The route that ends the walker's session comes last.
LAST = {"auth.logout"}


def _marked_views(app: Flask):
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            yield rule, app.view_functions[rule.endpoint]


def test_every_route_states_its_least_role(app):
    unmarked = [rule.rule for rule, view in _marked_views(app) if not hasattr(view, REQUIRED_ROLE)]
    assert unmarked == []
    # And the API's operations are the same views: viewers read only.
    for rule, view in _marked_views(app):
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api-docs.openapi_json":
            role = getattr(view, REQUIRED_ROLE)
            assert role is not None, rule.rule
            if rule.methods - READING_METHODS:
                assert role != Role.VIEWER, rule.rule


@pytest.fixture
def seeded(app, db):
    """One row of everything a route can name, and an account of each role."""
    contact = make_contact(db)
    meeting = make_meeting(db)
    campaign = make_campaign(db)
    reminder = Reminder(meeting_id=meeting.id, days_before=3)
    suppression = Suppression(email="geblokkeerd@example.nl", kind="manual", reason="test")
    nomination = Nomination(
        nominator_name="Aan Drager",
        nominator_email="aan@example.nl",
        nominee_name="Voor Gedragen",
        nominee_email="voor@example.nl",
    )
    proposal = HostProposal(
        organisation="Gemeente Deventer", contact_name="Gast Heer", contact_email="g@example.nl"
    )
    db.add_all([reminder, suppression, nomination, proposal])
    template = create_template(db, name="Terugblik", blocks=campaign.blocks)
    accounts = {
        role: create_user(db, f"{role.value}@example.nl", PASSWORD, role, role.value)
        for role in ORDER
    }
    db.commit()
    return {
        "contact_id": contact.id,
        "meeting_id": meeting.id,
        "campaign_id": campaign.id,
        "template_id": template.id,
        "reminder_id": reminder.id,
        "suppression_id": suppression.id,
        "nomination_id": nomination.id,
        "proposal_id": proposal.id,
        "token": "geen-geldige-link",
        "filename": "onbekend.png",
        "name": "onbekend.eml",
        "address": "geblokkeerd@example.nl",
        # The team page's changes: on the organiser's account; no invitation is pending.
        "user_id": accounts[Role.ORGANISER].id,
        "invitation_id": 1,
        # No such token: its owner's page answers 404 to every role, the admins' page 403 below.
        "token_id": 999_999,
        # The version pages of a campaign written in Dutch: its English version.
        "language": "en",
    }


def _url(rule: Rule, ids: dict[str, object]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(ids[m.group(1)]), rule.rule)


def _needed(view, method: str) -> Role | None:
    if method in READING_METHODS:
        return getattr(view, REQUIRED_ROLE)
    return getattr(view, CHANGES_ROLE, getattr(view, REQUIRED_ROLE))


def _sent_to_login(response) -> bool:
    location = response.headers.get("Location", "")
    return (response.status_code == 302 and location.startswith("/login?next=")) or (
        response.status_code == 401
    )


def _walk(app: Flask, client, ids: dict[str, object], role: Role | None) -> list[str]:
    """Request every route with each of its methods as `role`; the wrong answers, in words."""
    wrong = []
    rules = sorted(_marked_views(app), key=lambda item: (item[0].endpoint in LAST, item[0].rule))
    for rule, view in rules:
        if rule.rule.startswith("/api/"):
            continue  # the API takes tokens, not the login: test_each_api_operation_...
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            needed = _needed(view, method)
            url = _url(rule, ids)
            response = client.open(url, method=method, data={})
            said = f"{role} {method} {url} ({rule.endpoint}, needs {needed}): {response.status}"
            if response.status_code >= 500:
                wrong.append(said)
            elif needed is None:
                # Not sent to the login page (a webhook may answer 401 to a caller it cannot trust).
                if response.headers.get("Location", "").startswith("/login?next="):
                    wrong.append(said)
            elif role is None:
                if not _sent_to_login(response):
                    wrong.append(said)
            elif may(role, needed):
                if response.status_code in (401, 403) or _sent_to_login(response):
                    wrong.append(said)
            elif response.status_code != 403:
                wrong.append(said)
    return wrong


@pytest.mark.parametrize("role", ROLES, ids=lambda role: getattr(role, "value", "anonymous"))
def test_each_role_gets_each_route_it_may_and_no_other(app, seeded, role):
    client = app.test_client()
    if role is not None:
        assert login(client, f"{role.value}@example.nl", PASSWORD).status_code == 302
    # A valid CSRF token on every request, so that each form's POST reaches its view.
    page = client.get("/" if role is not None else "/login").get_data(as_text=True)
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token_from(page)
    assert _walk(app, client, seeded, role) == []


def test_a_viewer_is_refused_a_change_with_a_clear_page(organiser, app, seeded):
    client = app.test_client()
    login(client, "viewer@example.nl", PASSWORD)
    page = client.get(f"/contacts/{seeded['contact_id']}/edit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    refused = client.post(
        f"/contacts/{seeded['contact_id']}/edit", data={"csrf_token": token, "name": "Anders"}
    )
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert "meekijker" in text and "organisator" in text
    assert "Er is niets gewijzigd" in text


def _operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_each_api_operation_states_its_role_in_the_document(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for method, path, operation in _operations(spec):
        role = operation.get("x-role")
        assert role in {"viewer", "organiser", "admin"}, (method, path)
        assert f"Role: {role} or higher" in operation.get("description", ""), (method, path)
        if method != "GET":
            assert role != "viewer", (method, path)


def test_each_api_operation_takes_each_role_it_states(app, seeded):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    clients = {role: api_client(app, role) for role in ORDER}
    anonymous = app.test_client()
    wrong = []
    # Deletions last, so that the rows they remove are there for the others.
    operations = sorted(_operations(spec), key=lambda op: (op[0] == "DELETE", op[1]))
    for method, path, operation in operations:
        needed = Role(operation["x-role"])
        url = re.sub(r"{([^}]+)}", lambda m: str(seeded[m.group(1)]), path)
        body = {} if method in {"POST", "PUT", "PATCH", "DELETE"} else None
        if anonymous.open(url, method=method, json=body).status_code != 401:
            wrong.append(f"anonymous {method} {url}")
        for role in ORDER:
            answer = clients[role].open(method, url, json=body)
            said = f"{role} {method} {url} (needs {needed}): {answer.status}"
            if answer.status_code >= 500:
                wrong.append(said)
            elif may(role, needed):
                if answer.status_code in (401, 403):
                    wrong.append(said)
            elif answer.status_code != 403:
                wrong.append(said)
    assert wrong == []


def test_a_viewer_token_is_refused_a_change_in_its_language(app, seeded):
    viewer = api_client(app, Role.VIEWER)
    refused = viewer.post("/api/v1/contacts", json={"email": "nieuw@example.nl"})
    assert refused.status_code == 403
    assert refused.get_json()["message"] == (
        "Dit token werkt voor een account met de rol meekijker, die dit niet mag: "
        "daarvoor is de rol organisator nodig."
    )
    assert viewer.get("/api/v1/contacts").status_code == 200


def test_a_token_stops_when_its_owner_is_deactivated(app, seeded):
    from service.auth.accounts import deactivate
    from service.models import User

    organiser = api_client(app, Role.ORGANISER)
    assert organiser.get("/api/v1/contacts").status_code == 200
    with session_scope(app) as session:
        owner = session.query(User).filter_by(email="organiser-nl@example.nl").one()
        admin = session.query(User).filter_by(email="admin@example.nl").one()
        deactivate(session, admin, owner)
    assert organiser.get("/api/v1/contacts").status_code == 401
