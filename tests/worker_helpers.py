"""Helpers for the worker tests: a slow SMTP server and `opgavepost worker` as a real process."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from config.settings import PARSERS
from tests.conftest import RecordingSmtpHandler, free_port

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent
OPGAVEPOST = BIN / "opgavepost"
STARTED = "send worker started"


class SlowSmtpHandler(RecordingSmtpHandler):
    """Takes `delay` seconds over each message before its 250, like a busy relay.

    The message is kept only once the 250 is due: a client that dies while waiting has not
    had the message accepted, as with a real server.
    """

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def command_environment(**values: str) -> dict[str, str]:
    """This process's environment without any setting (none leak in from the shell that runs
    the suite), running this checkout's code wherever the package is installed from; plus
    `values`."""
    env = {k: v for k, v in os.environ.items() if k not in PARSERS}
    env["PYTHONPATH"] = str(ROOT)
    env.update(values)
    return env


def plain_environment(tmp_path: Path, **values: str) -> dict[str, str]:
    """Only the settings given (none leak in from the shell), this checkout's code, our bin."""
    path = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    instance = str(tmp_path / "instance")
    return command_environment(**({"PATH": path, "INSTANCE_PATH": instance} | values))


def run_command(argv: list[str], env: dict[str, str], cwd: Path = ROOT):
    """Run a command to its end (60 s at most), its output captured as text."""
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def worker_environment(app, **values: str) -> dict[str, str]:
    """The settings of the `app` fixture as environment variables, plus `values`."""
    env = plain_environment(Path(app.instance_path))
    env.update(
        DATABASE_URL=app.config["DATABASE_URL"],
        INSTANCE_PATH=app.instance_path,
        SECRET_KEY="test-secret-key",
        BASE_URL="http://127.0.0.1:5000",
    )
    env.update(values)
    return env


def smtp_settings(port: int, **values: str) -> dict[str, str]:
    """MAIL_* settings for a worker that sends to the test server on `port`."""
    return {
        "MAIL_TRANSPORT": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_BATCH_SIZE": "5",
        "MAIL_LEASE_SECONDS": "2",
    } | values


def serve_process(app, log: Path) -> WorkerProcess:
    """`opgavepost serve` on a free port with the `app` fixture's settings; its log in `log`."""
    return WorkerProcess(
        worker_environment(app), log, command=f"{OPGAVEPOST} serve --port {free_port()}"
    )


class WorkerProcess:
    """One `opgavepost worker` process; its log (stderr) goes to a file the test can read."""

    def __init__(self, env: dict[str, str], log: Path, *args: str, command: str | None = None):
        self.log = log
        argv = ["sh", "-c", f"exec {command}"] if command else [str(OPGAVEPOST), "worker", *args]
        with log.open("w") as err:
            self.process = subprocess.Popen(
                argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True
            )

    def text(self) -> str:
        """What the worker logged so far."""
        return self.log.read_text()

    def wait_until_started(self, timeout: float = 60) -> None:
        """Wait for the worker's start line; fails when it exits or stays silent."""
        wait_for(lambda: STARTED in self.text(), timeout, self.text, process=self.process)

    def handled(self) -> int:
        """The deliveries the worker says it handled, from its per-round log lines."""
        return sum(int(n) for n in re.findall(r"handled (\d+) deliveries", self.text()))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Send `sig` and wait for the exit; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        """Make sure the process is gone (for finally blocks)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def wait_for(
    condition: Callable[[], bool],
    timeout: float,
    explain: Callable[[], str] = str,
    *,
    process: subprocess.Popen | None = None,
) -> None:
    """Poll `condition` every 20 ms until true; fails after `timeout` s or if `process` exits."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the worker exited with {process.returncode}: {explain()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {explain()}")
        time.sleep(0.02)
