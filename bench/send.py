"""How fast the send loop hands a campaign to an SMTP server, against Postfix's smtp-source.

    .venv/bin/python bench/send.py                        # 20,000 messages of ~25 KB, 2 connections
    .venv/bin/python bench/send.py --connections 4
    .venv/bin/python bench/send.py --recipients-for-memory 100000   # also peak memory at 100,000
    .venv/bin/python bench/send.py --memory-only --recipients-for-memory 100000
    .venv/bin/python bench/send.py --database postgresql  # a throwaway database on 127.0.0.1:5432
    .venv/bin/python bench/send.py --smoke                # 200 messages: does it still run?

Starts Postfix's `smtp-sink` on a free loopback port, makes a fresh database with N contacts and
a recap campaign of about 25 KB personalised with [[first_name]], records the deliveries with
`start_sending` (timed), then runs the real `SendLoop` with `SmtpTransport` until every delivery
is sent. Then `smtp-source` sends the same number of messages of the same size over the same
number of connections, and the two rates are compared (issue 16's target: at least 0.8 of
smtp-source's rate, on PostgreSQL too). The send runs in a process of its own, so its peak
memory (ru_maxrss) is the send's alone. Needs the Debian package `postfix`; see bench/README.md.
Network: loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.loopback import SmtpSink, drop_database, postgres_admin  # noqa: E402

MESSAGE_SIZE = 25_000
TARGET_RATIO = 0.8
MEMORY_LIMIT_MB = 150
# Besides the defaults (config/settings.py); with a SECRET_KEY nothing is written to the folder.
OVERRIDES = {
    "NETWORK_ADDRESS": "Postbus 20011\n2500 EA Den Haag",
    "BASE_URL": "https://post.example.nl",
    "SECRET_KEY": "bench-secret-key-bench-secret-key",
}
FIRST = ["Anne", "Bram", "Carla", "Daan", "Eva", "Femke", "Gert", "Hanneke", "Maaïke", "Noor"]
LAST = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder"]
INSTALL = """\
Postfix's smtp-sink and smtp-source are not installed. On Debian or Ubuntu, as root:

    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y postfix

("No configuration" installs the programs without setting up or starting a mail server.)"""


# ---------------------------------------------------------------------------------------------
# The parent: smtp-sink, the two children, smtp-source, the figures


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=_default_connections())
    parser.add_argument("--batch-size", type=int, default=200, help="MAIL_BATCH_SIZE of the loop")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="send-loop processes side by side, sharing the connections (PostgreSQL only)",
    )
    parser.add_argument(
        "--recipients-for-memory",
        type=int,
        default=0,
        help="also send a campaign of this many recipients and report its peak memory",
    )
    parser.add_argument("--memory-only", action="store_true", help="skip the smtp-source part")
    parser.add_argument("--time-limit", type=float, default=900, help="seconds per campaign run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes: only shows that the script still runs and every message arrives",
    )
    args = parser.parse_args()
    if args.smoke:
        args.messages, args.recipients_for_memory, args.time_limit = 200, 0, 120
    if args.child:
        _child(args)
        return
    if args.workers > 1 and (args.database != "postgresql" or args.connections < args.workers):
        parser.error("--workers needs --database postgresql and at least one connection each")

    sink, source = shutil.which("smtp-sink", path=_PATH), shutil.which("smtp-source", path=_PATH)
    if not sink or not source:
        print(INSTALL, file=sys.stderr)
        sys.exit(2)
    print(
        f"{os.cpu_count()} cores; {args.database}; {args.connections} connection(s); "
        f"batch size {args.batch_size}; {args.workers} send-loop process(es)"
    )
    runs = [] if args.memory_only else [args.messages]
    if args.recipients_for_memory:
        runs.append(args.recipients_for_memory)
    if args.memory_only and not runs:
        runs = [args.messages]
    figures = []
    for count in runs:
        with SmtpSink(sink) as smtp:
            figures.append(_campaign_run(args, count, smtp))
    if not args.memory_only:
        ours = figures[0]
        with SmtpSink(sink) as smtp:
            theirs = _smtp_source(source, smtp, ours["message_bytes"], args)
        print(
            f"smtp-source: {args.messages:,} messages of {ours['message_bytes']:,} bytes over "
            f"{args.connections} connection(s) in {theirs:.1f} s: "
            f"{args.messages / theirs:,.0f} msg/s"
        )
        ratio = (args.messages / ours["send_seconds"]) / (args.messages / theirs)
        verdict = "meets" if ratio >= TARGET_RATIO else "misses"
        print(f"ratio: {ratio:.2f} of smtp-source's rate ({verdict} the target of {TARGET_RATIO})")
    if len(figures) > 1:
        small, large = figures[0], figures[-1]
        print(
            f"peak memory: {small['peak_mb']:.0f} MB at {small['count']:,} recipients, "
            f"{large['peak_mb']:.0f} MB at {large['count']:,} "
            f"(target under {MEMORY_LIMIT_MB} MB, flat as the list grows)"
        )


_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])


def _default_connections() -> int:
    from config.settings import Settings

    return int(Settings.MAIL_SMTP_CONNECTIONS)


def _settings():
    from config.settings import read_settings

    return read_settings({}, Path(tempfile.gettempdir()), OVERRIDES)


def _campaign_run(args: argparse.Namespace, count: int, smtp: SmtpSink) -> dict:
    """Set up a database of `count` recipients in one child process, send it in another."""
    workdir = tempfile.mkdtemp(prefix="opgavepost-bench-")
    url = _database_url(args.database, workdir)
    common = [sys.executable, __file__, "--database", args.database, "--messages", str(count)]
    common += ["--connections", str(args.connections), "--batch-size", str(args.batch_size)]
    try:
        setup = _run_child([*common, "--child", f"setup:{url}"], args.time_limit)
        print(
            f"{count:,} recipients: contacts inserted in {setup['contacts_seconds']:.1f} s; "
            f"start_sending recorded {setup['deliveries']:,} deliveries in "
            f"{setup['deliveries_seconds']:.2f} s; messages of {setup['message_bytes']:,} bytes"
        )
        send = _send_in_processes(args, common, f"send:{url}:{smtp.port}")
        received = smtp.received()
        print(
            f"  send loop: {send['sent']:,} sent in {send['send_seconds']:.1f} s: "
            f"{count / send['send_seconds']:,.0f} msg/s; smtp-sink counted {received:,}; "
            f"peak memory {send['peak_mb']:.0f} MB (before sending {send['before_mb']:.0f} MB)"
        )
        if send["sent"] != count or received not in (count, -1):
            print("  WARNING: not every message arrived; the figures are not valid")
            if args.smoke:
                raise SystemExit("not every message arrived")
        return {"count": count, **setup, **send}
    finally:
        drop_database(args.database, url)
        shutil.rmtree(workdir, ignore_errors=True)


def _send_in_processes(args: argparse.Namespace, common: list[str], step: str) -> dict:
    """Run the send step in `--workers` processes at once, the connections shared out.

    That is how a deployment on PostgreSQL scales (several `opgavepost worker` processes, each
    with its own interpreter and lock); the rate is over the wall time of them all.
    """
    if args.workers == 1:
        return _run_child([*common, "--child", step], args.time_limit)
    each = [*common, "--connections", str(args.connections // args.workers), "--child", step]
    started = time.perf_counter()
    processes = [
        subprocess.Popen(each, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(args.workers)
    ]
    answers = []
    for process in processes:
        out, err = process.communicate(timeout=args.time_limit)
        if process.returncode != 0:
            sys.stderr.write(out + err)
            raise SystemExit("a send-loop process failed")
        answers.append(json.loads(out.strip().splitlines()[-1]))
    return {
        "send_seconds": time.perf_counter() - started,
        "sent": max(a["sent"] for a in answers),
        "peak_mb": max(a["peak_mb"] for a in answers),
        "before_mb": max(a["before_mb"] for a in answers),
    }


def _run_child(command: list[str], time_limit: float) -> dict:
    done = subprocess.run(command, capture_output=True, text=True, timeout=time_limit, cwd=ROOT)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"the benchmark step {command[-1].split(':')[0]} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _smtp_source(source: str, smtp: SmtpSink, size: int, args: argparse.Namespace) -> float:
    """Seconds smtp-source takes for the same count, size and connections."""
    with tempfile.NamedTemporaryFile("wb", suffix=".eml", delete=False) as handle:
        handle.write(_source_message(size))
    try:
        command = [source, "-d", "-s", str(args.connections), "-m", str(args.messages)]
        command += ["-F", handle.name, "-f", "bench@example.nl", "-t", "lid@example.nl"]
        command.append(f"127.0.0.1:{smtp.port}")
        started = time.perf_counter()
        subprocess.run(command, check=True, timeout=args.time_limit)
        return time.perf_counter() - started
    finally:
        os.unlink(handle.name)


def _source_message(size: int) -> bytes:
    """A message of `size` bytes for smtp-source, in lines as long as ours."""
    head = b"From: bench@example.nl\nTo: lid@example.nl\nSubject: bench\n\n"
    line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod temp=\n"
    body = line * ((size - len(head)) // len(line) + 1)
    return (head + body)[:size]


def _database_url(kind: str, workdir: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir}/bench.db"
    name = f"opgavepost_bench_{os.getpid()}"
    postgres_admin(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


# ---------------------------------------------------------------------------------------------
# The children: setting up the database, and the send itself


def _child(args: argparse.Namespace) -> None:
    step, _, rest = args.child.partition(":")
    if step == "setup":
        print(json.dumps(_setup(rest, args.messages)))
    else:
        url, _, port = rest.rpartition(":")
        print(json.dumps(_send(url, int(port), args.connections, args.batch_size)))


def _setup(url: str, count: int) -> dict:
    """Migrate, insert the contacts, make the campaign and record its deliveries (timed)."""
    from sqlalchemy.orm import Session

    from service import migrate
    from service.database import make_engine
    from service.delivery.queue import start_sending

    engine = make_engine(url)
    migrate.upgrade(engine)
    started = time.perf_counter()
    _insert_contacts(engine, count)
    contacts_seconds = time.perf_counter() - started
    with Session(engine) as session:
        campaign, message_bytes = _campaign_of_size(session, MESSAGE_SIZE)
        session.commit()
        started = time.perf_counter()
        deliveries = start_sending(session, campaign, actor=None)
        session.commit()
        deliveries_seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "contacts_seconds": contacts_seconds,
        "deliveries": deliveries,
        "deliveries_seconds": deliveries_seconds,
        "message_bytes": message_bytes,
    }


def _insert_contacts(engine, count: int) -> None:
    from sqlalchemy import insert, literal, select

    from service.models import Consent, Contact, Mailing, Subscription, utcnow

    now = utcnow()
    with engine.begin() as connection:
        for start in range(0, count, 5000):
            rows = [
                {
                    "email": f"lid.{n}@example.nl",
                    "name": f"{FIRST[n % len(FIRST)]} {LAST[n % len(LAST)]}",
                    "organisation": "Gemeente Zwolle",
                    "role": "",
                    "province": "overijssel",
                    "language": "nl" if n % 5 else "en",
                    "consent": Consent.GIVEN,
                    "consent_source": "bench",
                    "notes": "",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(start, min(start + 5000, count))
            ]
            connection.execute(insert(Contact.__table__), rows)
        # A campaign goes only to subscribers of its mailing (the recap: the news).
        subscribed = select(Contact.id, literal(Mailing.NEWS.value), literal(now), literal("bench"))
        connection.execute(
            insert(Subscription.__table__).from_select(
                ["contact_id", "mailing", "created_at", "source"], subscribed
            )
        )


def _campaign_of_size(session, size: int):
    """The seed recap's first blocks (and more text where needed) for messages of about `size`."""
    from service.campaigns import store
    from service.demo.recap import seed_recap
    from service.rendering.blocks import block_to_dict

    content = seed_recap()
    blocks = [block_to_dict(block) for block in content.blocks]
    greeting = {"type": "text", "body": "Beste [[first_name]], fijn dat je er was."}
    best = None
    for count in range(1, len(blocks) + 1):
        chosen = [greeting, *blocks[:count]]
        length = _message_length(session, content, chosen)
        if best is None or abs(length - size) < abs(best[1] - size):
            best = (chosen, length)
        if length > size:
            break
    chosen, length = best
    campaign = store.create_campaign(
        session,
        kind=content.kind,
        subject="Terugblik voor [[first_name]]: de Opgavebeweging bij Provincie Zuid-Holland",
        preheader=content.preheader,
        sender_name="Opgavebeweging",
        blocks=chosen,
    )
    session.flush()
    return campaign, length


def _message_length(session, content, blocks) -> int:
    from service.campaigns.store import campaign_content
    from service.delivery.queue import Claimed
    from service.delivery.sendloop import MessageFactory
    from service.models import Campaign, utcnow

    campaign = Campaign(
        id=0, version=1, kind=content.kind, subject=content.subject, preheader="", blocks=blocks
    )
    campaign_content(campaign)  # checks the blocks
    factory = MessageFactory(_settings())
    mail = factory.campaign_mail(session, campaign)
    claimed = Claimed(1, 0, 1, "lid.1@example.nl", 0, utcnow(), "Anne de Vries", "nl", "")
    return len(factory.message(mail, claimed).as_bytes())


def _send(url: str, port: int, connections: int, batch_size: int) -> dict:
    """Run the real send loop until nothing is due; the figures of this process alone."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import sessionmaker

    from service.database import make_engine
    from service.delivery.sendloop import SendLoop, SendSettings
    from service.mail.smtp import SmtpTransport
    from service.message_kinds import MESSAGE_KINDS
    from service.models import Delivery, DeliveryStatus

    engine = make_engine(url)
    sessions = sessionmaker(engine)
    transport = SmtpTransport("127.0.0.1", port, timeout=30, connections=connections)
    loop = SendLoop(
        sessions,
        transport,
        _settings(),
        settings=SendSettings(batch_size=batch_size),
        kinds=MESSAGE_KINDS,
    )
    before = _rss_mb()
    started = time.perf_counter()
    while loop.run_once():
        pass
    transport.close()
    send_seconds = time.perf_counter() - started
    with sessions() as session:
        sent = session.scalar(select(func.count()).where(Delivery.status == DeliveryStatus.SENT))
    engine.dispose()
    return {
        "send_seconds": send_seconds,
        "sent": sent,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "before_mb": before,
    }


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


if __name__ == "__main__":
    main()
