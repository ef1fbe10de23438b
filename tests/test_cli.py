"""The `opgavepost` command: accounts, tokens, schema, clean errors for bad settings, Procfile."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import requests
from sqlalchemy import inspect, select

from service import create_app, migrate
from service.models import ApiToken, AuditEntry, Role, User
from tests.conftest import free_port, login
from tests.worker_helpers import BIN, OPGAVEPOST, ROOT, command_environment, run_command


def _environment(tmp_path: Path, **values: str) -> dict[str, str]:
    return command_environment(**({"INSTANCE_PATH": str(tmp_path / "instance")} | values))


def _opgavepost(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_command([str(OPGAVEPOST), *args], _environment(tmp_path, **env), cwd=tmp_path)


# --- accounts and tokens ---------------------------------------------------------------------


def test_users_create_admin_prints_a_password_that_logs_in(runner, client, db):
    result = runner.invoke(args=["users", "create", "Nieuw@Example.nl", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert "Created admin nieuw@example.nl." in result.output
    password = result.output.split("Password: ")[1].strip()
    assert db.scalar(select(User.role).where(User.email == "nieuw@example.nl")) == Role.ADMIN
    assert password not in db.scalar(select(User.password_hash))
    assert login(client, "nieuw@example.nl", password).status_code == 302


def test_users_create_with_given_password_does_not_print_it(runner, client):
    result = runner.invoke(
        args=["users", "create", "redacteur@example.nl", "--password", "lang-genoeg-123"]
    )
    assert result.exit_code == 0, result.output
    assert "Created organiser redacteur@example.nl." in result.output
    assert "lang-genoeg-123" not in result.output
    assert login(client, "redacteur@example.nl", "lang-genoeg-123").status_code == 302


def test_users_create_refuses_a_taken_address_and_a_short_password(runner, admin_user, db):
    taken = runner.invoke(args=["users", "create", "BEHEER@example.nl"])
    assert taken.exit_code == 1
    assert "already exists" in taken.output
    short = runner.invoke(args=["users", "create", "kort@example.nl", "--password", "kort"])
    assert short.exit_code == 1
    assert "at least 12 characters" in short.output
    assert len(db.scalars(select(User)).all()) == 1


def test_tokens_create_prints_a_token_the_api_accepts(runner, client, admin_user, db):
    result = runner.invoke(args=["tokens", "create", "beheer@example.nl", "--name", "koppeling"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("opg_")
    stored = db.scalar(select(ApiToken))
    assert stored.name == "koppeling"
    assert stored.token_hash != token and token not in stored.token_hash
    response = client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_tokens_create_for_an_unknown_organiser_says_how_to_mend_it(runner):
    result = runner.invoke(args=["tokens", "create", "niemand@example.nl"])
    assert result.exit_code == 1
    assert "no organiser with address niemand@example.nl" in result.output
    assert "opgavepost users create" in result.output


def test_users_create_takes_each_role(runner, db):
    for role in ("admin", "organiser", "viewer"):
        result = runner.invoke(
            args=["users", "create", f"{role}@example.nl", "--role", role, "--password", "x" * 12]
        )
        assert result.exit_code == 0, result.output
    roles = db.execute(select(User.email, User.role).order_by(User.email)).all()
    assert [(email, role.value) for email, role in roles] == [
        ("admin@example.nl", "admin"),
        ("organiser@example.nl", "organiser"),
        ("viewer@example.nl", "viewer"),
    ]
    bad = runner.invoke(args=["users", "create", "x@example.nl", "--role", "editor"])
    assert bad.exit_code == 2


def test_users_list_shows_each_account_without_secrets(runner, client, admin_user, db):
    runner.invoke(
        args=[
            "users",
            "create",
            "lezer@example.nl",
            "--role",
            "viewer",
            "--name",
            "Lea Lezer",
            "--password",
            "lang-genoeg-123",
        ]
    )
    login(client)  # the admin signs in: a last sign-in to show
    lines = runner.invoke(args=["users", "list"]).output.splitlines()
    assert lines[0].split() == ["EMAIL", "NAME", "ROLE", "ACTIVE", "LAST", "SIGN-IN", "2FA"]
    admin = lines[1].split()
    assert admin[:4] == ["beheer@example.nl", "Beheerder", "admin", "yes"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", admin[4]) and admin[6] == "off"
    assert lines[2].split() == ["lezer@example.nl", "Lea", "Lezer", "viewer", "yes", "never", "off"]
    assert "lang-genoeg" not in "\n".join(lines)


def test_users_set_role_and_deactivate_keep_an_active_admin(runner, client, admin_user, db):
    runner.invoke(args=["users", "create", "collega@example.nl", "--password", "lang-genoeg-123"])

    promoted = runner.invoke(args=["users", "set-role", "Collega@example.nl", "viewer"])
    assert promoted.exit_code == 0, promoted.output
    assert promoted.output.strip() == "collega@example.nl is viewer now."
    again = runner.invoke(args=["users", "set-role", "collega@example.nl", "viewer"])
    assert again.output.strip() == "collega@example.nl was viewer already."

    last = runner.invoke(args=["users", "set-role", "beheer@example.nl", "organiser"])
    assert last.exit_code == 1
    assert "the last active admin cannot be removed or demoted" in last.output
    refused = runner.invoke(args=["users", "deactivate", "beheer@example.nl"])
    assert refused.exit_code == 1
    assert "the last active admin" in refused.output
    unknown = runner.invoke(args=["users", "deactivate", "niemand@example.nl"])
    assert unknown.exit_code == 1 and "no organiser with address niemand" in unknown.output

    assert login(client, "collega@example.nl", "lang-genoeg-123").status_code == 302
    ended = runner.invoke(args=["users", "deactivate", "collega@example.nl"])
    assert ended.exit_code == 0 and ended.output.strip() == "Deactivated collega@example.nl."
    assert client.get("/contacts/").status_code == 302  # the session has ended
    assert login(client, "collega@example.nl", "lang-genoeg-123").status_code == 200
    listed = runner.invoke(args=["users", "list"]).output
    assert re.search(r"collega@example.nl .* viewer +no +", listed)
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert [a for a in actions if a.startswith("account.")] == [
        "account.role",
        "account.deactivate",
    ]


# --- the schema ------------------------------------------------------------------------------


def test_db_current_shows_the_newest_revision(runner):
    result = runner.invoke(args=["db", "current"])
    assert result.exit_code == 0, result.output
    head = migrate.head_revision()
    assert result.output.strip() == f"database: {head}, newest: {head}"


def test_db_upgrade_makes_the_tables_of_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'nieuw.db'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance")})
    engine = app.extensions["db_engine"]
    try:
        before = app.test_cli_runner().invoke(args=["db", "current"])
        assert before.output.strip() == f"database: None, newest: {migrate.head_revision()}"
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert f"Database is at revision {migrate.head_revision()}." in result.output
        assert {"contacts", "meetings", "users", "api_tokens", "audit_log"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


# --- bad settings: one line, exit code 2 -----------------------------------------------------


def test_bad_setting_is_one_clean_line_with_exit_code_2(tmp_path):
    result = _opgavepost(tmp_path, "db", "current", TIMEZONE="Europe/Zwolle")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Error: TIMEZONE='Europe/Zwolle' is not a known time zone; use a name like Europe/Amsterdam"
    ]
    assert result.stdout == ""


def test_bad_setting_also_stops_help_cleanly(tmp_path):
    result = _opgavepost(tmp_path, "--help", DATABASE_URL="mysql://u@127.0.0.1/db")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Error: DATABASE_URL must point at SQLite or PostgreSQL, not mysql"
    ]


def test_serve_with_a_short_admin_password_refuses_to_start(tmp_path):
    result = _opgavepost(tmp_path, "serve", ADMIN_PASSWORD="kort")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: ADMIN_PASSWORD is shorter than 12 characters")
    assert "kort" not in result.stderr
    assert not (tmp_path / "instance" / "opgavepost.db").exists()


def test_serve_with_a_common_admin_password_says_which_rule_and_not_the_password(tmp_path):
    result = _opgavepost(tmp_path, "serve", ADMIN_PASSWORD="password1234")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: ADMIN_PASSWORD is refused: This password is one of")
    assert "password1234" not in result.stderr


def test_serve_with_an_unreachable_database_says_so_in_one_line(tmp_path):
    port = free_port()  # nothing listens there
    result = _opgavepost(
        tmp_path, "serve", DATABASE_URL=f"postgresql://postgres@127.0.0.1:{port}/opgavepost"
    )
    # Found while reading the settings: without SECRET_KEY the key is read from the database.
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: the database does not answer (")
    assert result.stderr.strip().endswith("check DATABASE_URL")


def test_help_lists_every_command(tmp_path, runner):
    result = _opgavepost(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    commands = {
        line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line
    }
    assert {"db", "users", "tokens", "contacts", "demo", "serve"} <= commands
    db_help = runner.invoke(args=["db", "--help"]).output
    for name in ("upgrade", "downgrade", "current", "revision"):
        assert name in db_help
    assert "load" in runner.invoke(args=["demo", "--help"]).output
    serve_help = runner.invoke(args=["serve", "--help"]).output
    assert "--host" in serve_help and "--port" in serve_help


# --- the Procfile ----------------------------------------------------------------------------


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    entries = [line.split(":", 1) for line in lines if line and not line.startswith("#")]
    return {name.strip(): command.strip() for name, command in entries}


def test_procfile_release_and_web_processes_run(tmp_path):
    processes = _procfile()
    assert set(processes) == {"web", "release", "worker", "scheduler"}
    port = free_port()
    env = _environment(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'platform.db'}",
        PORT=str(port),
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
        # gunicorn's control socket goes to XDG_RUNTIME_DIR; one per test keeps runs apart.
        XDG_RUNTIME_DIR=str(tmp_path),
    )
    release = run_command(["sh", "-c", processes["release"]], env)
    assert release.returncode == 0, release.stderr
    assert f"Database is at revision {migrate.head_revision()}." in release.stdout

    # `exec`, as process managers do, so SIGTERM reaches gunicorn and not a waiting shell.
    with (tmp_path / "web.err").open("w") as log:
        web = subprocess.Popen(
            ["sh", "-c", f"exec {processes['web']}"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert web.poll() is None, (tmp_path / "web.err").read_text()
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):
                assert time.monotonic() < deadline, "the web process did not answer"
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.json()["database"] == "ok"
        assert requests.get(f"http://127.0.0.1:{port}/login", timeout=5).status_code == 200
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
    assert web.returncode == 0
    assert "0.0.0.0:" + str(port) in (tmp_path / "web.err").read_text()
    assert shlex.split(processes["web"])[0] == "gunicorn"
