"""The suppression list: addresses that bounced hard or complained, never mailed again.

Relays' webhooks feed it (see service/webhooks/views.py); the send loop of the delivery issue
leaves these addresses out when it records a campaign's deliveries.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.addresses import stored_form
from service.models import Suppression, UsedWebhookToken, utcnow
from service.text import mend_lines

# Event kinds that end mail to an address for good; a soft bounce may clear up by itself.
SUPPRESSING_KINDS = frozenset({"hard_bounce", "complaint"})


def find_suppression(session: Session, email: str) -> Suppression | None:
    """The suppression of this address (case ignored), or None."""
    return session.scalar(select(Suppression).where(Suppression.email == _listed_form(email)))


def is_suppressed(session: Session, email: str) -> bool:
    """Whether mail to this address must not be sent."""
    return find_suppression(session, email) is not None


def suppress(
    session: Session,
    email: str,
    kind: str,
    reason: str,
    source: str,
    *,
    campaign_id: int | None = None,
) -> Suppression:
    """Put an address on the list; an address already there keeps its first entry.

    `campaign_id` is the campaign whose message bounced or was complained about, if known.

    Two webhook calls for the same address can arrive at once; the savepoint lets the second
    find the first one's row instead of failing on the unique address.
    """
    email = _listed_form(email)
    existing = find_suppression(session, email)
    if existing is not None:
        return existing
    # A relay's words are kept as they can be stored (PostgreSQL takes no NUL): it cannot be
    # asked to send them again without control characters.
    entry = Suppression(
        email=email,
        kind=kind,
        reason=mend_lines(reason)[:2000],
        source=source,
        campaign_id=campaign_id,
    )
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        existing = find_suppression(session, email)
        assert existing is not None  # the row that won the race
        return existing
    return entry


def listed_form(email: str) -> str:
    """An address as the list (and the bounce log) holds it: lower case, domain in Unicode."""
    return _listed_form(email)


def _listed_form(email: str) -> str:
    # Lower case, and an IDNA domain in Unicode: a relay reports the address in the form it
    # went out in (user@xn--bcher-kva.example), the contact holds user@bücher.example.
    return stored_form(email.strip().lower())


# Mailgun signatures older than MAILGUN_MAX_AGE (9 hours) are refused (service/delivery/bounces.py),
# so a token older than that can never come back; a day leaves room for clocks that disagree.
KEEP_WEBHOOK_TOKENS = timedelta(days=1)


def first_use_of_webhook_token(
    session: Session, provider: str, token: str, *, now: datetime | None = None
) -> bool:
    """Remember a webhook token; True the first time it is seen, False for a replay.

    The row is committed with the event it came with, so a call that fails on our side leaves
    its token unused for the provider's retry. Two copies of one call arriving at once meet at
    the unique (provider, token): the savepoint lets the loser answer "seen" instead of failing.
    Tokens past any use are pruned here, so the table stays a day long.
    """
    now = now or utcnow()
    token = token[:200]  # the column's width; Mailgun's tokens are 50 characters
    session.execute(
        delete(UsedWebhookToken).where(UsedWebhookToken.seen_at < now - KEEP_WEBHOOK_TOKENS)
    )
    seen = session.scalar(
        select(UsedWebhookToken.id).where(
            UsedWebhookToken.provider == provider, UsedWebhookToken.token == token
        )
    )
    if seen is not None:
        return False
    try:
        with session.begin_nested():
            session.add(UsedWebhookToken(provider=provider, token=token, seen_at=now))
    except IntegrityError:
        return False
    return True
