"""Reading and checking the settings.

Every setting comes from an environment variable with a default that runs out of the box. A value
that is present but malformed stops the start with an error that names the variable, so a typo in
production never falls back silently to a default.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable and how to mend it."""


class Settings:
    """Defaults for a normal run. Environment variables override them (see load_settings)."""

    TIMEZONE = "Europe/Amsterdam"
    NETWORK_NAME = "Opgavebeweging"
    NETWORK_EMAIL = "grenzeloossamenwerken@rijksoverheid.nl"
    BASE_URL = "http://127.0.0.1:5000"
    # Upload limit for CSV files and images; Flask answers 413 above it.
    MAX_UPLOAD_MB = 10
    LOGIN_RATE_LIMIT = "10 per minute"
    RATELIMIT_STORAGE_URI = "memory://"
    SESSION_HOURS = 12
    CONTACTS_PER_PAGE = 50

    TESTING = False
    WTF_CSRF_ENABLED = True
    # The CSRF token lives as long as the login session, so an open form does not go stale
    # halfway through the working day.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
    LANGUAGES = ("nl", "en")


class TestingSettings(Settings):
    """Settings for the test suite: same checks, no rate limit surprises between tests."""

    TESTING = True
    RATELIMIT_ENABLED = True


def _text(value: str, name: str) -> str:
    value = value.strip()
    if not value:
        raise ConfigError(f"{name} is empty; set a value or unset it to use the default")
    return value


def _timezone(value: str, name: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{name}={value!r} is not a known time zone; use a name like Europe/Amsterdam"
        ) from exc
    return value


def _base_url(value: str, name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{name}={value!r} is not an absolute http(s) URL; use e.g. https://post.example.nl"
        )
    return value.rstrip("/")


def _email(value: str, name: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ConfigError(f"{name}={value!r} is not a valid email address: {exc}") from exc


def _database_url(value: str, name: str) -> str:
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise ConfigError(
            f"{name}={value!r} is not a database URL; use sqlite:///path/file.db or "
            "postgresql+psycopg://user@host/dbname"
        ) from exc
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"{name} must point at SQLite or PostgreSQL, not {url.drivername}")
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        # psycopg 3 is the driver we install; SQLAlchemy's bare name means psycopg2.
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _positive_int(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise ConfigError(f"{name}={value!r} is not a positive whole number")
    return number


def _rate_limit(value: str, name: str) -> str:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r} is not a rate limit like '10 per minute'") from exc
    return value


# variable name -> parser; each parser gets the raw value and the name for its error message
PARSERS: dict[str, Callable[[str, str], Any]] = {
    "DATABASE_URL": _database_url,
    "SECRET_KEY": _text,
    "BASE_URL": _base_url,
    "TIMEZONE": _timezone,
    "NETWORK_NAME": _text,
    "NETWORK_EMAIL": _email,
    "ADMIN_EMAIL": _email,
    "ADMIN_PASSWORD": _text,
    "MAX_UPLOAD_MB": _positive_int,
    "LOGIN_RATE_LIMIT": _rate_limit,
    "RATELIMIT_STORAGE_URI": _text,
    "SESSION_HOURS": _positive_int,
}


def load_settings(
    environ: Mapping[str, str], instance_path: Path, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the app's settings: defaults, then environment variables, then explicit overrides."""
    base = TestingSettings if overrides and overrides.get("TESTING") else Settings
    values: dict[str, Any] = {k: getattr(base, k) for k in dir(base) if k.isupper()}
    for name, parse in PARSERS.items():
        raw = environ.get(name)
        if raw is not None:
            values[name] = parse(raw, name)
    if overrides:
        values.update(overrides)
    if not values.get("DATABASE_URL"):
        values["DATABASE_URL"] = f"sqlite:///{instance_path / 'opgavepost.db'}"
    if not values.get("SECRET_KEY"):
        values["SECRET_KEY"] = _instance_secret_key(instance_path)
    values["MAX_CONTENT_LENGTH"] = values["MAX_UPLOAD_MB"] * 1024 * 1024
    values["BABEL_DEFAULT_TIMEZONE"] = values["TIMEZONE"]
    return values


def _instance_secret_key(instance_path: Path) -> str:
    """Read the secret key kept in the instance folder, making one on first start.

    A constant key in code would let anyone who reads the source forge sessions and tokens.
    """
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
