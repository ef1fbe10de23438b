"""How fast the contact list is at 100,000 contacts: first page, deep page, search and filters.

    .venv/bin/python bench/contacts.py                      # a temporary SQLite file
    .venv/bin/python bench/contacts.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    .venv/bin/python bench/contacts.py --smoke              # 500 contacts: does it still run?

The database must be empty or new; it is migrated to the latest schema first. Each query is run
several times through `search_contacts` (the same call the pages and the API make) and the
median and worst time are printed, with the time of the COUNT and of the page query apart.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from service import migrate
from service.contacts.csvio import import_contacts
from service.contacts.directory import _filters, search_contacts
from service.database import make_engine
from service.models import Contact, Tag, contact_tags, utcnow
from service.provinces import CHOICES

FIRST = [
    "Anne",
    "Bram",
    "Carla",
    "Daan",
    "Eva",
    "Femke",
    "Gert",
    "Hanneke",
    "Ilse",
    "Joost",
    "Karin",
    "Lars",
    "Maaïke",
    "Noor",
    "Pieter",
]
LAST = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
]
ORGS = [
    "Gemeente Zwolle",
    "Provincie Zuid-Holland",
    "Hogeschool van Amsterdam",
    "Rijkswaterstaat",
    "Gemeente Utrecht",
    "Waterschap Rivierenland",
    "Ministerie van BZK",
    "GGD Gelderland-Zuid",
]
TAGS = ["bestuur", "wonen", "energie", "zorg", "mobiliteit", "klimaat", "digitaal", "onderwijs"]


def fill(engine, count: int, seed: int = 7) -> float:
    """Insert `count` contacts (and about one tag each) in batches; return the seconds it took."""
    rng = random.Random(seed)
    provinces = list(CHOICES)
    started = time.perf_counter()
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(insert(Tag.__table__), [{"name": name} for name in TAGS])
        tag_ids = [row.id for row in connection.execute(select(Tag.id).order_by(Tag.id))]
        batch = 5000
        for start in range(0, count, batch):
            rows = []
            for n in range(start, min(start + batch, count)):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                rows.append(
                    {
                        "email": f"{first.lower()}.{last.replace(' ', '').lower()}.{n}@example.nl",
                        "name": f"{first} {last}",
                        "organisation": rng.choice(ORGS),
                        "role": "Beleidsadviseur",
                        "province": rng.choice(provinces),
                        "language": "nl",
                        "consent": "given",
                        "consent_source": "bench",
                        "notes": "",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            connection.execute(insert(Contact.__table__), rows)
        ids = [row.id for row in connection.execute(select(Contact.id).order_by(Contact.id))]
        links = [
            {"contact_id": contact_id, "tag_id": rng.choice(tag_ids)}
            for contact_id in ids
            if rng.random() < 0.8
        ]
        for start in range(0, len(links), 10000):
            connection.execute(insert(contact_tags), links[start : start + 10000])
    return time.perf_counter() - started


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
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--import-rows", type=int, default=10_000, help="rows of the CSV import")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: only shows that the script still runs"
    )
    args = parser.parse_args()
    if args.smoke:
        args.count, args.repeat, args.import_rows = 500, 1, 100
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"

    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        if session.scalar(select(func.count(Contact.id))):
            parser.error("the database already holds contacts; give an empty one")
    seconds = fill(engine, args.count)
    print(f"{engine.dialect.name}: inserted {args.count:,} contacts in {seconds:.1f} s")
    with engine.begin() as connection:
        # Fresh statistics, as autovacuum (PostgreSQL) would have made them by the next morning.
        connection.exec_driver_sql("ANALYZE")

    cases = [
        ("first page", {}),
        ("page 1000 (of 2000, 50 per page)", {"page": 1000}),
        ("last page", {"page": 10**9}),
        ("search 'jansen' (name)", {"q": "jansen"}),
        ("search 'zwolle' (organisation), page 100", {"q": "zwolle", "page": 100}),
        ("search '.4242@' (email)", {"q": ".4242@"}),
        ("search without hits", {"q": "qqqq"}),
        ("search 'e' (nearly all), first page", {"q": "e"}),
        ("search 'e' (nearly all), page 1000", {"q": "e", "page": 1000}),
        ("province filter", {"province": "zeeland"}),
        ("tag filter", {"tag": "klimaat"}),
        ("province + tag + search", {"province": "utrecht", "tag": "wonen", "q": "de vries"}),
    ]
    print(f"{'query':44} {'total':>8} {'median ms':>10} {'worst ms':>9} {'count ms':>9}")
    with Session(engine) as session:
        for label, kwargs in cases:
            page = search_contacts(session, **kwargs)
            median, worst = timed(lambda kw=kwargs: search_contacts(session, **kw), args.repeat)
            conditions = _filters(
                session, kwargs.get("q"), kwargs.get("province"), kwargs.get("tag")
            )
            count_ms, _ = timed(
                lambda c=conditions: session.scalar(select(func.count(Contact.id)).where(*c)),
                args.repeat,
            )
            print(f"{label:44} {page.total:>8,} {median:>10.1f} {worst:>9.1f} {count_ms:>9.1f}")
            session.expunge_all()
    if args.import_rows:
        time_import(engine, args.import_rows)
    engine.dispose()


def time_import(engine, rows: int) -> None:
    """Time a CSV import of `rows` new contacts, then the same file again (all merges)."""
    lines = ["naam;e-mail;organisatie;provincie;tags"] + [
        f"Import {n};import.{n}@example.org;Gemeente Zwolle;Overijssel;wonen, t{n % 20}"
        for n in range(rows)
    ]
    data = ("\r\n".join(lines) + "\r\n").encode()
    for label in ("new contacts", "same file again"):
        with Session(engine) as session:
            started = time.perf_counter()
            report = import_contacts(session, data, "bench.csv")
            session.commit()
            seconds = time.perf_counter() - started
        print(
            f"import {rows:,} rows ({len(data) / 1e6:.1f} MB), {label}: {seconds:.1f} s "
            f"({report.imported:,} imported, {report.updated:,} updated)"
        )


if __name__ == "__main__":
    main()
