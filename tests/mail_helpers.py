"""Helpers for the tests that send: the send loop run until idle, and what the SMTP server got.

The `smtp_server` fixture (tests/conftest.py) is the server; `clock` there is the send loop's clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import select

from service.delivery.queue import start_sending
from service.delivery.sendloop import SendLoop, SendSettings
from service.mail.smtp import SmtpTransport
from service.mail.transports import Transport
from service.message_kinds import MESSAGE_KINDS
from service.models import Campaign, Delivery, utcnow
from service.settings import settings_of


def start(db, campaign: Campaign, clock: Callable[[], datetime] = utcnow) -> int:
    """Start sending the campaign at the clock's time and commit; the deliveries it queued."""
    queued = start_sending(db, campaign, actor=None, now=clock())
    db.commit()
    return queued


def deliveries_by_address(db, campaign: Campaign) -> dict[str, Delivery]:
    """The campaign's deliveries as stored now, by address."""
    db.expire_all()
    rows = db.scalars(select(Delivery).where(Delivery.campaign_id == campaign.id))
    return {row.email: row for row in rows}


def send_loop(
    app, transport: Transport, clock: Callable[[], datetime] = utcnow, **settings
) -> SendLoop:
    """The app's send loop on `transport`; `settings` are SendSettings' fields (batch_size=...)."""
    return SendLoop(
        app.extensions["db_sessionmaker"],
        transport,
        settings_of(app),
        settings=SendSettings(**settings),
        clock=clock,
        kinds=MESSAGE_KINDS,
    )


def smtp_loop(app, smtp_server, clock: Callable[[], datetime] = utcnow, **settings) -> SendLoop:
    """The app's send loop on the test SMTP server (5 s timeout); `settings` as for send_loop."""
    transport = SmtpTransport("127.0.0.1", smtp_server.port, timeout=5)
    return send_loop(app, transport, clock, **settings)


def run_until_idle(loop: SendLoop, rounds: int = 50) -> int:
    """Run rounds until one handles nothing (at most `rounds`), close the transport.

    Returns the deliveries handled.
    """
    handled = 0
    for _ in range(rounds):
        done = loop.run_once()
        if not done:
            break
        handled += done
    loop.transport.close()
    return handled


def drain(app, smtp_server, clock: Callable[[], datetime] = utcnow, **settings) -> int:
    """Let the send loop deliver what is due to the test SMTP server; the deliveries handled."""
    return run_until_idle(smtp_loop(app, smtp_server, clock, **settings))


def addresses_received(handler) -> list[str]:
    """Every address a test SMTP server's handler accepted a message for, in the order they came."""
    return [rcpt for _from, rcpts, _message in handler.messages for rcpt in rcpts]


def message_to(smtp_server, email: str) -> EmailMessage:
    """The one message the SMTP server got for this address alone."""
    [message] = [m for _from, rcpts, m in smtp_server.handler.messages if rcpts == [email]]
    return message
