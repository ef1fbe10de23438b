"""Signed unsubscribe links: one per contact and campaign, no login, no expiry.

Every campaign email carries `/afmelden/<token>` in its footer and in its List-Unsubscribe header.
The token is "<contact id>-<campaign id>" signed with SECRET_KEY (salt "unsubscribe"; campaign 0
for a link outside a campaign), so nobody can unsubscribe someone else by counting ids, and the
campaign says where the person left. A plain signature (itsdangerous.Signer) rather than a
serializer: the send loop signs one per recipient, and this is three times cheaper. It does not
expire: an old newsletter's link must still work. Nothing here imports Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature
from sqlalchemy.orm import Session

from service.audience.subscriptions import mailing_of, unsubscribe, withdraw_consent
from service.ids import parse_id
from service.models import Campaign, CampaignUnsubscribe, Contact, Mailing, record_audit
from service.signing import ReusableSigner

SALT = "unsubscribe"


@dataclass(frozen=True)
class UnsubscribeToken:
    """What an unsubscribe token stands for."""

    contact_id: int
    campaign_id: int | None


class UnsubscribeSigner:
    """Signs and reads unsubscribe tokens; make one per secret key and reuse it."""

    def __init__(self, secret_key: str):
        self._signer = ReusableSigner(secret_key, salt=SALT)

    def token(self, contact_id: int, campaign_id: int | None) -> str:
        """The signed token in a contact's unsubscribe link."""
        return self._signer.sign(f"{contact_id}-{campaign_id or 0}").decode("ascii")

    def read(self, token: str) -> UnsubscribeToken | None:
        """The contact and campaign a token was signed for, or None when it is not ours."""
        try:
            value = self._signer.unsign(token).decode("ascii")
        except (BadSignature, UnicodeError):
            return None
        contact, _, campaign = value.partition("-")
        contact_id, campaign_id = parse_id(contact), parse_id(campaign)
        # "0" stands for no campaign (the preferences page's own link).
        if contact_id is None or (campaign_id is None and campaign != "0"):
            return None
        return UnsubscribeToken(contact_id=contact_id, campaign_id=campaign_id)


def unsubscribe_token(contact_id: int, campaign_id: int | None, secret_key: str) -> str:
    """The signed token in a contact's unsubscribe link."""
    return UnsubscribeSigner(secret_key).token(contact_id, campaign_id)


def read_unsubscribe_token(token: str, secret_key: str) -> UnsubscribeToken | None:
    """The contact and campaign a token was signed for, or None when it is not ours."""
    return UnsubscribeSigner(secret_key).read(token)


def unsubscribe_url(token: str, base_url: str) -> str:
    """The https address of the unsubscribe page (and of the RFC 8058 one-click POST)."""
    return f"{base_url.rstrip('/')}/afmelden/{token}"


def unsubscribe_mailto(network_email: str, token: str) -> str:
    """A mailto: for clients that unsubscribe by mail; the token tells organisers who it is."""
    # A token holds only URL-safe characters (letters, digits, "-", "_", "."), so only the
    # space needs escaping; quoting it would cost more than the rest of the header.
    return f"mailto:{network_email}?subject=unsubscribe%20{token}"


def masked_email(email: str) -> str:
    """The address with most of its name hidden: "m•••@example.nl".

    Enough for the reader to recognise their own address, not enough to read someone else's
    from a forwarded email.
    """
    name, at, domain = email.partition("@")
    if not at:
        return email[:1] + "•••"
    return f"{name[:1]}•••@{domain}"


def unsubscribe_source(campaign_id: int | None, *, one_click: bool) -> str:
    """How the contact left, for consent_source and the audit log."""
    how = "one-click unsubscribe (RFC 8058)" if one_click else "unsubscribe link"
    return how if campaign_id is None else f"{how}, campaign {campaign_id}"


@dataclass(frozen=True)
class UnsubscribeResult:
    """A token read: `signed` None when the token is not ours, `contact` None when it is gone."""

    signed: UnsubscribeToken | None
    contact: Contact | None


def contact_for_token(session: Session, token: str, secret_key: str) -> UnsubscribeResult:
    """Read a token and find its contact; the result says which of the two failed, if any."""
    signed = read_unsubscribe_token(token, secret_key)
    if signed is None:
        return UnsubscribeResult(signed=None, contact=None)
    return UnsubscribeResult(signed=signed, contact=session.get(Contact, signed.contact_id))


def unsubscribe_by_link(
    session: Session,
    signed: UnsubscribeToken,
    contact: Contact,
    *,
    one_click: bool,
    everything: bool = False,
) -> bool:
    """Unsubscribe the holder of a link from the campaign's mailing, with an audit entry.

    A link from a campaign leaves that campaign's mailing only (a recap: the news; an invitation:
    the invitations); the last mailing going withdraws consent. `everything`, and a link without
    a campaign (or whose campaign is gone), leave every mailing and withdraw consent. Saying it
    twice is fine (an email client and the person may both POST): the second changes nothing
    and returns False.

    A change through a campaign that still exists is counted for its report (CampaignUnsubscribe:
    the campaign and what was left, nobody's name), so saying it twice counts once.
    """
    source = unsubscribe_source(signed.campaign_id, one_click=one_click)
    campaign = session.get(Campaign, signed.campaign_id) if signed.campaign_id else None
    mailing = None if everything or campaign is None else mailing_of(campaign.kind)
    if mailing is None:
        changed = withdraw_consent(session, contact, source=source)
        left = "all"
    else:
        changed = bool(unsubscribe(session, contact, [mailing], source=source))
        left = mailing.value
    if changed:
        record_audit(
            session,
            None,
            "contact.unsubscribe",
            contact,
            source=source,
            campaign=signed.campaign_id,
            mailing=left,
        )
        if campaign is not None:
            session.add(CampaignUnsubscribe(campaign_id=campaign.id, mailing=left))
    return changed


def link_mailing(session: Session, signed: UnsubscribeToken) -> Mailing | None:
    """The mailing an unsubscribe link leaves: its campaign's, or None (all) without one."""
    if signed.campaign_id is None:
        return None
    campaign = session.get(Campaign, signed.campaign_id)
    return mailing_of(campaign.kind) if campaign is not None else None


def unsubscribe_contact(
    session: Session, contact: Contact, *, source: str, now: datetime | None = None
) -> bool:
    """Withdraw the contact's consent and every subscription; True when it was given until now.

    Deliveries still queued for the contact are skipped, and the send loop checks consent when
    it claims one, so a contact who leaves during a send gets none of the messages not yet sent.
    """
    return withdraw_consent(session, contact, source=source, now=now)
