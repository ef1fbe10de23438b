"""Bounce and complaint webhooks of the API relays: checked, then read into `SuppressionEvent`s.

Plain logic, no Flask: a view hands over the raw body (and the Authorization header), gets back
an event (or None for events that do not concern the suppression list, such as "delivered"), or
a `WebhookRejected` that says why the call is refused.

- Mailgun signs every call: HMAC-SHA256 of timestamp + token with the webhook signing key. The
  signature does not cover the event data, so a captured call could be replayed with another
  event in it: each token is accepted once (the caller says whether a token is new; the view
  keeps them in UsedWebhookToken), and a signature older than Mailgun's retries is refused.
- Postmark does not sign; its webhook URL carries basic-auth credentials that only we know.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from service.delivery.bounce_log import BounceReport

# How old a Mailgun signature may be. Mailgun's retries resend the first signature block, and it
# retries for 8 hours (after 5, 10 and 15 minutes, then 1, 2 and 4 hours): a shorter window would
# refuse the retries that follow an outage of ours, and their bounces would be lost. Within the
# window each token is still accepted only once (UsedWebhookToken keeps them a day), so the
# window does not open a replay.
MAILGUN_MAX_AGE = timedelta(hours=9)

Kind = Literal["hard_bounce", "soft_bounce", "complaint"]


@dataclass(frozen=True)
class SuppressionEvent:
    """A provider reported that an address bounced or complained."""

    email: str
    kind: Kind
    reason: str
    provider: str
    occurred_at: datetime
    # The Message-ID of the message it is about, as the provider reports it (Mailgun).
    message_id: str = ""
    # The provider's own id of the message (Mailgun's and Postmark's), as in Delivery.provider_id.
    provider_id: str = ""

    def report(self) -> BounceReport:
        """The event as the bounce log takes every bounce (service/delivery/bounce_log.py)."""
        return BounceReport(
            email=self.email,
            kind=self.kind,
            reason=self.reason,
            source=self.provider,
            occurred_at=self.occurred_at,
            message_ids=(self.message_id,) if self.message_id else (),
            provider_id=self.provider_id,
            # The call was signed (Mailgun) or carried our credentials (Postmark).
            authenticated=True,
        )


class WebhookRejected(ValueError):
    """A webhook call is refused: bad signature or credentials, stale, or malformed."""

    def __init__(self, reason: str, *, unauthorised: bool = False):
        super().__init__(reason)
        self.reason = reason
        # True when the caller could not prove who it is (answer 401), else the body is bad (400).
        self.unauthorised = unauthorised


class WebhookStale(WebhookRejected):
    """A correctly signed Mailgun call from outside the time window: it will never be accepted."""

    def __init__(self, reason: str):
        super().__init__(reason, unauthorised=True)


class WebhookReplayed(WebhookRejected):
    """A correctly signed Mailgun call whose token was used before: a replay."""

    def __init__(self, reason: str):
        super().__init__(reason, unauthorised=True)


def _json_object(body: bytes | str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise WebhookRejected(f"the body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise WebhookRejected("the body is not a JSON object")
    return data


def verify_mailgun_signature(
    signature: Any,
    signing_key: str,
    *,
    now: datetime | None = None,
    first_use: Callable[[str], bool] | None = None,
) -> None:
    """Raise WebhookRejected unless the signature block is Mailgun's, fresh and not used before.

    `first_use(token)` answers whether the token is new (and remembers it); without it, tokens
    are not checked for reuse.
    """
    if not signing_key:
        raise WebhookRejected(
            "MAILGUN_WEBHOOK_SIGNING_KEY is not set; no Mailgun webhook can be trusted",
            unauthorised=True,
        )
    if not isinstance(signature, dict):
        raise WebhookRejected("the signature block is missing", unauthorised=True)
    timestamp = str(signature.get("timestamp", ""))
    token = str(signature.get("token", ""))
    given = str(signature.get("signature", ""))
    if not (timestamp and token and given):
        raise WebhookRejected(
            "the signature block lacks timestamp, token or signature", unauthorised=True
        )
    expected = hmac.new(
        signing_key.encode(), (timestamp + token).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise WebhookRejected("the Mailgun signature does not match", unauthorised=True)
    try:
        signed_at = datetime.fromtimestamp(float(timestamp), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise WebhookRejected(f"the timestamp {timestamp!r} is not a time") from exc
    age = (now or datetime.now(UTC)) - signed_at
    # A small allowance for clocks that run ahead; anything older than the limit is a replay.
    if age > MAILGUN_MAX_AGE or age < -timedelta(minutes=1):
        raise WebhookStale(
            f"the Mailgun signature is from {signed_at:%Y-%m-%d %H:%M:%S} UTC, too old to trust"
        )
    # Checked last, so only a genuine, fresh signature ever uses up its token.
    if first_use is not None and not first_use(token):
        raise WebhookReplayed("this Mailgun token was used before; the call is a replay")


def parse_mailgun(
    body: bytes | str,
    signing_key: str,
    *,
    now: datetime | None = None,
    first_use: Callable[[str], bool] | None = None,
) -> SuppressionEvent | None:
    """Check a Mailgun webhook call and read its bounce or complaint, if it is one."""
    data = _json_object(body)
    verify_mailgun_signature(data.get("signature"), signing_key, now=now, first_use=first_use)
    event = data.get("event-data")
    if not isinstance(event, dict):
        raise WebhookRejected("the body has no event-data object")
    name = event.get("event")
    kind: Kind
    if name == "failed":
        severity = event.get("severity")
        if severity == "permanent":
            kind = "hard_bounce"
        elif severity == "temporary":
            kind = "soft_bounce"
        else:
            raise WebhookRejected(f"a failed event with severity {severity!r}")
    elif name == "complained":
        kind = "complaint"
    else:
        return None
    email = event.get("recipient")
    if not isinstance(email, str) or "@" not in email:
        raise WebhookRejected("the event names no recipient address")
    status = event.get("delivery-status") or {}
    if not isinstance(status, dict):
        status = {}
    parts = [str(status.get("code") or ""), status.get("message") or status.get("description")]
    reason = " ".join(str(p) for p in parts if p) or str(event.get("reason") or name)
    timestamp = event.get("timestamp")
    try:
        if not isinstance(timestamp, int | float | str):
            raise TypeError(f"a timestamp of type {type(timestamp).__name__}")
        occurred_at = datetime.fromtimestamp(float(timestamp), UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise WebhookRejected("the event has no valid timestamp") from exc
    message_id = _mailgun_message_id(event)
    return SuppressionEvent(
        email.strip().lower(),
        kind,
        reason,
        "mailgun",
        occurred_at,
        message_id=message_id,
        provider_id=message_id,
    )


def _mailgun_message_id(event: dict[str, Any]) -> str:
    # Mailgun reports the message's Message-ID header without its angle brackets.
    message = event.get("message")
    headers = message.get("headers") if isinstance(message, dict) else None
    value = headers.get("message-id") if isinstance(headers, dict) else None
    if not isinstance(value, str) or not value.strip():
        return ""
    return "<" + value.strip().strip("<>") + ">"


def verify_basic_auth(authorization: str | None, username: str, password: str) -> None:
    """Raise WebhookRejected unless the Authorization header carries exactly these credentials."""
    if not (username and password):
        raise WebhookRejected(
            "POSTMARK_WEBHOOK_USERNAME and POSTMARK_WEBHOOK_PASSWORD are not set; "
            "no Postmark webhook can be trusted",
            unauthorised=True,
        )
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise WebhookRejected("the call carries no basic-auth credentials", unauthorised=True)
    try:
        given = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookRejected(
            "the basic-auth credentials are not base64", unauthorised=True
        ) from exc
    expected = f"{username}:{password}".encode()
    if not hmac.compare_digest(given, expected):
        raise WebhookRejected("the basic-auth credentials are wrong", unauthorised=True)


# Postmark bounce Types that mean the address will never take mail, or that it is full or
# unreachable for now; other Types (AutoResponder, Subscribe, ...) are not bounces.
POSTMARK_HARD = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated"}
POSTMARK_SOFT = {"Transient", "SoftBounce", "DnsError", "Blocked", "DMARCPolicy", "Unknown"}
POSTMARK_COMPLAINT = {"SpamComplaint"}
_FRACTION = re.compile(r"(\.\d{6})\d+")


def _postmark_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise WebhookRejected("the event has no BouncedAt time")
    # Postmark writes seven decimals and a Z; Python reads up to six.
    text = _FRACTION.sub(r"\1", value).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        # In UTC, year 1 at +01:00 is year 0, which datetime cannot hold.
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise WebhookRejected(f"BouncedAt {value!r} is not a time") from exc


def parse_postmark(
    body: bytes | str, authorization: str | None, username: str, password: str
) -> SuppressionEvent | None:
    """Check a Postmark webhook call's credentials and read its bounce or complaint."""
    verify_basic_auth(authorization, username, password)
    data = _json_object(body)
    record = data.get("RecordType")
    bounce_type = str(data.get("Type") or "")
    kind: Kind
    if record == "SpamComplaint" or (record == "Bounce" and bounce_type in POSTMARK_COMPLAINT):
        kind = "complaint"
    elif record == "Bounce" and bounce_type in POSTMARK_HARD:
        kind = "hard_bounce"
    elif record == "Bounce" and bounce_type in POSTMARK_SOFT:
        kind = "soft_bounce"
    elif record in ("Bounce", "SpamComplaint", "Delivery", "Open", "Click", "SubscriptionChange"):
        return None
    else:
        raise WebhookRejected(f"RecordType {record!r} is not a Postmark webhook record")
    email = data.get("Email")
    if not isinstance(email, str) or "@" not in email:
        raise WebhookRejected("the event names no Email address")
    reason = " ".join(str(data[k]) for k in ("Type", "Description", "Details") if data.get(k))
    provider_id = data.get("MessageID")
    return SuppressionEvent(
        email.strip().lower(),
        kind,
        reason,
        "postmark",
        _postmark_time(data.get("BouncedAt")),
        provider_id=provider_id if isinstance(provider_id, str) else "",
    )
