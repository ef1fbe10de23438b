"""INSERT, UPDATE and DELETE through a Session, and how many rows they changed."""

from __future__ import annotations

from sqlalchemy import CursorResult, Executable
from sqlalchemy.orm import Session


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
