"""How fast the seed recap is personalised: render once, then fill in 20,000 distinct recipients.

    .venv/bin/python bench/render.py                  # 20,000 recipients, Dutch
    .venv/bin/python bench/render.py --recipients 100000 --language en
    .venv/bin/python bench/render.py --smoke          # a few hundred, to see that it still runs

Prints the time of one premailer pass (the cost we pay once per campaign version and language,
and what inlining per recipient would cost), the time of a whole render, and personalised
messages per second on one core (the process is pinned to one CPU where the OS allows). Each
recipient's message is made the way the send loop makes it (`MessageFactory.message`: the
recipient's own signed links, then the placeholders filled in), so the figure cannot drift from
what is sent. Every recipient gets a distinct name and id; a sample is checked to make sure the
numbers are for correct output. For reference it also times building the MIME message from
that, which is the next cost in the send loop.

Last, the cost of counting link clicks (service/click_links.py): the seed recap with ten links
added is made ready to send (`MessageFactory.build_campaign_mail`) with counting off and on; the
links are rewritten once there, so the difference is paid once per campaign version, never per
recipient.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import DEFAULT_LANGUAGE, LANGUAGES, read_settings
from service.delivery.queue import Claimed
from service.delivery.sendloop import MessageFactory
from service.demo.recap import seed_recap, seed_upcoming_meetings
from service.rendering import blocks as b
from service.rendering.render import draw_campaign, inline_css, render_campaign
from service.rendering.versions import Version

TARGET_PER_SECOND = 2_000
# Besides the defaults (config/settings.py); with a SECRET_KEY nothing is written to the folder.
SETTINGS = read_settings(
    {},
    Path(tempfile.gettempdir()),
    {
        "BASE_URL": "https://post.example.nl",
        "SECRET_KEY": "bench-secret-key",
        "NETWORK_ADDRESS": "Postbus 20011\n2500 EA Den Haag",
    },
)
CAMPAIGN_ID = 1


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--language", choices=LANGUAGES, default=DEFAULT_LANGUAGE)
    parser.add_argument("--mime", type=int, default=2_000, help="messages for the MIME figure")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: only shows that the script still runs"
    )
    args = parser.parse_args()
    if args.smoke:
        args.recipients, args.mime = 300, 50
    repeats = 1 if args.smoke else 5

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    factory = MessageFactory(SETTINGS)
    content = seed_recap()
    options = {
        "language": args.language,
        "network": factory.network,
        "base_url": factory.base_url,
        "upcoming": seed_upcoming_meetings(),
    }

    started = time.perf_counter()
    render_campaign(content, **options)
    cold = time.perf_counter() - started
    renders = [_timed(lambda: render_campaign(content, **options)) for _ in range(repeats)]
    drawn = draw_campaign(content, **options)
    passes = [_timed(lambda: inline_css(drawn.html)) for _ in range(repeats)]
    premailer = statistics.median(passes)

    # The send loop's own path: the campaign rendered once per version, then one message each.
    mail = factory.build_campaign_mail(
        campaign_id=CAMPAIGN_ID,
        version=1,
        sender_name="",
        versions={args.language: Version(content, args.language, translated=False)},
        upcoming=options["upcoming"],
    )
    rendered = mail.rendered[args.language]
    recipients = [_recipient(n, args.language) for n in range(args.recipients)]
    started = time.perf_counter()
    messages = [factory.message(mail, recipient) for recipient in recipients]
    elapsed = time.perf_counter() - started
    per_second = args.recipients / elapsed
    _check(messages)

    started = time.perf_counter()
    for outgoing in messages[: args.mime]:
        message = EmailMessage()
        message["Subject"] = outgoing.subject
        message["From"] = f"{outgoing.from_name} <{outgoing.from_email}>"
        message["To"] = f"{outgoing.to_name} <{outgoing.to_email}>"
        message.set_content(outgoing.text)
        message.add_alternative(outgoing.html, subtype="html")
        message.as_bytes()
    mime_per_second = args.mime / (time.perf_counter() - started)

    print(
        f"seed recap ({args.language}): {len(rendered.html.encode()) / 1024:.1f} KB HTML, ", end=""
    )
    print(f"{len(rendered.text.encode()) / 1024:.1f} KB text, {len(content.blocks)} blocks")
    print(f"render_campaign, first call (compiles templates): {cold * 1000:.0f} ms")
    print(f"render_campaign, median of {repeats}: {statistics.median(renders) * 1000:.1f} ms")
    print(
        f"one premailer pass, median of {repeats}: {premailer * 1000:.1f} ms "
        f"(inlining per recipient would allow about {1 / premailer:.0f} msgs/s)"
    )
    verdict = "meets" if per_second >= TARGET_PER_SECOND else "MISSES"
    print(
        f"personalise (signed links and placeholders, as the send loop): {args.recipients:,} "
        f"distinct recipients in {elapsed:.2f} s = {per_second:,.0f} msgs/s on one core "
        f"({verdict} the target of {TARGET_PER_SECOND:,})"
    )
    print(
        f"EmailMessage + as_bytes() of those: {mime_per_second:,.0f} msgs/s "
        f"({args.mime:,} messages; for reference, MIME building is the next cost)"
    )
    _counting(factory, options, args.language, repeats)


def _counting(factory: MessageFactory, options: dict, language: str, repeats: int) -> None:
    """Print the send loop's rendering of a recap with ten links, counting clicks off and on."""
    content = seed_recap()
    links = [f"https://www.example.nl/verslag/{n}?bron=nieuwsbrief" for n in range(8)]
    body = "\n\n".join(
        f"Lees [deel {n + 1} van het verslag]({url})." for n, url in enumerate(links)
    )
    content.blocks[1:1] = [
        b.Text(body=body),
        b.Button(label="Alle foto's", url="https://www.example.nl/fotos"),
        b.Button(label="Het programma", url="https://www.example.nl/programma"),
    ]

    def build(count_clicks: bool):
        return factory.build_campaign_mail(
            campaign_id=CAMPAIGN_ID,
            version=1,
            sender_name="",
            versions={language: Version(content, language, translated=False)},
            links=b.content_links(content),
            upcoming=options["upcoming"],
            count_clicks=count_clicks,
        )

    counted = build(True).rendered[language]
    assert counted.html.count("/k/") >= 10 and "example.nl/fotos" not in counted.html
    assert "example.nl/fotos" not in counted.text, "a counted link left in the text part"
    off = statistics.median(_timed(lambda: build(False)) for _ in range(repeats))
    on = statistics.median(_timed(lambda: build(True)) for _ in range(repeats))
    print(
        f"ready to send with 10 links, median of {repeats}: {off * 1000:.1f} ms without counting "
        f"clicks, {on * 1000:.1f} ms with (links rewritten once per campaign version, not per "
        "recipient)"
    )


def _recipient(n: int, language: str) -> Claimed:
    return Claimed(
        id=n + 1,
        campaign_id=CAMPAIGN_ID,
        contact_id=n + 1,
        email=f"deelnemer{n}@example.nl",
        attempts=0,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        name=f"Deelnemer{n} van Provincie {n % 12}",
        language=language,
        skip="",
    )


def _check(messages) -> None:
    # Correct output only: each recipient's own unsubscribe link, nothing left unfilled.
    sample = messages[:: max(1, len(messages) // 50)]
    links = {dict(m.headers)["List-Unsubscribe"].split(">")[0].lstrip("<") for m in sample}
    assert len(links) == len(sample), "two recipients got the same unsubscribe link"
    for outgoing in sample:
        unsubscribe = dict(outgoing.headers)["List-Unsubscribe"].split(">")[0].lstrip("<")
        assert unsubscribe in outgoing.text, "unsubscribe link missing in text"
        assert unsubscribe.replace("&", "&amp;") in outgoing.html, "no unsubscribe link in HTML"
        assert "[[" not in outgoing.html and "[[" not in outgoing.text, "a placeholder was left"


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
