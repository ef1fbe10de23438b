"""One bad message never touches the rest of its batch: the send loop on a real SMTP server.

A batch that holds one message failing in each way there is (an address the server cannot
carry, a value that cannot be built, a refusal at RCPT TO or after the data, a garbled reply, a
connection that drops mid-DATA) delivers every other message exactly once, records each failure
as that delivery's own outcome, and the campaign finishes.
"""

from __future__ import annotations

from collections import Counter

import pytest

from service.addresses import LOCAL_PART_NEEDS_SMTPUTF8
from service.delivery.queue import campaign_progress
from service.delivery.sendloop import SendLoop
from service.delivery.suppression import is_suppressed
from service.mail.smtp import SmtpTransport
from service.mail.transports import BatchResult, Transport
from service.meetings.notices import ANSWER_NO, ANSWER_WAITING
from service.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from tests.builders import make_campaign, make_contact, make_meeting
from tests.conftest import DROP
from tests.mail_helpers import (
    addresses_received,
    deliveries_by_address,
    run_until_idle,
    send_loop,
    start,
)

JORAN = "jöran.dijkstra@example.nl"  # a non-ASCII local part: only SMTPUTF8 carries it
BUCHER = "user@bücher.example"  # a non-ASCII domain: goes in its IDNA form
BUCHER_ON_THE_WIRE = "user@xn--bcher-kva.example"
GOOD = [f"lid.{n}@example.nl" for n in range(4)]


def _loop(app, server, clock, *, connections: int = 2, batch_size: int = 50) -> SendLoop:
    transport = SmtpTransport("127.0.0.1", server.port, timeout=5, connections=connections)
    return send_loop(app, transport, clock, batch_size=batch_size)


@pytest.mark.parametrize("smtputf8", [False, True], ids=["plain-server", "smtputf8-server"])
@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])
def test_each_bad_message_fails_alone_and_every_other_arrives_exactly_once(
    app, db, request, clock, pipelining, smtputf8
):
    server = request.getfixturevalue("smtputf8_server" if smtputf8 else "smtp_server")
    handler = server.handler
    handler.pipelining = pipelining
    # The bad ones sit between good ones, so every failure has accepted messages on both sides.
    for email, name in [
        (GOOD[0], "Anna de Vries"),
        (JORAN, "Jöran Dijkstra"),
        (GOOD[1], "Bram Smit"),
        (BUCHER, "Uwe Bücher"),
        ("eva@example.nl", "Eva\x1cJansen"),  # a control character stored before intake refused it
        ("weg@example.nl", "Wim Weg"),
        (GOOD[2], "Carla Visser"),
        ("spam@example.nl", "Sam Pam"),
        ("raar@example.nl", "Ruud Raar"),
        ("kwijt@example.nl", "Kees Kwijt"),
        (GOOD[3], "Daan Mulder"),
    ]:
        make_contact(db, email=email, name=name)
    handler.refused["weg@example.nl"] = "550 5.1.1 No such user here"
    handler.data_answers.update(
        {
            "spam@example.nl": "554 5.7.1 Message refused as spam",
            "raar@example.nl": "what is this",  # a reply that is no SMTP reply
            "kwijt@example.nl": DROP,  # the connection drops after the data, before the answer
        }
    )
    campaign = make_campaign(db)
    assert start(db, campaign, clock) == 11
    loop = _loop(app, server, clock)

    run_until_idle(loop)
    # The two messages whose fate was unknown wait about a minute and go again.
    clock.advance(minutes=5)
    run_until_idle(loop)

    arrived = Counter(addresses_received(server.handler))
    expected = [*GOOD, BUCHER_ON_THE_WIRE, "raar@example.nl", "kwijt@example.nl"]
    expected += [JORAN] if smtputf8 else []
    assert arrived == Counter(expected), "every other message arrives, exactly once"
    deliveries = deliveries_by_address(db, campaign)
    sent = {email for email, d in deliveries.items() if d.status == DeliveryStatus.SENT}
    assert sent == set(GOOD) | {BUCHER, "raar@example.nl", "kwijt@example.nl"} | (
        {JORAN} if smtputf8 else set()
    )
    assert "550" in deliveries["weg@example.nl"].last_error
    assert is_suppressed(db, "weg@example.nl")
    assert "554" in deliveries["spam@example.nl"].last_error
    eva = deliveries["eva@example.nl"]
    assert eva.status == DeliveryStatus.FAILED
    assert "could not be built" in eva.last_error and "control character" in eva.last_error
    if not smtputf8:
        joran = deliveries[JORAN]
        assert (joran.status, joran.last_error) == (
            DeliveryStatus.FAILED,
            LOCAL_PART_NEEDS_SMTPUTF8,
        )
        # Our own refusal says nothing about the address itself: it is not suppressed.
        assert not is_suppressed(db, JORAN)
    db.expire_all()
    assert db.get(Campaign, campaign.id).status == CampaignStatus.SENT
    progress = campaign_progress(db, campaign.id, now=clock())
    assert (progress.sent, progress.failed, progress.waiting) == (
        (8, 3, 0) if smtputf8 else (7, 4, 0)
    )


def test_internationalised_addresses_arrive_in_their_wire_form(app, db, smtputf8_server, clock):
    handler = smtputf8_server.handler
    handler.pipelining = True
    make_contact(db, email=JORAN, name="Jöran Dijkstra")
    make_contact(db, email=BUCHER, name="Uwe Bücher")
    start(db, make_campaign(db), clock)
    run_until_idle(_loop(app, smtputf8_server, clock))

    by_recipient = {
        rcpts[0]: (message, utf8)
        for (_from, rcpts, message), utf8 in zip(handler.messages, handler.smtputf8, strict=True)
    }
    joran, joran_utf8 = by_recipient[JORAN]
    assert joran_utf8, "MAIL FROM asked for SMTPUTF8"
    assert joran["To"].addresses[0].addr_spec == JORAN
    assert joran["To"].addresses[0].display_name == "Jöran Dijkstra"
    bucher, bucher_utf8 = by_recipient[BUCHER_ON_THE_WIRE]
    assert not bucher_utf8, "an IDNA domain needs no SMTPUTF8"
    assert bucher["To"].addresses[0].addr_spec == BUCHER_ON_THE_WIRE


def test_the_organiser_reads_why_an_address_could_not_go_in_their_language(
    app, db, organiser, smtp_server, clock
):
    make_contact(db, email=JORAN)
    make_contact(db)
    campaign = make_campaign(db)
    start(db, campaign, clock)
    run_until_idle(_loop(app, smtp_server, clock))

    page = organiser.get(f"/campaigns/{campaign.id}/sending").get_data(as_text=True)
    assert JORAN in page
    assert "Het deel vóór de @ bevat tekens buiten ASCII" in page
    assert "geen SMTPUTF8" in page


def _single_message(db, clock, contact, meeting, kind: str, payload: dict) -> Delivery:
    delivery = Delivery(
        campaign_id=None,
        kind=kind,
        meeting_id=meeting.id,
        contact_id=contact.id,
        email=contact.email,
        payload=payload,
        status=DeliveryStatus.QUEUED,
        attempts=0,
        next_attempt_at=clock(),
        created_at=clock(),
    )
    db.add(delivery)
    db.commit()
    return delivery


def test_a_single_message_that_cannot_be_built_fails_alone_and_the_round_goes_on(
    app, db, smtp_server, clock
):
    meeting = make_meeting(db)
    anna, bram = make_contact(db, name="Anna"), make_contact(db, name="Bram")
    campaign = make_campaign(db)
    start(db, campaign, clock)
    # A waiting-list notice whose payload lost its place number: building it raises KeyError.
    broken = _single_message(db, clock, anna, meeting, ANSWER_WAITING, {})
    fine = _single_message(db, clock, bram, meeting, ANSWER_NO, {})

    run_until_idle(_loop(app, smtp_server, clock))

    assert sorted(addresses_received(smtp_server.handler)) == sorted(
        [anna.email, bram.email, bram.email]
    )
    db.expire_all()
    failed = db.get(Delivery, broken.id)
    assert failed.status == DeliveryStatus.FAILED
    assert "could not be built" in failed.last_error and "position" in failed.last_error
    assert db.get(Delivery, fine.id).status == DeliveryStatus.SENT
    assert db.get(Campaign, campaign.id).status == CampaignStatus.SENT


class _AnswersOnlyTheFirst(Transport):
    """A transport that breaks the contract: it answers for the first message of a batch only."""

    name = "half"

    def __init__(self, inner: Transport):
        self.inner = inner

    def send_batch(self, messages) -> BatchResult:
        return self.inner.send_batch(list(messages)[:1])

    def close(self) -> None:
        self.inner.close()


class _Raises(Transport):
    """A transport that raises instead of answering."""

    name = "broken"

    def send_batch(self, messages) -> BatchResult:
        raise RuntimeError("a fault in the transport")


def test_what_a_misbehaving_transport_answered_is_kept_and_the_rest_go_once(
    app, db, smtp_server, clock
):
    people = [make_contact(db) for _ in range(3)]
    campaign = make_campaign(db)
    start(db, campaign, clock)
    smtp = SmtpTransport("127.0.0.1", smtp_server.port, timeout=5)
    loop = send_loop(app, _AnswersOnlyTheFirst(smtp), clock, batch_size=10)

    for _ in range(4):  # each round hands over what is due; the unanswered wait a few minutes
        run_until_idle(loop)
        clock.advance(minutes=10)

    # The answered message is recorded as sent at once, so no round sends it again.
    assert sorted(addresses_received(smtp_server.handler)) == sorted(p.email for p in people)
    assert {d.status for d in deliveries_by_address(db, campaign).values()} == {DeliveryStatus.SENT}


def test_a_transport_that_raises_costs_a_retry_not_the_round(app, db, clock):
    people = [make_contact(db) for _ in range(2)]
    campaign = make_campaign(db)
    start(db, campaign, clock)
    loop = send_loop(app, _Raises(), clock, batch_size=10)

    assert loop.run_once() == 2  # the round ends normally, with every outcome recorded

    deliveries = deliveries_by_address(db, campaign)
    for person in people:
        delivery = deliveries[person.email]
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.QUEUED, 1)
        assert delivery.claim == "" and delivery.next_attempt_at > clock()
        assert (
            "no answer" in delivery.last_error and "a fault in the transport" in delivery.last_error
        )
