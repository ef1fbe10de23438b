"""The SECRET_KEY that every process sharing a database signs with, when the environment sets none.

Links in emails (unsubscribe, web version, answers), password resets and login sessions are
signed with SECRET_KEY, so every web process, worker and scheduler on every machine must use the
same one. When the environment sets none, the first process generates it and keeps it in the
database (`instance_secrets`), where the others find it; an installation that kept its generated
key in the instance folder before has that key moved in, so the links it signed stay valid.
Nothing here imports Flask.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from sqlalchemy import Connection, Engine, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from service.models import InstanceSecret

SECRET_KEY = "secret_key"


def shared_secret_key(engine: Engine, candidate: Callable[[], str | None]) -> str | None:
    """The generated key kept in the database, put in first if there is none yet.

    `candidate` gives the key to put in: the instance folder's key of an existing installation,
    or None for a new random one. None while the database has no place for it (before migration
    0016): the caller keeps the instance folder's key until the upgrade.
    """
    with engine.connect() as connection:
        if not inspect(connection).has_table(InstanceSecret.__tablename__):
            return None
        stored = _stored(connection)
    if stored is not None:
        return stored
    key = candidate() or secrets.token_urlsafe(48)
    try:
        with engine.begin() as connection:
            connection.execute(insert(InstanceSecret).values(name=SECRET_KEY, value=key))
    except IntegrityError:
        pass  # another process put its key in first: everyone takes that one
    with engine.connect() as connection:
        stored = _stored(connection)
    if stored is None:
        raise RuntimeError("the shared secret key was written but cannot be read back")
    return stored


def _stored(connection: Connection) -> str | None:
    return connection.scalar(select(InstanceSecret.value).where(InstanceSecret.name == SECRET_KEY))
