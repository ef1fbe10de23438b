"""After the send, end to end: the demo recap sent over SMTP, and everything that comes back.

One address is refused by the relay, one bounces later through the bounce listener, one through
the bounce mailbox (a real Dovecot over IMAP), one complains by webhook, one unsubscribes with the
List-Unsubscribe one-click POST, and a counted link is clicked twice. The report page, the API
and the CSV must each show exactly those figures.
"""

from __future__ import annotations

import csv
import io
import json
import re
import smtplib
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from service.delivery.bounce_inbox import BounceHandler, BounceListener, fetch_bounces
from service.delivery.bounce_log import BounceRules
from service.demo.seed import CONTACTS, load_demo
from service.models import Campaign, CampaignKind, Role
from service.settings import change_settings, settings_of
from tests.api_helpers import api_client
from tests.bounce_samples import sample
from tests.conftest import free_port
from tests.mail_helpers import deliveries_by_address, drain, start
from tests.mailbox_server import dovecot_server
from tests.test_webhooks import KEY, mailgun_body

BOUNCES = "bounces@opgavebeweging.example"
LINK = "https://opgavebeweging.example/terugblik-provincieschat"
REFUSED = "noor.blijdorpsma@example.nl"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _demo_recap_with_counting(db) -> Campaign:
    load_demo(db)
    recap = db.scalars(select(Campaign).where(Campaign.kind == CampaignKind.RECAP)).one()
    recap.blocks = [*recap.blocks, {"type": "text", "body": f"Lees [de hele terugblik]({LINK})."}]
    recap.count_clicks = True
    db.commit()
    return recap


def _html(message) -> str:
    return message.get_body(("html",)).get_content()


@pytest.fixture
def sent_recap(app, db, smtp_server, clock):
    """The demo recap sent over SMTP with one address refused; (campaign, deliveries, server)."""
    change_settings(app, MAIL_BOUNCE_ADDRESS=BOUNCES, MAILGUN_WEBHOOK_SIGNING_KEY=KEY)
    recap = _demo_recap_with_counting(db)
    smtp_server.handler.refused[REFUSED] = "550 5.1.1 <noor.blijdorpsma@example.nl>: no such user"
    start(db, recap, clock)
    drain(app, smtp_server, clock)
    return recap, deliveries_by_address(db, recap), smtp_server.handler


def test_a_sent_recap_reports_exactly_what_came_back(app, db, client, organiser, sent_recap):
    recap, deliveries, handler = sent_recap
    received = {rcpts[0]: (mail_from, message) for mail_from, rcpts, message in handler.messages}
    others = sorted(email for email in received if email != REFUSED)
    listener_bounce, mailbox_bounce, complainer, leaver, clicker = others[:5]
    rules = BounceRules.from_config(settings_of(app))

    def returned(email: str, name: str) -> bytes:
        verp, message = received[email]
        return sample(name, verp=verp, message_id=message["Message-ID"], recipient=email)

    # A bounce later, through the listener the mail server forwards the bounce address to.
    listener = BounceListener(
        BounceHandler(app.extensions["db_sessionmaker"], rules), "127.0.0.1", free_port()
    ).start()
    try:
        with smtplib.SMTP("127.0.0.1", listener.port, timeout=10) as smtp:
            verp = received[listener_bounce][0]
            assert smtp.sendmail("", [verp], returned(listener_bounce, "postfix-hard.eml")) == {}
    finally:
        listener.stop()

    # A bounce in the bounce mailbox, read over IMAP.
    with dovecot_server() as dovecot:
        dovecot.append(returned(mailbox_bounce, "exchange-hard.eml"))
        tally = fetch_bounces(dovecot.url("imap"), app.extensions["db_sessionmaker"], rules)
    assert tally.recorded == 1

    # A complaint by the relay's webhook, tied by the message's Message-ID.
    complaint = {
        "event": "complained",
        "recipient": complainer,
        "timestamp": datetime.now(UTC).timestamp(),
        "message": {"headers": {"message-id": received[complainer][1]["Message-ID"].strip("<>")}},
    }
    body = mailgun_body(complaint, signed_at=datetime.now(UTC))
    answer = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert answer.get_json()["kind"] == "complaint"

    # One person leaves with their email client's one-click unsubscribe.
    https, _mailto = [p.strip(" <>") for p in received[leaver][1]["List-Unsubscribe"].split(",")]
    assert client.post(urlsplit(https).path, data=ONE_CLICK).status_code == 200

    # Two clicks on the counted link of one message.
    [counted] = re.findall(
        r'href="http://127\.0\.0\.1:5000(/k/[^"]+)"', _html(received[clicker][1])
    )
    for _ in range(2):
        followed = app.test_client().get(counted)
        assert (followed.status_code, followed.headers["Location"]) == (302, LINK)

    recipients = len(CONTACTS)
    assert len(deliveries) == recipients

    # The API.
    api = api_client(app, Role.ORGANISER, "nl")
    report = api.get(f"/api/v1/campaigns/{recap.id}/report").get_json()
    assert report["recipients"] == recipients
    assert (report["delivered"], report["failed"]) == (recipients - 1, 1)
    assert [r["count"] for r in report["failed_reasons"]] == [1]
    assert "5.1.1" in report["failed_reasons"][0]["reason"]
    assert report["bounced"] == {"hard": 2, "soft": 0, "total": 2}
    assert report["complaints"] == 1
    assert report["unsubscribed"] == {
        "total": 1,
        "by_mailing": {"news": 1, "invitations": 0, "all": 0},
    }
    assert report["answers"] is None
    assert report["clicks"] == [{"link": 1, "url": LINK, "clicks": 2}]

    # The page.
    page = organiser.get(f"/campaigns/{recap.id}/report").get_data(as_text=True)
    shown = dict(re.findall(r'data-figure="([a-z]+)">(\d+)<', page))
    assert shown == {
        "recipients": str(recipients),
        "delivered": str(recipients - 1),
        "failed": "1",
        "bounced": "2",
        "complaints": "1",
        "unsubscribed": "1",
    }
    clicks = re.search(r'<table id="clicks">.*?</table>', page, re.S).group(0)
    assert LINK in clicks and 'id="clicks-total">2<' in clicks
    assert not any(email in page for email in received)  # counts, not people

    # The CSV.
    text = organiser.get(f"/campaigns/{recap.id}/report.csv").get_data().decode("utf-8-sig")
    rows = {(s, i): n for s, i, n in csv.reader(io.StringIO(text, newline=""), delimiter=";")}
    assert rows[("Overzicht", "Ontvangers")] == str(recipients)
    assert rows[("Overzicht", "Afgeleverd")] == str(recipients - 1)
    assert rows[("Overzicht", "Mislukt")] == "1"
    assert rows[("Overzicht", "Gebounced (hard)")] == "2"
    assert rows[("Overzicht", "Gebounced (zacht)")] == "0"
    assert rows[("Overzicht", "Klachten")] == "1"
    assert rows[("Overzicht", "Afgemeld")] == "1"
    assert rows[("Linkkliks", LINK)] == "2"

    # And the list of blocked addresses has the refused, the two bounced and the complainer.
    blocked = api_client(app, Role.ADMIN, "nl").get("/api/v1/suppressions").get_json()
    assert json.dumps(blocked)  # a JSON document
    listed = {item["email"]: item["campaign_id"] for item in blocked["items"]}
    assert listed == {
        REFUSED: recap.id,
        listener_bounce: recap.id,
        mailbox_bounce: recap.id,
        complainer: recap.id,
    }
