"""The send loop against a real SMTP server on loopback: who gets what, once; what failures do."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from email.utils import getaddresses
from functools import partial

import pytest
from sqlalchemy import event, insert, literal, select

from service.campaigns.lifecycle import TransitionError, status_reason
from service.delivery.queue import (
    campaign_progress,
    cancel_sending,
    claim_due_deliveries,
    pause_sending,
    resume_sending,
)
from service.delivery.suppression import is_suppressed, suppress
from service.mail.smtp import SmtpTransport
from service.message_kinds import MESSAGE_KINDS
from service.models import (
    Campaign,
    CampaignStatus,
    Consent,
    Contact,
    DeliveryStatus,
    Mailing,
    Subscription,
)
from tests.builders import make_campaign, make_contact, make_invitation
from tests.mail_helpers import (
    addresses_received,
    deliveries_by_address,
    run_until_idle,
    send_loop,
    smtp_loop,
    start,
)

# Batches of three: the seven people of most tests take three rounds.
_loop = partial(smtp_loop, batch_size=3)


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])
def test_every_recipient_gets_exactly_one_personal_message(app, db, smtp_server, clock, pipelining):
    smtp_server.handler.pipelining = pipelining
    people = [make_contact(db, name=f"Lid {n} Jansen") for n in range(7)]
    make_contact(db, email="zonder.toestemming@example.nl", consent=Consent.UNKNOWN)
    make_contact(db, email="afgemeld@example.nl", consent=Consent.WITHDRAWN)
    suppress(db, make_contact(db, email="bounced@example.nl").email, "hard_bounce", "550", "test")
    db.commit()
    campaign = make_campaign(db)

    assert start(db, campaign, clock) == 7
    run_until_idle(_loop(app, smtp_server, clock))

    assert sorted(addresses_received(smtp_server.handler)) == sorted(p.email for p in people)
    by_address = {rcpts[0]: message for _f, rcpts, message in smtp_server.handler.messages}
    message = by_address[people[0].email]
    assert message["Subject"] == "Terugblik voor Lid"
    assert getaddresses([message["To"]])[0] == ("Lid 0 Jansen", people[0].email)
    assert "Beste Lid, dank" in message.get_body(("plain",)).get_content()
    db.expire_all()
    assert db.get(Campaign, campaign.id).status == CampaignStatus.SENT
    progress = campaign_progress(db, campaign.id, now=clock())
    assert (progress.total, progress.sent, progress.waiting) == (7, 7, 0)


def test_campaign_mail_has_list_headers_and_a_stable_message_id(app, db, smtp_server, clock):
    person = make_contact(db, name="Maaïke Heijnen")
    campaign = make_campaign(db)
    start(db, campaign, clock)
    run_until_idle(_loop(app, smtp_server, clock))

    [(_from, _to, message)] = smtp_server.handler.messages
    https, mailto = [part.strip(" <>") for part in message["List-Unsubscribe"].split(",")]
    assert https.startswith("http://127.0.0.1:5000/afmelden/")
    assert mailto.startswith("mailto:grenzeloossamenwerken@rijksoverheid.nl?subject=unsubscribe")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == '"Opgavebeweging" <opgavebeweging.127.0.0.1>'
    assert message["Reply-To"] == "grenzeloossamenwerken@rijksoverheid.nl"
    assert message["From"] == "Opgavebeweging <grenzeloossamenwerken@rijksoverheid.nl>"
    assert message["To"] == f"Maaïke Heijnen <{person.email}>"
    delivery = deliveries_by_address(db, campaign)[person.email]
    assert message["Message-ID"].startswith(f"<opgavepost.{campaign.id}.{delivery.id}.")
    # The web version and unsubscribe links are this person's own, in text and HTML alike.
    assert https in message.get_body(("html",)).get_content()
    assert https in message.get_body(("plain",)).get_content()


def test_a_4xx_is_tried_again_later_and_then_sent(app, db, smtp_server, clock):
    person = make_contact(db)
    campaign = make_campaign(db)
    start(db, campaign, clock)
    smtp_server.handler.next_answers = ["451 4.3.0 Mailbox busy, try later"]
    loop = _loop(app, smtp_server, clock)

    run_until_idle(loop)
    delivery = deliveries_by_address(db, campaign)[person.email]
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.attempts == 1 and "451" in delivery.last_error
    assert smtp_server.handler.messages == []

    clock.advance(seconds=30)
    assert run_until_idle(loop) == 0  # not due yet: the first retry waits about a minute
    clock.advance(minutes=2)
    run_until_idle(loop)
    assert addresses_received(smtp_server.handler) == [person.email]
    delivery = deliveries_by_address(db, campaign)[person.email]
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)


def test_a_message_still_failing_at_the_deadline_fails(app, db, smtp_server, clock):
    person = make_contact(db)
    campaign = make_campaign(db)
    start(db, campaign, clock)
    smtp_server.handler.answer = "452 4.2.2 Mailbox full"
    loop = _loop(app, smtp_server, clock, retry_deadline=timedelta(hours=1))
    for _ in range(12):
        run_until_idle(loop)
        clock.advance(minutes=10)
    delivery = deliveries_by_address(db, campaign)[person.email]
    assert delivery.status == DeliveryStatus.FAILED
    assert "still failing" in delivery.last_error and "452" in delivery.last_error
    db.expire_all()
    assert db.get(Campaign, campaign.id).status == CampaignStatus.SENT


def test_a_refused_address_fails_and_is_suppressed(app, db, smtp_server, clock):
    good, gone = make_contact(db), make_contact(db, email="vertrokken@example.nl")
    smtp_server.handler.refused[gone.email] = "550 5.1.1 No such user here"
    campaign = make_campaign(db)
    start(db, campaign, clock)
    run_until_idle(_loop(app, smtp_server, clock))

    assert addresses_received(smtp_server.handler) == [good.email]
    delivery = deliveries_by_address(db, campaign)[gone.email]
    assert delivery.status == DeliveryStatus.FAILED
    assert "550" in delivery.last_error and "No such user" in delivery.last_error
    assert is_suppressed(db, gone.email)
    # The next campaign leaves the address out from the start.
    assert start(db, make_campaign(db), clock) == 1


def test_a_5xx_to_the_message_fails_it_without_retrying(app, db, smtp_server, clock):
    person = make_contact(db)
    smtp_server.handler.next_answers = ["554 5.7.1 Message refused as spam"]
    campaign = make_campaign(db)
    start(db, campaign, clock)
    loop = _loop(app, smtp_server, clock)
    run_until_idle(loop)
    clock.advance(hours=5)
    run_until_idle(loop)
    delivery = deliveries_by_address(db, campaign)[person.email]
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert smtp_server.handler.messages == []
    # Content refused is no reason to stop mailing the address.
    assert not is_suppressed(db, person.email)


def test_pause_then_resume_sends_the_rest_and_nobody_twice(app, db, smtp_server, clock):
    people = [make_contact(db) for _ in range(7)]
    campaign = make_campaign(db)
    start(db, campaign, clock)
    loop = _loop(app, smtp_server, clock)
    loop.run_once()  # one batch of three
    pause_sending(db, db.get(Campaign, campaign.id), actor=None)
    db.commit()
    assert run_until_idle(loop) == 0
    assert len(smtp_server.handler.messages) == 3

    resume_sending(db, db.get(Campaign, campaign.id), actor=None)
    db.commit()
    run_until_idle(loop)
    assert sorted(addresses_received(smtp_server.handler)) == sorted(p.email for p in people)


def test_cancel_stops_what_was_not_sent(app, db, smtp_server, clock):
    [make_contact(db) for _ in range(5)]
    campaign = make_campaign(db)
    start(db, campaign, clock)
    loop = _loop(app, smtp_server, clock)
    loop.run_once()
    assert cancel_sending(db, db.get(Campaign, campaign.id), actor=None) == 2
    db.commit()
    assert run_until_idle(loop) == 0
    progress = campaign_progress(db, campaign.id, now=clock())
    assert (progress.sent, progress.cancelled, progress.waiting) == (3, 2, 0)
    with pytest.raises(TransitionError):
        resume_sending(db, db.get(Campaign, campaign.id), actor=None)


def test_who_unsubscribes_during_the_send_is_skipped(app, db, smtp_server, clock):
    people = [make_contact(db) for _ in range(4)]
    campaign = make_campaign(db)
    start(db, campaign, clock)
    loop = _loop(app, smtp_server, clock)
    loop.run_once()  # the first three
    people[3].consent = Consent.WITHDRAWN
    db.commit()
    run_until_idle(loop)
    assert people[3].email not in addresses_received(smtp_server.handler)
    assert deliveries_by_address(db, campaign)[people[3].email].status == DeliveryStatus.SKIPPED


def test_a_batch_taken_over_after_a_crash_skips_who_left_the_mailing_meanwhile(
    app, db, smtp_server, clock
):
    from service.audience.subscriptions import unsubscribe

    stays, leaves = make_contact(db), make_contact(db)
    campaign = make_campaign(db)
    start(db, campaign, clock)
    # A worker claims the batch and dies before it records anything.
    claim_due_deliveries(db, now=clock(), limit=10, lease=timedelta(minutes=5), kinds=MESSAGE_KINDS)
    # Meanwhile one contact leaves the news with the recap's own link; they keep the
    # invitations, so their consent stays given.
    unsubscribe(db, db.get(Contact, leaves.id), [Mailing.NEWS], source="unsubscribe link")
    db.commit()
    assert db.get(Contact, leaves.id).consent == Consent.GIVEN

    clock.advance(minutes=6)  # the lease runs out; another worker takes the batch over
    run_until_idle(_loop(app, smtp_server, clock))

    assert addresses_received(smtp_server.handler) == [stays.email]
    skipped = deliveries_by_address(db, campaign)[leaves.email]
    assert (skipped.status, skipped.last_error) == (DeliveryStatus.SKIPPED, "unsubscribed")
    db.expire_all()
    assert db.get(Campaign, campaign.id).status == CampaignStatus.SENT


def test_a_relay_that_is_down_makes_the_campaign_wait_then_go_on(app, db, smtp_server, clock):
    people = [make_contact(db) for _ in range(4)]
    campaign = make_campaign(db)
    start(db, campaign, clock)
    nobody = SmtpTransport("127.0.0.1", 1, timeout=2)  # nothing listens on port 1
    down = send_loop(app, nobody, clock, batch_size=3)
    run_until_idle(down)
    db.expire_all()
    waiting = db.get(Campaign, campaign.id)
    assert waiting.status == CampaignStatus.SENDING
    assert waiting.retry_at > clock() and "could not talk" in status_reason(waiting)
    # The messages kept their place: no attempt was counted against them.
    assert {d.attempts for d in deliveries_by_address(db, campaign).values()} == {0}

    loop = _loop(app, smtp_server, clock)
    assert run_until_idle(loop) == 0  # still waiting
    clock.advance(minutes=1)
    run_until_idle(loop)
    assert sorted(addresses_received(smtp_server.handler)) == sorted(p.email for p in people)
    db.expire_all()
    assert db.get(Campaign, campaign.id).failure_streak == 0


def test_many_failures_in_a_row_pause_the_campaign_with_the_reason(app, db, smtp_server, clock):
    [make_contact(db) for _ in range(8)]
    smtp_server.handler.answer = "554 5.7.1 Refused by policy"
    campaign = make_campaign(db)
    start(db, campaign, clock)
    run_until_idle(_loop(app, smtp_server, clock, pause_after_failures=4))
    db.expire_all()
    paused = db.get(Campaign, campaign.id)
    assert paused.status == CampaignStatus.PAUSED
    # Batches of three: the second batch brings the streak to six, past the four allowed.
    assert paused.failure_streak == 6
    assert status_reason(paused).startswith("6 failures in a row; the last: ")
    assert "Refused by policy" in status_reason(paused)
    progress = campaign_progress(db, campaign.id, now=clock())
    assert (progress.failed, progress.waiting) == (6, 2)


def test_a_campaign_starts_once_and_only_from_draft(app, db, clock):
    make_contact(db)
    campaign = make_campaign(db)
    assert start(db, campaign, clock) == 1
    with pytest.raises(TransitionError):
        start(db, db.get(Campaign, campaign.id), clock)
    assert len(deliveries_by_address(db, campaign)) == 1


def test_audience_by_province_and_tag(app, db, clock):
    make_contact(db, province="utrecht")
    make_contact(db, province="zuid-holland", email="zh@example.nl")
    make_contact(db, province="groningen", email="tag@example.nl", tags=["bestuur"])
    campaign = make_campaign(db, audience={"provinces": ["zuid-holland"], "tags": ["bestuur"]})
    start(db, campaign, clock)
    assert sorted(deliveries_by_address(db, campaign)) == ["tag@example.nl", "zh@example.nl"]


def test_an_invitation_carries_each_recipients_own_answer_links(app, db, smtp_server, clock):
    import re

    from service.meetings.answer_links import AnswerSigner
    from service.models import Invitation
    from tests.builders import amsterdam, make_meeting

    # After the send loop's clock (12 May 2026): a meeting that can still be answered.
    starts = amsterdam(date(2026, 6, 2), time(10, 0))
    meeting = make_meeting(db, starts_at=starts, ends_at=starts + timedelta(hours=3))
    anna, bram = make_contact(db, name="Anna"), make_contact(db, name="Bram")
    campaign = make_invitation(db, meeting)
    start(db, campaign, clock)
    run_until_idle(_loop(app, smtp_server, clock))

    signer = AnswerSigner(app.config["SECRET_KEY"])
    for contact in (anna, bram):
        [message] = [m for _f, to, m in smtp_server.handler.messages if to == [contact.email]]
        html = message.get_body(("html",)).get_content()
        links = re.findall(r'href="([^"]*/antwoord/[^"]*)"', html)
        assert [link.rsplit("=", 1)[1] for link in links] == ["ja", "nee"]
        token = links[0].split("/antwoord/")[1].split("?")[0]
        read = signer.read(token)
        assert (read.contact_id, read.meeting_id) == (contact.id, meeting.id)
    # Everyone who got the invitation can answer it.
    invited = db.scalars(select(Invitation.contact_id).where(Invitation.meeting_id == meeting.id))
    assert sorted(invited) == sorted([anna.id, bram.id])


def test_a_claim_takes_its_batch_off_the_due_index_without_sorting_the_queue(app, db, clock):
    # With the whole queue sorted for every batch, a campaign's send costs the square of its
    # size; on PostgreSQL that also needs fresh statistics, which start_sending gathers.
    _subscribed_contacts(db, 1500)
    start(db, make_campaign(db), clock)
    engine = db.get_bind()
    statements = []

    def remember(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().startswith("SELECT deliveries.id") and "LIMIT" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        claimed = claim_due_deliveries(
            db, now=clock(), limit=200, lease=timedelta(minutes=5), kinds=MESSAGE_KINDS
        )
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    assert [d.id for d in claimed] == sorted(d.id for d in claimed)
    assert len(claimed) == 200
    ((statement, parameters),) = statements
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            explain = f"EXPLAIN (FORMAT JSON) {statement}"
            plan = connection.exec_driver_sql(explain, parameters).scalar()[0]["Plan"]
            nodes = list(_plan_nodes(plan))
            (scan,) = [n for n in nodes if n.get("Index Name") == "ix_deliveries_due"]
            assert not [n for n in nodes if n["Node Type"] == "Sort"], plan
            # The planner knows how many are queued (start_sending refreshed the statistics),
            # so a later change of plan cannot be set off by a guess of one row.
            assert scan["Plan Rows"] >= 1000, plan
        else:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = "\n".join(str(row[-1]) for row in rows)
            assert "ix_deliveries_due" in plan and "TEMP B-TREE" not in plan, plan


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def _subscribed_contacts(db, count: int) -> None:
    # Inserted in bulk: one by one through the ORM would take most of the test's time.
    now = datetime(2026, 5, 1, tzinfo=UTC)
    rows = [
        {
            "email": f"lid.{n}@example.nl",
            "name": f"Lid {n}",
            "organisation": "Gemeente Zwolle",
            "role": "",
            "province": "overijssel",
            "language": "nl",
            "consent": Consent.GIVEN,
            "consent_source": "test",
            "notes": "",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    db.execute(insert(Contact.__table__), rows)
    subscribed = select(Contact.id, literal(Mailing.NEWS.value), literal(now), literal("test"))
    db.execute(
        insert(Subscription.__table__).from_select(
            ["contact_id", "mailing", "created_at", "source"], subscribed
        )
    )
    db.commit()


def test_an_invitation_pauses_when_its_meeting_is_cancelled_while_it_sends(
    app, db, smtp_server, clock
):
    from service.delivery.queue import resume_sending
    from service.models import MeetingStatus
    from tests.builders import amsterdam, make_meeting

    starts = amsterdam(date(2026, 6, 2), time(10, 0))
    meeting = make_meeting(db, starts_at=starts, ends_at=starts + timedelta(hours=3))
    for _ in range(6):
        make_contact(db)
    campaign = make_invitation(db, meeting)
    start(db, campaign, clock)
    loop = _loop(app, smtp_server, clock)
    loop.run_once()  # the first batch of three goes
    meeting.status = MeetingStatus.CANCELLED
    db.commit()
    run_until_idle(loop)

    assert len(addresses_received(smtp_server.handler)) == 3
    db.expire_all()
    paused = db.get(Campaign, campaign.id)
    assert paused.status == CampaignStatus.PAUSED
    assert "The meeting has been cancelled" in status_reason(paused)
    # Resumed by mistake, it pauses again before a single further message goes.
    resume_sending(db, paused, actor=None)
    db.commit()
    run_until_idle(_loop(app, smtp_server, clock))
    assert len(addresses_received(smtp_server.handler)) == 3
    db.expire_all()
    assert db.get(Campaign, campaign.id).status == CampaignStatus.PAUSED
