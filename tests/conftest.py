"""Fixtures for the whole suite.

The database backend is chosen with `--db sqlite|postgresql|all` (or TEST_DATABASE); with `all`
every test that touches the database runs once on each backend. PostgreSQL tests use a fresh
database made for this run on TEST_POSTGRES_URL (default: the local server, trust auth).
"""

from __future__ import annotations

import copy
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config.settings import flask_config, instance_path, read_settings
from service import create_app, database, migrate
from service import settings as app_settings
from service.database import session_scope
from service.extensions import limiter
from service.models import Base
from service.settings import settings_of

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ADMIN_EMAIL = "beheer@example.nl"
ADMIN_PASSWORD = "een-lang-wachtwoord"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default=os.environ.get("TEST_DATABASE", "sqlite"),
        choices=["sqlite", "postgresql", "all"],
        help="database backend(s) to run the suite against",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames:
        choice = metafunc.config.getoption("--db")
        backends = ["sqlite", "postgresql"] if choice == "all" else [choice]
        metafunc.parametrize("database_url", backends, indirect=True, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test marked `postgresql_only` is about what only PostgreSQL does (several machines on
    # one database): on SQLite it is left out of the run (deselected, not skipped).
    left_out = [
        item
        for item in items
        if item.get_closest_marker("postgresql_only")
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("database_url") != "postgresql"
    ]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        gone = {id(item) for item in left_out}
        items[:] = [item for item in items if id(item) not in gone]


class PostgresDatabases:
    """New databases on the test server (TEST_POSTGRES_URL), all dropped when the run ends.

    PostgreSQL writes a checkpoint for each DROP DATABASE and waits for it: the first drop after
    a while of work takes seconds (a minute on a busy machine), the ones right after it a few
    milliseconds. So the run drops its databases together at its end, not one by one.
    """

    def __init__(self):
        self.server = make_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES))
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def create(self, prefix: str, **settings: str) -> str:
        """A new, empty database (with these settings for its sessions); returns its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            self.names.append(name)
            for setting, value in settings.items():
                connection.execute(text(f'ALTER DATABASE "{name}" SET {setting} = {value}'))
        return self.server.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop every database made (their connections are ended)."""
        with self.admin.connect() as connection:
            for name in reversed(self.names):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    """Makes new PostgreSQL databases for this process; drops them at the end of the run."""
    databases = PostgresDatabases()
    try:
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """A migrated, empty database for this run on the chosen backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        databases = request.getfixturevalue("postgres_databases")
        # A commit need not wait for the disk: this database is thrown away after the run, and
        # what other connections see of a commit is the same. Some 5 ms less a commit.
        url = databases.create("opgavepost_test", synchronous_commit="off")
    yield from _migrated(url)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Hash test passwords with few rounds: scrypt costs 0.2 s a login, and we log in often."""
    from service.auth import users

    users.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


def _migrated(url: str) -> Iterator[str]:
    from service.database import make_engine

    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url


# Each sequence that numbers the rows of these tables back to the value it starts at.
_RESTART_SEQUENCES = """
    SELECT setval(sequence.seqrelid, sequence.seqstart, false)
    FROM pg_sequence AS sequence
    JOIN pg_depend AS owner ON owner.objid = sequence.seqrelid
        AND owner.classid = 'pg_class'::regclass AND owner.refclassid = 'pg_class'::regclass
        AND owner.deptype IN ('a', 'i')
    JOIN pg_class AS owning_table ON owning_table.oid = owner.refobjid
    WHERE owning_table.relname = ANY(:tables)
"""


def _empty_tables(engine, keep: frozenset[str] = frozenset()) -> None:
    """Remove every row (but those of the tables in `keep`): an empty, migrated database.

    Ids start again at 1, as in a new database. DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE
    makes new files for every table and index, some 0.3 s a test, where DELETE of the few rows a
    test made takes milliseconds.
    """
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in keep]
    with engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"DELETE FROM {table}"))
        if engine.dialect.name == "postgresql":
            # What TRUNCATE ... RESTART IDENTITY did: each sequence as new.
            connection.execute(text(_RESTART_SEQUENCES), {"tables": tables})


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "BASE_URL": "http://127.0.0.1:5000",
}


class ReusedApp:
    """One app per backend and process, put back before each test into the state of a new one.

    Building an app costs more than most tests (some 550 routes compiled, the API document, each
    template compiled again on first use). Before each test the app gets what create_app would
    give a new app, read from the environment as it is then: its instance folder, settings and
    app.config, its extensions, a new engine and new rate-limit counters. Only what create_app
    builds without reading the settings (routes, hooks, compiled templates) is shared. When the
    environment makes other settings (a test set a variable first), the test gets a new app.

    Flask refuses to add routes or hooks to an app that has answered a request, and this one has:
    a test that adds any asks for an app of its own with `@pytest.mark.fresh_app`.
    """

    def __init__(self, config: dict[str, Any]):
        self.app = create_app(config)
        self.app.test_client().get("/login")  # from now on Flask keeps its routes as they are
        self.app.extensions["db_engine"].dispose()
        self.settings = settings_of(self.app)
        self.config = copy.deepcopy(dict(self.app.config))
        self.extensions = dict(self.app.extensions)

    def renewed(self, config: dict[str, Any]) -> Flask | None:
        """The app as create_app(config) would make it now, or None if it would differ."""
        folder = instance_path(os.environ, config)
        settings = read_settings(os.environ, Path(folder), config)
        moved = {"INSTANCE_PATH": self.settings.INSTANCE_PATH}
        outbox_in_folder = str(Path(folder) / "outbox")
        if outbox_in_folder == settings.MAIL_OUTBOX_PATH:
            moved["MAIL_OUTBOX_PATH"] = self.settings.MAIL_OUTBOX_PATH
        if replace(settings, **moved) != self.settings:
            return None
        app = self.app
        app.instance_path = folder
        # In place: Jinja's `config` and the extensions hold these very objects.
        app.config.clear()
        app.config.update(copy.deepcopy(self.config) | flask_config(settings, config))
        app.extensions.clear()
        app.extensions.update(self.extensions)
        app_settings.init_app(app, settings)
        database.bind_engine(app, database.make_engine(settings.DATABASE_URL))
        limiter.init_app(app)  # new, empty counters (the hooks it adds once are there already)
        return app


@pytest.fixture(scope="session")
def reused_app(database_url: str, tmp_path_factory) -> Iterator[ReusedApp]:
    reused = ReusedApp(_test_config(database_url, tmp_path_factory.mktemp("reused") / "instance"))
    yield reused
    reused.app.extensions["db_engine"].dispose()


def _test_config(database_url: str, instance: Path) -> dict[str, Any]:
    return TEST_CONFIG | {"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance)}


@pytest.fixture
def app(request: pytest.FixtureRequest, reused_app: ReusedApp, database_url: str, tmp_path: Path):
    """The app on a clean database, with test settings and its own instance folder.

    It is the process's app put back as new (see ReusedApp), or, for a test marked `fresh_app`,
    a new one.
    """
    config = _test_config(database_url, tmp_path / "instance")
    app = None if request.node.get_closest_marker("fresh_app") else reused_app.renewed(config)
    if app is None:
        app = create_app(config)
    engine = app.extensions["db_engine"]
    _empty_tables(engine)
    yield app
    engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A database session for arranging and checking data (commit to make it visible).

    It is a plain session, not the one of an app context: requests made by the test client get
    their own session and language, as in production, so a view that forgets to commit fails.
    """
    session = app.extensions["db_sessionmaker"]()
    yield session
    session.close()


@pytest.fixture
def admin_user(app):
    """An admin organiser account (email ADMIN_EMAIL, password ADMIN_PASSWORD)."""
    from service.auth.users import create_user
    from service.models import Role

    with session_scope(app) as session:
        user = create_user(session, ADMIN_EMAIL, ADMIN_PASSWORD, Role.ADMIN, "Beheerder")
        user_id = user.id
    return user_id


def login(client, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD):
    """Log in through the real login form, CSRF token included."""
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def csrf_token_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def organiser(client, admin_user):
    """A test client logged in as an admin organiser."""
    response = login(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


# An answer in RecordingSmtpHandler.data_answers: close the connection instead of answering.
DROP = "drop the connection"


class RecordingSmtpHandler:
    """An aiosmtpd handler that keeps every message, or answers with a code it is told to.

    `answer` answers every message; `next_answers` answers the next messages one by one;
    `refused` maps addresses to the answer their RCPT TO gets; `data_answers` maps addresses to
    the answer their next message gets, once (any text, a garbled one too, or DROP). With
    `pipelining` on, the server offers PIPELINING as Postfix does (aiosmtpd reads pipelined
    commands in order). `smtputf8` records, per message, whether MAIL FROM asked for SMTPUTF8.
    """

    def __init__(self):
        self.messages: list = []
        self.answer: str | None = None  # e.g. "451 4.3.0 try later" or "550 5.1.1 no such user"
        self.next_answers: list[str] = []
        self.refused: dict[str, str] = {}
        self.data_answers: dict[str, str] = {}
        self.smtputf8: list[bool] = []
        self.pipelining = False

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        told = self.data_answers.pop(envelope.rcpt_tos[0], None)
        if told == DROP:
            server.transport.close()
            return "250 OK"  # nobody hears it any more
        if told is not None:
            return told
        if self.next_answers:
            return self.next_answers.pop(0)
        if self.answer:
            return self.answer
        from email import message_from_bytes, message_from_string, policy

        content = envelope.original_content or envelope.content
        self.smtputf8.append(envelope.smtp_utf8)
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                # A message sent with SMTPUTF8 may have UTF-8 headers (RFC 6532), which the
                # bytes parser would leave as undecodable bytes.
                message_from_string(content.decode("utf-8"), policy=policy.default)
                if envelope.smtp_utf8
                else message_from_bytes(content, policy=policy.default),
            )
        )
        return "250 OK"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on now (the system picks one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server_with(handler: RecordingSmtpHandler, **options) -> Iterator:
    """A real SMTP server (aiosmtpd) on a free port of 127.0.0.1 with the given handler."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (aiosmtpd): .port, .handler.messages, .handler.answer.

    It does not offer SMTPUTF8 (aiosmtpd's Controller would by default), as many servers do not.
    """
    with smtp_server_with(RecordingSmtpHandler(), enable_SMTPUTF8=False) as controller:
        yield controller


@pytest.fixture
def smtputf8_server():
    """The same server offering SMTPUTF8 (RFC 6531), for internationalised addresses."""
    with smtp_server_with(RecordingSmtpHandler(), enable_SMTPUTF8=True) as controller:
        yield controller


class Clock:
    """A clock the test moves by hand, so retries and deadlines need no waiting.

    It starts at 12 May 2026, 09:00 UTC, and stays there until `advance` moves it.
    """

    def __init__(self):
        self.now = datetime(2026, 5, 12, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    """A Clock for the send loop and the queue (12 May 2026, 09:00 UTC until moved)."""
    return Clock()
