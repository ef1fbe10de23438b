"""The embedded default: the first admin account, and gunicorn run from Python for `serve`.

Nothing here imports Flask: the server gets the app as a plain WSGI callable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from gunicorn.app.base import BaseApplication
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.auth.users import create_user, generate_password
from service.delivery.kinds import kinds_of
from service.delivery.worker import SendThread, WorkerLoop
from service.mail.transports import TransportConfigError
from service.models import Role, User
from service.scheduler.jobs import Clock, build_scheduler

log = logging.getLogger(__name__)

# The login of the first admin when ADMIN_EMAIL is not set; example.nl receives no mail.
DEFAULT_ADMIN_EMAIL = "admin@example.nl"
# How long a stopping server waits for the send loop's batch in flight (gunicorn allows 30 s).
SEND_LOOP_STOP_SECONDS = 20


@dataclass(frozen=True)
class FirstAdmin:
    """The admin account made on first start; `password` only when it was generated."""

    email: str
    password: str | None


def ensure_first_admin(session: Session, email: str, password: str | None) -> FirstAdmin | None:
    """Make an admin account when no organiser exists yet; None when there already is one.

    Without a password one is generated and returned, so the caller can show it exactly once;
    only its hash is stored.
    """
    if session.execute(select(func.count()).select_from(User)).scalar_one() > 0:
        return None
    generated = password is None
    password = password or generate_password()
    user = create_user(session, email, password, Role.ADMIN)
    return FirstAdmin(email=user.email, password=password if generated else None)


@dataclass
class BackgroundJobs:
    """What `serve` runs beside the web app: the send loop (if it could start) and the scheduler."""

    sender: SendThread | None
    scheduler: BaseScheduler
    clock: Clock

    @property
    def thread(self) -> Any:
        """The send loop's thread (None when the send loop did not start)."""
        return self.sender.thread if self.sender is not None else None

    def stop(self, timeout: float | None = None) -> bool:
        """Stop the scheduler (after its tick in flight), release its lease, stop the send loop.

        True when the send loop's thread ended within `timeout` (or never ran).
        """
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.clock.stop()
        if self.sender is None:
            return True
        return self.sender.stop(timeout=timeout)


def start_background_jobs(app: Any) -> BackgroundJobs:
    """Start what must run beside the web app in the one serving process: send loop and scheduler.

    `opgavepost serve` runs exactly one worker process, so jobs started here run once, never
    once per worker, and never from create_app (see STYLE.md). The send loop delivers campaigns
    through MAIL_TRANSPORT (the outbox folder by default) without a separate `opgavepost worker`;
    the scheduler starts scheduled campaigns and reminders without `opgavepost scheduler` (if one
    runs as well, whichever holds the lease ticks and the other waits). When the mail settings
    are incomplete the send loop does not start (`sender` is None) and the log says what to mend;
    the web app and the scheduler still run. Stop both with `.stop()`.
    """
    sessions = app.extensions["db_sessionmaker"]
    # Taken as create_app keeps them (service.settings), without importing Flask here.
    settings = app.extensions["settings"]
    sender = None
    try:
        loop = WorkerLoop.from_config(settings, sessions, kinds_of(app))
    except TransportConfigError as exc:
        log.error("the send loop did not start: %s", exc)
    else:
        sender = SendThread(loop, name="opgavepost-send-loop").start()
        log.info("send loop started in this process: %s", loop.describe())
    # APScheduler logs every run of its 30 s job; the tick logs what it did, when it did something.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    clock = Clock(sessions, settings)
    scheduler = build_scheduler(clock, blocking=False)
    scheduler.start()
    log.info("scheduler started in this process, lease holder %s", clock.holder)
    return BackgroundJobs(sender=sender, scheduler=scheduler, clock=clock)


def display_url(host: str, port: int) -> str:
    """The address to open in a browser for a server bound to host:port."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"  # bound to every interface; this machine's own address always works
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


class EmbeddedServer(BaseApplication):
    """Gunicorn with one worker process and several threads, configured in code, not argv.

    One process keeps the embedded default simple (SQLite, in-memory rate limits, one scheduler);
    the threads let a slow request not hold up the next page.
    """

    def __init__(
        self,
        app: Callable[..., Any],
        host: str,
        port: int,
        threads: int = 8,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self.application = app
        self.options = {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            "proc_name": "opgavepost",
            "when_ready": self._when_ready,
            "post_worker_init": self._post_worker_init,
            "worker_exit": self._worker_exit,
        }
        self.on_ready = on_ready
        self.background: BackgroundJobs | None = None
        super().__init__()

    def load_config(self) -> None:
        """Hand gunicorn the settings above instead of parsing the command line."""
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn >= 25.1 opens a control socket in the home folder by default; one shared
            # path would make two local servers (or test runs) stumble over each other.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Callable[..., Any]:
        """The WSGI app; built before the fork, so the worker inherits it."""
        return self.application

    def _when_ready(self, _arbiter: Any) -> None:
        # Called in the main process once the socket is bound: the URL is now really open.
        if self.on_ready is not None:
            self.on_ready()

    def _post_worker_init(self, _worker: Any) -> None:
        self.background = start_background_jobs(self.application)

    def _worker_exit(self, _arbiter: Any, _worker: Any) -> None:
        # In the worker process as it ends: let the send loop record the batch in flight and
        # the scheduler finish its tick and give up its lease.
        if self.background is not None:
            self.background.stop(timeout=SEND_LOOP_STOP_SECONDS)
