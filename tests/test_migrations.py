"""Alembic migrations: from an empty database to the newest schema and back, matching the models."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from service import migrate
from service.database import make_engine
from service.models import Base


@pytest.fixture
def empty_engine(request, database_url: str, tmp_path) -> Iterator[Engine]:
    """An engine on a new, empty database on the backend under test."""
    if make_url(database_url).get_backend_name() == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'leeg.db'}")
    else:
        databases = request.getfixturevalue("postgres_databases")
        engine = make_engine(databases.create("opgavepost_migrations"))
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _differences(engine: Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_from_empty_to_newest(empty_engine):
    assert migrate.current_revision(empty_engine) is None
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _tables(empty_engine) == set(Base.metadata.tables)


def test_downgrade_to_base_and_up_again(empty_engine):
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")
    assert migrate.current_revision(empty_engine) is None
    assert _tables(empty_engine) == set()
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _differences(empty_engine) == []


def test_models_match_the_migrations(empty_engine):
    # A model changed without a migration (or the other way round) shows up here as a difference.
    migrate.upgrade(empty_engine)
    assert _differences(empty_engine) == []


def test_upgrade_twice_changes_nothing(empty_engine):
    migrate.upgrade(empty_engine)
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_contacts_made_before_search_text_are_found_after_the_upgrade(empty_engine):
    migrate.upgrade(empty_engine, "0008")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO contacts (email, name, organisation, role, language, consent,"
                " consent_source, notes, created_at, updated_at) VALUES"
                " ('e.celik@example.nl', 'Esmée Çelik', 'École Utrecht', '', 'nl', 'given',"
                " '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as connection:
        folded = connection.execute(text("SELECT search_text FROM contacts")).scalar_one()
    assert folded == "esmee celik\necole utrecht"


def _insert(connection, table: str, stamps=("created_at", "updated_at"), **values) -> int:
    """A row written as an older version stored it; the `stamps` columns get the current time."""
    columns = [*values, *stamps]
    placeholders = [f":{name}" for name in values] + ["CURRENT_TIMESTAMP"] * len(stamps)
    connection.execute(
        text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(placeholders)})"),
        {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in values.items()},
    )
    return connection.execute(text(f"SELECT max(id) FROM {table}")).scalar_one()


def test_text_stored_with_line_breaks_and_control_characters_is_mended(empty_engine):
    migrate.upgrade(empty_engine, "0009")
    with empty_engine.begin() as connection:
        contact = _insert(
            connection,
            "contacts",
            email="jan@example.nl",
            name="Jan\r\nJansen",  # Alt+Enter in an Excel cell
            organisation="Gemeente\tUtrecht\u2028Noord",
            role="Adviseur\x0bwonen",  # Word's manual line break
            language="nl",
            consent="given",
            consent_source="",
            notes="Regel een\r\nregel twee\x0cregel drie\x01",
            search_text="jan\r\njansen\ngemeente\tutrecht\u2028noord",
        )
        _insert(
            connection,
            "users",
            email="org@example.nl",
            name="Org\nAnisator",
            password_hash="x",
            role="editor",
            language="nl",
            active=True,
        )
        meeting = _insert(
            connection,
            "meetings",
            title="Bijeenkomst\x1cZwolle",
            theme="",
            host_organisation="Gemeente  Zwolle\n",
            city="Zwolle",
            venue="",
            address="",
            starts_at="2026-06-02 08:00:00",
            ends_at="2026-06-02 11:00:00",
            description="Eerst koffie.\r\nDan \x1dpraten.",
            status="published",
            calendar_sequence=0,
        )
        campaign = _insert(
            connection,
            "campaigns",
            kind="recap",
            subject="Terugblik\x0bZwolle",
            preheader="",
            sender_name="Opgave\nbeweging",
            blocks=[{"type": "text", "body": "Een\x0btwee"}, {"type": "header", "title": "A\x1fB"}],
            audience={"emails": ["jan@example.nl\x0c"]},
            status="draft",
            status_reason="",
            failure_streak=0,
            version=1,
            meeting_id=meeting,
        )
        _insert(
            connection,
            "deliveries",
            stamps=("created_at",),
            kind="signup_confirm",
            email="jan@example.nl",
            payload={"nonce": "abc", "name": "Jan\nJansen", "language": "nl"},
            status="queued",
            attempts=0,
            next_attempt_at="2026-06-01 08:00:00",
            claim="",
            last_error="",
            provider_id="",
        )
        _insert(
            connection,
            "nominations",
            stamps=("created_at",),
            nominator_name="Piet\tPuk",
            nominator_email="piet@example.nl",
            nominee_name="Anna\r\nBijl",
            nominee_email="anna@example.nl",
            nominee_organisation="",
            reason="Omdat\r\nzij\x07 goed is.",
            reason_shared=False,
            status="new",
            decline_reason="",
        )
    migrate.upgrade(empty_engine)

    with empty_engine.connect() as connection:

        def row(sql: str):
            return connection.execute(text(sql)).one()._mapping

        person = row(f"SELECT * FROM contacts WHERE id = {contact}")
        assert person["name"] == "Jan Jansen"
        assert person["organisation"] == "Gemeente Utrecht Noord"
        assert person["role"] == "Adviseur wonen"
        assert person["notes"] == "Regel een\nregel twee\nregel drie"
        # A search finds the mended name, as for a contact saved today.
        assert person["search_text"] == "jan jansen\ngemeente utrecht noord"
        assert row("SELECT name FROM users")["name"] == "Org Anisator"
        held = row(f"SELECT * FROM meetings WHERE id = {meeting}")
        assert (held["title"], held["host_organisation"]) == (
            "Bijeenkomst Zwolle",
            "Gemeente Zwolle",
        )
        assert held["description"] == "Eerst koffie.\nDan \npraten."
        recap = row(f"SELECT * FROM campaigns WHERE id = {campaign}")
        assert (recap["subject"], recap["sender_name"]) == ("Terugblik Zwolle", "Opgave beweging")
        blocks = _json(recap["blocks"])
        assert blocks == [
            {"type": "text", "body": "Een\ntwee"},
            {"type": "header", "title": "A\nB"},
        ]
        assert _json(recap["audience"]) == {"emails": ["jan@example.nl\n"]}
        payload = _json(row("SELECT payload FROM deliveries")["payload"])
        assert payload == {"nonce": "abc", "name": "Jan Jansen", "language": "nl"}
        nomination = row("SELECT * FROM nominations")
        assert (nomination["nominator_name"], nomination["nominee_name"]) == (
            "Piet Puk",
            "Anna Bijl",
        )
        assert nomination["reason"] == "Omdat\nzij goed is."


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


# The sentences versions up to 0010 stored as a campaign's status_reason, and what each becomes.
OLD_REASONS = {
    "": ("", {}),
    "It was due at 2026-06-02T06:30:00+00:00, more than 6 hours before the scheduler could "
    "start it; start it or schedule it again.": (
        "due-too-late",
        {"due_at": "2026-06-02T06:30:00+00:00"},
    ),
    "It could not start at its scheduled time: The checks before sending found 1 error(s), so "
    "nothing was sent. Mend them in the composer first.": (
        "start-refused",
        {"cause": {"code": "checks-failed", "params": {"count": 1}}},
    ),
    "It could not start at its scheduled time: The email could not be rendered, so nothing was "
    "sent: unknown placeholder [[schoenmaat]]": (
        "start-refused",
        {
            "cause": {
                "code": "not-rendered",
                "params": {"error": "unknown placeholder [[schoenmaat]]"},
            }
        },
    ),
    "It could not start at its scheduled time: This campaign has already started.": (
        "start-refused",
        {
            "cause": {
                "code": "relay-said",
                "params": {"reply": "This campaign has already started."},
            }
        },
    ),
    "25 failures in a row; the last: 554 5.7.1 Refused by policy": (
        "failures-in-a-row",
        {"count": 25, "reply": "554 5.7.1 Refused by policy"},
    ),
    "the meeting can no longer be answered: The meeting has been cancelled; no invitation or "
    "reminder can go out for it.": ("meeting-closed", {"check": "meeting-cancelled"}),
    "the email could not be rendered: the block 'x' is unknown": (
        "render-failed",
        {"error": "the block 'x' is unknown"},
    ),
    "535 5.7.8 authentication failed": (
        "relay-said",
        {"reply": "535 5.7.8 authentication failed"},
    ),
    "could not talk to the SMTP server at 127.0.0.1:1: [Errno 111] Connection refused": (
        "relay-said",
        {
            "reply": "could not talk to the SMTP server at 127.0.0.1:1: [Errno 111] Connection "
            "refused"
        },
    ),
}


def test_status_reasons_stored_as_sentences_become_codes_and_back(empty_engine):
    migrate.upgrade(empty_engine, "0010")
    ids = {}
    with empty_engine.begin() as connection:
        for text_then in OLD_REASONS:
            ids[text_then] = _insert(
                connection,
                "campaigns",
                kind="announcement",
                subject="Nieuws",
                preheader="",
                sender_name="",
                blocks=[],
                audience={"all": True},
                status="paused",
                status_reason=text_then,
                failure_streak=0,
                version=1,
            )
    migrate.upgrade(empty_engine)

    with empty_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, status_reason_code, status_reason_params FROM campaigns")
        ).all()
    stored = {row[0]: (row[1], _json(row[2])) for row in rows}
    assert {text_then: stored[ids[text_then]] for text_then in OLD_REASONS} == OLD_REASONS

    migrate.downgrade(empty_engine, "0010")
    with empty_engine.connect() as connection:
        back = dict(connection.execute(text("SELECT id, status_reason FROM campaigns")).all())
    assert {text_then: back[ids[text_then]] for text_then in OLD_REASONS} == {
        text_then: text_then for text_then in OLD_REASONS
    }


def test_editors_become_organisers_and_viewers_go_back_inactive(empty_engine):
    migrate.upgrade(empty_engine, "0012")
    with empty_engine.begin() as connection:
        for email, role in (("beheer@example.nl", "admin"), ("redactie@example.nl", "editor")):
            _insert(
                connection,
                "users",
                email=email,
                name="",
                password_hash="x",
                role=role,
                language="nl",
                active=True,
            )
    migrate.upgrade(empty_engine)

    def roles() -> dict[str, tuple[str, bool]]:
        with empty_engine.connect() as connection:
            rows = connection.execute(text("SELECT email, role, active FROM users")).all()
        return {email: (role, bool(active)) for email, role, active in rows}

    assert roles() == {
        "beheer@example.nl": ("admin", True),
        "redactie@example.nl": ("organiser", True),
    }
    with empty_engine.begin() as connection:
        connection.execute(text("UPDATE users SET role = 'viewer' WHERE role = 'admin'"))
    # The old role is no longer allowed.
    with pytest.raises(Exception, match=r"(?i)check"), empty_engine.begin() as connection:
        connection.execute(text("UPDATE users SET role = 'editor'"))

    migrate.downgrade(empty_engine, "0012")
    assert roles() == {
        "beheer@example.nl": ("editor", False),
        "redactie@example.nl": ("editor", True),
    }
