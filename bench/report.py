"""How fast a campaign's report is at 100,000 deliveries: the whole report and each of its queries.

    .venv/bin/python bench/report.py                      # a temporary SQLite file
    .venv/bin/python bench/report.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    .venv/bin/python bench/report.py --smoke              # 1,000 deliveries: does it still run?

The database must be empty or new; it is migrated to the latest schema first. It seeds one sent
invitation of N deliveries (most sent, some failed with the relay's words naming the address,
some skipped), N invitations with answers spread over two weeks, bounces, complaints,
unsubscribes and link clicks, plus 49 small campaigns for the campaign list. Then it times
`campaign_report` (the call the page, the API and the CSV make) and each of its queries, and
`list_figures` for the 50 campaigns of the list: median and worst of several runs, in ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from service import migrate
from service.campaigns import report
from service.database import make_engine
from service.models import (
    Bounce,
    Campaign,
    CampaignLinkClicks,
    CampaignUnsubscribe,
    Contact,
    Delivery,
    Invitation,
    Meeting,
    Subscription,
)
from service.provinces import CHOICES

SENT_AT = datetime(2025, 5, 20, 7, 0, tzinfo=UTC)
REASONS = [
    "the SMTP server answered 550 to the recipient: 5.1.1 <{email}>: Recipient address rejected",
    "the SMTP server answered 552 to the data: 5.2.2 <{email}>: mailbox full",
    "the SMTP server answered 554 to the data: 5.7.1 message refused as spam",
]


def fill(engine, count: int, seed: int = 11) -> tuple[float, int]:
    """Seed the contacts, the big invitation and its figures; the seconds and its id."""
    rng = random.Random(seed)
    provinces = [*CHOICES, None]
    started = time.perf_counter()
    with engine.begin() as connection:
        meeting_id = connection.execute(
            insert(Meeting.__table__).returning(Meeting.__table__.c.id),
            {
                "title": "Opgavebeweging bij Gemeente Zwolle",
                "theme": "",
                "host_organisation": "Gemeente Zwolle",
                "city": "Zwolle",
                "venue": "",
                "address": "",
                "starts_at": SENT_AT + timedelta(days=20),
                "ends_at": SENT_AT + timedelta(days=20, hours=3),
                "description": "",
                "status": "published",
                "calendar_sequence": 0,
                "created_at": SENT_AT,
                "updated_at": SENT_AT,
            },
        ).scalar_one()
        campaigns = [
            {
                "kind": "invitation" if n == 0 else "recap",
                "subject": f"Campagne {n}",
                "preheader": "",
                "sender_name": "",
                "meeting_id": meeting_id if n == 0 else None,
                "blocks": [],
                "audience": {},
                "status": "sent",
                "sent_at": SENT_AT,
                "send_started_at": SENT_AT,
                "status_reason_code": "",
                "status_reason_params": {},
                "failure_streak": 0,
                "version": 1,
                "count_clicks": n == 0,
                "created_at": SENT_AT,
                "updated_at": SENT_AT + timedelta(minutes=n),
            }
            for n in range(50)
        ]
        connection.execute(insert(Campaign.__table__), campaigns)
        ids = list(connection.scalars(select(Campaign.id).order_by(Campaign.id)))
        big, small = ids[0], ids[1:]

        batch = 5000
        for start in range(0, count, batch):
            numbers = range(start, min(start + batch, count))
            connection.execute(
                insert(Contact.__table__),
                [
                    {
                        "email": f"persoon.{n}@example.nl",
                        "name": f"Persoon {n}",
                        "organisation": "Gemeente Zwolle",
                        "role": "",
                        "province": rng.choice(provinces),
                        "language": "nl",
                        "consent": "given",
                        "consent_source": "bench",
                        "notes": "",
                        "search_text": f"persoon {n}",
                        "created_at": SENT_AT,
                        "updated_at": SENT_AT,
                    }
                    for n in numbers
                ],
            )
        contact_ids = list(connection.scalars(select(Contact.id).order_by(Contact.id)))
        for start in range(0, count, batch):
            chunk = contact_ids[start : start + batch]
            connection.execute(
                insert(Subscription.__table__),
                [
                    {"contact_id": c, "mailing": "invitations", "created_at": SENT_AT, "source": ""}
                    for c in chunk
                ],
            )
            deliveries = []
            invitations = []
            for n, contact_id in enumerate(chunk, start=start):
                email = f"persoon.{n}@example.nl"
                roll = rng.random()
                status, error = "sent", ""
                if roll < 0.03:
                    status, error = "failed", rng.choice(REASONS).format(email=email)
                elif roll < 0.05:
                    status = "skipped"
                deliveries.append(_delivery(big, contact_id, email, status, error))
                answer = rng.choices(["invited", "yes", "no", "waiting"], [50, 30, 17, 3])[0]
                answered = (
                    SENT_AT + timedelta(minutes=rng.randrange(14 * 24 * 60))
                    if answer != "invited"
                    else None
                )
                invitations.append(
                    {
                        "meeting_id": meeting_id,
                        "contact_id": contact_id,
                        "campaign_id": big,
                        "answer": answer,
                        "answered_at": answered,
                        "remark": "",
                        "show_to_colleagues": False,
                        "attended": (rng.random() < 0.8) if answer == "yes" else None,
                        "created_at": SENT_AT,
                        "updated_at": SENT_AT,
                    }
                )
            connection.execute(insert(Delivery.__table__), deliveries)
            connection.execute(insert(Invitation.__table__), invitations)
        # The 49 small campaigns of the list: 20 deliveries each.
        connection.execute(
            insert(Delivery.__table__),
            [
                _delivery(campaign_id, contact_ids[n], f"persoon.{n}@example.nl", "sent", "")
                for campaign_id in small
                for n in range(min(20, count))
            ],
        )

        sent = connection.execute(
            select(Delivery.id, Delivery.email).where(
                Delivery.campaign_id == big, Delivery.status == "sent"
            )
        ).all()
        bounces = []
        for delivery_id, email in rng.sample(sent, len(sent) // 50):
            kind = rng.choices(["hard_bounce", "soft_bounce", "complaint"], [40, 55, 5])[0]
            for _ in range(rng.choice([1, 1, 2]) if kind == "soft_bounce" else 1):
                bounces.append(
                    {
                        "delivery_id": delivery_id,
                        "campaign_id": big,
                        "email": email,
                        "kind": kind,
                        "reason": "",
                        "source": "listener",
                        "occurred_at": SENT_AT + timedelta(hours=rng.randrange(72)),
                    }
                )
        if bounces:
            connection.execute(insert(Bounce.__table__), bounces)
        connection.execute(
            insert(CampaignUnsubscribe.__table__),
            [
                {
                    "campaign_id": rng.choice(ids[:3]),
                    "mailing": rng.choice(["news", "invitations", "all"]),
                    "created_at": SENT_AT,
                }
                for _ in range(max(1, count // 200))
            ],
        )
        connection.execute(
            insert(CampaignLinkClicks.__table__),
            [
                {
                    "campaign_id": big,
                    "link_number": n,
                    "url": f"https://example.nl/{n}",
                    "clicks": rng.randrange(count // 10 + 1),
                }
                for n in range(1, 11)
            ],
        )
    return time.perf_counter() - started, big


def _delivery(campaign_id: int, contact_id: int, email: str, status: str, error: str) -> dict:
    return {
        "campaign_id": campaign_id,
        "kind": "campaign",
        "contact_id": contact_id,
        "email": email,
        "status": status,
        "attempts": 1,
        "next_attempt_at": SENT_AT,
        "claim": "",
        "last_error": error,
        "provider_id": "",
        "sent_at": SENT_AT if status == "sent" else None,
        "created_at": SENT_AT,
    }


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and worst of `repeat` runs, in milliseconds (after one warm-up run)."""
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: a temp SQLite file)")
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: only shows that the script still runs"
    )
    args = parser.parse_args()
    if args.smoke:
        args.deliveries, args.repeat = 1_000, 1
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"

    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        if session.scalar(select(func.count(Delivery.id))):
            parser.error("the database already holds deliveries; give an empty one")
    seconds, big = fill(engine, args.deliveries)
    print(f"{engine.dialect.name}: seeded {args.deliveries:,} deliveries in {seconds:.1f} s")
    with engine.begin() as connection:
        # Fresh statistics, as autovacuum (PostgreSQL) would have made them by the next morning.
        connection.exec_driver_sql("ANALYZE")

    with Session(engine) as session:
        campaign = session.get(Campaign, big)
        assert campaign is not None
        listed = list(session.scalars(select(Campaign).order_by(Campaign.id)))
        whole = report.campaign_report(session, campaign)
        assert whole.recipients == args.deliveries, whole.recipients
        cases: list[tuple[str, Callable[[], object]]] = [
            (
                "campaign_report (the whole report)",
                lambda: report.campaign_report(session, campaign),
            ),
            ("  deliveries per status", lambda: report._delivery_counts(session, big)),
            ("  failure reasons", lambda: report._failed_reasons(session, big)),
            ("  bounces and complaints", lambda: report._bounces(session, big)),
            ("  unsubscribes", lambda: report._unsubscribed(session, big)),
            (
                "  answers and answers per day",
                lambda: report._answers(session, campaign, "Europe/Amsterdam"),
            ),
            ("  reach per province", lambda: report._reach(session, big)),
            ("  link clicks", lambda: report._clicks(session, big)),
            ("list_figures (50 campaigns)", lambda: report.list_figures(session, listed)),
        ]
        print(f"{'query':40} {'median ms':>10} {'worst ms':>9}")
        for label, run in cases:
            median, worst = timed(run, args.repeat)
            print(f"{label:40} {median:>10.1f} {worst:>9.1f}")
        print(
            f"report: {whole.delivered:,} delivered, {whole.failed:,} failed in "
            f"{len(whole.failed_reasons)} reasons, {whole.bounced.total:,} bounced, "
            f"{whole.complaints:,} complaints, {whole.unsubscribed.total:,} unsubscribed, "
            f"{whole.answers.yes if whole.answers else 0:,} yes over "
            f"{len(whole.answers.per_day) if whole.answers else 0} days, {whole.reached:,} reached"
        )
    engine.dispose()


if __name__ == "__main__":
    main()
