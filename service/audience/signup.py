"""The public signup with double opt-in: a request, a confirmation email, a confirmed contact.

Nothing becomes a contact before the person confirms from their own mailbox. A signup stores a
`SignupRequest` holding what was typed and the SHA-256 of the token in the confirmation link,
and queues one email (an outbox row: campaign_id NULL, contact_id NULL, kind "signup_confirm",
the typed address) that the send loop builds with `build_confirmation`. The token itself is
never stored: it is an HMAC of a random nonce under SECRET_KEY, so the send loop can rebuild the
link from the nonce in the payload, while whoever reads the database cannot.

What the page answers never says whether an address is known. A second signup for the same
address within ten minutes sends no second email (a bot cannot flood a mailbox); requests are
good for seven days, then refused and deleted. An address that already confirmed and takes every
mailing it asks for gets no second "confirm your signup": it gets one kind line that it is
signed up already, with the link to its preferences (kind "signup_known"), by mail only, so the
page still answers the same.

Nothing here imports Flask.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from config.settings import DEFAULT_LANGUAGE
from service.audience.subscriptions import (
    MAILINGS,
    parse_mailings,
    subscribe,
    subscribed_mailings,
)
from service.contact_links import PREFERENCES, ContactSigner
from service.dml import rows_changed
from service.mail.outgoing import Outgoing
from service.models import (
    Consent,
    Contact,
    Delivery,
    DeliveryStatus,
    Mailing,
    SignupRequest,
    record_audit,
    utcnow,
)
from service.rendering.notice_mail import NoticeSender
from service.rendering.render import email_context
from service.translation import language_or_default, translator

SIGNUP_CONFIRM = "signup_confirm"
SIGNUP_KNOWN = "signup_known"
CONSENT_SOURCE = "aanmeldformulier (dubbele bevestiging)"
# No second confirmation email for the same address within this time.
QUIET_PERIOD = timedelta(minutes=10)
# How long a confirmation link works.
VALID_FOR = timedelta(days=7)
CONFIRM_PATH = "/aanmelden/bevestigen/"


@dataclass(frozen=True)
class SignupData:
    """What a person typed on the signup page (already checked by the form)."""

    email: str
    name: str
    organisation: str = ""
    role: str = ""
    province: str | None = None
    language: str = DEFAULT_LANGUAGE
    mailings: Sequence[Mailing] = MAILINGS


def signup_token(nonce: str, secret_key: str) -> str:
    """The token in the confirmation link, made from the request's nonce and the secret key."""
    digest = hmac.new(secret_key.encode(), f"signup:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def confirm_url(token: str, base_url: str) -> str:
    """The confirmation link in the email."""
    return f"{base_url.rstrip('/')}{CONFIRM_PATH}{token}"


def remove_expired(session: Session, *, now: datetime) -> int:
    """Delete requests older than VALID_FOR (confirmed or not): what they held is not needed."""
    return rows_changed(
        session,
        delete(SignupRequest)
        .where(SignupRequest.created_at < now - VALID_FOR)
        .execution_options(synchronize_session=False),
    )


def request_signup(
    session: Session, data: SignupData, *, secret_key: str, now: datetime | None = None
) -> SignupRequest | None:
    """Store a signup request and queue its confirmation email; the caller commits.

    Returns None, and sends nothing, when the same address asked less than QUIET_PERIOD ago;
    the page says the same either way. A newer request replaces the address's pending ones.
    Returns None too for an address that confirmed before and takes every mailing asked for:
    it is told so by mail instead (`_tell_already_signed_up`).
    """
    now = now or utcnow()
    remove_expired(session, now=now)
    known = session.scalar(
        select(Contact).where(Contact.email == data.email, Contact.consent == Consent.GIVEN)
    )
    # Asking for a mailing the contact does not take yet is new consent: that is confirmed.
    if known is not None and set(data.mailings) <= set(subscribed_mailings(session, known.id)):
        _tell_already_signed_up(session, known, now=now)
        return None
    recent = session.scalar(
        select(SignupRequest.id).where(
            SignupRequest.email == data.email,
            SignupRequest.confirmed_at.is_(None),
            SignupRequest.created_at > now - QUIET_PERIOD,
        )
    )
    if recent is not None:
        return None
    session.execute(
        delete(SignupRequest)
        .where(SignupRequest.email == data.email, SignupRequest.confirmed_at.is_(None))
        .execution_options(synchronize_session=False)
    )
    nonce = secrets.token_urlsafe(24)
    request = SignupRequest(
        email=data.email,
        name=data.name,
        organisation=data.organisation,
        role=data.role,
        province=data.province,
        language=data.language,
        mailings=[mailing.value for mailing in data.mailings],
        token_hash=token_hash(signup_token(nonce, secret_key)),
        created_at=now,
    )
    session.add(request)
    session.flush()
    session.add(
        Delivery(
            campaign_id=None,
            contact_id=None,
            kind=SIGNUP_CONFIRM,
            email=data.email,
            payload={"nonce": nonce, "name": data.name, "language": data.language},
            status=DeliveryStatus.QUEUED,
            next_attempt_at=now,
            created_at=now,
        )
    )
    session.flush()
    return request


def _tell_already_signed_up(session: Session, contact: Contact, *, now: datetime) -> None:
    """Queue the "you are signed up already" mail, at most once in QUIET_PERIOD per address."""
    recent = session.scalar(
        select(Delivery.id).where(
            Delivery.kind == SIGNUP_KNOWN,
            Delivery.email == contact.email,
            Delivery.created_at > now - QUIET_PERIOD,
        )
    )
    if recent is not None:
        return
    session.add(
        Delivery(
            campaign_id=None,
            contact_id=contact.id,
            kind=SIGNUP_KNOWN,
            email=contact.email,
            payload={},
            status=DeliveryStatus.QUEUED,
            next_attempt_at=now,
            created_at=now,
        )
    )
    session.flush()


def open_signup(
    session: Session, token: str, *, now: datetime | None = None
) -> SignupRequest | None:
    """The pending, unexpired request of a confirmation token, or None (unknown, used, expired)."""
    now = now or utcnow()
    if not token or len(token) > 100:
        return None
    request = session.scalar(
        select(SignupRequest).where(SignupRequest.token_hash == token_hash(token))
    )
    if request is None or request.confirmed_at is not None:
        return None
    if request.created_at < now - VALID_FOR:
        return None
    return request


def confirm_signup(
    session: Session, request: SignupRequest, *, now: datetime | None = None
) -> Contact:
    """Make the confirmed request a contact with consent and the chosen subscriptions.

    An existing contact keeps what it holds; only empty name, organisation, role and province
    are filled in. Confirming is the person's own consent, so it also restores consent they
    withdrew before. The caller commits.
    """
    now = now or utcnow()
    contact = session.scalar(select(Contact).where(Contact.email == request.email))
    created = contact is None
    if contact is None:
        contact = Contact(email=request.email, language=request.language)
        session.add(contact)
    for name in ("name", "organisation", "role", "province"):
        if not getattr(contact, name) and getattr(request, name):
            setattr(contact, name, getattr(request, name))
    mailings = parse_mailings(request.mailings) or list(MAILINGS)
    # Added to what the contact holds: signing up for one mailing never drops the other.
    subscribe(session, contact, mailings, source=CONSENT_SOURCE, now=now)
    contact.consent = Consent.GIVEN
    contact.consent_at = now
    contact.consent_source = CONSENT_SOURCE
    request.confirmed_at = now
    session.flush()
    record_audit(
        session,
        None,
        "contact.signup",
        contact,
        created=created,
        mailings=[m.value for m in mailings],
    )
    return contact


# ---------------------------------------------------------------------------------------------
# The confirmation email


def build_confirmation(
    sender: NoticeSender,
    payload: Mapping[str, Any],
    *,
    to_email: str,
    message_id: str,
    secret_key: str,
) -> Outgoing:
    """The confirmation email of one signup; raises ValueError or TemplateError."""
    nonce = str(payload.get("nonce") or "")
    if not nonce:
        raise ValueError("the signup confirmation holds no nonce; the person can sign up again")
    language = language_or_default(payload.get("language"))
    _ = translator(language).gettext
    name = str(payload.get("name") or "").strip()
    network = sender.network.in_sentence(language)
    subject = _("Confirm your signup for %(network)s", network=network)
    context = email_context(language, sender.network, sender.base_url)
    context.update(
        subject=subject,
        preheader=_("One click and you are signed up"),
        greeting=_("Dear %(name)s,", name=name.split()[0] if name else _("reader")),
        paragraphs=(
            _("Someone, hopefully you, signed up this address for %(network)s.", network=network),
            _("Confirm your signup with the button below. Only then do we send you anything."),
        ),
        button_text=_("Confirm signup"),
        confirm_url=confirm_url(signup_token(nonce, secret_key), sender.base_url),
        valid_line=_("The link works for seven days."),
        why=_(
            "Did you not sign up? Then you need do nothing: without confirmation your address "
            "goes on no list."
        ),
        blocks_html=[],
        blocks_text="",
    )
    return sender.outgoing(
        SIGNUP_CONFIRM,
        template="signup_confirm",
        context=context,
        what="the signup confirmation",
        to_name=name,
        to_email=to_email,
        message_id=message_id,
    )


def build_already_signed_up(
    sender: NoticeSender,
    *,
    contact_id: int,
    to_name: str,
    to_email: str,
    language: str,
    message_id: str,
    secret_key: str,
) -> Outgoing:
    """The kind answer to a signup from an address that is signed up already: no link to
    confirm, the link to its preferences instead; raises TemplateError."""
    language = language_or_default(language)
    _ = translator(language).gettext
    network = sender.network.in_sentence(language)
    subject = _("You are already signed up for %(network)s", network=network)
    name = to_name.strip()
    context = email_context(language, sender.network, sender.base_url)
    context.update(
        subject=subject,
        preheader=_("Nothing to confirm: your address is on our list"),
        greeting=_("Dear %(name)s,", name=name.split()[0] if name else _("reader")),
        paragraphs=(
            _(
                "Someone, hopefully you, signed up this address for %(network)s again. "
                "You are already signed up, so there is nothing to confirm.",
                network=network,
            ),
            _("Would you like to receive something else, or less? Choose it on your page."),
        ),
        button_text=_("Choose what you receive"),
        confirm_url=ContactSigner(secret_key, PREFERENCES).url(contact_id, sender.base_url),
        valid_line=_("The link is yours alone; do not pass this email on."),
        why=_(
            "You receive this email because this address was typed on our signup page. "
            "Nothing has changed."
        ),
        blocks_html=[],
        blocks_text="",
    )
    return sender.outgoing(
        SIGNUP_KNOWN,
        template="signup_confirm",
        context=context,
        what="the answer to a repeated signup",
        to_name=name,
        to_email=to_email,
        message_id=message_id,
    )
