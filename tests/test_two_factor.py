"""Two-factor sign-in: set-up, codes, recovery codes, REQUIRE_2FA and the admin reset."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from service import create_app
from service.auth import two_factor
from service.models import AuditEntry, RecoveryCode, User
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_CONFIG, csrf_token_from, login


def _admin(db, user_id: int) -> User:
    user = db.get(User, user_id)
    assert user is not None
    return user


def _switch_on(db, user_id: int) -> tuple[str, list[str]]:
    """Two-factor sign-in on for the account, as the set-up page does; the key and the codes."""
    secret = two_factor.new_secret()
    codes = two_factor.enable(db, _admin(db, user_id), secret, pyotp.TOTP(secret).now())
    db.commit()
    return secret, codes


def test_a_code_works_once_and_a_wrong_one_never(db, admin_user):
    secret, codes = _switch_on(db, admin_user)
    user = _admin(db, admin_user)
    assert len(codes) == 10 and len(set(codes)) == 10
    totp = pyotp.TOTP(secret)
    later = two_factor.utcnow().timestamp() + 30
    next_code = totp.at(later)
    assert not two_factor.verify_code(db, user, "000000" if next_code != "000000" else "111111")
    # the code of set-up cannot be used again to sign in
    assert not two_factor.verify_code(db, user, totp.now())
    assert two_factor.verify_code(db, user, next_code)
    assert not two_factor.verify_code(db, user, next_code)
    db.commit()


def test_recovery_codes_are_stored_hashed_and_work_once(db, admin_user):
    _secret, codes = _switch_on(db, admin_user)
    user = _admin(db, admin_user)
    stored = db.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    assert not any(code.replace("-", "") in hash_ for code in codes for hash_ in stored)
    assert two_factor.verify_second_factor(db, user, codes[3].lower().replace("-", " "))
    assert not two_factor.verify_second_factor(db, user, codes[3])
    assert two_factor.unused_recovery_codes(db, user) == 9
    new_codes = two_factor.regenerate_recovery_codes(db, user)
    assert not two_factor.verify_second_factor(db, user, codes[4])
    assert two_factor.verify_second_factor(db, user, new_codes[0])
    db.commit()


def test_cli_reset_2fa_clears_the_key_and_codes_and_is_audited(runner, db, admin_user):
    _switch_on(db, admin_user)
    result = runner.invoke(args=["users", "reset-2fa", ADMIN_EMAIL.upper()])
    assert result.exit_code == 0, result.output
    assert ADMIN_EMAIL in result.output
    db.expire_all()
    user = _admin(db, admin_user)
    assert user.totp_secret is None and user.totp_enabled_at is None
    assert db.scalars(select(RecoveryCode)).all() == []
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "account.reset_2fa")).one()
    assert entry.object_id == admin_user and entry.user_id is None

    unknown = runner.invoke(args=["users", "reset-2fa", "niemand@example.nl"])
    assert unknown.exit_code != 0
    assert "no organiser with address niemand@example.nl" in unknown.output


# --- the pages -------------------------------------------------------------------------------

KEY = re.compile(r'id="secret-key"[^>]*>([A-Z2-7 ]+)<')
CODES = re.compile(r"<li><code>([A-Z0-9]{4}-[A-Z0-9]{4})</code></li>")


def _code_after(key: str, seconds: int = 0) -> str:
    return pyotp.TOTP(key).at(time.time() + seconds)


def _post(client, path: str, **data):
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code, page.headers.get("Location"))
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def _set_up_on_the_page(client) -> tuple[str, list[str], str]:
    """Set up two-factor sign-in as a person does: read the key, type a code from it."""
    page = client.get("/account/two-factor/setup")
    html = page.get_data(as_text=True)
    assert '<svg role="img" aria-label=' in html  # the QR code, drawn here, with a name
    key = KEY.search(html).group(1).replace(" ", "")
    setup_code = _code_after(key)
    shown = client.post(
        "/account/two-factor/setup",
        data={"code": setup_code, "csrf_token": csrf_token_from(html)},
    )
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    codes = CODES.findall(text)
    assert "Bewaar deze codes nu." in text
    return key, codes, setup_code


def _log_out(client) -> None:
    token = csrf_token_from(client.get("/account/two-factor").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})


def _second_step(client, code: str, next_path: str = ""):
    suffix = f"?next={next_path}" if next_path else ""
    return _post(client, f"/login/two-factor{suffix}", code=code)


def test_set_up_then_sign_in_with_a_code_computed_from_the_shown_key(organiser, client, db):
    key, codes, setup_code = _set_up_on_the_page(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    user = db.scalars(select(User).where(User.email == ADMIN_EMAIL)).one()
    assert two_factor.is_enabled(user) and user.totp_secret == key
    # shown once: the status page counts them but never shows them again
    status = client.get("/account/two-factor").get_data(as_text=True)
    assert "10 ongebruikte herstelcodes" in status
    assert codes[0] not in status
    _log_out(client)

    first = login(client)
    assert first.headers["Location"].startswith("/login/two-factor")
    # the password alone grants nothing: every organiser page still sends to the login
    for path in ("/", "/contacts/", "/account/two-factor"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")

    wrong = _second_step(client, "000000" if setup_code != "000000" else "111111")
    assert "Deze code klopt niet, of is al gebruikt." in wrong.get_data(as_text=True)
    replay = _second_step(client, setup_code)  # the code of the set-up, a second time
    assert replay.status_code == 200
    assert "Deze code klopt niet, of is al gebruikt." in replay.get_data(as_text=True)
    assert client.get("/").status_code == 302

    signed_in = _second_step(client, _code_after(key, 30))
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_recovery_code_signs_in_once_and_next_is_kept(organiser, client):
    _key, codes, _setup = _set_up_on_the_page(client)
    _log_out(client)

    page = client.get("/login?next=/meetings/")
    client.post(
        "/login?next=/meetings/",
        data={
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    used = _second_step(client, codes[2].lower(), "/meetings/")
    assert used.headers["Location"] == "/meetings/"
    assert "9 herstelcodes over" in client.get("/meetings/").get_data(as_text=True)
    _log_out(client)

    login(client)
    again = _second_step(client, codes[2])
    assert "Deze code klopt niet, of is al gebruikt." in again.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_the_second_step_is_rate_limited_per_account(organiser, client, app):
    key, _codes, _setup = _set_up_on_the_page(client)
    _log_out(client)
    login(client)
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for _ in range(limit):
        assert _second_step(client, "000001").status_code == 200
    # another browser with the same password is counted against the same account
    other = app.test_client()
    login(other)
    blocked = _second_step(other, _code_after(key, 30))
    assert blocked.status_code == 429
    assert other.get("/").status_code == 302


def test_second_step_without_a_password_first_goes_back_to_the_login(client, admin_user):
    response = client.get("/login/two-factor?next=/contacts/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_turn_off_asks_password_and_code_and_new_codes_replace_the_old(organiser, client, db):
    key, codes, _setup = _set_up_on_the_page(client)

    made = _post(client, "/account/two-factor/recovery-codes", code=_code_after(key, 30))
    new_codes = CODES.findall(made.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)

    wrong = _post(
        client, "/account/two-factor/disable", password="niet-het-wachtwoord", code=new_codes[0]
    )
    assert "Het wachtwoord of de code klopt niet." in wrong.get_data(as_text=True)
    off = _post(client, "/account/two-factor/disable", password=ADMIN_PASSWORD, code=new_codes[0])
    assert off.headers["Location"] == "/account/two-factor"
    user = db.scalars(select(User).where(User.email == ADMIN_EMAIL)).one()
    assert not two_factor.is_enabled(user)
    assert db.scalars(select(RecoveryCode)).all() == []
    _log_out(client)
    assert login(client).headers["Location"] == "/"


def test_after_an_admin_reset_the_password_alone_signs_in(organiser, client, runner):
    _set_up_on_the_page(client)
    _log_out(client)
    assert runner.invoke(args=["users", "reset-2fa", ADMIN_EMAIL]).exit_code == 0
    assert login(client).headers["Location"] == "/"
    assert client.get("/").status_code == 200


@pytest.fixture
def strict_client(app, database_url, tmp_path, admin_user):
    """A client of an app with REQUIRE_2FA=true, on the test's database."""
    strict = create_app(
        {
            **TEST_CONFIG,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "strict"),
            "REQUIRE_2FA": "true",
        }
    )
    yield strict.test_client()
    strict.extensions["db_engine"].dispose()


def test_require_2fa_leads_to_the_set_up_and_allows_nothing_else(strict_client):
    client = strict_client
    signed_in = login(client)
    assert signed_in.status_code == 302
    landing = client.get(signed_in.headers["Location"])
    assert landing.status_code == 302
    assert landing.headers["Location"] == "/account/two-factor/setup?next=/"
    for path in ("/contacts/", "/meetings/", "/account/two-factor"):
        response = client.get(path)
        assert response.headers["Location"].startswith("/account/two-factor/setup")
    page = client.get("/account/two-factor/setup?next=/contacts/")
    assert "verplicht" in page.get_data(as_text=True)

    key = KEY.search(page.get_data(as_text=True)).group(1).replace(" ", "")
    done = client.post(
        "/account/two-factor/setup?next=/contacts/",
        data={"code": _code_after(key), "csrf_token": csrf_token_from(page.get_data(as_text=True))},
    )
    assert 'href="/contacts/"' in done.get_data(as_text=True)
    assert client.get("/contacts/").status_code == 200


def test_the_second_step_waits_five_minutes_for_its_code(organiser, client):
    _key, _codes, _setup = _set_up_on_the_page(client)
    _log_out(client)
    login(client)
    with client.session_transaction() as cookie:
        pending = cookie["two_factor_pending"]
        cookie["two_factor_pending"] = {**pending, "at": pending["at"] - 301}
    late = client.get("/login/two-factor")
    assert late.status_code == 302 and late.headers["Location"].startswith("/login")
    page = client.get(late.headers["Location"]).get_data(as_text=True)
    assert "Log eerst in met je e-mailadres en wachtwoord." in page
    assert client.get("/").status_code == 302


def test_the_key_being_set_up_stays_the_same_until_confirmed_and_is_not_stored(organiser, db):
    first = KEY.search(organiser.get("/account/two-factor/setup").get_data(as_text=True))
    again = KEY.search(organiser.get("/account/two-factor/setup").get_data(as_text=True))
    assert first.group(1) == again.group(1)
    user = db.scalars(select(User).where(User.email == ADMIN_EMAIL)).one()
    assert user.totp_secret is None and not two_factor.is_enabled(user)
