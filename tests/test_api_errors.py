"""Errors: JSON for the API, HTML pages for the organiser app, each with a fitting status."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service.models import Contact, Role
from tests.api_helpers import api_client


@pytest.fixture
def api(app):
    return api_client(app, Role.ORGANISER)


def _assert_error(response, code: int, status: str) -> dict:
    assert response.status_code == code
    assert response.is_json, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert body["code"] == code
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_organiser_pages_keep_html_errors_while_the_api_answers_json(organiser, app):
    page = organiser.get("/contacts/nonexistent-page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "<h1>" in html and "<!doctype html>" in html.lower()

    api = api_client(app, Role.ADMIN)
    _assert_error(api.get("/api/v1/contacts/999999"), 404, "Not Found")


def test_html_pages_outside_the_organiser_app_stay_html(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_unknown_api_path_is_json_404(client, api):
    _assert_error(client.get("/api/v1/nothing-here"), 404, "Not Found")
    _assert_error(api.get("/api/v1/contacts/not-a-number"), 404, "Not Found")


def test_wrong_method_is_json_405(api):
    _assert_error(api.open("DELETE", "/api/v1/meetings"), 405, "Method Not Allowed")


def test_malformed_json_is_400_and_stores_nothing(db, api):
    response = api.post(
        "/api/v1/contacts", data='{"email": "half@example.nl"', content_type="application/json"
    )
    body = _assert_error(response, 400, "Bad Request")
    assert "JSON" in body["message"]
    assert "errors" not in body
    assert db.scalar(select(func.count(Contact.id))) == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ('["a@example.nl"]', "application/json"),
        ('"a@example.nl"', "application/json"),
        ("null", "application/json"),
        ("email=a@example.nl", "application/x-www-form-urlencoded"),
        ('{"email": "a@example.nl"}', "text/plain"),
        (b'{"email": "caf\xe9@example.nl"}', "application/json"),
    ],
)
def test_body_that_is_not_a_json_object_is_400(api, data, content_type):
    response = api.post("/api/v1/contacts", data=data, content_type=content_type)
    _assert_error(response, 400, "Bad Request")


def test_empty_patch_body_is_400(db, api):
    response = api.patch("/api/v1/meetings/1", data="", content_type="application/json")
    _assert_error(response, 400, "Bad Request")


def test_422_lists_problems_per_field(api):
    response = api.post("/api/v1/contacts", json={"email": "geen-adres", "province": "Atlantis"})
    body = _assert_error(response, 422, "Unprocessable Entity")
    assert set(body["errors"]) == {"email", "province"}
    assert all(isinstance(problems, list) for problems in body["errors"].values())


def test_oversized_json_body_is_413(app, api):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = api.post("/api/v1/contacts", json={"email": "a@example.nl", "notes": "x" * 2000})
    _assert_error(response, 413, "Request Entity Too Large")


def test_api_messages_follow_the_token_owners_language(app):
    # The message comes from the English msgid for an organiser who chose English.
    english = api_client(app, Role.ORGANISER, language="en")
    body = english.get("/api/v1/contacts/424242").get_json()
    assert body["message"] == "There is no contact with id 424242."
    dutch = api_client(app, Role.ADMIN, language="nl")
    body = dutch.get("/api/v1/contacts/424242").get_json()
    assert body["message"] == "Er is geen contact met id 424242."


def test_401_on_the_api_is_json_but_the_organiser_app_still_redirects_to_login(client):
    _assert_error(client.get("/api/v1/meetings"), 401, "Unauthorized")
    page = client.get("/contacts/")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login")


def test_csrf_still_protects_the_organiser_forms(client, admin_user):
    response = client.post("/login", data={"email": "beheer@example.nl", "password": "x"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_wrong_method_names_the_allowed_ones_on_the_api_and_on_pages(api, organiser):
    response = api.open("DELETE", "/api/v1/meetings")
    _assert_error(response, 405, "Method Not Allowed")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}

    page = organiser.open("/healthz", method="DELETE")
    assert page.status_code == 405
    assert page.mimetype == "text/html"
    assert "GET" in page.headers["Allow"]


def _failing_api(app):
    """The app with one more API view that fails half-way, as a bug in a real view would."""
    from sqlalchemy import text

    from service.api.auth import allow
    from service.api.common import api_blueprint
    from service.database import get_session

    bp = api_blueprint("failing", "/failing", "A view that fails, for the tests.")

    @bp.route("", methods=["GET"])
    @allow(Role.VIEWER)  # every operation states its role (an unmarked one is admin-only)
    def failing():
        session = get_session()
        # Fails on the database, leaving PostgreSQL's transaction aborted, as a real bug would.
        session.execute(text("SELECT nothing FROM no_such_table"))
        return {}

    app.register_blueprint(bp)
    # As in production: the error is answered, not raised into the test.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.fresh_app  # it adds a failing view to its app
def test_an_unhandled_error_in_an_api_view_is_logged_and_answered_as_json_500(app, caplog):
    api = api_client(_failing_api(app), Role.ORGANISER, language="en")

    with caplog.at_level("ERROR"):
        response = api.get("/api/v1/failing")

    body = _assert_error(response, 500, "Internal Server Error")
    assert body["message"].startswith("Something went wrong on our side.")
    assert "no_such_table" in caplog.text  # the traceback is in the log, not in the answer
    assert "no_such_table" not in response.get_data(as_text=True)


def test_the_api_answers_json_500_when_the_database_cannot_be_reached(tmp_path):
    from service import create_app

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'no-such-folder' / 'opgavepost.db'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret-key",
        }
    )
    response = app.test_client().get(
        "/api/v1/contacts", headers={"Authorization": "Bearer opg_x", "Accept-Language": "en"}
    )
    _assert_error(response, 500, "Internal Server Error")
    app.extensions["db_engine"].dispose()
