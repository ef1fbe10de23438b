"""Organiser accounts and API tokens: creating them and checking credentials."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from email_validator import validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from service.auth.passwords import check_password
from service.models import ApiToken, Role, User, record_audit, utcnow
from service.text import clean_line
from service.translation import language_or_default

TOKEN_PREFIX = "opg_"
# Werkzeug's scrypt default: slow on purpose (about 0.2 s a check). The test suite swaps in a
# cheap method, as Django's test settings do, since it logs in hundreds of times.
PASSWORD_HASH_METHOD = "scrypt"
# A token's last use is written at most once a minute: the token page shows it to the minute,
# and writing it on every call made each API request an UPDATE and a commit of the same row,
# so concurrent calls with one token waited on each other's row lock (bench/web.py).
LAST_USE_STEP = timedelta(minutes=1)
# Checked against when the email is unknown, so a wrong address takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(ValueError):
    """An account cannot be made or found; the message says why."""


def normalise_email(email: str) -> str:
    """The address as stored: checked for syntax (no DNS look-up) and lower-cased."""
    return validate_email(email.strip(), check_deliverability=False).normalized.lower()


def find_user(session: Session, email: str) -> User | None:
    """The organiser with this address, case ignored."""
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(
    session: Session,
    email: str,
    password: str,
    role: Role = Role.ORGANISER,
    name: str = "",
    language: str | None = None,
) -> User:
    """Add an organiser; raises AccountError when the address is taken, PasswordRefused (a
    ValueError) when the password breaks the policy (service/auth/passwords.py).

    Raises ForbiddenCharacters (a ValueError) when the name holds a control character; a line
    break in it becomes a space, as in every one-line field.
    """
    name = clean_line(name)
    email = normalise_email(email)
    if find_user(session, email) is not None:
        raise AccountError(f"an organiser with address {email} already exists")
    check_password(password, name=name, email=email)
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password),
        language=language_or_default(language),
    )
    session.add(user)
    session.flush()
    return user


def hash_password(password: str) -> str:
    """The stored form of a password."""
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def set_password(session: Session, user: User, password: str, *, action: str) -> None:
    """Give the account a new password and end all its sessions; audited as `action`.

    Raises PasswordRefused when the password breaks the policy. Raising `session_version` changes
    the id in every session cookie of the account (User.get_id), so each of them ends; a view
    that keeps its own visitor signed in logs them in again afterwards. The caller commits.
    """
    check_password(password, name=user.name, email=user.email)
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 0) + 1
    record_audit(session, user, action, user)


class WrongPassword(AccountError):
    """The current password given to change it is not the account's."""


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Change one's own password: the current one first; raises WrongPassword or PasswordRefused."""
    if not check_password_hash(user.password_hash, current):
        raise WrongPassword("the current password is not correct")
    set_password(session, user, new, action="account.password_change")


def update_profile(session: Session, user: User, *, name: str, language: str) -> None:
    """Change one's own name and language; ForbiddenCharacters for a control character."""
    user.name = clean_line(name)
    user.language = language_or_default(language)
    record_audit(session, user, "account.profile", user)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active organiser with these credentials, or None."""
    user = find_user(session, email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def generate_password() -> str:
    """A password for a first admin account, strong enough to keep."""
    return secrets.token_urlsafe(15)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, user: User, name: str = "") -> str:
    """Make a bearer token for the user and return it; only its hash is stored.

    Raises ForbiddenCharacters (a ValueError) when the name holds a control character.
    """
    return new_api_token(session, user, name)[1]


def new_api_token(session: Session, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Make a bearer token for the user: the stored row and the token (shown only once)."""
    name = clean_line(name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    stored = ApiToken(user=user, name=name, token_hash=_hash_token(token), prefix=token[:10])
    session.add(stored)
    session.flush()
    return stored, token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user owning a valid, unrevoked token, or None."""
    token_hash = _hash_token(token)
    # The owner in the same query: every API call needs both, and a second round trip each.
    api_token = session.scalar(
        select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == token_hash)
    )
    # compare_digest keeps the final check constant-time, whatever the index look-up did.
    if api_token is None or not hmac.compare_digest(api_token.token_hash, token_hash):
        return None
    if api_token.revoked_at is not None or not api_token.user.active:
        return None
    now = utcnow()
    if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USE_STEP:
        api_token.last_used_at = now
    return api_token.user
