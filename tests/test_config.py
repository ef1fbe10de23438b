"""Settings from environment variables: defaults, errors that name the variable, the secret key."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values

from config.settings import PARSERS, ConfigError, Settings, instance_path, load_settings
from service import create_app
from service.settings import settings_of

EXAMPLE_ENV = Path(__file__).parent.parent / "config" / "example.env"

# One malformed value for every variable; the test below keeps this in step with PARSERS.
MALFORMED = {
    "INSTANCE_PATH": "  ",
    "DATABASE_URL": "mysql://user@127.0.0.1/opgavepost",
    "SECRET_KEY": "   ",
    "BASE_URL": "post.example.nl",
    "TIMEZONE": "Europe/Zwolle",
    "NETWORK_NAME": "",
    "NETWORK_ARTICLE": "den",
    "NETWORK_EMAIL": "grenzeloossamenwerken-at-rijksoverheid.nl",
    "ADMIN_EMAIL": "beheer@",
    "ADMIN_PASSWORD": "kort",
    "MAX_UPLOAD_MB": "tien",
    "LOGIN_RATE_LIMIT": "vaak",
    "RATELIMIT_STORAGE_URI": "postgres://127.0.0.1/limits",
    "SESSION_HOURS": "-3",
    "REQUIRE_2FA": "soms",
    "MAIL_TRANSPORT": "postduif",
    "MAIL_SERVER": " ",
    "MAIL_PORT": "70000",
    "MAIL_USE_TLS": "misschien",
    "MAIL_USE_SSL": "2",
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_DEFAULT_SENDER": "nieuwsbrief@",
    "MAIL_SMTP_CONNECTIONS": "0",
    "MAIL_BATCH_SIZE": "veel",
    "MAIL_LEASE_SECONDS": "-5",
    "MAIL_RETRY_DAYS": "drie",
    "MAIL_PAUSE_AFTER_FAILURES": "0",
    "MAIL_RATE_PER_SECOND": "-1",
    "MAIL_RATE_PER_HOUR": "1000/h",
    "MAILGUN_API_KEY": " ",
    "MAILGUN_DOMAIN": "",
    "MAILGUN_REGION": "asia",
    "MAILGUN_BASE_URL": "api.mailgun.net",
    "MAILGUN_WEBHOOK_SIGNING_KEY": " ",
    "POSTMARK_SERVER_TOKEN": "",
    "POSTMARK_BASE_URL": "ftp://api.postmarkapp.com",
    "POSTMARK_MESSAGE_STREAM": " ",
    "POSTMARK_TRANSACTIONAL_STREAM": "",
    "POSTMARK_WEBHOOK_USERNAME": "",
    "POSTMARK_WEBHOOK_PASSWORD": " ",
    "MAIL_BOUNCE_ADDRESS": "bounces+extra@example.nl",
    "MAIL_SOFT_BOUNCE_LIMIT": "0",
    "MAIL_SOFT_BOUNCE_DAYS": "een maand",
    "BOUNCE_MAILBOX_URL": "https://user:pass@mail.example.nl/INBOX",
}


def test_defaults_run_out_of_the_box(tmp_path):
    settings = load_settings({}, tmp_path)
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'opgavepost.db'}"
    assert settings["TIMEZONE"] == "Europe/Amsterdam"
    assert settings["NETWORK_NAME"] == "Opgavebeweging"
    assert settings["NETWORK_EMAIL"] == "grenzeloossamenwerken@rijksoverheid.nl"
    assert settings["BASE_URL"] == "http://127.0.0.1:5000"
    assert settings["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024
    assert settings["BABEL_DEFAULT_LOCALE"] == "nl"
    assert "ADMIN_EMAIL" not in settings
    assert len(settings["SECRET_KEY"]) >= 40


def test_environment_overrides_defaults(tmp_path):
    settings = load_settings(
        {
            "BASE_URL": "https://post.example.nl/",
            "TIMEZONE": "Europe/Brussels",
            "MAX_UPLOAD_MB": "2",
            "NETWORK_EMAIL": "Netwerk@Example.nl",
        },
        tmp_path,
    )
    assert settings["BASE_URL"] == "https://post.example.nl"
    assert settings["TIMEZONE"] == settings["BABEL_DEFAULT_TIMEZONE"] == "Europe/Brussels"
    assert settings["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    assert settings["NETWORK_EMAIL"] == "Netwerk@example.nl"


def test_every_variable_has_a_malformed_case_here():
    assert set(MALFORMED) == set(PARSERS)


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_value_is_an_error_naming_the_variable(name, tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_settings({name: MALFORMED[name]}, tmp_path)
    assert str(caught.value).startswith(name)


def test_admin_password_is_never_repeated_in_the_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_settings({"ADMIN_PASSWORD": "geheim123"}, tmp_path)
    assert "geheim123" not in str(caught.value)
    assert "12 characters" in str(caught.value)


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://opgavepost:wachtwoord@db.example.nl:5432/opgavepost",
        "postgres://opgavepost:wachtwoord@db.example.nl:5432/opgavepost",
    ],
)
def test_postgresql_url_is_given_the_psycopg_driver(given, tmp_path):
    settings = load_settings({"DATABASE_URL": given}, tmp_path)
    assert settings["DATABASE_URL"] == (
        "postgresql+psycopg://opgavepost:wachtwoord@db.example.nl:5432/opgavepost"
    )


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    instance = tmp_path / "instance"
    first = load_settings({}, instance)["SECRET_KEY"]
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_settings({}, instance)["SECRET_KEY"] == first
    assert [p.name for p in instance.iterdir()] == ["secret_key"]


def test_each_instance_folder_gets_its_own_secret_key(tmp_path):
    one = load_settings({}, tmp_path / "one")["SECRET_KEY"]
    two = load_settings({}, tmp_path / "two")["SECRET_KEY"]
    assert one != two


def test_secret_key_from_environment_writes_no_file(tmp_path):
    settings = load_settings({"SECRET_KEY": "uit-de-omgeving"}, tmp_path)
    assert settings["SECRET_KEY"] == "uit-de-omgeving"
    assert not (tmp_path / "secret_key").exists()


def test_empty_secret_key_file_is_an_error_saying_what_to_do(tmp_path):
    (tmp_path / "secret_key").write_text("\n")
    with pytest.raises(ConfigError, match="delete it"):
        load_settings({}, tmp_path)


def test_instance_path_from_environment_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert instance_path({"INSTANCE_PATH": "data"}, None) == str(tmp_path / "data")
    assert instance_path({"INSTANCE_PATH": "data"}, {"INSTANCE_PATH": "/srv/x"}) == "/srv/x"
    assert instance_path({}, None) is None


def test_app_keeps_its_database_and_key_in_instance_path(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "hier"))
    for name in set(PARSERS) - {"INSTANCE_PATH"}:
        monkeypatch.delenv(name, raising=False)
    app = create_app()
    try:
        assert app.instance_path == str(tmp_path / "hier")
        assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'hier' / 'opgavepost.db'}"
        assert (tmp_path / "hier" / "secret_key").exists()
    finally:
        app.extensions["db_engine"].dispose()


def test_the_app_reads_its_settings_once_into_one_frozen_typed_object(tmp_path, monkeypatch):
    for name in PARSERS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAIL_PORT", "587")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    monkeypatch.setenv("MAIL_BATCH_SIZE", "50")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x" * 40})
    try:
        settings = settings_of(app)
        assert set(PARSERS) <= {field.name for field in dataclasses.fields(Settings)}
        assert (settings.MAIL_PORT, settings.MAIL_USE_TLS, settings.MAIL_BATCH_SIZE) == (
            587,
            True,
            50,
        )
        # Defaults are the dataclass's own, and Flask's config carries the same values.
        assert settings.MAIL_RETRY_DAYS == Settings.MAIL_RETRY_DAYS == app.config["MAIL_RETRY_DAYS"]
        assert app.instance_path == settings.INSTANCE_PATH
        with pytest.raises(dataclasses.FrozenInstanceError):
            settings.MAIL_PORT = 25  # type: ignore[misc]
    finally:
        app.extensions["db_engine"].dispose()


def test_example_env_lists_every_variable_with_a_comment():
    lines = EXAMPLE_ENV.read_text().splitlines()
    for name in PARSERS:
        matches = [i for i, line in enumerate(lines) if line.lstrip("# ").startswith(f"{name}=")]
        assert matches, f"{name} is missing from config/example.env"
        above = lines[matches[0] - 1]
        assert above.startswith("# ") and "=" not in above.split()[1], (
            f"{name} in config/example.env has no explaining line above it"
        )


def test_example_env_values_are_valid_and_equal_the_defaults(tmp_path):
    values = {k: v for k, v in dotenv_values(EXAMPLE_ENV).items() if v is not None}
    assert values, "example.env sets no values"
    assert load_settings(values, tmp_path) == load_settings({}, tmp_path)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Opgavebeweging <Post@Example.org>", "Opgavebeweging <Post@example.org>"),
        ('"Bureau, Opgave" <post@example.org>', '"Bureau, Opgave" <post@example.org>'),
        ("Coördinatie Opgaven <post@example.org>", '"Coördinatie Opgaven" <post@example.org>'),
        ("post@example.org", "post@example.org"),
    ],
)
def test_a_default_sender_may_carry_a_name_as_flask_mail_allows(given, kept, tmp_path):
    assert load_settings({"MAIL_DEFAULT_SENDER": given}, tmp_path)["MAIL_DEFAULT_SENDER"] == kept


@pytest.mark.parametrize(
    "given", ["Opgavebeweging <post@>", "Opgave\x0bbeweging <post@example.org>"]
)
def test_a_default_sender_with_a_bad_address_or_name_stops_the_start(given, tmp_path):
    with pytest.raises(ConfigError, match=r"^MAIL_DEFAULT_SENDER"):
        load_settings({"MAIL_DEFAULT_SENDER": given}, tmp_path)


@pytest.fixture
def named_sender(monkeypatch):
    """MAIL_DEFAULT_SENDER in the display-name form, set before the app starts."""
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "Opgavebeweging Noord <post@example.org>")


def test_the_app_starts_with_a_named_sender_and_its_mail_carries_the_name(
    named_sender, app, db, organiser
):
    from email import message_from_bytes, policy
    from pathlib import Path

    from sqlalchemy import select

    from service.campaigns import store
    from service.delivery.queue import start_sending
    from service.delivery.sendloop import SendLoop
    from service.message_kinds import MESSAGE_KINDS
    from service.models import Campaign
    from tests.builders import make_contact
    from tests.conftest import csrf_token_from

    assert app.config["MAIL_DEFAULT_SENDER"] == "Opgavebeweging Noord <post@example.org>"
    # A new campaign takes the name as its sender name.
    page = organiser.get("/campaigns/new").get_data(as_text=True)
    organiser.post("/campaigns/new", data={"csrf_token": csrf_token_from(page), "kind": "recap"})
    assert db.scalars(select(Campaign.sender_name)).one() == "Opgavebeweging Noord"
    # So does a campaign that names no sender, in the mail that goes out.
    make_contact(db)
    campaign = store.create_campaign(
        db,
        kind="recap",
        subject="Terugblik",
        sender_name="",
        blocks=[{"type": "text", "body": "Beste [[first_name]],"}],
        actor=None,
    )
    start_sending(db, campaign, actor=None)
    db.commit()
    SendLoop.from_config(
        settings_of(app), app.extensions["db_sessionmaker"], MESSAGE_KINDS
    ).run_once()

    (file,) = Path(app.config["MAIL_OUTBOX_PATH"]).glob("*.eml")
    message = message_from_bytes(file.read_bytes(), policy=policy.default)
    assert message["From"] == "Opgavebeweging Noord <post@example.org>"
