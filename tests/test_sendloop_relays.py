"""The send loop over the HTTP API relays, and its rate limits."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from service.campaigns.lifecycle import status_reason
from service.delivery.queue import campaign_progress
from service.delivery.sendloop import Pacer
from service.delivery.suppression import is_suppressed
from service.mail.relays import MailgunRelay, PostmarkRelay
from service.models import Campaign, CampaignStatus, DeliveryStatus
from tests.builders import make_campaign, make_contact
from tests.conftest import Clock
from tests.mail_helpers import deliveries_by_address, run_until_idle, send_loop, start
from tests.relay_servers import (
    MAILGUN_DOMAIN,
    MAILGUN_KEY,
    POSTMARK_TOKEN,
    mailgun_server,
    postmark_server,
)

# Batches of fifty: one relay call takes every message of a test.
_relay_loop = partial(send_loop, batch_size=50)


def test_postmark_gets_one_batch_call_and_its_refusals_are_recorded(app, db):
    clock = Clock()
    people = [make_contact(db) for _ in range(5)]
    inactive = make_contact(db, email="inactief@example.nl")
    campaign = make_campaign(db)
    start(db, campaign, clock)
    with postmark_server() as server:
        server.refuse[inactive.email] = (
            406,
            "You tried to send to a recipient that has been marked as inactive.",
        )
        relay = PostmarkRelay(POSTMARK_TOKEN, base_url=server.base_url, timeout=(2.0, 5.0))
        run_until_idle(_relay_loop(app, relay, clock))
    # All six messages went in one POST /email/batch.
    assert server.requests == 1
    received = sorted(entry["To"].rpartition("<")[2].rstrip(">") for entry in server.received)
    assert received == sorted(p.email for p in people)
    delivery = deliveries_by_address(db, campaign)[inactive.email]
    assert delivery.status == DeliveryStatus.FAILED and "ErrorCode 406" in delivery.last_error
    assert is_suppressed(db, inactive.email)
    sent = deliveries_by_address(db, campaign)[people[0].email]
    assert sent.provider_id  # Postmark's MessageID, to match its webhooks later


def test_postmark_receives_the_list_headers(app, db):
    clock = Clock()
    make_contact(db)
    start(db, make_campaign(db), clock)
    with postmark_server() as server:
        relay = PostmarkRelay(POSTMARK_TOKEN, base_url=server.base_url, timeout=(2.0, 5.0))
        run_until_idle(_relay_loop(app, relay, clock))
    [entry] = server.received
    headers = {h["Name"]: h["Value"] for h in entry["Headers"]}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/afmelden/" in headers["List-Unsubscribe"]
    assert headers["Message-ID"].startswith("<opgavepost.")
    assert "/afmelden/" in entry["HtmlBody"] and "/afmelden/" in entry["TextBody"]


def test_mailgun_throttling_makes_the_campaign_wait_as_asked(app, db):
    clock = Clock()
    people = [make_contact(db) for _ in range(3)]
    campaign = make_campaign(db)
    start(db, campaign, clock)
    with mailgun_server() as server:
        server.next_statuses = [429]
        server.retry_after = "120"
        relay = MailgunRelay(
            MAILGUN_KEY, MAILGUN_DOMAIN, base_url=server.base_url, timeout=(2.0, 5.0)
        )
        loop = _relay_loop(app, relay, clock)
        run_until_idle(loop)
        db.expire_all()
        waiting = db.get(Campaign, campaign.id)
        assert waiting.retry_at == clock() + timedelta(seconds=120)
        assert "429" in status_reason(waiting)
        assert server.received == []
        clock.advance(seconds=60)
        assert run_until_idle(loop) == 0
        clock.advance(seconds=61)
        run_until_idle(loop)
    assert sorted(to[0] for to, _mime in server.received) == sorted(p.email for p in people)
    db.expire_all()
    assert db.get(Campaign, campaign.id).status == CampaignStatus.SENT


def test_a_refused_api_key_pauses_the_campaign_without_failing_anyone(app, db):
    clock = Clock()
    [make_contact(db) for _ in range(3)]
    campaign = make_campaign(db)
    start(db, campaign, clock)
    with mailgun_server() as server:
        relay = MailgunRelay("key-wrong", MAILGUN_DOMAIN, base_url=server.base_url)
        run_until_idle(_relay_loop(app, relay, clock))
    db.expire_all()
    paused = db.get(Campaign, campaign.id)
    assert paused.status == CampaignStatus.PAUSED
    assert "401" in status_reason(paused) and "API key" in status_reason(paused)
    progress = campaign_progress(db, campaign.id, now=clock())
    assert (progress.failed, progress.waiting) == (0, 3)
    assert {d.attempts for d in deliveries_by_address(db, campaign).values()} == {0}


def test_the_hourly_limit_holds_across_rounds(app, db, smtp_server):
    from service.mail.smtp import SmtpTransport

    clock = Clock()
    people = [make_contact(db) for _ in range(8)]
    campaign = make_campaign(db)
    start(db, campaign, clock)
    transport = SmtpTransport("127.0.0.1", smtp_server.port)
    loop = send_loop(app, transport, clock, batch_size=3, per_hour=5)
    run_until_idle(loop)
    assert len(smtp_server.handler.messages) == 5
    clock.advance(minutes=59)
    assert run_until_idle(loop) == 0
    clock.advance(minutes=2)
    run_until_idle(loop)
    assert len(smtp_server.handler.messages) == len(people)


def test_the_pacer_books_one_slot_per_message():
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(10, clock=lambda: now[0], sleep=sleep)
    assert pacer.chunk_size(200) == 10
    pacer.wait_for(10)  # the first second's worth goes at once
    pacer.wait_for(10)  # the next waits a second
    pacer.wait_for(5)
    assert slept == [1.0, 1.0]
    assert Pacer(0).chunk_size(200) == 200


def test_postmark_gets_campaigns_on_the_broadcast_stream_and_notices_on_the_transactional(app, db):
    from service.meetings.notices import ANSWER_NO
    from service.models import Delivery
    from tests.builders import make_meeting

    clock = Clock()
    anna = make_contact(db, name="Anna de Vries")
    start(db, make_campaign(db), clock)
    meeting = make_meeting(db)
    db.add(
        Delivery(
            campaign_id=None,
            kind=ANSWER_NO,
            meeting_id=meeting.id,
            contact_id=anna.id,
            email=anna.email,
            payload={},
            status=DeliveryStatus.QUEUED,
            attempts=0,
            next_attempt_at=clock(),
            created_at=clock(),
        )
    )
    db.commit()
    with postmark_server() as server:
        relay = PostmarkRelay(POSTMARK_TOKEN, base_url=server.base_url, timeout=(2.0, 5.0))
        run_until_idle(_relay_loop(app, relay, clock))
    streams = {
        "notice" if any(h["Name"] == "X-Opgavepost-Notice" for h in e["Headers"]) else "campaign": (
            e["MessageStream"]
        )
        for e in server.received
    }
    assert streams == {"campaign": "broadcast", "notice": "outbound"}
    assert {e["To"] for e in server.received} == {f"Anna de Vries <{anna.email}>"}
