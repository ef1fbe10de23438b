"""Login, logout, access control and CSRF for the organiser app."""

import re

import pytest

from tests.conftest import ADMIN_EMAIL, csrf_token_from, login


def test_organiser_pages_need_login(client):
    for path in ("/", "/contacts/", "/meetings/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_login_with_right_password_opens_dashboard(client, admin_user):
    response = login(client)
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert ADMIN_EMAIL in page.get_data(as_text=True)


def test_wrong_password_is_refused_in_dutch(client, admin_user):
    response = login(client, password="fout-wachtwoord")
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(client, admin_user):
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": "x"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_next_parameter_cannot_leave_the_site(client, admin_user):
    page = client.get("/login?next=//evil.example/")
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(
        "/login?next=//evil.example/",
        data={"email": ADMIN_EMAIL, "password": "een-lang-wachtwoord", "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(organiser):
    token = csrf_token_from(organiser.get("/").get_data(as_text=True))
    organiser.post("/logout", data={"csrf_token": token})
    assert organiser.get("/").status_code == 302


def test_login_attempts_are_rate_limited(client, admin_user, app):
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for _ in range(limit):
        assert login(client, password="fout-wachtwoord").status_code == 200
    blocked = login(client)  # even the right password waits until the minute is over
    assert blocked.status_code == 429
    assert client.get("/").status_code == 302


def test_login_attempts_at_one_account_are_limited_from_any_address(client, admin_user, app):
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for number in range(limit):
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{number + 1}"
        assert login(client, password="fout-wachtwoord").status_code == 200
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert login(client).status_code == 429  # a new address, the same account
    assert login(client, "iemand-anders@example.nl", "x" * 12).status_code == 200


def test_a_deactivated_account_hears_what_a_wrong_password_hears(client, admin_user, app, db):
    from service.auth.accounts import deactivate
    from service.auth.users import create_user
    from service.models import Role

    colleague = create_user(db, "collega@example.nl", "een-lang-wachtwoord", Role.ORGANISER)
    db.commit()
    wrong = login(client, "collega@example.nl", "fout-wachtwoord-1").get_data(as_text=True)
    deactivate(db, None, colleague)
    db.commit()
    ended = login(client, "collega@example.nl", "een-lang-wachtwoord").get_data(as_text=True)

    def notices(html: str) -> list[str]:
        return re.findall(r'class="notice[^"]*"[^>]*>(.*?)</', html, re.S)

    assert notices(wrong) == notices(ended) != []
    assert notices(ended) == ["Het e-mailadres of het wachtwoord klopt niet."]
    assert client.get("/").status_code == 302


@pytest.mark.fresh_app  # it adds an admin-only page to its app
def test_editor_cannot_open_admin_only_views(app, client):
    from service.auth.access import allow
    from service.auth.users import create_user
    from service.database import session_scope
    from service.models import Role

    @app.get("/only-admins")
    @allow(Role.ADMIN)
    def only_admins():
        return "secret"

    with session_scope(app) as session:
        create_user(session, "redacteur@example.nl", "nog-een-lang-wachtwoord", Role.ORGANISER)
    login(client, "redacteur@example.nl", "nog-een-lang-wachtwoord")
    assert client.get("/only-admins").status_code == 403


def test_an_expired_session_asks_to_log_in_again_and_changes_nothing(app, organiser, db):
    import time as clock
    from datetime import timedelta

    from tests.builders import make_contact

    contact = make_contact(db, name="Blijft Zoals Hij Was")
    edit_page = organiser.get(f"/contacts/{contact.id}/edit").get_data(as_text=True)
    token = csrf_token_from(edit_page)
    # The signed session cookie carries its own age; Flask refuses it past the lifetime.
    app.permanent_session_lifetime = timedelta(seconds=1)
    clock.sleep(2.1)
    response = organiser.post(
        f"/contacts/{contact.id}/edit",
        data={"csrf_token": token, "email": contact.email, "name": "Gewijzigd"},
    )
    assert response.status_code == 400
    assert "Ga terug" in response.get_data(as_text=True)  # the Dutch CSRF message says what to do
    assert organiser.get("/").status_code == 302
    db.expire_all()
    assert db.get(type(contact), contact.id).name == "Blijft Zoals Hij Was"
