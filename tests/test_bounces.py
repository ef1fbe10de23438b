"""Bounces that come back: the VERP return path, the listener, the mailbox, the webhooks' bounces,
and the soft-bounce limit, all recorded by the one bounce log and tied to delivery and campaign."""

from __future__ import annotations

import json
import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.delivery.bounce_inbox import BounceHandler, BounceListener, fetch_bounces
from service.delivery.bounce_log import BounceReport, BounceRules, record_bounce
from service.delivery.bounce_mail import read_bounce
from service.delivery.verp import delivery_of, delivery_of_message_id, verp_address
from service.models import Bounce, Delivery, Suppression
from service.settings import change_settings, settings_of
from tests.bounce_samples import KINDS, sample
from tests.builders import make_campaign, make_contact
from tests.conftest import free_port
from tests.mail_helpers import deliveries_by_address, drain, start
from tests.mailbox_server import Dovecot, dovecot_server
from tests.test_webhooks import AUTH, HARD_BOUNCE, KEY, failed, mailgun_body

BOUNCES = "bounces@opgavebeweging.example"
NOW = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def bouncing(app):
    """The app with MAIL_BOUNCE_ADDRESS set; its BounceRules."""
    change_settings(app, MAIL_BOUNCE_ADDRESS=BOUNCES)
    return BounceRules.from_config(settings_of(app))


@pytest.fixture(scope="module")
def dovecot():
    """A private Dovecot (IMAP and POP3) for this module's mailbox tests."""
    with dovecot_server() as server:
        yield server


def _sent_campaign(app, db, smtp_server, clock, *emails: str):
    """A recap sent over SMTP to these addresses: (campaign, {address: (delivery, mail from,
    message id)})."""
    contacts = [make_contact(db, email=email) for email in emails]
    campaign = make_campaign(db, subject="Terugblik Zwolle")
    start(db, campaign, clock)
    drain(app, smtp_server, clock)
    rows = deliveries_by_address(db, campaign)
    sent = {}
    for mail_from, rcpts, message in smtp_server.handler.messages:
        [rcpt] = rcpts
        sent[rcpt] = (rows[rcpt], mail_from, message["Message-ID"])
    assert set(sent) == {c.email for c in contacts}
    return campaign, sent


def _bounces(db) -> list[Bounce]:
    db.expire_all()
    return list(db.scalars(select(Bounce).order_by(Bounce.id)))


def _suppressions(db) -> dict[str, Suppression]:
    db.expire_all()
    return {row.email: row for row in db.scalars(select(Suppression))}


# The return path


def test_campaign_mail_goes_out_with_a_signed_return_path_of_its_delivery(
    app, db, smtp_server, clock, bouncing
):
    campaign, sent = _sent_campaign(
        app, db, smtp_server, clock, "anna@gemeente.example.nl", "piet@provincie.example.nl"
    )
    secret = settings_of(app).SECRET_KEY
    for delivery, mail_from, message_id in sent.values():
        assert mail_from == verp_address(BOUNCES, delivery.id, secret)
        assert mail_from.startswith(f"bounces+{delivery.id}-")
        assert mail_from.endswith("@opgavebeweging.example")
        assert delivery_of(mail_from, BOUNCES, secret) == delivery.id
        # The From header stays the network's; only the envelope changes.
        assert delivery_of_message_id(message_id, secret) == (delivery.id, campaign.id)


def test_without_a_bounce_address_the_return_path_is_the_sender(app, db, smtp_server, clock):
    _campaign, sent = _sent_campaign(app, db, smtp_server, clock, "anna@gemeente.example.nl")
    [(_delivery, mail_from, _message_id)] = sent.values()
    assert mail_from == settings_of(app).NETWORK_EMAIL


def test_a_forged_or_unsigned_verp_address_names_no_delivery():
    secret = "geheime-sleutel"
    good = verp_address(BOUNCES, 42, secret)
    assert delivery_of(good, BOUNCES, secret) == 42
    # Mail servers may change case and add angle brackets.
    assert delivery_of(f"<{good.upper()}>", BOUNCES, secret) == 42
    local, _at, domain = good.partition("@")
    forged = [
        f"bounces+43-{local.rpartition('-')[2]}@{domain}",  # another id, the same signature
        f"{local[:-1]}{'0' if local[-1] != '0' else '1'}@{domain}",  # one digit changed
        f"bounces+42@{domain}",  # unsigned
        f"{local}@elders.example",  # another domain
        f"nieuws+42-{local.rpartition('-')[2]}@{domain}",  # another mailbox
        verp_address(BOUNCES, 42, "een-andere-sleutel"),  # another installation's key
    ]
    for address in forged:
        assert delivery_of(address, BOUNCES, secret) is None, address


# Reading the samples


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_sample_bounce_is_read_with_its_kind_address_and_reason(name):
    data = sample(
        name,
        verp="bounces+7-0123456789ab@opgavebeweging.example",
        message_id="<opgavepost.3.7.0badcafe@opgavebeweging.example>",
        recipient="anna@gemeente.example.nl",
    )
    [report] = read_bounce(data, source="mailbox", now=NOW)
    assert (report.email, report.kind) == ("anna@gemeente.example.nl", KINDS[name])
    assert report.reason and ("5." in report.reason or "4." in report.reason)
    assert "bounces+7-0123456789ab@opgavebeweging.example" in report.return_paths
    assert "<opgavepost.3.7.0badcafe@opgavebeweging.example>" in report.message_ids
    # Dated when the bouncing server wrote it, so reading it twice gives the same moment.
    assert report.occurred_at.year == 2026 and report.occurred_at < NOW


def test_an_auto_reply_is_no_bounce():
    data = sample(
        "out-of-office.eml",
        verp="bounces+7-0123456789ab@opgavebeweging.example",
        message_id="<opgavepost.3.7.0badcafe@opgavebeweging.example>",
        recipient="anna@gemeente.example.nl",
    )
    assert read_bounce(data, source="mailbox", now=NOW) == []


# The listener


@pytest.fixture
def listener(app, bouncing):
    """`opgavepost bounces listen`'s listener on a free loopback port."""
    handler = BounceHandler(app.extensions["db_sessionmaker"], bouncing)
    running = BounceListener(handler, "127.0.0.1", free_port()).start()
    yield running
    running.stop()


def test_the_listener_records_a_bounce_tied_to_its_delivery_and_campaign(
    app, db, smtp_server, clock, listener
):
    campaign, sent = _sent_campaign(
        app, db, smtp_server, clock, "anna@gemeente.example.nl", "piet@provincie.example.nl"
    )
    delivery, verp, message_id = sent["anna@gemeente.example.nl"]
    bounce = sample(
        "postfix-hard.eml", verp=verp, message_id=message_id, recipient="anna@gemeente.example.nl"
    )
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=10) as client:
        client.ehlo()
        # Only the bounce address is taken.
        code, _said = client.docmd("MAIL FROM:<>")
        assert code == 250
        code, said = client.docmd("RCPT TO:<iemand@opgavebeweging.example>")
        assert code == 550 and b"not a bounce address" in said
        client.rset()
        # A mail server delivers a bounce with the null sender; 250 comes after the commit.
        refused = client.sendmail("", [verp], bounce)
        assert refused == {}
        # The mail server tries the same bounce again: it counts once.
        client.sendmail("", [verp], bounce)
    [row] = _bounces(db)
    assert (row.delivery_id, row.campaign_id) == (delivery.id, campaign.id)
    assert (row.email, row.kind, row.source) == (
        "anna@gemeente.example.nl",
        "hard_bounce",
        "listener",
    )
    assert "5.1.1" in row.reason and "User unknown" in row.reason
    suppressed = _suppressions(db)["anna@gemeente.example.nl"]
    assert (suppressed.kind, suppressed.source, suppressed.campaign_id) == (
        "hard_bounce",
        "listener",
        campaign.id,
    )
    assert "piet@provincie.example.nl" not in _suppressions(db)


def test_the_listener_ignores_a_forged_bounce(app, db, smtp_server, clock, listener):
    _campaign, sent = _sent_campaign(app, db, smtp_server, clock, "anna@gemeente.example.nl")
    delivery, verp, _message_id = sent["anna@gemeente.example.nl"]
    # A made-up return path for this delivery, and a Message-ID without our mark: nothing ties
    # the bounce to a message of ours, so it suppresses nobody.
    forged_verp = f"bounces+{delivery.id}-000000000000@opgavebeweging.example"
    assert forged_verp != verp
    forged = sample(
        "gmail-hard.eml",
        verp=forged_verp,
        message_id=f"<opgavepost.{delivery.campaign_id}.{delivery.id}.00000000@elders.example>",
        recipient="anna@gemeente.example.nl",
    )
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=10) as client:
        client.ehlo()
        code, said = client.docmd("MAIL FROM:<>")
        client.docmd(f"RCPT TO:<{forged_verp}>")
        client.docmd("DATA")
        client.send(forged + b".\r\n")
        code, said = client.getreply()
        assert code == 250 and b"not a bounce of ours" in said
    assert _bounces(db) == []
    assert _suppressions(db) == {}


def test_a_bounce_of_our_message_without_a_return_path_is_tied_by_its_message_id(
    app, db, smtp_server, clock, bouncing
):
    campaign, sent = _sent_campaign(app, db, smtp_server, clock, "piet@provincie.example.nl")
    delivery, _verp, message_id = sent["piet@provincie.example.nl"]
    # Forwarded from the plain bounce address: only the quoted Message-ID is left.
    data = sample(
        "exim-hard.eml", verp=BOUNCES, message_id=message_id, recipient="piet@provincie.example.nl"
    )
    with app.extensions["db_sessionmaker"]() as session:
        from service.delivery.bounce_inbox import record_mail

        [recorded] = record_mail(session, data, bouncing, source="listener")
        session.commit()
    assert (recorded.bounce.delivery_id, recorded.bounce.campaign_id) == (delivery.id, campaign.id)
    # Our Message-ID for another address's bounce is not believed: anybody who got one of our
    # messages could copy its Message-ID into a forged bounce.
    other = sample(
        "exim-hard.eml", verp=BOUNCES, message_id=message_id, recipient="anna@gemeente.example.nl"
    )
    with app.extensions["db_sessionmaker"]() as session:
        assert record_mail(session, other, bouncing, source="listener") == []


def test_the_listener_speaks_lmtp_too(app, db, smtp_server, clock, bouncing):
    _campaign, sent = _sent_campaign(app, db, smtp_server, clock, "anna@gemeente.example.nl")
    delivery, verp, message_id = sent["anna@gemeente.example.nl"]
    handler = BounceHandler(app.extensions["db_sessionmaker"], bouncing, lmtp=True)
    running = BounceListener(handler, "127.0.0.1", free_port()).start()
    try:
        with smtplib.LMTP("127.0.0.1", running.port, timeout=10) as client:
            data = sample(
                "gmail-soft.eml", verp=verp, message_id=message_id, recipient=delivery.email
            )
            assert client.sendmail("", [verp], data) == {}
    finally:
        running.stop()
    [row] = _bounces(db)
    assert (row.delivery_id, row.kind) == (delivery.id, "soft_bounce")
    assert _suppressions(db) == {}  # one soft bounce suppresses nothing


# The mailbox


def _fill_mailbox(dovecot: Dovecot, sent: dict) -> None:
    anna, anna_verp, anna_id = sent["anna@gemeente.example.nl"]
    piet, piet_verp, piet_id = sent["piet@provincie.example.nl"]
    dovecot.append(
        sample("exchange-hard.eml", verp=anna_verp, message_id=anna_id, recipient=anna.email)
    )
    dovecot.append(
        sample("out-of-office.eml", verp=anna_verp, message_id=anna_id, recipient=anna.email)
    )
    dovecot.append(
        sample("exim-soft.eml", verp=piet_verp, message_id=piet_id, recipient=piet.email)
    )


@pytest.mark.parametrize("scheme", ["imap", "pop3", "imaps", "pop3s"])
def test_fetch_records_the_bounces_of_the_mailbox_and_deletes_them(
    app, db, smtp_server, clock, bouncing, dovecot, scheme, monkeypatch
):
    # imaps and pop3s check the server's certificate; this one is trusted as a CA would be.
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.certificate))
    campaign, sent = _sent_campaign(
        app, db, smtp_server, clock, "anna@gemeente.example.nl", "piet@provincie.example.nl"
    )
    _fill_mailbox(dovecot, sent)
    try:
        tally = fetch_bounces(dovecot.url(scheme), app.extensions["db_sessionmaker"], bouncing)
        assert (tally.read, tally.recorded, tally.ignored, tally.deleted) == (3, 2, 1, 2)
        rows = {row.email: row for row in _bounces(db)}
        assert {email: (row.kind, row.source) for email, row in rows.items()} == {
            "anna@gemeente.example.nl": ("hard_bounce", "mailbox"),
            "piet@provincie.example.nl": ("soft_bounce", "mailbox"),
        }
        for email, row in rows.items():
            assert (row.delivery_id, row.campaign_id) == (sent[email][0].id, campaign.id)
        assert set(_suppressions(db)) == {"anna@gemeente.example.nl"}
        # The auto-reply is left for a person to read; the bounces are gone.
        assert dovecot.subjects() == ["Automatisch antwoord: Terugblik Zwolle"]
        again = fetch_bounces(dovecot.url(scheme), app.extensions["db_sessionmaker"], bouncing)
        assert (again.read, again.recorded, again.deleted) == (1, 0, 0)
    finally:
        _empty(dovecot)


def _empty(dovecot: Dovecot) -> None:
    import poplib

    client = poplib.POP3("127.0.0.1", dovecot.pop3_port, timeout=10)
    client.user("bounces")
    client.pass_("geheim-wachtwoord")
    for number in range(1, client.stat()[0] + 1):
        client.dele(number)
    client.quit()


def test_fetch_says_what_is_wrong_with_the_mailbox(app, runner, dovecot, bouncing):
    change_settings(app, BOUNCE_MAILBOX_URL=dovecot.url("imap", password="fout"))
    result = runner.invoke(args=["bounces", "fetch"])
    assert result.exit_code == 1
    assert "refused the login of bounces" in result.output
    assert "check the user and password in BOUNCE_MAILBOX_URL" in result.output
    change_settings(app, BOUNCE_MAILBOX_URL=dovecot.url("pop3", password="fout"))
    result = runner.invoke(args=["bounces", "fetch"])
    assert "POP3 server 127.0.0.1 refused the login of bounces" in result.output
    change_settings(app, BOUNCE_MAILBOX_URL=dovecot.url("imap", path="/Nergens"))
    result = runner.invoke(args=["bounces", "fetch"])
    assert "has no folder 'Nergens'" in result.output
    change_settings(app, BOUNCE_MAILBOX_URL=f"imap://bounces:x@127.0.0.1:{free_port()}/INBOX")
    result = runner.invoke(args=["bounces", "fetch"])
    assert result.exit_code == 1 and "could not connect to the bounce mailbox" in result.output
    # A server whose certificate nobody vouches for is not trusted with the password.
    for scheme in ("imaps", "pop3s"):
        change_settings(app, BOUNCE_MAILBOX_URL=dovecot.url(scheme))
        result = runner.invoke(args=["bounces", "fetch"])
        assert result.exit_code == 1, result.output
        assert "certificate verify failed" in result.output
    change_settings(app, BOUNCE_MAILBOX_URL=None)
    result = runner.invoke(args=["bounces", "fetch"])
    assert result.exit_code == 2 and "BOUNCE_MAILBOX_URL is not set" in result.output


def test_fetch_over_the_command_line_prints_what_it_did(
    app, db, runner, smtp_server, clock, bouncing, dovecot
):
    _campaign, sent = _sent_campaign(
        app, db, smtp_server, clock, "anna@gemeente.example.nl", "piet@provincie.example.nl"
    )
    _fill_mailbox(dovecot, sent)
    try:
        change_settings(app, BOUNCE_MAILBOX_URL=dovecot.url("imap"))
        result = runner.invoke(args=["bounces", "fetch"])
        assert result.exit_code == 0, result.output
        assert (
            "messages read: 3, bounces recorded: 2 (hard_bounce 1, soft_bounce 1)" in result.output
        )
    finally:
        _empty(dovecot)


# The webhooks' bounces, tied the same way


def test_webhook_bounces_are_recorded_and_tied_to_their_campaign(
    app, db, client, smtp_server, clock
):
    change_settings(
        app,
        MAILGUN_WEBHOOK_SIGNING_KEY=KEY,
        POSTMARK_WEBHOOK_USERNAME="postmark",
        POSTMARK_WEBHOOK_PASSWORD="geheim-wachtwoord",
    )
    campaign, sent = _sent_campaign(
        app, db, smtp_server, clock, "weg@example.nl", "boos@example.nl"
    )
    gone, _verp, gone_message_id = sent["weg@example.nl"]
    angry = sent["boos@example.nl"][0]
    # Postmark knows the message by its own MessageID, kept when it accepted the message.
    db.get(Delivery, angry.id).provider_id = "b7bc2f4a-e38e-4336-af7d-e6c392c2f817"
    db.commit()
    event = failed() | {
        "message": {"headers": {"message-id": gone_message_id.strip("<>")}},
    }
    body = mailgun_body(event, signed_at=datetime.now(UTC))
    response = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert response.get_json() == {"status": "accepted", "kind": "hard_bounce", "suppressed": True}
    complaint = HARD_BOUNCE | {
        "RecordType": "SpamComplaint",
        "Type": "SpamComplaint",
        "Email": "boos@example.nl",
        "MessageID": "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
    }
    for _ in range(2):  # Postmark retries a call it got no 200 for; it counts once
        response = client.post(
            "/webhooks/postmark",
            data=json.dumps(complaint),
            content_type="application/json",
            headers={"Authorization": AUTH},
        )
        assert response.status_code == 200
    rows = {row.email: row for row in _bounces(db)}
    assert {
        email: (row.kind, row.source, row.delivery_id, row.campaign_id)
        for email, row in rows.items()
    } == {
        "weg@example.nl": ("hard_bounce", "mailgun", gone.id, campaign.id),
        "boos@example.nl": ("complaint", "postmark", angry.id, campaign.id),
    }
    assert {email: s.campaign_id for email, s in _suppressions(db).items()} == {
        "weg@example.nl": campaign.id,
        "boos@example.nl": campaign.id,
    }


def test_a_webhook_bounce_for_a_message_we_do_not_know_is_kept_without_a_campaign(app, db, client):
    change_settings(app, MAILGUN_WEBHOOK_SIGNING_KEY=KEY)
    body = mailgun_body(failed(), signed_at=datetime.now(UTC))
    client.post("/webhooks/mailgun", data=body, content_type="application/json")
    [row] = _bounces(db)
    assert (row.email, row.delivery_id, row.campaign_id) == ("weg@example.nl", None, None)


# Soft bounces


def _soft(email: str, when: datetime, reason: str = "452 4.2.2 Mailbox full") -> BounceReport:
    return BounceReport(
        email=email,
        kind="soft_bounce",
        reason=reason,
        source="postmark",
        occurred_at=when,
        authenticated=True,
    )


def test_the_third_soft_bounce_within_30_days_suppresses_the_address(app, db):
    rules = BounceRules.from_config(settings_of(app))
    assert (rules.soft_limit, rules.soft_days) == (3, 30)
    for days, suppressed in ((0, False), (12, False), (29, True)):
        recorded = record_bounce(db, _soft("vol@example.nl", NOW + timedelta(days=days)), rules)
        db.commit()
        assert (recorded.suppression is not None) is suppressed, days
    entry = _suppressions(db)["vol@example.nl"]
    assert (entry.kind, entry.source) == ("soft_bounce_limit", "postmark")
    assert entry.reason.startswith("3 soft bounces within 30 days")


def test_soft_bounces_spread_wider_than_30_days_suppress_nobody(app, db):
    rules = BounceRules.from_config(settings_of(app))
    for days in (0, 20, 40, 70):
        record_bounce(db, _soft("af-en-toe@example.nl", NOW + timedelta(days=days)), rules)
        db.commit()
    assert _suppressions(db) == {}
    assert len(_bounces(db)) == 4


def test_the_same_soft_bounce_reported_twice_counts_once(app, db, smtp_server, clock, bouncing):
    _campaign, sent = _sent_campaign(app, db, smtp_server, clock, "vol@example.nl")
    delivery, verp, message_id = sent["vol@example.nl"]
    data = sample("postfix-soft.eml", verp=verp, message_id=message_id, recipient=delivery.email)
    from service.delivery.bounce_inbox import record_mail

    for _ in range(3):  # one message read three times: a mailbox whose delete failed
        record_mail(db, data, bouncing, source="mailbox")
        db.commit()
    assert len(_bounces(db)) == 1
    assert _suppressions(db) == {}
    # A later delay warning for the same delivery is the same soft bounce, too.
    warning = sample("gmail-soft.eml", verp=verp, message_id=message_id, recipient=delivery.email)
    [recorded] = record_mail(db, warning, bouncing, source="mailbox")
    assert recorded.duplicate


def test_a_limit_and_window_of_ones_own_are_kept(app, db):
    change_settings(app, MAIL_SOFT_BOUNCE_LIMIT=2, MAIL_SOFT_BOUNCE_DAYS=7)
    rules = BounceRules.from_config(settings_of(app))
    record_bounce(db, _soft("vol@example.nl", NOW), rules)
    assert (
        record_bounce(db, _soft("vol@example.nl", NOW + timedelta(days=8)), rules).suppression
        is None
    )
    assert record_bounce(db, _soft("vol@example.nl", NOW + timedelta(days=9)), rules).suppression


# The relay's own refusal


def test_an_address_the_relay_refuses_is_suppressed_with_its_campaign(app, db, smtp_server, clock):
    smtp_server.handler.refused["weg@example.nl"] = "550 5.1.1 <weg@example.nl>: no such user"
    campaign, _sent = None, None
    make_contact(db, email="weg@example.nl")
    make_contact(db, email="blijft@example.nl")
    campaign = make_campaign(db, subject="Terugblik Zwolle")
    start(db, campaign, clock)
    drain(app, smtp_server, clock)
    entry = _suppressions(db)["weg@example.nl"]
    assert (entry.kind, entry.campaign_id) == ("hard_bounce", campaign.id)


def test_the_scheduler_reads_the_bounce_mailbox_when_one_is_set(
    app, db, smtp_server, clock, bouncing, dovecot
):
    from service.scheduler.jobs import Clock, build_scheduler

    sessions = app.extensions["db_sessionmaker"]
    assert (
        build_scheduler(Clock(sessions, settings_of(app)), blocking=False).get_job("fetch-bounces")
        is None
    )
    _campaign, sent = _sent_campaign(
        app, db, smtp_server, clock, "anna@gemeente.example.nl", "piet@provincie.example.nl"
    )
    _fill_mailbox(dovecot, sent)
    try:
        settings = change_settings(app, BOUNCE_MAILBOX_URL=dovecot.url("pop3"))
        scheduler_clock = Clock(sessions, settings)
        assert build_scheduler(scheduler_clock, blocking=False).get_job("fetch-bounces")
        tally = scheduler_clock.fetch_bounces()
        assert tally is not None and tally.recorded == 2
        assert len(_bounces(db)) == 2
    finally:
        _empty(dovecot)


def test_opgavepost_bounces_listen_runs_as_a_process_and_stops_on_sigterm(
    app, db, smtp_server, clock, bouncing, tmp_path
):
    from tests.worker_helpers import OPGAVEPOST, WorkerProcess, wait_for, worker_environment

    campaign, sent = _sent_campaign(app, db, smtp_server, clock, "anna@gemeente.example.nl")
    delivery, verp, message_id = sent["anna@gemeente.example.nl"]
    port = free_port()
    env = worker_environment(app, MAIL_BOUNCE_ADDRESS=BOUNCES)
    listener = WorkerProcess(
        env, tmp_path / "listen.log", command=f"{OPGAVEPOST} bounces listen --port {port}"
    )
    try:
        wait_for(
            lambda: f"on 127.0.0.1:{port}" in listener.text(),
            60,
            listener.text,
            process=listener.process,
        )
        bounce = sample(
            "exim-hard.eml", verp=verp, message_id=message_id, recipient="anna@gemeente.example.nl"
        )
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            assert client.sendmail("", [verp], bounce) == {}
        assert listener.stop() == 0, listener.text()
    finally:
        listener.kill()
    [row] = _bounces(db)
    assert (row.delivery_id, row.campaign_id, row.kind) == (delivery.id, campaign.id, "hard_bounce")
    assert "bounce listener stopped" in listener.text()
