"""Bearer tokens for the API: who gets in, who is refused, and what an editor may do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from service.models import ApiToken, Contact, Role, User, utcnow
from tests.api_helpers import ApiClient, api_client, make_token
from tests.builders import make_contact
from tests.conftest import login


@pytest.fixture
def admin_api(app):
    return api_client(app, Role.ADMIN)


@pytest.fixture
def editor_api(app):
    return api_client(app, Role.ORGANISER)


def _assert_json_401(response, challenge: str) -> None:
    assert response.status_code == 401
    assert response.is_json
    body = response.get_json()
    assert body["code"] == 401
    assert body["status"] == "Unauthorized"
    assert "Bearer" in body["message"]
    assert response.headers["WWW-Authenticate"].startswith(challenge)


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4=", "Token abc", "Bearer a b"],
)
def test_missing_or_malformed_header_is_refused_with_a_bearer_challenge(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/contacts", headers=headers)
    _assert_json_401(response, 'Bearer realm="opgavepost"')
    assert "error=" not in response.headers["WWW-Authenticate"]


def test_unknown_token_is_refused(client):
    response = client.get("/api/v1/contacts", headers={"Authorization": "Bearer opg_made-up"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "ingetrokken" in response.get_json()["message"]  # Dutch first: no user, no choice


def test_a_refused_call_answers_in_the_language_its_client_asks_for(client):
    bad = {"Authorization": "Bearer opg_made-up"}
    english = client.get("/api/v1/contacts", headers=bad | {"Accept-Language": "en-GB,en;q=0.9"})
    dutch = client.get("/api/v1/contacts", headers=bad | {"Accept-Language": "nl-NL, en;q=0.5"})
    other = client.get("/api/v1/contacts", headers=bad | {"Accept-Language": "de-DE"})

    assert "revoked" in english.get_json()["message"]
    assert "ingetrokken" in dutch.get_json()["message"]
    assert "ingetrokken" in other.get_json()["message"]  # neither language asked for: Dutch


def test_revoked_token_is_refused(app, db, admin_api):
    token = db.scalar(select(ApiToken))
    token.revoked_at = utcnow()
    db.commit()
    response = admin_api.get("/api/v1/contacts")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_token_of_a_deactivated_organiser_is_refused(db, editor_api):
    user = db.scalar(select(User))
    user.active = False
    db.commit()
    assert editor_api.get("/api/v1/contacts").status_code == 401


def test_valid_token_opens_the_api_and_records_its_last_use(app, db, editor_api):
    assert db.scalar(select(ApiToken.last_used_at)) is None
    response = editor_api.get("/api/v1/contacts")
    assert response.status_code == 200
    db.expire_all()
    assert db.scalar(select(ApiToken.last_used_at)) is not None


def test_last_use_is_written_at_most_once_a_minute(db, editor_api):
    # Many calls a second with one token must not each write (and lock) the token's row; the
    # token page shows the last use to the minute.
    stored = db.scalar(select(ApiToken))
    recent = utcnow() - timedelta(seconds=20)
    stored.last_used_at = recent
    db.commit()
    assert editor_api.get("/api/v1/contacts").status_code == 200
    db.expire_all()
    assert db.scalar(select(ApiToken.last_used_at)) == recent

    earlier = utcnow() - timedelta(minutes=2)
    stored = db.scalar(select(ApiToken))
    stored.last_used_at = earlier
    db.commit()
    assert editor_api.get("/api/v1/contacts").status_code == 200
    db.expire_all()
    assert db.scalar(select(ApiToken.last_used_at)) > utcnow() - timedelta(minutes=1)


def test_scheme_name_is_case_insensitive(client, editor_api):
    response = client.get(
        "/api/v1/contacts", headers={"Authorization": f"bearer {editor_api.token}"}
    )
    assert response.status_code == 200


def test_the_organiser_login_cookie_does_not_open_the_api(organiser):
    # The organiser is logged in to the web app; without a token the API still says no.
    assert organiser.get("/").status_code == 200
    _assert_json_401(organiser.get("/api/v1/contacts"), "Bearer")
    response = organiser.post("/api/v1/contacts", json={"email": "koekje@example.nl"})
    _assert_json_401(response, "Bearer")


def test_api_writes_need_no_csrf_token_and_set_no_cookie(app, db, editor_api):
    response = editor_api.post("/api/v1/contacts", json={"email": "nieuw@example.nl"})
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
    assert db.scalar(select(Contact.email)) == "nieuw@example.nl"


def test_a_refused_call_sets_no_cookie_either(client):
    response = client.get("/api/v1/contacts")
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers


def test_editor_reads_and_changes_contacts_but_may_not_delete(db, editor_api):
    contact = make_contact(db, name="Fatima el Amrani")
    path = f"/api/v1/contacts/{contact.id}"
    assert editor_api.get(path).status_code == 200
    assert editor_api.patch(path, json={"role": "Programmamanager"}).status_code == 200

    response = editor_api.delete(path)
    assert response.status_code == 403
    assert response.get_json()["code"] == 403
    assert "beheerder" in response.get_json()["message"]
    db.expire_all()
    assert db.get(Contact, contact.id).role == "Programmamanager"


def test_admin_may_delete_a_contact(db, admin_api):
    contact_id = make_contact(db).id
    response = admin_api.delete(f"/api/v1/contacts/{contact_id}")
    assert response.status_code == 204
    assert response.data == b""
    db.expire_all()
    assert db.get(Contact, contact_id) is None


def test_token_from_the_cli_works_on_the_api(app, runner, client):
    result = runner.invoke(
        args=["users", "create", "cli@example.nl", "--role", "organiser", "--password", "x" * 12]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["tokens", "create", "cli@example.nl"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert ApiClient(client, token).get("/api/v1/contacts").status_code == 200


def test_the_web_app_login_still_works_next_to_the_api(client, admin_user):
    # The API's error handling must leave the organiser app's own flow alone.
    assert login(client).status_code == 302
    assert client.get("/").status_code == 200


def test_token_in_the_header_of_another_organiser_acts_as_that_organiser(app, db):
    token = make_token(app, "tweede@example.nl", Role.ORGANISER)
    response = ApiClient(app.test_client(), token).post(
        "/api/v1/contacts", json={"email": "van-tweede@example.nl", "consent": "given"}
    )
    assert response.status_code == 201
    assert response.get_json()["consent_source"] == "API (tweede@example.nl)"
