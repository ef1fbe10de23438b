"""The generated SECRET_KEY is shared through the database, and a process with another key warns."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import PARSERS
from service import create_app
from service.heartbeats import key_fingerprint, record_process
from service.models import InstanceSecret, ProcessHeartbeat, utcnow
from service.settings import settings_of


@pytest.fixture
def no_settings_in_environment(monkeypatch):
    for name in PARSERS:
        monkeypatch.delenv(name, raising=False)


@contextmanager
def app_on(database_url: str, instance: Path, **config):
    """An app as a process on another machine builds it: its own instance folder, no key set."""
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance)} | config)
    try:
        yield app
    finally:
        app.extensions["db_engine"].dispose()


def _stored_keys(db) -> list[str]:
    db.rollback()
    return list(db.scalars(select(InstanceSecret.value)))


def test_processes_on_one_database_share_the_generated_key(
    app, db, database_url, tmp_path, no_settings_in_environment
):
    with (
        app_on(database_url, tmp_path / "one") as one,
        app_on(database_url, tmp_path / "two") as two,
    ):
        key = settings_of(one).SECRET_KEY
        assert len(key) >= 40
        assert key == settings_of(two).SECRET_KEY
        # Flask signs its session cookie with the same key.
        assert one.config["SECRET_KEY"] == two.config["SECRET_KEY"] == key
    assert _stored_keys(db) == [key]
    # Kept in the database only, not in either machine's instance folder.
    assert not (tmp_path / "one" / "secret_key").exists()
    assert not (tmp_path / "two" / "secret_key").exists()


def test_the_key_an_installation_kept_in_its_instance_folder_is_adopted(
    app, db, database_url, tmp_path, no_settings_in_environment
):
    # The key an earlier version generated: links already sent are signed with it.
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "secret_key").write_text("de-sleutel-van-de-eerste-machine-1234567890\n")
    with (
        app_on(database_url, tmp_path / "old") as old,
        app_on(database_url, tmp_path / "new") as new,
    ):
        assert settings_of(old).SECRET_KEY == "de-sleutel-van-de-eerste-machine-1234567890"
        assert settings_of(new).SECRET_KEY == settings_of(old).SECRET_KEY
    assert _stored_keys(db) == ["de-sleutel-van-de-eerste-machine-1234567890"]


def test_a_key_set_in_the_environment_is_used_and_not_stored(
    app, db, database_url, tmp_path, no_settings_in_environment, monkeypatch
):
    monkeypatch.setenv("SECRET_KEY", "uit-de-omgeving-" + "x" * 30)
    with app_on(database_url, tmp_path / "one") as one:
        assert settings_of(one).SECRET_KEY == "uit-de-omgeving-" + "x" * 30
    assert _stored_keys(db) == []


def test_before_the_upgrade_the_instance_key_serves_and_the_upgrade_moves_it_in(
    tmp_path, no_settings_in_environment
):
    url = f"sqlite:///{tmp_path / 'nieuw.db'}"
    with app_on(url, tmp_path / "instance") as app:
        # No table for it yet: the instance folder's key, as before.
        key = (tmp_path / "instance" / "secret_key").read_text().strip()
        assert key == settings_of(app).SECRET_KEY
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert key == settings_of(app).SECRET_KEY
    with app_on(url, tmp_path / "elders") as elsewhere:
        assert key == settings_of(elsewhere).SECRET_KEY


def test_a_database_that_does_not_answer_is_named_when_no_key_is_set(
    tmp_path, no_settings_in_environment
):
    from config.settings import ConfigError

    with pytest.raises(ConfigError, match=r"does not answer .*set SECRET_KEY"):
        create_app(
            {
                "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/geen",
                "INSTANCE_PATH": str(tmp_path),
            }
        )


def test_fingerprints_tell_keys_apart_and_reveal_nothing():
    one, two = key_fingerprint("sleutel-een"), key_fingerprint("sleutel-twee")
    assert one != two and len(one) == 16
    assert key_fingerprint("sleutel-een") == one
    assert "sleutel" not in one


def test_a_worker_started_with_another_key_warns_naming_the_fix(app, db, runner, caplog):
    # A web process on another machine signs with its own key.
    record_process(
        db,
        "web-elders",
        role="web",
        fingerprint=key_fingerprint("een-andere-sleutel"),
        now=utcnow(),
    )
    db.commit()
    with caplog.at_level(logging.WARNING, logger="service.heartbeats"):
        result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    warnings = [r.getMessage() for r in caplog.records if r.name == "service.heartbeats"]
    assert len(warnings) == 1
    assert "another SECRET_KEY than web on" in warnings[0]
    assert "Set the same SECRET_KEY" in warnings[0]
    # The worker removed its own row as it stopped; the other process's row stays.
    db.expire_all()
    assert list(db.scalars(select(ProcessHeartbeat.id))) == ["web-elders"]


def test_processes_with_the_same_key_do_not_warn(app, db, runner, caplog):
    record_process(
        db, "web-hier", role="web", fingerprint=key_fingerprint("test-secret-key"), now=utcnow()
    )
    db.commit()
    with caplog.at_level(logging.WARNING, logger="service.heartbeats"):
        result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert not [r for r in caplog.records if r.name == "service.heartbeats"]


def test_serve_started_with_another_key_prints_the_warning(app, db, tmp_path):
    from tests.worker_helpers import serve_process, wait_for

    record_process(
        db, "worker-elders", role="worker", fingerprint=key_fingerprint("andere"), now=utcnow()
    )
    db.commit()
    served = serve_process(app, tmp_path / "serve.log")
    try:
        # Stopped once it serves (and sends), so its signal handlers are in place.
        wait_for(
            lambda: "send loop started in this process" in served.text(),
            60,
            served.text,
            process=served.process,
        )
        assert served.stop(timeout=30) == 0, served.text()
    finally:
        served.kill()
    warning = next(line for line in served.text().splitlines() if "Warning:" in line)
    assert "This serve signs with another SECRET_KEY than worker on" in warning
    assert "Set the same SECRET_KEY in the environment of every process" in warning
