"""The introduction email to someone put forward: queued on accepting, built when it is sent.

Accepting a nomination queues one outbox row (`deliveries`: campaign_id NULL, contact_id NULL,
kind "introduction", the nominee's address and a JSON payload), so the send loop gives it the same
lease, retries and deadline as all mail. No contact and no subscription is made: the nominee
is not on any list until they sign up themselves through the link in this email.

The payload holds what the email says, fixed at the moment of accepting: the nominee's name,
the nominator's name (never their address) and the reason only when the nominator agreed to
share it. The email is in the default language (config.settings.DEFAULT_LANGUAGE, Dutch): we know
nothing of the nominee's language yet.

Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from config.settings import DEFAULT_LANGUAGE
from service.mail.outgoing import Outgoing
from service.models import Delivery, DeliveryStatus, Nomination
from service.rendering.notice_mail import NoticeSender
from service.rendering.render import email_context
from service.translation import translator

INTRODUCTION = "introduction"
LANGUAGE = DEFAULT_LANGUAGE
SIGNUP_PATH = "/aanmelden"


def introduction_payload(nomination: Nomination) -> dict[str, Any]:
    """What the introduction will say; the reason only when the nominator agreed to share it."""
    return {
        "nomination_id": nomination.id,
        "nominee_name": nomination.nominee_name,
        "nominator_name": nomination.nominator_name,
        "reason": nomination.reason if nomination.reason_shared else "",
    }


def queue_introduction(session: Session, nomination: Nomination, *, now: datetime) -> Delivery:
    """Put the nominee's introduction in the outbox as a single message; the caller commits."""
    delivery = Delivery(
        campaign_id=None,
        contact_id=None,
        kind=INTRODUCTION,
        email=nomination.nominee_email,
        payload=introduction_payload(nomination),
        status=DeliveryStatus.QUEUED,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


def signup_url(base_url: str) -> str:
    """The public signup page the introduction links to."""
    return base_url.rstrip("/") + SIGNUP_PATH


def build_introduction(
    sender: NoticeSender,
    payload: Mapping[str, Any],
    *,
    to_email: str,
    message_id: str,
) -> Outgoing:
    """The introduction email for one nominee; raises ValueError or TemplateError."""
    nominee = str(payload.get("nominee_name") or "").strip()
    nominator = str(payload.get("nominator_name") or "").strip()
    if not nominator:
        raise ValueError("the introduction names no nominator; accept the nomination again")
    reason = str(payload.get("reason") or "").strip()
    network = sender.network.in_sentence(LANGUAGE)
    _ = translator(LANGUAGE).gettext
    subject = _(
        "%(nominator)s put you forward for %(network)s", nominator=nominator, network=network
    )
    context = email_context(LANGUAGE, sender.network, sender.base_url)
    context.update(
        subject=subject,
        preheader=_("An invitation to get to know each other"),
        greeting=_("Dear %(name)s,", name=nominee.split()[0] if nominee else _("colleague")),
        opening=_(
            "%(nominator)s has put you forward for %(network)s, and we would like to get to "
            "know you.",
            nominator=nominator,
            network=network,
        ),
        reason=reason,
        reason_intro=_("This is why %(nominator)s thought of you:", nominator=nominator),
        paragraphs=(
            _(
                "%(network)s is a network of people in the public sector who work together on "
                "the big tasks of our time, across the borders of their own organisation. We "
                "meet a few times a year, each time at another host organisation, to learn from "
                "each other.",
                network=sender.network.in_sentence(LANGUAGE, start=True),
            ),
            _(
                "Would you like a first conversation? Reply to this email and we will find a "
                "moment that suits you."
            ),
            _(
                "Do you want to receive our invitations and recaps? Sign up through the link "
                "below. Without your signup we send you nothing more."
            ),
        ),
        signup_url=signup_url(sender.base_url),
        blocks_html=[],
        blocks_text="",
    )
    # The invitation to talk is answered by replying: the reply goes to the network's mailbox.
    return sender.outgoing(
        INTRODUCTION,
        template="introduction",
        context=context,
        what="the introduction email",
        to_name=nominee,
        to_email=to_email,
        message_id=message_id,
    )
