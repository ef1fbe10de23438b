"""Two-factor sign-in with TOTP (RFC 6238) and single-use recovery codes.

The key is made during set-up and kept by the caller (the set-up page keeps it in the signed
session) until the first correct code proves the authenticator app has it; only then is it
stored on the account. A code is good once: the time step of the last accepted code is kept
(`User.totp_last_step`), and a code of that step or an earlier one is refused, even within its
30 seconds. Recovery codes are random, so a SHA-256 hash is enough to keep them; each works once.
Nothing here imports Flask.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from service.models import RecoveryCode, User, record_audit, utcnow

RECOVERY_CODE_COUNT = 10
# Letters and digits that cannot be mistaken for one another when read aloud or typed from
# paper: no 0/O, 1/I/L, 5/S, 8/B, 2/Z.
RECOVERY_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
_RECOVERY_HALF = 4
# Accept the code of the step before and after the current one: clocks drift, people are slow.
VALID_WINDOW = 1
CODE_DIGITS = 6


class TwoFactorError(ValueError):
    """Two-factor sign-in cannot be set up or changed as asked; the message says why."""


def new_secret() -> str:
    """A fresh TOTP key (base32, 160 bits)."""
    return pyotp.random_base32(length=32)


def is_enabled(user: User) -> bool:
    """Whether the account signs in with a second factor."""
    return user.totp_secret is not None and user.totp_enabled_at is not None


def provisioning_uri(secret: str, email: str, issuer: str = "Opgavepost") -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer or "Opgavepost")


def grouped_secret(secret: str) -> str:
    """The key in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str, label: str) -> str:
    """The QR code of `uri` as an inline SVG element named `label` for screen readers."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(label)}" ', 1)


def _clean_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step whose code is `code`, within the window and later than `after`, or None."""
    code = _clean_code(code)
    if len(code) != CODE_DIGITS or not code.isdecimal():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        # Every step is compared, so the time taken says nothing about which one matched.
        if hmac.compare_digest(totp.generate_otp(step), code) and (after is None or step > after):
            found = step
    return found


def _claim_step(session: Session, user: User, step: int) -> bool:
    """Record `step` as the last one used, unless another request used it or a later one first.

    One conditional UPDATE, so two requests carrying the same code at the same moment cannot
    both get in.
    """
    result = session.execute(
        update(User)
        .where(User.id == user.id)
        .where(or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    session.expire(user, ["totp_last_step"])
    return bool(getattr(result, "rowcount", 0) == 1)


def verify_code(session: Session, user: User, code: str, now: datetime | None = None) -> bool:
    """Whether `code` is a good, unused TOTP code of the account; a good one is used up."""
    if not is_enabled(user) or user.totp_secret is None:
        return False
    step = _matching_step(user.totp_secret, code, now or utcnow(), user.totp_last_step)
    return step is not None and _claim_step(session, user, step)


def _hash_recovery_code(code: str) -> str:
    return hashlib.sha256(_clean_code(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(2 * _RECOVERY_HALF))
    return f"{chars[:_RECOVERY_HALF]}-{chars[_RECOVERY_HALF:]}"


def _replace_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.expire(user, ["recovery_codes"])
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_hash_recovery_code(code)) for code in codes
    )
    session.flush()
    return codes


def use_recovery_code(session: Session, user: User, code: str) -> bool:
    """Whether `code` is one of the account's unused recovery codes; a good one is used up."""
    if not is_enabled(user):
        return False
    wanted = _hash_recovery_code(code)
    unused = session.scalars(
        select(RecoveryCode)
        .where(RecoveryCode.user_id == user.id)
        .where(RecoveryCode.used_at.is_(None))
    ).all()
    match = None
    for recovery in unused:
        # Compared with each, in constant time, so timing tells nothing about a near miss.
        if hmac.compare_digest(recovery.code_hash, wanted):
            match = recovery
    if match is None:
        return False
    result = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == match.id)
        .where(RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.expire(match)
    if getattr(result, "rowcount", 0) != 1:
        return False
    record_audit(session, user, "account.use_recovery_code", user)
    return True


def looks_like_app_code(code: str) -> bool:
    """Whether `code` has the form of a code from the app (six digits), not a recovery code."""
    cleaned = _clean_code(code)
    return cleaned.isdecimal() and len(cleaned) == CODE_DIGITS


def verify_second_factor(
    session: Session, user: User, code: str, now: datetime | None = None
) -> bool:
    """Whether `code` (six digits from the app, or a recovery code) passes the second step."""
    if looks_like_app_code(code):
        return verify_code(session, user, code, now)
    return use_recovery_code(session, user, code)


def unused_recovery_codes(session: Session, user: User) -> int:
    """How many recovery codes the account has left."""
    return len(
        session.scalars(
            select(RecoveryCode.id)
            .where(RecoveryCode.user_id == user.id)
            .where(RecoveryCode.used_at.is_(None))
        ).all()
    )


def enable(
    session: Session, user: User, secret: str, code: str, now: datetime | None = None
) -> list[str]:
    """Turn two-factor sign-in on with `secret` once `code` proves the app has it.

    Returns the ten recovery codes, to be shown once; raises TwoFactorError when the code is
    wrong or the account has it on already.
    """
    if is_enabled(user):
        raise TwoFactorError("two-factor sign-in is on already; turn it off first")
    step = _matching_step(secret, code, now or utcnow(), None)
    if step is None:
        raise TwoFactorError("the code does not match the key")
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _replace_recovery_codes(session, user)
    record_audit(session, user, "account.enable_2fa", user)
    return codes


def _clear(session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.expire(user, ["recovery_codes"])


def disable(session: Session, user: User) -> None:
    """Turn the account's own two-factor sign-in off (the page checks password and code first)."""
    _clear(session, user)
    record_audit(session, user, "account.disable_2fa", user)


def reset_two_factor(session: Session, actor: User | None, user: User) -> None:
    """An admin (or the CLI, actor None) clears someone's key and recovery codes.

    The account signs in with its password alone after this (and is asked to set it up again
    when REQUIRE_2FA is on). Raises nothing when it had no second factor.
    """
    _clear(session, user)
    record_audit(session, actor, "account.reset_2fa", user, email=user.email)


def regenerate_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten new recovery codes in place of the old ones (which stop working); shown once."""
    if not is_enabled(user):
        raise TwoFactorError("two-factor sign-in is off; there are no recovery codes to replace")
    codes = _replace_recovery_codes(session, user)
    record_audit(session, user, "account.regenerate_recovery_codes", user)
    return codes
