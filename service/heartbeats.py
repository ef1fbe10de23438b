"""Which processes run on this database, and whether they all sign with the same SECRET_KEY.

Each web process, worker and scheduler keeps a row (`process_heartbeats`) with a fingerprint of
its key: an HMAC of a constant under the key, which tells keys apart without giving anything of
them away. A process that finds another one seen lately with a different fingerprint warns:
links and sessions signed by one would be refused by the other. Nothing here imports Flask.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from service.models import ProcessHeartbeat, utcnow

FINGERPRINT_MESSAGE = b"opgavepost: fingerprint of SECRET_KEY"
# How often a running process says it is still there, and how long a silent one counts as running
# (a web process beats only while it answers requests, so the window is generous).
BEAT_SECONDS = 60
RUNNING_WINDOW = timedelta(minutes=10)
# Rows of processes that stopped without saying so are removed after this.
FORGET_AFTER = timedelta(days=1)

log = logging.getLogger("service.heartbeats")


def key_fingerprint(secret_key: str) -> str:
    """16 hex digits that differ between keys and reveal nothing of the key."""
    digest = hmac.new(secret_key.encode(), FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()
    return digest[:16]


@dataclass(frozen=True)
class OtherProcess:
    """A running process that signs with another key."""

    role: str
    host: str
    pid: int


def new_process_id() -> str:
    """A name for this process's row: its pid and a random part (pids repeat across machines)."""
    return f"{os.getpid()}-{secrets.token_hex(8)}"


def record_process(
    session: Session, process_id: str, *, role: str, fingerprint: str, now: datetime
) -> list[OtherProcess]:
    """Note that this process runs (or still runs); the running ones with another key.

    The caller commits.
    """
    row = session.get(ProcessHeartbeat, process_id)
    if row is None:
        session.add(
            ProcessHeartbeat(
                id=process_id,
                role=role,
                host=socket.gethostname()[:255],
                pid=os.getpid(),
                key_fingerprint=fingerprint,
                started_at=now,
                seen_at=now,
            )
        )
    else:
        row.seen_at = now
    session.execute(delete(ProcessHeartbeat).where(ProcessHeartbeat.seen_at < now - FORGET_AFTER))
    others = session.scalars(
        select(ProcessHeartbeat)
        .where(
            ProcessHeartbeat.seen_at >= now - RUNNING_WINDOW,
            ProcessHeartbeat.key_fingerprint != fingerprint,
            ProcessHeartbeat.id != process_id,
        )
        .order_by(ProcessHeartbeat.started_at)
    )
    return [OtherProcess(p.role, p.host, p.pid) for p in others]


def forget_process(session: Session, process_id: str) -> None:
    """This process stops: its row goes (the caller commits)."""
    session.execute(delete(ProcessHeartbeat).where(ProcessHeartbeat.id == process_id))


def mismatch_warning(role: str, others: Sequence[OtherProcess]) -> str:
    """The warning for a process whose key differs from that of running processes."""
    named = ", ".join(f"{p.role} on {p.host} (pid {p.pid})" for p in others[:5])
    more = f" and {len(others) - 5} more" if len(others) > 5 else ""
    return (
        f"This {role} signs with another SECRET_KEY than {named}{more}: links and logins signed "
        "by one are refused by the other. Set the same SECRET_KEY in the environment of every "
        "process on every machine (or leave it unset everywhere, to share the key generated in "
        "the database)."
    )


class Heartbeat:
    """Records a process at its start, beats every BEAT_SECONDS in a thread, forgets it at stop.

    Warns (through `warn`, by default the log) once for each set of processes found running with
    another key, at the start and whenever a later beat finds new ones.
    """

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        role: str,
        secret_key: str,
        warn: Callable[[str], None] | None = None,
        interval: float = BEAT_SECONDS,
    ):
        self.sessions = sessions
        self.role = role
        self.fingerprint = key_fingerprint(secret_key)
        self.process_id = new_process_id()
        self.warn = warn or log.warning
        self.interval = interval
        self._warned: set[OtherProcess] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last_beat: float | None = None

    def beat(self) -> None:
        """Record this process now and warn about new processes with another key."""
        self._last_beat = time.monotonic()
        try:
            with self.sessions() as session:
                others = record_process(
                    session,
                    self.process_id,
                    role=self.role,
                    fingerprint=self.fingerprint,
                    now=utcnow(),
                )
                session.commit()
        except SQLAlchemyError as exc:
            # The heartbeat only serves the warning; a database hiccup must not stop the process.
            log.info("could not record this process's heartbeat: %s", exc)
            return
        new = [p for p in others if p not in self._warned]
        if new:
            self._warned.update(new)
            self.warn(mismatch_warning(self.role, others))

    def beat_if_due(self) -> None:
        """Beat when the last beat is `interval` ago, for a process without a thread of its own.

        A web process calls it before each request: it costs a write a minute at most.
        """
        last = self._last_beat
        if last is not None and time.monotonic() - last < self.interval:
            return
        if not self._lock.acquire(blocking=False):
            return  # another request of this process is beating right now
        try:
            self.beat()
        finally:
            self._lock.release()

    def start(self) -> Heartbeat:
        """Beat now, then every `interval` seconds in a daemon thread."""
        self.beat()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """End the thread and remove this process's row."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            with self.sessions() as session:
                forget_process(session, self.process_id)
                session.commit()
        except SQLAlchemyError as exc:
            log.info("could not remove this process's heartbeat: %s", exc)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.beat()
