"""/webhooks/mailgun and /webhooks/postmark: check the provider's call, read it, log the event.

The providers call these without a login or CSRF token; a call is believed only with Mailgun's
signature or Postmark's basic-auth credentials (service/delivery/bounces.py). The answers are for
the provider's retry logic, not for people: 200 taken, 401 not proven, 400 unreadable, 406 a
Mailgun call whose token was used before (a replay).
Every bounce and complaint is recorded by the bounce log (service/delivery/bounce_log.py), tied
to its delivery and campaign, and hard bounces and complaints (and soft bounces past the limit)
go on the suppression list, all before the 200 is sent, so a provider that gets no 200 calls
again and nothing is lost; a call repeated after a 200 counts once.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from service.auth.access import public
from service.database import get_session
from service.delivery.bounce_log import BounceRules, record_bounce
from service.delivery.bounces import (
    SuppressionEvent,
    WebhookRejected,
    WebhookReplayed,
    WebhookStale,
    parse_mailgun,
    parse_postmark,
)
from service.delivery.suppression import first_use_of_webhook_token
from service.extensions import csrf
from service.settings import current_settings

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)
log = logging.getLogger(__name__)


def _answer(event: SuppressionEvent | None):
    db = get_session()
    if event is None:
        db.commit()  # a Mailgun token is used up by events we ignore, too
        return jsonify(status="ignored"), 200
    log.info("%s reports %s for %s: %s", event.provider, event.kind, event.email, event.reason)
    recorded = record_bounce(db, event.report(), BounceRules.from_config(current_settings()))
    suppressed = recorded is not None and recorded.suppression is not None
    db.commit()
    return jsonify(status="accepted", kind=event.kind, suppressed=suppressed), 200


def _refused(provider: str, exc: WebhookRejected):
    log.warning("%s webhook refused: %s", provider, exc.reason)
    if isinstance(exc, WebhookReplayed | WebhookStale):
        # Mailgun retries every answer except 2xx and 406 ("rejected, do not retry"). A replay
        # or a stale signature will never be accepted, so 406 ends it; a 401 or 409 would only
        # be tried again for 8 hours.
        return jsonify(status="refused", reason=exc.reason), 406
    code = 401 if exc.unauthorised else 400
    return jsonify(status="refused", reason=exc.reason), code


@bp.post("/mailgun")
@public
def mailgun():
    """A Mailgun event, believed only with a fresh signature made with our signing key."""
    key = current_settings().MAILGUN_WEBHOOK_SIGNING_KEY or ""
    db = get_session()
    try:
        # The token is stored in this request's transaction: committed with the event below,
        # or forgotten when the call fails, so Mailgun's retry of a failed call still counts.
        event = parse_mailgun(
            request.get_data(),
            key,
            first_use=lambda token: first_use_of_webhook_token(db, "mailgun", token),
        )
    except WebhookRejected as exc:
        return _refused("mailgun", exc)
    return _answer(event)


@bp.post("/postmark")
@public
def postmark():
    """A Postmark event, believed only with the basic-auth credentials of our webhook URL."""
    settings = current_settings()
    try:
        event = parse_postmark(
            request.get_data(),
            request.headers.get("Authorization"),
            settings.POSTMARK_WEBHOOK_USERNAME or "",
            settings.POSTMARK_WEBHOOK_PASSWORD or "",
        )
    except WebhookRejected as exc:
        return _refused("postmark", exc)
    return _answer(event)
