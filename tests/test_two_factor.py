"""Two-factor sign-in: set-up, codes, recovery codes, REQUIRE_2FA and the admin reset."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from service.auth import two_factor
from service.models import AuditEntry, RecoveryCode, User
from tests.conftest import ADMIN_EMAIL


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
