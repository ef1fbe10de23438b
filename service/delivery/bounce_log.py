"""The one door every bounce and complaint comes in by: tied to its delivery, logged, counted.

Four sources report bounces: the relays' webhooks (Mailgun, Postmark; service/webhooks/views.py),
the bounce listener and the bounce mailbox (service/delivery/bounce_inbox.py, which read the
mail with service/delivery/bounce_mail.py). Each makes a `BounceReport` with the clues it has,
and `record_bounce` does the rest the same way for all of them:

- tie it to the delivery it is about: by the VERP return path it came back to (signed, so
  believed: service/delivery/verp.py), by the relay's id of the message (Delivery.provider_id),
  or by our Message-ID of the returned message (its installation mark checked, and the address
  it names must be the delivery's, because anybody who got one of our messages can copy its
  Message-ID into a forged bounce);
- keep a `Bounce` row with the delivery and campaign, for the campaign's report;
- put the address on the suppression list at once for a hard bounce or a complaint, and for
  soft bounces when MAIL_SOFT_BOUNCE_LIMIT of them fall within MAIL_SOFT_BOUNCE_DAYS, with the
  campaign it came from.

A bounce that came by mail and cannot be tied to a message of ours is not believed (None): the
bounce address takes mail from anybody, and a made-up bounce must not suppress anybody. A
relay's webhook proved who it is, so its reports are kept even when no delivery is found (the
message went out before this version, or the delivery was deleted).

The same report twice (a webhook retried, a mailbox message read again after a failure to
delete it) is recognised and counts once: per delivery and kind, or, without a delivery, per
address, kind, source and moment.

Plain logic, no Flask; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from service.delivery.suppression import SUPPRESSING_KINDS, listed_form, suppress
from service.delivery.verp import delivery_of, delivery_of_message_id
from service.models import Bounce, Delivery, Suppression
from service.text import mend_lines

Kind = Literal["hard_bounce", "soft_bounce", "complaint"]
KINDS: tuple[Kind, ...] = ("hard_bounce", "soft_bounce", "complaint")
# Where a report came from (Bounce.source, Suppression.source).
SOURCES = ("mailgun", "postmark", "listener", "mailbox")


@dataclass(frozen=True)
class BounceReport:
    """One bounce or complaint as a source reported it, with the clues to its message."""

    email: str
    kind: Kind
    reason: str
    source: str
    occurred_at: datetime
    # The addresses the bounce was sent to (RCPT TO, Delivered-To, To): a VERP return path.
    return_paths: Sequence[str] = ()
    # Message-IDs of the returned message found in the bounce (ours or not).
    message_ids: Sequence[str] = ()
    # The relay's own id of the message (Mailgun's or Postmark's MessageID).
    provider_id: str = ""
    # The source proved who it is (a relay's signed webhook): believed without a delivery.
    authenticated: bool = False


@dataclass(frozen=True)
class BounceRules:
    """What record_bounce needs of the settings: the keys and the soft-bounce limit."""

    secret_key: str
    bounce_address: str = ""
    soft_limit: int = 3
    soft_days: int = 30

    @classmethod
    def from_config(cls, config: Settings) -> BounceRules:
        """SECRET_KEY, MAIL_BOUNCE_ADDRESS, MAIL_SOFT_BOUNCE_LIMIT and MAIL_SOFT_BOUNCE_DAYS."""
        return cls(
            secret_key=config.SECRET_KEY,
            bounce_address=config.MAIL_BOUNCE_ADDRESS or "",
            soft_limit=config.MAIL_SOFT_BOUNCE_LIMIT,
            soft_days=config.MAIL_SOFT_BOUNCE_DAYS,
        )


@dataclass(frozen=True)
class Recorded:
    """What record_bounce did with a report."""

    bounce: Bounce
    # The same bounce was recorded before; nothing new was counted.
    duplicate: bool
    # The address's suppression (new, or the entry it already had), when it is suppressed.
    suppression: Suppression | None


def find_delivery(session: Session, report: BounceReport, rules: BounceRules) -> Delivery | None:
    """The delivery the report is about, by VERP, the relay's id or our Message-ID; or None."""
    if rules.bounce_address:
        for address in report.return_paths:
            delivery_id = delivery_of(address, rules.bounce_address, rules.secret_key)
            if delivery_id is not None:
                delivery = session.get(Delivery, delivery_id)
                if delivery is not None:
                    return delivery
    if report.provider_id:
        bare = report.provider_id.strip().strip("<>")
        delivery = session.scalar(
            select(Delivery)
            .where(Delivery.provider_id.in_({bare, f"<{bare}>"}), Delivery.provider_id != "")
            .order_by(Delivery.id)
            .limit(1)
        )
        if delivery is not None:
            return delivery
    for message_id in report.message_ids:
        ours = delivery_of_message_id(message_id, rules.secret_key)
        if ours is None:
            continue
        delivery_id, campaign_id = ours
        delivery = session.get(Delivery, delivery_id)
        if (
            delivery is not None
            and delivery.campaign_id == campaign_id
            and listed_form(delivery.email) == listed_form(report.email)
        ):
            return delivery
    return None


def record_bounce(session: Session, report: BounceReport, rules: BounceRules) -> Recorded | None:
    """Tie, log and count one bounce or complaint; None when it is not believed.

    Every source calls this (webhooks, listener, mailbox). The caller commits, and only then
    tells its source that the report is taken (200, 250, or deleting the mail).
    """
    if report.kind not in KINDS:
        raise ValueError(f"{report.kind!r} is not a kind of bounce; use one of {KINDS}")
    delivery = find_delivery(session, report, rules)
    if delivery is None and not report.authenticated:
        return None
    # Tied: the address the message went to, whatever the bouncing server wrote.
    email = listed_form(delivery.email if delivery is not None else report.email)
    campaign_id = delivery.campaign_id if delivery is not None else None
    earlier = _same_bounce(session, report, email, delivery)
    if earlier is not None:
        return Recorded(earlier, True, _suppression_of(session, email))
    bounce = Bounce(
        delivery_id=delivery.id if delivery is not None else None,
        campaign_id=campaign_id,
        email=email,
        kind=report.kind,
        # A remote server's words, stored as they can be (PostgreSQL takes no NUL).
        reason=mend_lines(report.reason)[:2000],
        source=report.source,
        occurred_at=report.occurred_at,
    )
    session.add(bounce)
    session.flush()
    suppression: Suppression | None = None
    if report.kind in SUPPRESSING_KINDS:
        suppression = suppress(
            session, email, report.kind, report.reason, report.source, campaign_id=campaign_id
        )
    else:
        suppression = _soft_limit(session, bounce, rules)
    return Recorded(bounce, False, suppression)


def _same_bounce(
    session: Session, report: BounceReport, email: str, delivery: Delivery | None
) -> Bounce | None:
    query = select(Bounce).where(Bounce.kind == report.kind)
    if delivery is not None:
        query = query.where(Bounce.delivery_id == delivery.id)
    else:
        query = query.where(
            Bounce.delivery_id.is_(None),
            Bounce.email == email,
            Bounce.source == report.source,
            Bounce.occurred_at == report.occurred_at,
        )
    return session.scalar(query.order_by(Bounce.id).limit(1))


def _soft_limit(session: Session, bounce: Bounce, rules: BounceRules) -> Suppression | None:
    """Suppress the address when its soft bounces within the window reach the limit."""
    window = timedelta(days=rules.soft_days)
    count = session.scalar(
        select(func.count())
        .select_from(Bounce)
        .where(
            Bounce.email == bounce.email,
            Bounce.kind == "soft_bounce",
            Bounce.occurred_at > bounce.occurred_at - window,
            Bounce.occurred_at <= bounce.occurred_at,
        )
    )
    if (count or 0) < rules.soft_limit:
        return _suppression_of(session, bounce.email)
    reason = (
        f"{count} soft bounces within {rules.soft_days} days (MAIL_SOFT_BOUNCE_LIMIT); "
        f"the last: {bounce.reason}"
    )
    return suppress(
        session,
        bounce.email,
        "soft_bounce_limit",
        reason,
        bounce.source,
        campaign_id=bounce.campaign_id,
    )


def _suppression_of(session: Session, email: str) -> Suppression | None:
    return session.scalar(select(Suppression).where(Suppression.email == email))
