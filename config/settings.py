"""Reading and checking the settings.

Every setting comes from an environment variable with a default that runs out of the box. A value
that is present but malformed stops the start with an error that names the variable, so a typo in
production never falls back silently to a default.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from email.utils import formataddr, parseaddr, quote
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# The languages of the pages and emails, the first the default: every list of languages in the
# code is this one (Settings.LANGUAGES, or this constant where no Settings is at hand). Each but
# English, the language of the msgids, has a catalog in service/translations.
LANGUAGES: tuple[str, ...] = ("nl", "en")
DEFAULT_LANGUAGE = LANGUAGES[0]


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable and how to mend it."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every setting of a run, typed and checked; the defaults are written here and only here.

    Built once from the environment by `read_settings` (create_app keeps it on the app) and
    handed to the code that needs it. The field names are the environment variables' names.
    """

    # Filled in by read_settings from the instance folder when the environment leaves them out.
    INSTANCE_PATH: str
    DATABASE_URL: str
    SECRET_KEY: str
    MAIL_OUTBOX_PATH: str

    TIMEZONE: str = "Europe/Amsterdam"
    NETWORK_NAME: str = "Opgavebeweging"
    # The article before the name in a Dutch sentence ("de Opgavebeweging"): de, het or none.
    NETWORK_ARTICLE: str = "de"
    NETWORK_EMAIL: str = "grenzeloossamenwerken@rijksoverheid.nl"
    # The postal address under emails; no environment variable yet, only create_app's overrides.
    NETWORK_ADDRESS: str = ""
    BASE_URL: str = "http://127.0.0.1:5000"
    # The first admin that `opgavepost serve` makes (service/demo/embedded.py has its default).
    ADMIN_EMAIL: str | None = None
    ADMIN_PASSWORD: str | None = None
    # Upload limit for CSV files and images; Flask answers 413 above it.
    MAX_UPLOAD_MB: int = 10
    LOGIN_RATE_LIMIT: str = "10 per minute"
    RATELIMIT_STORAGE_URI: str = "memory://"
    SESSION_HOURS: int = 12
    # Two-factor sign-in for everyone: an account without it can do nothing but set it up.
    REQUIRE_2FA: bool = False
    CONTACTS_PER_PAGE: int = 50
    # The languages of the pages and emails; the first is the default (see the constant above).
    LANGUAGES: tuple[str, ...] = LANGUAGES
    # Mail: the outbox (files in instance/outbox, readable at /outbox/) until an SMTP server is set.
    MAIL_TRANSPORT: str = "outbox"
    MAIL_SERVER: str | None = None
    # None: 465 with MAIL_USE_SSL, else 25.
    MAIL_PORT: int | None = None
    MAIL_USE_TLS: bool = False
    MAIL_USE_SSL: bool = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    # None: NETWORK_EMAIL with NETWORK_NAME.
    MAIL_DEFAULT_SENDER: str | None = None
    MAIL_SMTP_CONNECTIONS: int = 2
    # The send loop: deliveries claimed per round, how long a claim holds, how long to retry.
    MAIL_BATCH_SIZE: int = 200
    MAIL_LEASE_SECONDS: int = 300
    MAIL_RETRY_DAYS: int = 3
    MAIL_PAUSE_AFTER_FAILURES: int = 25
    # 0 means no limit; set them to the relay's quota.
    MAIL_RATE_PER_SECOND: int = 0
    MAIL_RATE_PER_HOUR: int = 0
    MAILGUN_API_KEY: str | None = None
    MAILGUN_DOMAIN: str | None = None
    MAILGUN_REGION: str = "eu"
    # None: the region's API address.
    MAILGUN_BASE_URL: str | None = None
    MAILGUN_WEBHOOK_SIGNING_KEY: str | None = None
    POSTMARK_SERVER_TOKEN: str | None = None
    POSTMARK_BASE_URL: str = "https://api.postmarkapp.com"
    # Postmark keeps newsletters apart from one-to-one mail in its "broadcast" stream; single
    # messages (answer confirmations, calendar updates, signup confirmations) go on the
    # transactional stream every Postmark server has, "outbound".
    POSTMARK_MESSAGE_STREAM: str = "broadcast"
    POSTMARK_TRANSACTIONAL_STREAM: str = "outbound"
    POSTMARK_WEBHOOK_USERNAME: str | None = None
    POSTMARK_WEBHOOK_PASSWORD: str | None = None
    # Bounces: the return path of campaign mail, bounces+<delivery>-<signature>@domain (VERP),
    # made from this address; None: the return path is the sender.
    MAIL_BOUNCE_ADDRESS: str | None = None
    # This many soft bounces of one address within that many days suppress it.
    MAIL_SOFT_BOUNCE_LIMIT: int = 3
    MAIL_SOFT_BOUNCE_DAYS: int = 30
    # The mailbox `opgavepost bounces fetch` reads: imap(s):// or pop3(s)://user:pass@host/INBOX.
    BOUNCE_MAILBOX_URL: str | None = None

    @property
    def default_language(self) -> str:
        """The language of whoever chose none: the first of LANGUAGES."""
        return self.LANGUAGES[0]


SETTING_NAMES = frozenset(field.name for field in fields(Settings))


class FlaskConfig:
    """What Flask and its extensions read from app.config besides the settings."""

    TESTING = False
    WTF_CSRF_ENABLED = True
    # The CSRF token lives as long as the login session, so an open form does not go stale
    # halfway through the working day.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"


class TestingFlaskConfig(FlaskConfig):
    """For the test suite: same checks, no rate limit surprises between tests."""

    TESTING = True
    RATELIMIT_ENABLED = True


def _text(value: str, name: str) -> str:
    value = value.strip()
    if not value:
        raise ConfigError(f"{name} is empty; set a value or unset it to use the default")
    return value


def _article(value: str, name: str) -> str:
    value = value.strip().lower()
    if value not in ("", "de", "het"):
        raise ConfigError(
            f"{name}={value!r} is no Dutch article; use de, het, or leave it empty for none"
        )
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


def _sender(value: str, name: str) -> str:
    # An address, or a name with it as Flask-Mail takes it: "Opgavebeweging <post@example.nl>".
    display, address = parseaddr(value) if "<" in value else ("", value.strip())
    if not display.isprintable():
        raise ConfigError(f"{name}={value!r} has a line break or control character in its name")
    address = _email(address or value, name)
    if not display:
        return address
    # Written so that parseaddr gives the name back as it was: quoted where it must be, never
    # RFC 2047 encoded (formataddr would encode a name such as "Coördinatie").
    if display.isascii():
        return formataddr((display, address))
    return f'"{quote(display)}" <{address}>'


def _database_url(value: str, name: str) -> str:
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise ConfigError(
            f"{name}={value!r} is not a database URL; use sqlite:///path/file.db or "
            "postgresql+psycopg://user@host/dbname"
        ) from exc
    if url.drivername in ("postgresql", "postgres"):
        # psycopg 3 is the driver we install; SQLAlchemy's bare name means psycopg2, and hosting
        # platforms still hand out the old "postgres://" spelling that SQLAlchemy refuses.
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"{name} must point at SQLite or PostgreSQL, not {url.drivername}")
    return url.render_as_string(hide_password=False)


# The same minimum as service.auth.users.create_user, checked here so a short ADMIN_PASSWORD stops
# the start with the variable's name instead of failing later while making the account.
MIN_PASSWORD_LENGTH = 12


def _password(value: str, name: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise ConfigError(
            f"{name} is shorter than {MIN_PASSWORD_LENGTH} characters; choose a longer password "
            "or unset it to have one generated"
        )
    return value


def _directory(value: str, name: str) -> str:
    value = _text(value, name)
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{name}={value!r} is a file, not a folder")
    # Flask wants an absolute instance path; a relative one is taken from the working directory.
    return str(path.resolve())


def _positive_int(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise ConfigError(f"{name}={value!r} is not a positive whole number")
    return number


def _whole_number(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ConfigError(f"{name}={value!r} is not a whole number of 0 or more (0: no limit)")
    return number


def _rate_limit(value: str, name: str) -> str:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r} is not a rate limit like '10 per minute'") from exc
    return value


def _storage_uri(value: str, name: str) -> str:
    from limits.storage import SCHEMES

    scheme = urlsplit(value.strip()).scheme
    if scheme not in SCHEMES or scheme.startswith("async+"):
        raise ConfigError(
            f"{name}={value!r} is not a rate-limit storage; use memory:// or redis://host:6379"
        )
    return value.strip()


MAIL_TRANSPORTS = ("outbox", "smtp", "mailgun", "postmark")


def _mail_transport(value: str, name: str) -> str:
    value = value.strip().lower()
    if value not in MAIL_TRANSPORTS:
        raise ConfigError(
            f"{name}={value!r} is not a mail transport; use outbox, smtp, mailgun or postmark"
        )
    return value


def _mailgun_region(value: str, name: str) -> str:
    value = value.strip().lower()
    if value not in ("eu", "us"):
        raise ConfigError(f"{name}={value!r} is not a Mailgun region; use eu or us")
    return value


def _port(value: str, name: str) -> int:
    number = _positive_int(value, name)
    if number > 65535:
        raise ConfigError(f"{name}={value!r} is not a port number; use e.g. 587")
    return number


def _boolean(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={value!r} is not a yes/no value; use true or false")


def _bounce_address(value: str, name: str) -> str:
    address = _email(value, name)
    if "+" in address.partition("@")[0]:
        raise ConfigError(
            f"{name}={value!r} has a + in its local part; the + is where the delivery's id and "
            "signature go, so use a plain address such as bounces@example.nl"
        )
    return address


MAILBOX_SCHEMES = ("imap", "imaps", "pop3", "pop3s")


def _mailbox_url(value: str, name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in MAILBOX_SCHEMES or not parts.hostname:
        raise ConfigError(
            f"{name}={value!r} is not a mailbox URL; use e.g. imaps://user:password@host/INBOX "
            f"(schemes: {', '.join(MAILBOX_SCHEMES)})"
        )
    try:
        parts.port  # noqa: B018 - raises for a port that is no number
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r} has a port that is no number") from exc
    if not parts.username:
        raise ConfigError(f"{name}={value!r} names no user; use scheme://user:password@host/")
    return value


# variable name -> parser; each parser gets the raw value and the name for its error message
PARSERS: dict[str, Callable[[str, str], Any]] = {
    "INSTANCE_PATH": _directory,
    "DATABASE_URL": _database_url,
    "SECRET_KEY": _text,
    "BASE_URL": _base_url,
    "TIMEZONE": _timezone,
    "NETWORK_NAME": _text,
    "NETWORK_ARTICLE": _article,
    "NETWORK_EMAIL": _email,
    "ADMIN_EMAIL": _email,
    "ADMIN_PASSWORD": _password,
    "MAX_UPLOAD_MB": _positive_int,
    "LOGIN_RATE_LIMIT": _rate_limit,
    "RATELIMIT_STORAGE_URI": _storage_uri,
    "SESSION_HOURS": _positive_int,
    "REQUIRE_2FA": _boolean,
    "MAIL_TRANSPORT": _mail_transport,
    "MAIL_SERVER": _text,
    "MAIL_PORT": _port,
    "MAIL_USE_TLS": _boolean,
    "MAIL_USE_SSL": _boolean,
    "MAIL_USERNAME": _text,
    "MAIL_PASSWORD": _text,
    "MAIL_DEFAULT_SENDER": _sender,
    "MAIL_SMTP_CONNECTIONS": _positive_int,
    "MAIL_BATCH_SIZE": _positive_int,
    "MAIL_LEASE_SECONDS": _positive_int,
    "MAIL_RETRY_DAYS": _positive_int,
    "MAIL_PAUSE_AFTER_FAILURES": _positive_int,
    "MAIL_RATE_PER_SECOND": _whole_number,
    "MAIL_RATE_PER_HOUR": _whole_number,
    "MAILGUN_API_KEY": _text,
    "MAILGUN_DOMAIN": _text,
    "MAILGUN_REGION": _mailgun_region,
    "MAILGUN_BASE_URL": _base_url,
    "MAILGUN_WEBHOOK_SIGNING_KEY": _text,
    "POSTMARK_SERVER_TOKEN": _text,
    "POSTMARK_BASE_URL": _base_url,
    "POSTMARK_MESSAGE_STREAM": _text,
    "POSTMARK_TRANSACTIONAL_STREAM": _text,
    "POSTMARK_WEBHOOK_USERNAME": _text,
    "POSTMARK_WEBHOOK_PASSWORD": _text,
    "MAIL_BOUNCE_ADDRESS": _bounce_address,
    "MAIL_SOFT_BOUNCE_LIMIT": _positive_int,
    "MAIL_SOFT_BOUNCE_DAYS": _positive_int,
    "BOUNCE_MAILBOX_URL": _mailbox_url,
}


def instance_path(environ: Mapping[str, str], overrides: Mapping[str, Any] | None) -> str | None:
    """The instance folder: an override, else INSTANCE_PATH, else None (Flask's default)."""
    if overrides and overrides.get("INSTANCE_PATH"):
        return str(overrides["INSTANCE_PATH"])
    raw = environ.get("INSTANCE_PATH")
    return _directory(raw, "INSTANCE_PATH") if raw is not None else None


def read_settings(
    environ: Mapping[str, str],
    instance_path: Path,
    overrides: Mapping[str, Any] | None = None,
    *,
    generate_key: bool = True,
) -> Settings:
    """The settings of a run: defaults, then environment variables, then explicit overrides.

    Overrides (create_app's argument, e.g. the test suite's) are taken as they are, unchecked;
    those that are no setting are for Flask (see flask_config). Without SECRET_KEY the key is the
    instance folder's (made on first start); with generate_key=False it is left empty, for
    create_app to take the key that all processes on the database share (service/shared_key.py).
    """
    values: dict[str, Any] = {}
    for name, parse in PARSERS.items():
        raw = environ.get(name)
        if raw is not None:
            values[name] = parse(raw, name)
    values |= {k: v for k, v in (overrides or {}).items() if k in SETTING_NAMES}
    if not values.get("DATABASE_URL"):
        values["DATABASE_URL"] = f"sqlite:///{instance_path / 'opgavepost.db'}"
    if not values.get("SECRET_KEY"):
        values["SECRET_KEY"] = instance_secret_key(instance_path) if generate_key else ""
    values.setdefault("INSTANCE_PATH", str(instance_path))
    values.setdefault("MAIL_OUTBOX_PATH", str(instance_path / "outbox"))
    return Settings(**values)


def flask_config(settings: Settings, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What goes into Flask's app.config: the settings that are set, and what Flask needs.

    Flask's own keys come from FlaskConfig (TestingFlaskConfig with TESTING in the overrides),
    then the overrides that are no setting, then what follows from the settings.
    """
    base = TestingFlaskConfig if overrides and overrides.get("TESTING") else FlaskConfig
    values: dict[str, Any] = {k: getattr(base, k) for k in dir(base) if k.isupper()}
    values |= {k: v for k, v in asdict(settings).items() if v is not None}
    values |= {k: v for k, v in (overrides or {}).items() if k not in SETTING_NAMES}
    values["MAX_CONTENT_LENGTH"] = settings.MAX_UPLOAD_MB * 1024 * 1024
    values.setdefault("BABEL_DEFAULT_LOCALE", settings.default_language)
    values["BABEL_DEFAULT_TIMEZONE"] = settings.TIMEZONE
    return values


def load_settings(
    environ: Mapping[str, str], instance_path: Path, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Flask's app.config for these settings (read_settings, then flask_config)."""
    return flask_config(read_settings(environ, instance_path, overrides), overrides)


def instance_secret_key(instance_path: Path) -> str:
    """Read the secret key kept in the instance folder, making one on first start.

    A constant key in code would let anyone who reads the source forge sessions and tokens.
    """
    existing = existing_instance_key(instance_path)
    if existing is not None:
        return existing
    path = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Written under a private name and then linked into place, so several gunicorn workers that
    # start together agree on one key and none of them ever reads a half-written file.
    draft = instance_path / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        os.link(draft, path)
    except FileExistsError:
        return _read_secret_key(path)
    finally:
        draft.unlink(missing_ok=True)
    return key


def existing_instance_key(instance_path: Path) -> str | None:
    """The key an earlier start generated into the instance folder, or None."""
    path = instance_path / "secret_key"
    return _read_secret_key(path) if path.exists() else None


def _read_secret_key(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise ConfigError(f"{path} is empty; delete it to have a new SECRET_KEY generated")
    return key
