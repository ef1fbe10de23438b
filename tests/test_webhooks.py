"""Bounce and complaint webhooks: only correctly signed or authenticated calls are believed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.delivery.bounces import (
    SuppressionEvent,
    WebhookRejected,
    parse_mailgun,
    parse_postmark,
)
from service.settings import change_settings

KEY = "mailgun-signing-key-0123"
NOW = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)


def mailgun_body(event: dict, *, key: str = KEY, signed_at: datetime = NOW, token: str = "t" * 50):
    """A Mailgun webhook body, signed as Mailgun signs it."""
    timestamp = str(int(signed_at.timestamp()))
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps(
        {
            "signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": event,
        }
    )


def failed(severity: str = "permanent") -> dict:
    return {
        "event": "failed",
        "severity": severity,
        "recipient": "Weg@Example.nl",
        "timestamp": NOW.timestamp() - 30,
        "reason": "bounce",
        "delivery-status": {"code": 550, "message": "5.1.1 The email account does not exist"},
    }


def test_mailgun_permanent_failure_is_a_hard_bounce():
    event = parse_mailgun(mailgun_body(failed()), KEY, now=NOW)
    assert event == SuppressionEvent(
        "weg@example.nl",
        "hard_bounce",
        "550 5.1.1 The email account does not exist",
        "mailgun",
        NOW - timedelta(seconds=30),
    )


def test_mailgun_temporary_failure_and_complaint():
    assert parse_mailgun(mailgun_body(failed("temporary")), KEY, now=NOW).kind == "soft_bounce"
    complaint = {"event": "complained", "recipient": "boos@example.nl", "timestamp": 1.8e9}
    event = parse_mailgun(mailgun_body(complaint), KEY, now=NOW)
    assert (event.email, event.kind) == ("boos@example.nl", "complaint")


def test_mailgun_events_without_consequence_are_ignored():
    delivered = {"event": "delivered", "recipient": "lid@example.nl", "timestamp": 1.8e9}
    assert parse_mailgun(mailgun_body(delivered), KEY, now=NOW) is None


def test_mailgun_wrong_key_is_refused():
    with pytest.raises(WebhookRejected, match="signature does not match") as caught:
        parse_mailgun(mailgun_body(failed(), key="someone-else"), KEY, now=NOW)
    assert caught.value.unauthorised


def test_mailgun_changed_token_breaks_the_signature():
    body = json.loads(mailgun_body(failed()))
    body["signature"]["token"] = "x" * 50
    with pytest.raises(WebhookRejected, match="signature does not match"):
        parse_mailgun(json.dumps(body), KEY, now=NOW)


def test_mailgun_signature_older_than_its_retries_is_refused():
    body = mailgun_body(failed(), signed_at=NOW - timedelta(hours=9, minutes=1))
    with pytest.raises(WebhookRejected, match="too old"):
        parse_mailgun(body, KEY, now=NOW)
    # Mailgun retries for 8 hours with the first signature; its last retry still counts, so the
    # bounces of an outage of ours are not lost.
    retried = mailgun_body(failed(), signed_at=NOW - timedelta(hours=7, minutes=45))
    assert parse_mailgun(retried, KEY, now=NOW)


@pytest.mark.parametrize(
    "body, reason",
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"event-data": {}}), "signature block is missing"),
        (json.dumps({"signature": {"timestamp": "1"}}), "lacks timestamp"),
    ],
)
def test_mailgun_malformed_calls_are_refused(body, reason):
    with pytest.raises(WebhookRejected, match=reason):
        parse_mailgun(body, KEY, now=NOW)


def test_mailgun_without_a_signing_key_trusts_nothing():
    with pytest.raises(WebhookRejected, match="MAILGUN_WEBHOOK_SIGNING_KEY is not set"):
        parse_mailgun(mailgun_body(failed(), key=""), "", now=NOW)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


AUTH = basic("postmark", "geheim-wachtwoord")
HARD_BOUNCE = {
    "RecordType": "Bounce",
    "ID": 4323372036854775807,
    "Type": "HardBounce",
    "TypeCode": 1,
    "Name": "Hard bounce",
    "MessageStream": "broadcast",
    "Description": "The server was unable to deliver your message (ex: unknown user).",
    "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    "Email": "Weg@Example.nl",
    "From": "nieuws@example.nl",
    "BouncedAt": "2026-11-28T15:59:30.1234567Z",
}


def postmark(payload: dict, authorization: str | None = AUTH):
    return parse_postmark(json.dumps(payload), authorization, "postmark", "geheim-wachtwoord")


def test_postmark_hard_bounce():
    event = postmark(HARD_BOUNCE)
    assert event.email == "weg@example.nl"
    assert event.kind == "hard_bounce"
    assert "550 5.1.1" in event.reason
    assert event.provider == "postmark"
    assert event.occurred_at == datetime(2026, 11, 28, 15, 59, 30, 123456, tzinfo=UTC)


def test_postmark_soft_bounce_complaint_and_other_records():
    assert postmark({**HARD_BOUNCE, "Type": "SoftBounce"}).kind == "soft_bounce"
    complaint = {
        "RecordType": "SpamComplaint",
        "Type": "SpamComplaint",
        "Email": "boos@example.nl",
        "BouncedAt": "2026-11-28T10:00:00-05:00",
    }
    event = postmark(complaint)
    assert (event.kind, event.occurred_at) == ("complaint", datetime(2026, 11, 28, 15, tzinfo=UTC))
    assert postmark({**HARD_BOUNCE, "Type": "AutoResponder"}) is None
    assert postmark({"RecordType": "Delivery", "Recipient": "lid@example.nl"}) is None


@pytest.mark.parametrize(
    "authorization",
    [None, "", basic("postmark", "fout"), basic("iemand", "geheim-wachtwoord"), "Basic !!!"],
)
def test_postmark_wrong_or_missing_credentials_are_refused(authorization):
    with pytest.raises(WebhookRejected) as caught:
        postmark(HARD_BOUNCE, authorization)
    assert caught.value.unauthorised


def test_postmark_without_configured_credentials_trusts_nothing():
    with pytest.raises(WebhookRejected, match="POSTMARK_WEBHOOK_USERNAME"):
        parse_postmark(json.dumps(HARD_BOUNCE), basic("", ""), "", "")


@pytest.mark.parametrize(
    "payload, reason",
    [
        ({"RecordType": "Weird"}, "not a Postmark webhook record"),
        ({**HARD_BOUNCE, "Email": None}, "no Email"),
        ({**HARD_BOUNCE, "BouncedAt": "gisteren"}, "not a time"),
        # Valid ISO 8601, but a moment datetime cannot move to UTC (year 0 or 10000).
        ({**HARD_BOUNCE, "BouncedAt": "0001-01-01T00:00:00+01:00"}, "not a time"),
        ({**HARD_BOUNCE, "BouncedAt": "9999-12-31T23:59:59-01:00"}, "not a time"),
    ],
)
def test_postmark_malformed_records_are_refused(payload, reason):
    with pytest.raises(WebhookRejected, match=reason) as caught:
        postmark(payload)
    assert not caught.value.unauthorised


# The endpoints the providers call


def test_mailgun_endpoint_takes_a_signed_bounce_and_refuses_a_forged_one(client, app):
    change_settings(app, MAILGUN_WEBHOOK_SIGNING_KEY=KEY)
    now = datetime.now(UTC)
    body = mailgun_body(failed(), signed_at=now)
    response = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert response.status_code == 200
    assert response.get_json() == {"status": "accepted", "kind": "hard_bounce", "suppressed": True}
    forged = mailgun_body(failed(), key="forger", signed_at=now)
    response = client.post("/webhooks/mailgun", data=forged, content_type="application/json")
    assert response.status_code == 401
    assert "signature does not match" in response.get_json()["reason"]
    response = client.post("/webhooks/mailgun", data="{", content_type="application/json")
    assert response.status_code == 400


def test_postmark_endpoint_checks_the_credentials_of_the_webhook_url(client, app):
    change_settings(
        app, POSTMARK_WEBHOOK_USERNAME="postmark", POSTMARK_WEBHOOK_PASSWORD="geheim-wachtwoord"
    )
    body = json.dumps(HARD_BOUNCE)
    response = client.post(
        "/webhooks/postmark",
        data=body,
        content_type="application/json",
        headers={"Authorization": AUTH},
    )
    assert response.status_code == 200
    assert response.get_json()["kind"] == "hard_bounce"
    response = client.post(
        "/webhooks/postmark",
        data=body,
        content_type="application/json",
        headers={"Authorization": basic("postmark", "fout")},
    )
    assert response.status_code == 401


def test_a_relay_reason_with_control_characters_is_stored_mended(client, app, db):
    # PostgreSQL takes no NUL: the call gave 500 and the relay retried it for ever.
    from service.models import Suppression

    change_settings(
        app, POSTMARK_WEBHOOK_USERNAME="postmark", POSTMARK_WEBHOOK_PASSWORD="geheim-wachtwoord"
    )
    bounce = HARD_BOUNCE | {"Details": "smtp;550\x00 5.1.1\x0bno such user"}
    response = client.post(
        "/webhooks/postmark",
        data=json.dumps(bounce),
        content_type="application/json",
        headers={"Authorization": AUTH},
    )
    assert response.status_code == 200
    assert db.scalars(select(Suppression.reason)).one().endswith("smtp;550 5.1.1\nno such user")


def test_webhooks_refuse_everything_while_unconfigured(client):
    response = client.post("/webhooks/mailgun", data=mailgun_body(failed()))
    assert response.status_code == 401
    response = client.post(
        "/webhooks/postmark", data=json.dumps(HARD_BOUNCE), headers={"Authorization": AUTH}
    )
    assert response.status_code == 401


# The suppression list the endpoints feed


def test_a_hard_bounce_puts_the_address_on_the_suppression_list_once(client, app, db):
    from service.delivery.suppression import is_suppressed
    from service.models import Suppression

    change_settings(app, MAILGUN_WEBHOOK_SIGNING_KEY=KEY)
    for token in ("a" * 50, "b" * 50):  # the provider may report the same bounce twice
        body = mailgun_body(failed(), signed_at=datetime.now(UTC), token=token)
        response = client.post("/webhooks/mailgun", data=body, content_type="application/json")
        assert response.get_json()["suppressed"] is True
    rows = db.query(Suppression).all()
    assert [(r.email, r.kind, r.source) for r in rows] == [
        ("weg@example.nl", "hard_bounce", "mailgun")
    ]
    assert "does not exist" in rows[0].reason
    assert is_suppressed(db, "WEG@example.nl")


def test_soft_bounces_and_forged_calls_suppress_nobody(client, app, db):
    from service.models import Suppression

    change_settings(app, MAILGUN_WEBHOOK_SIGNING_KEY=KEY)
    soft = mailgun_body(failed("temporary"), signed_at=datetime.now(UTC))
    response = client.post("/webhooks/mailgun", data=soft, content_type="application/json")
    assert response.get_json() == {"status": "accepted", "kind": "soft_bounce", "suppressed": False}
    forged = mailgun_body(failed(), key="forger", signed_at=datetime.now(UTC))
    assert client.post("/webhooks/mailgun", data=forged).status_code == 401
    assert db.query(Suppression).count() == 0


def test_a_postmark_complaint_is_suppressed(client, app, db):
    from service.delivery.suppression import is_suppressed

    change_settings(
        app, POSTMARK_WEBHOOK_USERNAME="postmark", POSTMARK_WEBHOOK_PASSWORD="geheim-wachtwoord"
    )
    complaint = {**HARD_BOUNCE, "RecordType": "SpamComplaint", "Type": "SpamComplaint"}
    response = client.post(
        "/webhooks/postmark",
        data=json.dumps(complaint),
        content_type="application/json",
        headers={"Authorization": AUTH},
    )
    assert response.get_json() == {"status": "accepted", "kind": "complaint", "suppressed": True}
    assert is_suppressed(db, complaint["Email"])


def test_a_bounce_for_an_address_sent_in_its_idna_form_suppresses_the_contact(client, app, db):
    from datetime import UTC as utc

    from sqlalchemy import select

    from service.campaigns import store
    from service.delivery.queue import start_sending
    from service.models import Delivery
    from tests.builders import make_contact

    # The address went out as user@xn--bcher-kva.example; Postmark reports it in that form.
    contact = make_contact(db, email="user@bücher.example")
    make_contact(db)
    change_settings(
        app, POSTMARK_WEBHOOK_USERNAME="postmark", POSTMARK_WEBHOOK_PASSWORD="geheim-wachtwoord"
    )
    bounce = {**HARD_BOUNCE, "Email": "User@xn--bcher-kva.example"}
    response = client.post(
        "/webhooks/postmark",
        data=json.dumps(bounce),
        content_type="application/json",
        headers={"Authorization": AUTH},
    )
    assert response.get_json()["suppressed"] is True

    campaign = store.create_campaign(
        db, kind="recap", subject="Terugblik", blocks=[], actor=None, audience={"all": True}
    )
    assert start_sending(db, campaign, actor=None, now=datetime.now(utc)) == 1
    db.commit()
    recipients = db.scalars(select(Delivery.email).where(Delivery.campaign_id == campaign.id))
    assert contact.email not in list(recipients)


# Replays: Mailgun's signature covers timestamp and token, not the event, so a token counts once


def test_the_same_signed_mailgun_call_twice_is_refused_the_second_time(client, app, db):
    from service.models import Suppression, UsedWebhookToken

    change_settings(app, MAILGUN_WEBHOOK_SIGNING_KEY=KEY)
    body = mailgun_body(failed(), signed_at=datetime.now(UTC), token="r" * 50)
    first = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert first.status_code == 200
    db.query(Suppression).delete()  # an organiser lifted the suppression meanwhile
    db.commit()

    again = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert again.status_code == 406  # Mailgun does not retry a 406
    assert "used before" in again.get_json()["reason"]
    assert db.query(Suppression).count() == 0
    assert [(t.provider, t.token) for t in db.query(UsedWebhookToken)] == [("mailgun", "r" * 50)]


def test_a_replay_with_other_event_data_under_a_used_token_is_refused(client, app, db):
    from service.models import Suppression

    change_settings(app, MAILGUN_WEBHOOK_SIGNING_KEY=KEY)
    signed_at = datetime.now(UTC)
    delivered = {"event": "delivered", "recipient": "lid@example.nl", "timestamp": 1.8e9}
    body = mailgun_body(delivered, signed_at=signed_at, token="s" * 50)
    assert client.post("/webhooks/mailgun", data=body).get_json() == {"status": "ignored"}
    # The captured signature block, with a bounce for someone else put in its event-data.
    forged = mailgun_body({**failed(), "recipient": "slachtoffer@example.nl"}, signed_at=signed_at)
    forged = json.dumps({**json.loads(forged), "signature": json.loads(body)["signature"]})
    response = client.post("/webhooks/mailgun", data=forged, content_type="application/json")
    assert response.status_code == 406
    assert db.query(Suppression).count() == 0


def test_a_token_is_not_used_up_by_a_call_that_fails(client, app, db):
    change_settings(app, MAILGUN_WEBHOOK_SIGNING_KEY=KEY)
    signed_at = datetime.now(UTC)
    broken = json.loads(mailgun_body(failed(), signed_at=signed_at, token="u" * 50))
    broken["event-data"] = {**failed(), "recipient": None}
    response = client.post("/webhooks/mailgun", data=json.dumps(broken))
    assert response.status_code == 400
    body = mailgun_body(failed(), signed_at=signed_at, token="u" * 50)
    assert client.post("/webhooks/mailgun", data=body).status_code == 200


def test_a_stale_mailgun_call_is_refused_at_the_endpoint(client, app, db):
    from service.models import Suppression, UsedWebhookToken

    change_settings(app, MAILGUN_WEBHOOK_SIGNING_KEY=KEY)
    body = mailgun_body(failed(), signed_at=datetime.now(UTC) - timedelta(hours=10))
    response = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    # 406: Mailgun does not retry it; any other refusal it would send again for 8 hours.
    assert response.status_code == 406
    assert "too old" in response.get_json()["reason"]
    assert db.query(Suppression).count() == 0
    assert db.query(UsedWebhookToken).count() == 0  # a refused signature uses up nothing


def test_used_tokens_older_than_a_day_are_pruned_when_a_new_one_comes(app, db):
    from service.delivery.suppression import first_use_of_webhook_token
    from service.models import UsedWebhookToken

    assert first_use_of_webhook_token(db, "mailgun", "old", now=NOW - timedelta(days=2))
    assert first_use_of_webhook_token(db, "mailgun", "recent", now=NOW - timedelta(hours=1))
    assert not first_use_of_webhook_token(db, "mailgun", "recent", now=NOW)
    assert first_use_of_webhook_token(db, "mailgun", "new", now=NOW)
    db.commit()
    assert sorted(t.token for t in db.query(UsedWebhookToken)) == ["new", "recent"]
    assert first_use_of_webhook_token(db, "postmark", "new", now=NOW)  # per provider


def test_postmark_endpoint_refuses_missing_credentials_and_suppresses_nobody(client, app, db):
    from service.models import Suppression

    change_settings(
        app, POSTMARK_WEBHOOK_USERNAME="postmark", POSTMARK_WEBHOOK_PASSWORD="geheim-wachtwoord"
    )
    body = json.dumps(HARD_BOUNCE)
    for headers in ({}, {"Authorization": basic("iemand", "geheim-wachtwoord")}):
        response = client.post(
            "/webhooks/postmark", data=body, content_type="application/json", headers=headers
        )
        assert response.status_code == 401
    assert db.query(Suppression).count() == 0
