"""API tokens in the web app (/account/tokens for everyone, /tokens/ for admins) and on the
command line (`opgavepost tokens list|revoke`): shown once, usable with the API until revoked,
last use shown, who may revoke which, and the audit lines."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from service.auth.tokens import TokenRefused, create_token, revoke_token
from service.auth.users import create_user
from service.database import session_scope
from service.models import ApiToken, AuditEntry, Role, User
from tests.conftest import ADMIN_EMAIL, csrf_token_from, login

ORGANISER_EMAIL = "organisator@example.nl"
VIEWER_EMAIL = "kijker@example.nl"
PASSWORD = "nog-een-lang-wachtwoord"
TOKEN = re.compile(r'id="new-token" value="(opg_[^"]+)"')


def make_account(app, email: str, role: Role) -> int:
    with session_scope(app) as session:
        return create_user(session, email, PASSWORD, role, email.split("@")[0].title()).id


def signed_in(app, email: str, password: str = PASSWORD):
    client = app.test_client()
    assert login(client, email, password).status_code == 302
    return client


def make_in_browser(client, name: str):
    """Fill in and send the form on /account/tokens; the answer and the token it shows."""
    page = client.get("/account/tokens")
    response = client.post(
        "/account/tokens",
        data={"name": name, "csrf_token": csrf_token_from(page.get_data(as_text=True))},
    )
    match = TOKEN.search(response.get_data(as_text=True))
    return response, match.group(1) if match else None


def revoke_in_browser(client, path: str):
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return client.post(path, data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- one's own tokens --------------------------------------------------------------------------


def test_the_token_is_shown_once_then_only_its_prefix(app, organiser, db):
    response, token = make_in_browser(organiser, "Koppeling met het CRM")
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert token is not None and token.startswith("opg_")
    assert "Kopieer hem nu: hij wordt maar deze ene keer getoond." in html

    stored = db.scalar(select(ApiToken))
    assert stored.name == "Koppeling met het CRM"
    assert token not in stored.token_hash and token.startswith(stored.prefix)

    again = organiser.get("/account/tokens").get_data(as_text=True)
    assert token not in again
    assert "Koppeling met het CRM" in again
    assert f"{stored.prefix}…" in again
    assert "Laatst gebruikt" in again and "nooit" in again
    # The creation date in Dutch, in the network's time zone.
    assert re.search(r"(maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag) \d+ ", again)


def test_a_token_needs_a_name_and_a_csrf_token(organiser, db):
    response, token = make_in_browser(organiser, "")
    assert response.status_code == 422 and token is None
    assert "Geef de token een naam" in response.get_data(as_text=True)
    refused = organiser.post("/account/tokens", data={"name": "zonder csrf"})
    assert refused.status_code == 400
    assert db.scalar(select(ApiToken)) is None


def test_the_token_works_with_the_api_until_it_is_revoked(app, organiser, db):
    _response, token = make_in_browser(organiser, "script")
    api = app.test_client()
    assert api.get("/api/v1/contacts", headers=bearer(token)).status_code == 200

    page = organiser.get("/account/tokens").get_data(as_text=True)
    assert "nooit" not in page  # last used: the call just made

    stored = db.scalar(select(ApiToken))
    assert stored.last_used_at is not None
    done = revoke_in_browser(organiser, f"/account/tokens/{stored.id}/revoke")
    assert done.status_code == 302 and done.headers["Location"].endswith("/account/tokens")
    assert api.get("/api/v1/contacts", headers=bearer(token)).status_code == 401
    listed = organiser.get("/account/tokens").get_data(as_text=True)
    assert "API-token script is ingetrokken: hij werkt niet meer." in listed
    assert "Ingetrokken op" in listed


def test_the_revoke_page_asks_first_and_needs_csrf(organiser, db):
    make_in_browser(organiser, "script")
    stored = db.scalar(select(ApiToken))
    page = organiser.get(f"/account/tokens/{stored.id}/revoke").get_data(as_text=True)
    assert "API-token script intrekken?" in page
    assert organiser.post(f"/account/tokens/{stored.id}/revoke").status_code == 400
    db.expire_all()
    assert db.get(ApiToken, stored.id).revoked_at is None


def test_a_viewer_makes_a_token_that_can_only_read(app, admin_user, db):
    make_account(app, VIEWER_EMAIL, Role.VIEWER)
    viewer = signed_in(app, VIEWER_EMAIL)
    response, token = make_in_browser(viewer, "lezen")
    assert response.status_code == 201
    api = app.test_client()
    assert api.get("/api/v1/contacts", headers=bearer(token)).status_code == 200
    owner = db.scalar(select(ApiToken)).user
    assert owner.email == VIEWER_EMAIL and owner.role == Role.VIEWER


def test_each_person_sees_only_their_own_tokens(app, organiser, db):
    make_in_browser(organiser, "van de beheerder")
    make_account(app, ORGANISER_EMAIL, Role.ORGANISER)
    other = signed_in(app, ORGANISER_EMAIL)
    make_in_browser(other, "van de organisator")
    page = other.get("/account/tokens").get_data(as_text=True)
    assert "van de organisator" in page and "van de beheerder" not in page


def test_an_organiser_cannot_revoke_another_persons_token(app, organiser, db):
    _response, token = make_in_browser(organiser, "van de beheerder")
    stored = db.scalar(select(ApiToken))
    make_account(app, ORGANISER_EMAIL, Role.ORGANISER)
    other = signed_in(app, ORGANISER_EMAIL)
    assert other.get(f"/account/tokens/{stored.id}/revoke").status_code == 403
    page = other.get("/account/tokens").get_data(as_text=True)
    refused = other.post(
        f"/account/tokens/{stored.id}/revoke", data={"csrf_token": csrf_token_from(page)}
    )
    assert refused.status_code == 403
    assert other.get("/tokens/").status_code == 403
    assert other.post(f"/tokens/{stored.id}/revoke").status_code in (400, 403)
    db.expire_all()
    assert db.get(ApiToken, stored.id).revoked_at is None
    assert app.test_client().get("/api/v1/contacts", headers=bearer(token)).status_code == 200


def test_the_rule_refuses_a_non_admin_revoking_someone_elses(app, admin_user, db):
    owner = db.get(User, admin_user)
    make_account(app, ORGANISER_EMAIL, Role.ORGANISER)
    organiser = db.scalar(select(User).where(User.email == ORGANISER_EMAIL))
    stored, _token = create_token(db, owner, owner, "van de beheerder")
    with pytest.raises(TokenRefused):
        revoke_token(db, organiser, stored)
    with pytest.raises(TokenRefused):
        create_token(db, organiser, owner, "voor een ander")
    assert stored.revoked_at is None


def test_the_pages_need_a_login(client, admin_user):
    for path in ("/account/tokens", "/account/tokens/1/revoke", "/tokens/", "/tokens/1/revoke"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- everyone's tokens, for admins --------------------------------------------------------------


def test_an_admin_sees_everyones_tokens_and_revokes_any_audited(app, organiser, db):
    make_account(app, ORGANISER_EMAIL, Role.ORGANISER)
    other = signed_in(app, ORGANISER_EMAIL)
    _response, token = make_in_browser(other, "van de organisator")
    make_in_browser(organiser, "van de beheerder")
    listed = organiser.get("/tokens/").get_data(as_text=True)
    assert "van de organisator" in listed and "van de beheerder" in listed
    assert ORGANISER_EMAIL in listed
    assert token not in listed

    theirs = db.scalar(select(ApiToken).where(ApiToken.name == "van de organisator"))
    done = revoke_in_browser(organiser, f"/tokens/{theirs.id}/revoke")
    assert done.status_code == 302 and done.headers["Location"].endswith("/tokens/")
    assert app.test_client().get("/api/v1/contacts", headers=bearer(token)).status_code == 401

    audit = db.scalars(select(AuditEntry).where(AuditEntry.action.like("token.%"))).all()
    by_action = {(entry.action, entry.object_id): entry for entry in audit}
    revoked = by_action[("token.revoke", theirs.id)]
    assert revoked.user.email == ADMIN_EMAIL and revoked.object_type == "api_tokens"
    assert revoked.detail == {"name": "van de organisator", "owner": ORGANISER_EMAIL}
    created = by_action[("token.create", theirs.id)]
    assert created.user.email == ORGANISER_EMAIL
    assert token not in str([entry.detail for entry in audit])


def test_a_token_of_a_deactivated_account_is_marked_and_refused(app, organiser, db):
    make_account(app, ORGANISER_EMAIL, Role.ORGANISER)
    other = signed_in(app, ORGANISER_EMAIL)
    _response, token = make_in_browser(other, "oud")
    db.scalar(select(User).where(User.email == ORGANISER_EMAIL)).active = False
    db.commit()
    assert "account gedeactiveerd" in organiser.get("/tokens/").get_data(as_text=True)
    assert app.test_client().get("/api/v1/contacts", headers=bearer(token)).status_code == 401


# --- the command line --------------------------------------------------------------------------


def test_cli_lists_every_token_and_revokes_one_audited(app, runner, admin_user, db):
    created = runner.invoke(args=["tokens", "create", ADMIN_EMAIL, "--name", "koppeling"])
    assert created.exit_code == 0, created.output
    token = created.output.strip()
    make_account(app, ORGANISER_EMAIL, Role.ORGANISER)
    runner.invoke(args=["tokens", "create", ORGANISER_EMAIL, "--name", "script"])
    used = db.scalar(select(ApiToken).where(ApiToken.name == "koppeling"))
    used.last_used_at = datetime(2025, 6, 3, 8, 30, tzinfo=UTC)
    db.commit()

    listed = runner.invoke(args=["tokens", "list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split() == [
        "id",
        "owner",
        "name",
        "prefix",
        "created",
        "last",
        "used",
        "revoked",
    ]
    row = next(line for line in lines if "koppeling" in line)
    assert row.split()[0] == str(used.id) and ADMIN_EMAIL in row and used.prefix in row
    assert "2025-06-03 08:30" in row and row.split()[-1] == "no"
    assert "never" in next(line for line in lines if "script" in line)
    assert token not in listed.output

    revoked = runner.invoke(args=["tokens", "revoke", str(used.id)])
    assert revoked.exit_code == 0, revoked.output
    assert f"Revoked token {used.id} (koppeling, of {ADMIN_EMAIL})." in revoked.output
    response = app.test_client().get("/api/v1/contacts", headers=bearer(token))
    assert response.status_code == 401
    again = runner.invoke(args=["tokens", "revoke", str(used.id)])
    assert again.exit_code == 0 and "was revoked already" in again.output
    row = next(
        line
        for line in runner.invoke(args=["tokens", "list"]).output.splitlines()
        if "koppeling" in line
    )
    assert row.split()[-1] != "no"

    db.expire_all()
    actions = db.execute(
        select(AuditEntry.action, AuditEntry.user_id, AuditEntry.object_id).order_by(AuditEntry.id)
    ).all()
    assert ("token.revoke", None, used.id) in actions
    assert [action for action, *_ in actions].count("token.revoke") == 1
    assert [action for action, *_ in actions].count("token.create") == 2


def test_cli_revoke_of_an_unknown_id_says_how_to_find_one(runner):
    result = runner.invoke(args=["tokens", "revoke", "999"])
    assert result.exit_code == 1
    assert "no API token with id 999" in result.output and "tokens list" in result.output


def test_cli_list_without_tokens(runner):
    result = runner.invoke(args=["tokens", "list"])
    assert result.exit_code == 0
    assert "No API tokens" in result.output
