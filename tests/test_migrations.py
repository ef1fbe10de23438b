"""Alembic migrations: from an empty database to the newest schema and back, matching the models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from service import migrate
from service.database import make_engine
from service.models import Base


@pytest.fixture
def empty_engine(database_url: str, tmp_path) -> Iterator[Engine]:
    """An engine on a new, empty database on the backend under test."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'leeg.db'}")
        yield engine
        engine.dispose()
        return
    name = f"opgavepost_migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
