"""What the benchmarks share: Postfix's smtp-sink on a loopback port, and throwaway databases.

Not a benchmark itself (scripts/test runs every bench/*.py with --smoke; this folder is not one).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import time


class SmtpSink:
    """Postfix's smtp-sink on a free loopback port, counting what it received."""

    def __init__(self, program: str):
        self.program = program
        self.port = free_port()
        # Closed in __exit__; smtp-sink writes its counter into it meanwhile.
        self._counter = tempfile.TemporaryFile()  # noqa: SIM115
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> SmtpSink:
        command = [self.program, "-c"]
        if os.geteuid() == 0:
            command += ["-u", "nobody"]
        command += [f"127.0.0.1:{self.port}", "1024"]
        self._process = subprocess.Popen(command, stdout=self._counter, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise SystemExit("smtp-sink did not start listening")

    def received(self) -> int:
        """The messages smtp-sink counted (its -c counter), or -1 when it printed none."""
        time.sleep(0.2)
        self._counter.seek(0)
        numbers = re.findall(rb"\d+", self._counter.read())
        return int(numbers[-1]) if numbers else -1

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=5)
        self._counter.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def drop_database(kind: str, url: str) -> None:
    if kind == "postgresql":
        postgres_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def postgres_admin(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()
