"""How fast the seed recap is personalised: render once, then fill in 20,000 distinct recipients.

    .venv/bin/python bench/render.py                  # 20,000 recipients, Dutch
    .venv/bin/python bench/render.py --recipients 100000 --language en

Prints the time of one premailer pass (the cost we pay once per campaign version and language,
and what inlining per recipient would cost), the time of a whole render, and personalised
messages per second on one core (the process is pinned to one CPU where the OS allows). Every
recipient gets a distinct name and distinct URLs; a sample is checked to make sure the numbers
are for correct output. For reference it also times personalise plus building the MIME message,
which is the next cost in the send loop.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.campaigns.seed_recap import seed_recap, seed_upcoming_meetings
from service.mail import placeholders
from service.mail.render import (
    Network,
    draw_campaign,
    inline_css,
    personalise,
    render_campaign,
)

TARGET_PER_SECOND = 2_000
BASE_URL = "https://post.example.nl"
NETWORK = Network(
    name="Opgavebeweging",
    email="grenzeloossamenwerken@rijksoverheid.nl",
    address="Postbus 20011\n2500 EA Den Haag",
)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--language", choices=["nl", "en"], default="nl")
    parser.add_argument("--mime", type=int, default=2_000, help="messages for the MIME figure")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    content = seed_recap()
    options = {
        "language": args.language,
        "network": NETWORK,
        "base_url": BASE_URL,
        "upcoming": seed_upcoming_meetings(),
    }

    started = time.perf_counter()
    render_campaign(content, **options)
    cold = time.perf_counter() - started
    renders = [_timed(lambda: render_campaign(content, **options)) for _ in range(5)]
    rendered = render_campaign(content, **options)
    drawn = draw_campaign(content, **options)
    passes = [_timed(lambda: inline_css(drawn.html)) for _ in range(5)]
    premailer = statistics.median(passes)

    recipients = [_values(n) for n in range(args.recipients)]
    started = time.perf_counter()
    for values in recipients:
        personalise(rendered, values)
    elapsed = time.perf_counter() - started
    per_second = args.recipients / elapsed
    _check(rendered, recipients)

    started = time.perf_counter()
    for values in recipients[: args.mime]:
        subject, html, text = personalise(rendered, values)
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = f"{NETWORK.name} <{NETWORK.email}>"
        message["To"] = f"{values[placeholders.NAME]} <r{values[placeholders.FIRST_NAME]}@x.nl>"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        message.as_bytes()
    mime_per_second = args.mime / (time.perf_counter() - started)

    print(
        f"seed recap ({args.language}): {len(rendered.html.encode()) / 1024:.1f} KB HTML, ", end=""
    )
    print(f"{len(rendered.text.encode()) / 1024:.1f} KB text, {len(content.blocks)} blocks")
    print(f"render_campaign, first call (compiles templates): {cold * 1000:.0f} ms")
    print(f"render_campaign, median of 5: {statistics.median(renders) * 1000:.1f} ms")
    print(
        f"one premailer pass, median of 5: {premailer * 1000:.1f} ms "
        f"(inlining per recipient would allow about {1 / premailer:.0f} msgs/s)"
    )
    verdict = "meets" if per_second >= TARGET_PER_SECOND else "MISSES"
    print(
        f"personalise: {args.recipients:,} distinct recipients in {elapsed:.2f} s = "
        f"{per_second:,.0f} msgs/s on one core ({verdict} the target of {TARGET_PER_SECOND:,})"
    )
    print(
        f"personalise + EmailMessage + as_bytes(): {mime_per_second:,.0f} msgs/s "
        f"({args.mime:,} messages; for reference, MIME building is the next cost)"
    )


def _values(n: int) -> dict[str, str]:
    return {
        placeholders.FIRST_NAME: f"Deelnemer{n}",
        placeholders.NAME: f"Deelnemer{n} van Provincie {n % 12}",
        placeholders.UNSUBSCRIBE_URL: f"{BASE_URL}/afmelden/{n:08d}?t=tok{n:012d}&c=1",
        placeholders.WEB_VERSION_URL: f"{BASE_URL}/archief/1?r={n:08d}",
    }


def _check(rendered, recipients) -> None:
    for values in recipients[:: max(1, len(recipients) // 50)]:
        _, html, text = personalise(rendered, values)
        unsubscribe = values[placeholders.UNSUBSCRIBE_URL]
        assert unsubscribe.replace("&", "&amp;") in html, "unsubscribe link missing in HTML"
        assert unsubscribe in text, "unsubscribe link missing in text"
        assert "[[" not in html and "[[" not in text, "a placeholder was left unfilled"


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
