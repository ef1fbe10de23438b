"""Pages while sending: latency and throughput of the web app, idle and during a large send.

    .venv/bin/python bench/web.py                  # 50,000 recipients, PostgreSQL, both ways
    .venv/bin/python bench/web.py --modes procfile --web-concurrency 2
    .venv/bin/python bench/web.py --database sqlite  # a throwaway SQLite file instead
    .venv/bin/python bench/web.py --smoke            # tiny sizes: does it still run?

For each way of running the service it makes a fresh database (on PostgreSQL a throwaway one on
127.0.0.1:5432) with N contacts, all subscribed, an organiser with an API token and a recap
campaign to all of them, recorded with `start_sending` and paused at once. Then it starts the
service on a free loopback port:

- `serve`: `opgavepost serve` (gunicorn, one worker process with 8 threads, the send loop and the
  scheduler in that same process);
- `procfile`: the Procfile's `web` (gunicorn with --threads 4, WEB_CONCURRENCY workers) and a
  separate `opgavepost worker`.

20 clients (threads with a kept-open HTTP/1.1 connection each; bounded by a request count and a
time cap; 127.0.0.1 only) ask GET /api/v1/contacts (with the token), the contact list page and
the campaign's progress page (with a logged-in session cookie), one endpoint at a time: first
idle, then after the campaign is resumed, while the send loop hands the N messages to Postfix's
`smtp-sink`. A bare Flask JSON endpoint (bench/apps/bare.py) is served by the same gunicorn
settings in the same run as the yardstick. Prints p50, p95 and requests per second of each, and
the two goal ratios of issue 16: p95 during the send against idle p95 (at most 2), and the API
list's throughput against the bare endpoint's (at least 0.5). Nothing is asserted. Needs
smtp-sink (Debian package `postfix`, see bench/README.md).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.loopback import SmtpSink, drop_database, free_port, postgres_admin  # noqa: E402

SECRET_KEY = "bench-secret-key-bench-secret-key"
PASSWORD = "bench-wachtwoord-voor-de-meting"
ORGANISER = "organisator@example.nl"
FIRST = ["Anne", "Bram", "Carla", "Daan", "Eva", "Femke", "Gert", "Hanneke", "Maaïke", "Noor"]
LAST = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder"]
ORGS = ["Gemeente Zwolle", "Provincie Zuid-Holland", "Rijkswaterstaat", "Waterschap Rivierenland"]
PROVINCES = ["overijssel", "zuid-holland", "utrecht", "gelderland", "landelijk"]
TAGS = ["bestuur", "wonen", "energie", "zorg"]
P95_GOAL, THROUGHPUT_GOAL = 2.0, 0.5
BARE = "bare Flask JSON, same gunicorn settings"
_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])


@dataclass
class Figures:
    """One endpoint's run: latencies in seconds, and the wall time the run took."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    note: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p95(self) -> float:
        if len(self.latencies) < 2:
            return self.p50
        return statistics.quantiles(self.latencies, n=20, method="inclusive")[18] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=50_000, help="contacts, all receiving")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--modes", default="serve,procfile", help="serve, procfile or both")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--requests", type=int, default=3000, help="at most, per endpoint and phase"
    )
    parser.add_argument(
        "--seconds", type=float, default=6.0, help="at most, per endpoint and phase"
    )
    parser.add_argument(
        "--web-concurrency",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", "0")) or 2,
        help="gunicorn workers of the Procfile's web (WEB_CONCURRENCY; default 2)",
    )
    parser.add_argument("--time-limit", type=float, default=600, help="seconds the send may take")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; the figures mean nothing")
    args = parser.parse_args()
    if args.smoke:
        args.recipients, args.requests, args.seconds, args.clients = 200, 40, 2.0, 4
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(modes) <= {"serve", "procfile"}:
        parser.error("--modes takes serve, procfile or both")
    sink = shutil.which("smtp-sink", path=_PATH)
    if not sink:
        print("Postfix's smtp-sink is not installed; see bench/README.md.", file=sys.stderr)
        sys.exit(2)
    print(
        f"{os.cpu_count()} cores; {args.database}; {args.recipients:,} contacts and recipients; "
        f"{args.clients} clients, at most {args.requests:,} requests or {args.seconds:g} s "
        f"per endpoint"
    )
    rows: list[tuple[str, str, str, Figures]] = []
    for mode in modes:
        rows += _run_mode(mode, args, sink)
    _print_table(rows)


# ---------------------------------------------------------------------------------------------
# One way of running the service: set up, start, measure idle, send, measure, stop


ENDPOINTS = [
    ("api", "GET /api/v1/contacts"),
    ("list", "GET /contacts/"),
    ("progress", "GET /campaigns/<id>/sending"),
]


def _run_mode(
    mode: str, args: argparse.Namespace, sink: str
) -> list[tuple[str, str, str, Figures]]:
    workdir = Path(tempfile.mkdtemp(prefix="opgavepost-bench-web-"))
    url = _database_url(args.database, workdir, mode)
    rows = []
    try:
        with SmtpSink(sink) as smtp:
            campaign_id, token = _setup(url, args.recipients)
            env = _environment(url, smtp.port, workdir)
            settings = _gunicorn_settings(mode, args)
            print(f"\n{mode}: {settings['describe']}")
            with _bare_server(settings, workdir) as bare_port:
                rows.append((mode, "idle", BARE, _load(bare_port, "/json", {}, args)))
            with _service(mode, env, settings, workdir) as port:
                cookie = _log_in(port)
                paths = {
                    "api": ("/api/v1/contacts", {"Authorization": f"Bearer {token}"}),
                    "list": ("/contacts/", {"Cookie": cookie}),
                    "progress": (f"/campaigns/{campaign_id}/sending", {"Cookie": cookie}),
                }
                for key, label in ENDPOINTS:
                    path, headers = paths[key]
                    rows.append((mode, "idle", label, _load(port, path, headers, args)))
                sending = _Send(url, campaign_id, args.recipients)
                sending.resume()
                sending.wait_started(args.time_limit)
                for key, label in ENDPOINTS:
                    path, headers = paths[key]
                    queued_before = sending.queued()
                    figures = _load(port, path, headers, args)
                    if sending.queued() == 0 or queued_before == 0:
                        figures.note = "the send ended before this did"
                    rows.append((mode, "send", label, figures))
                seconds = sending.wait_done(args.time_limit)
                sent = sending.sent()
                received = smtp.received()
                print(
                    f"  send: {sent:,} of {args.recipients:,} sent in {seconds:.1f} s "
                    f"({sent / seconds:,.0f} msg/s, under load most of that time); "
                    f"smtp-sink counted {received:,}"
                )
                if args.smoke and sent != args.recipients:
                    raise SystemExit("not every message was sent")
    finally:
        drop_database(args.database, url)
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def _gunicorn_settings(mode: str, args: argparse.Namespace) -> dict:
    if mode == "serve":
        # As service/demo/embedded.py configures it for `opgavepost serve`.
        return {
            "workers": 1,
            "threads": 8,
            "describe": "opgavepost serve: 1 process, 8 threads, send loop and scheduler inside",
        }
    return {
        "workers": args.web_concurrency,
        "threads": 4,
        "describe": f"Procfile: gunicorn {args.web_concurrency} worker(s) x 4 threads "
        "(WEB_CONCURRENCY), opgavepost worker beside it",
    }


def _environment(url: str, smtp_port: int, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY",)}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        DATABASE_URL=url,
        SECRET_KEY=SECRET_KEY,
        BASE_URL="https://post.example.nl",
        NETWORK_ADDRESS="Postbus 20011\n2500 EA Den Haag",
        MAIL_TRANSPORT="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        MAIL_DEFAULT_SENDER="Opgavebeweging <post@example.nl>",
        INSTANCE_PATH=str(workdir / "instance"),
    )
    return env


class _service:
    """The service started one way, on a free loopback port; stopped with SIGTERM at the end."""

    def __init__(self, mode: str, env: dict[str, str], settings: dict, workdir: Path):
        self.mode, self.env, self.settings, self.workdir = mode, env, settings, workdir
        self.processes: list[subprocess.Popen] = []
        self.port = free_port()

    def __enter__(self) -> int:
        cli = [sys.executable, "-c", "from service.cli import main; main()"]
        if self.mode == "serve":
            commands = [[*cli, "serve", "--host", "127.0.0.1", "--port", str(self.port)]]
        else:
            web = _gunicorn(self.settings, self.port, "service:create_app()")
            commands = [web, [*cli, "worker"]]
        log = open(self.workdir / f"{self.mode}.log", "ab")
        for command in commands:
            self.processes.append(
                subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=log)
            )
        _wait_answering(self.port, "/healthz", self.processes, self.workdir / f"{self.mode}.log")
        return self.port

    def __exit__(self, *exc: object) -> None:
        _stop(self.processes)


class _bare_server:
    def __init__(self, settings: dict, workdir: Path):
        self.settings, self.workdir = settings, workdir
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> int:
        port = free_port()
        command = _gunicorn(self.settings, port, "bare:app")
        command[3:3] = ["--chdir", str(ROOT / "bench" / "apps")]
        log_path = self.workdir / "bare.log"
        with open(log_path, "ab") as log:
            self.processes.append(subprocess.Popen(command, stdout=log, stderr=log, cwd=ROOT))
        _wait_answering(port, "/json", self.processes, log_path)
        return port

    def __exit__(self, *exc: object) -> None:
        _stop(self.processes)


def _gunicorn(settings: dict, port: int, app: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(settings["workers"]),
        "--worker-class",
        "gthread",
        "--threads",
        str(settings["threads"]),
        "--log-level",
        "warning",
        app,
    ]


def _wait_answering(port: int, path: str, processes: list[subprocess.Popen], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            break
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    _stop(processes)
    sys.stderr.write(log.read_text(errors="replace")[-4000:])
    raise SystemExit(f"the server on port {port} did not answer {path}")


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _log_in(port: int) -> str:
    """The session cookie of the organiser, through the login form like a browser."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    answer = connection.getresponse()
    page = answer.read().decode()
    cookie = _cookie(answer)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if token is None:
        raise SystemExit("the login page has no csrf_token")
    body = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "email": ORGANISER, "password": PASSWORD}
    )
    connection.request(
        "POST",
        "/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    answer = connection.getresponse()
    answer.read()
    connection.close()
    if answer.status != 302:
        raise SystemExit(f"logging in answered {answer.status}, not a redirect")
    return _cookie(answer)


def _cookie(answer: http.client.HTTPResponse) -> str:
    header = answer.getheader("Set-Cookie") or ""
    return header.split(";", 1)[0]


# ---------------------------------------------------------------------------------------------
# The load: `clients` threads, each with a kept-open connection, until the count or the time is up


def _load(port: int, path: str, headers: dict[str, str], args: argparse.Namespace) -> Figures:
    figures = Figures()
    lock = threading.Lock()
    remaining = [args.requests]
    deadline = time.perf_counter() + args.seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        errors = 0
        while time.perf_counter() < deadline:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                answer = connection.getresponse()
                answer.read()
                ok = answer.status == 200
                if answer.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                errors += 1
        connection.close()
        with lock:
            figures.latencies.extend(mine)
            figures.errors += errors

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures.seconds = time.perf_counter() - started
    if figures.errors:
        print(f"  {path}: {figures.errors} request(s) failed")
    return figures


def _print_table(rows: list[tuple[str, str, str, Figures]]) -> None:
    print()
    print(
        f"{'way':<9} {'phase':<5} {'endpoint':<40} {'requests':>8} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'req/s':>7}"
    )
    for mode, phase, label, f in rows:
        print(
            f"{mode:<9} {phase:<5} {label:<40} {len(f.latencies):>8,} {f.p50:>8.1f} "
            f"{f.p95:>8.1f} {f.rate:>7.1f}  {f.note}"
        )
    print()
    for mode in dict.fromkeys(row[0] for row in rows):
        mine = {(phase, label): f for m, phase, label, f in rows if m == mode}
        bare = mine[("idle", BARE)]
        for _key, label in ENDPOINTS:
            idle, busy = mine[("idle", label)], mine[("send", label)]
            ratio = busy.p95 / idle.p95 if idle.p95 else float("nan")
            verdict = "meets" if ratio <= P95_GOAL else "misses"
            print(
                f"{mode}: {label}: p95 during the send / idle = {ratio:.2f} "
                f"({verdict} the goal of at most {P95_GOAL:g})"
            )
        api = mine[("idle", ENDPOINTS[0][1])]
        ratio = api.rate / bare.rate if bare.rate else float("nan")
        verdict = "meets" if ratio >= THROUGHPUT_GOAL else "misses"
        print(
            f"{mode}: GET /api/v1/contacts req/s / bare Flask JSON req/s = {ratio:.2f} "
            f"({verdict} the goal of at least {THROUGHPUT_GOAL:g})"
        )


# ---------------------------------------------------------------------------------------------
# The database: contacts, an organiser with a token, a campaign recorded and paused


def _setup(url: str, count: int) -> tuple[int, str]:
    """Migrate, insert the contacts and the organiser, start and pause the campaign."""
    from sqlalchemy.orm import Session

    from service import migrate
    from service.auth.users import create_api_token, create_user
    from service.database import make_engine
    from service.delivery.queue import pause_sending, start_sending
    from service.models import Role

    engine = make_engine(url)
    migrate.upgrade(engine)
    started = time.perf_counter()
    _insert_contacts(engine, count)
    with Session(engine) as session:
        user = create_user(session, ORGANISER, PASSWORD, Role.ORGANISER, "Organisator")
        token = create_api_token(session, user, "bench")
        campaign = _campaign(session)
        session.commit()
        # Recorded and paused in one transaction, so no send loop starts on it before the
        # idle figures are taken; the progress page then counts the same rows in both phases.
        start_sending(session, campaign, actor=None)
        pause_sending(session, campaign, actor=None)
        session.commit()
        campaign_id = campaign.id
    engine.dispose()
    print(
        f"database: {count:,} contacts and the paused campaign in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return campaign_id, token


def _insert_contacts(engine, count: int) -> None:
    from sqlalchemy import func, insert, literal, select

    from service.models import Consent, Contact, Mailing, Subscription, Tag, contact_tags, utcnow

    now = utcnow()
    with engine.begin() as connection:
        for start in range(0, count, 5000):
            rows = []
            for n in range(start, min(start + 5000, count)):
                name = f"{FIRST[n % len(FIRST)]} {LAST[n // len(FIRST) % len(LAST)]}"
                organisation = ORGS[n % len(ORGS)]
                rows.append(
                    {
                        "email": f"lid.{n}@example.nl",
                        "name": name,
                        "organisation": organisation,
                        "role": "",
                        "province": PROVINCES[n % len(PROVINCES)],
                        "language": "nl" if n % 5 else "en",
                        "consent": Consent.GIVEN,
                        "consent_source": "bench",
                        "notes": "",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            connection.execute(insert(Contact.__table__), rows)
        connection.execute(insert(Tag.__table__), [{"name": tag} for tag in TAGS])
        # Every third contact has one of the tags.
        first = select(func.min(Tag.id)).scalar_subquery()
        tagged = select(Contact.id, first + Contact.id % len(TAGS)).where(Contact.id % 3 == 0)
        connection.execute(insert(contact_tags).from_select(["contact_id", "tag_id"], tagged))
        subscribed = select(Contact.id, literal(Mailing.NEWS.value), literal(now), literal("bench"))
        connection.execute(
            insert(Subscription.__table__).from_select(
                ["contact_id", "mailing", "created_at", "source"], subscribed
            )
        )


def _campaign(session):
    """The seed recap's first blocks with a personal greeting: messages of about 20 KB."""
    from service.campaigns import store
    from service.demo.recap import seed_recap
    from service.rendering.blocks import block_to_dict

    content = seed_recap()
    greeting = {"type": "text", "body": "Beste [[first_name]], fijn dat je er was."}
    blocks = [greeting, *(block_to_dict(block) for block in content.blocks[:4])]
    campaign = store.create_campaign(
        session,
        kind=content.kind,
        subject="Terugblik voor [[first_name]]: de Opgavebeweging bij Provincie Zuid-Holland",
        preheader=content.preheader,
        sender_name="Opgavebeweging",
        blocks=blocks,
    )
    session.flush()
    return campaign


class _Send:
    """The campaign's send, resumed and watched from the database."""

    def __init__(self, url: str, campaign_id: int, count: int):
        from service.database import make_engine

        self.engine = make_engine(url)
        self.campaign_id, self.count = campaign_id, count
        self.started = 0.0

    def resume(self) -> None:
        from sqlalchemy.orm import Session

        from service.delivery.queue import resume_sending
        from service.models import Campaign

        with Session(self.engine) as session:
            resume_sending(session, session.get(Campaign, self.campaign_id), actor=None)
            session.commit()
        self.started = time.perf_counter()

    def _count(self, status) -> int:
        from sqlalchemy import func, select

        from service.models import Delivery

        with self.engine.connect() as connection:
            return connection.scalar(
                select(func.count()).where(
                    Delivery.campaign_id == self.campaign_id, Delivery.status == status
                )
            )

    def queued(self) -> int:
        from service.models import DeliveryStatus

        return self._count(DeliveryStatus.QUEUED)

    def sent(self) -> int:
        from service.models import DeliveryStatus

        return self._count(DeliveryStatus.SENT)

    def wait_started(self, limit: float) -> None:
        deadline = time.monotonic() + limit
        while self.sent() == 0 and self.queued() and time.monotonic() < deadline:
            time.sleep(0.05)

    def wait_done(self, limit: float) -> float:
        deadline = time.monotonic() + limit
        while self.queued() and time.monotonic() < deadline:
            time.sleep(0.2)
        seconds = time.perf_counter() - self.started
        self.engine.dispose()
        return seconds


# ---------------------------------------------------------------------------------------------
# Helpers: smtp-sink, ports, throwaway databases


def _database_url(kind: str, workdir: Path, mode: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir}/bench.db"
    name = f"opgavepost_bench_web_{os.getpid()}_{mode}"
    postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    postgres_admin(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


if __name__ == "__main__":
    main()
