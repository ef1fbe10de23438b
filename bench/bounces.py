"""How fast bounces are read: the sample bounces of tests/data/bounces, parsed over and over.

    .venv/bin/python bench/bounces.py               # the 8 samples repeated to 20,000 messages
    .venv/bin/python bench/bounces.py --messages 100000
    .venv/bin/python bench/bounces.py --smoke       # a few dozen, to see that it still runs

Each message goes through `read_bounce` (service/delivery/bounce_mail.py) as the listener and the
mailbox hand it over: bytes parsed by the email package, flufl.bounce's detectors, the status and
reason of each failed address, the VERP addresses and Message-IDs that tie it to a delivery. Each
copy gets its own delivery id, address and Message-ID. Prints messages per second on one core,
overall and per sample; the kinds found are checked, so the figure is for correct output. The
database work of recording a bounce is not in the figure (one INSERT and a few lookups).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.delivery.bounce_mail import read_bounce  # noqa: E402
from service.delivery.verp import verp_address  # noqa: E402

SAMPLES = ROOT / "tests" / "data" / "bounces"
KEY = "bench-secret-key"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _filled(text: str, number: int) -> bytes:
    values = {
        "{{VERP}}": verp_address("bounces@opgavebeweging.example", number, KEY),
        "{{MESSAGE_ID}}": f"<opgavepost.7.{number}.0badcafe@opgavebeweging.example>",
        "{{RECIPIENT}}": f"lid{number}@gemeente{number % 97}.example.nl",
    }
    for mark, value in values.items():
        text = text.replace(mark, value)
    return text.replace("\n", "\r\n").encode()


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: only shows that the script still runs"
    )
    args = parser.parse_args()
    count = 40 if args.smoke else args.messages
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    samples = {path.name: path.read_text() for path in sorted(SAMPLES.glob("*.eml"))}
    names = list(samples)
    messages = [
        (names[i % len(names)], _filled(samples[names[i % len(names)]], i + 1))
        for i in range(count)
    ]
    kinds: Counter[str] = Counter()
    per_sample: dict[str, float] = dict.fromkeys(names, 0.0)
    started = time.perf_counter()
    for name, data in messages:
        begun = time.perf_counter()
        reports = read_bounce(data, source="mailbox", now=NOW)
        per_sample[name] += time.perf_counter() - begun
        for report in reports:
            kinds[report.kind] += 1
        if not reports:
            kinds["no bounce"] += 1
    elapsed = time.perf_counter() - started
    every = len(names)
    expected_bounces = sum(1 for name, _data in messages if name != "out-of-office.eml")
    found = kinds["hard_bounce"] + kinds["soft_bounce"]
    if found != expected_bounces:
        raise SystemExit(f"expected {expected_bounces} bounces, found {found}: {dict(kinds)}")
    print(f"{count} messages from {every} samples in {elapsed:.2f} s")
    print(f"parser rate: {count / elapsed:,.0f} messages/s on one core")
    print("found: " + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())))
    for name in names:
        copies = sum(1 for n, _data in messages if n == name)
        if copies:
            print(f"  {name:<20} {copies / per_sample[name]:>8,.0f} messages/s")


if __name__ == "__main__":
    main()
