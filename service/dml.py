"""INSERT, UPDATE and DELETE through a Session: how many rows changed, and a counter's upsert."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import CursorResult, Executable
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session


def rows_changed(session: Session, statement: Executable) -> int:
    """Run an INSERT, UPDATE or DELETE without RETURNING; the number of rows it changed.

    Several of our guards are one conditional UPDATE whose count says who won a race (a
    campaign's transition, the scheduler's lease, a reminder claimed once).
    """
    result = session.execute(statement)
    # Session.execute is typed to return a plain Result whatever the statement; for these
    # statements SQLAlchemy hands back a CursorResult, which is where the count is.
    if not isinstance(result, CursorResult):
        raise TypeError(
            f"the statement gave a {type(result).__name__}, which counts no changed rows; "
            "rows_changed takes an INSERT, UPDATE or DELETE without RETURNING"
        )
    return result.rowcount


def insert_or_add(
    session: Session,
    model: type[DeclarativeBase],
    key: Mapping[str, Any],
    *,
    counter: str,
    values: Mapping[str, Any] | None = None,
) -> None:
    """Add 1 to `counter` of `model`'s row with `key`, or insert that row with the counter at 1.

    One INSERT ... ON CONFLICT DO UPDATE, which SQLite (3.24 on) and PostgreSQL both run as a
    single atomic statement: two requests at the same moment both count, and neither fails on
    the primary key. `values` are the other columns of a new row; an existing row keeps its own.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert: Any = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:
        raise NotImplementedError(f"no upsert for the {dialect} database; use SQLite or PostgreSQL")
    statement = insert(model).values({**(values or {}), **key, counter: 1})
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={counter: getattr(model, counter) + 1}
    )
    session.execute(statement)
