"""Login, logout, access control and CSRF for the organiser app."""

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
