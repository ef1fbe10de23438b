"""An admin invites a colleague: an invitation row, a mail with a signed link, an account.

`invite` stores an `AccountInvitation` (address, role, 72 hours) and queues one single message
(an outbox row of kind "account_invitation", the invited address, a payload with the
invitation's id, the inviter's name and the language the admin chose), so the send loop gives
it the same retries and deadline as all mail and it leaves through the configured transport.
The send loop builds the mail with `build_invitation`; its link carries the invitation's id
signed with SECRET_KEY under its own salt (itsdangerous, checked with max_age 72 hours).

The link works once: accepting sets `accepted_at`, withdrawing sets `revoked_at`, and `open`
refuses either, an unknown or forged token, and one past its 72 hours, with the reason, so the
page can say which.

Nothing here imports Flask.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.users import AccountError, create_user, find_user, normalise_email
from service.mail.outgoing import Outgoing
from service.models import (
    AccountInvitation,
    Delivery,
    DeliveryStatus,
    Role,
    User,
    record_audit,
    utcnow,
)
from service.rendering.notice_mail import NoticeSender
from service.rendering.render import email_context
from service.signing import timed_serializer
from service.translation import language_or_default, translator

ACCOUNT_INVITATION = "account_invitation"
VALID_FOR = timedelta(hours=72)
SALT = "account-invitation"
ACCEPT_PATH = "/team/accept/"


class Closed(enum.StrEnum):
    """Why an invitation link no longer works."""

    INVALID = "invalid"  # unknown or forged
    EXPIRED = "expired"
    USED = "used"
    WITHDRAWN = "withdrawn"


class InvitationClosed(ValueError):
    """The invitation link does not work (any more); `reason` says why."""

    def __init__(self, reason: Closed):
        self.reason = reason
        super().__init__(f"the invitation link does not work: {reason}")


def invitation_token(invitation_id: int, secret_key: str, *, now: datetime) -> str:
    """The token in the invitation link: the invitation's id, signed at `now`."""
    return timed_serializer(secret_key, salt=SALT, now=now).dumps(invitation_id)


def accept_url(token: str, base_url: str) -> str:
    """The link in the invitation mail."""
    return f"{base_url.rstrip('/')}{ACCEPT_PATH}{token}"


def invite(
    session: Session,
    inviter: User,
    email: str,
    role: Role,
    *,
    language: str,
    now: datetime | None = None,
) -> AccountInvitation:
    """Invite a colleague: store the invitation and queue its mail; the caller commits.

    Raises AccountError when the address has an account already; an earlier pending invitation
    of the same address is withdrawn, so only the newest link works.
    """
    now = now or utcnow()
    email = normalise_email(email)
    if find_user(session, email) is not None:
        raise AccountError(f"{email} has an account already")
    for earlier in pending_invitations(session, now=now):
        if earlier.email == email:
            earlier.revoked_at = now
    invitation = AccountInvitation(
        email=email,
        role=role,
        invited_by_id=inviter.id,
        created_at=now,
        expires_at=now + VALID_FOR,
    )
    session.add(invitation)
    session.flush()
    session.add(
        Delivery(
            campaign_id=None,
            contact_id=None,
            kind=ACCOUNT_INVITATION,
            email=email,
            payload={
                "invitation_id": invitation.id,
                "inviter_name": inviter.name or inviter.email,
                "role": role.value,
                "language": language_or_default(language),
            },
            status=DeliveryStatus.QUEUED,
            next_attempt_at=now,
            created_at=now,
        )
    )
    record_audit(session, inviter, "account.invite", invitation, email=email, role=role.value)
    session.flush()
    return invitation


def pending_invitations(
    session: Session, *, now: datetime | None = None
) -> list[AccountInvitation]:
    """The invitations not yet accepted, withdrawn or expired, newest first."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(AccountInvitation)
            .where(
                AccountInvitation.accepted_at.is_(None),
                AccountInvitation.revoked_at.is_(None),
                AccountInvitation.expires_at > now,
            )
            .order_by(AccountInvitation.created_at.desc(), AccountInvitation.id.desc())
        )
    )


def withdraw(
    session: Session, admin: User, invitation: AccountInvitation, *, now: datetime | None = None
) -> None:
    """Withdraw a pending invitation: its link stops working; the caller commits."""
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        return
    invitation.revoked_at = now or utcnow()
    record_audit(session, admin, "account.invitation_withdrawn", invitation, email=invitation.email)


def open_invitation(
    session: Session, token: str, *, secret_key: str, now: datetime | None = None
) -> AccountInvitation:
    """The pending invitation of a link; raises InvitationClosed saying why it does not work."""
    now = now or utcnow()
    serializer = timed_serializer(secret_key, salt=SALT, now=now)
    try:
        invitation_id = serializer.loads(token, max_age=int(VALID_FOR.total_seconds()))
    except SignatureExpired:
        raise InvitationClosed(Closed.EXPIRED) from None
    except BadSignature:
        raise InvitationClosed(Closed.INVALID) from None
    invitation = (
        session.get(AccountInvitation, invitation_id) if isinstance(invitation_id, int) else None
    )
    if invitation is None:
        raise InvitationClosed(Closed.INVALID)
    if invitation.accepted_at is not None:
        raise InvitationClosed(Closed.USED)
    if invitation.revoked_at is not None:
        raise InvitationClosed(Closed.WITHDRAWN)
    if invitation.expires_at <= now:
        raise InvitationClosed(Closed.EXPIRED)
    return invitation


def accept(
    session: Session,
    invitation: AccountInvitation,
    *,
    name: str,
    password: str,
    language: str,
    now: datetime | None = None,
) -> User:
    """Make the account of an accepted invitation, with its role; the caller commits.

    Raises PasswordRefused (the policy), AccountError (the address has an account by now) or
    ForbiddenCharacters (a control character in the name).
    """
    now = now or utcnow()
    user = create_user(
        session, invitation.email, password, invitation.role, name, language=language
    )
    invitation.accepted_at = now
    invitation.user_id = user.id
    record_audit(session, user, "account.invitation_accepted", invitation, role=user.role.value)
    return user


# ---------------------------------------------------------------------------------------------
# The invitation mail


@dataclass(frozen=True)
class LinkMail:
    """What an account mail says: subject, paragraphs, the button and the lines below it."""

    subject: str
    preheader: str
    greeting: str
    paragraphs: tuple[str, ...]
    button_text: str
    url: str
    valid_line: str
    why: str


def render_link_mail(
    sender: NoticeSender,
    mail: LinkMail,
    *,
    kind: str,
    language: str,
    to_name: str,
    to_email: str,
    message_id: str,
) -> Outgoing:
    """An account mail (invitation, password reset) from emails/account_link.html and .txt."""
    context = email_context(language, sender.network, sender.base_url)
    context.update(
        subject=mail.subject,
        preheader=mail.preheader,
        greeting=mail.greeting,
        paragraphs=mail.paragraphs,
        button_text=mail.button_text,
        confirm_url=mail.url,
        valid_line=mail.valid_line,
        why=mail.why,
        blocks_html=[],
        blocks_text="",
    )
    return sender.outgoing(
        kind,
        template="account_link",
        context=context,
        what=f"the {kind} email",
        to_name=to_name,
        to_email=to_email,
        message_id=message_id,
    )


def role_name(role: str, language: str) -> str:
    """The name of a role as a person reads it."""
    _ = translator(language).gettext
    return {
        Role.ADMIN.value: _("admin"),
        Role.ORGANISER.value: _("organiser"),
        Role.VIEWER.value: _("viewer"),
    }.get(role, role)


def build_invitation(
    sender: NoticeSender,
    payload: Mapping[str, Any],
    *,
    session: Session,
    to_email: str,
    message_id: str,
    secret_key: str,
    now: datetime,
) -> Outgoing:
    """The invitation mail; ValueError when the invitation is gone or no longer pending."""
    invitation_id = payload.get("invitation_id")
    invitation = (
        session.get(AccountInvitation, invitation_id) if isinstance(invitation_id, int) else None
    )
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        raise ValueError("the invitation was withdrawn or used before its mail was sent")
    language = language_or_default(payload.get("language"))
    _ = translator(language).gettext
    network = sender.network.in_sentence(language)
    inviter = str(payload.get("inviter_name") or "").strip() or sender.network.name
    mail = LinkMail(
        subject=_("You are invited to the organising team of %(network)s", network=network),
        preheader=_("Set your name and password to get started"),
        greeting=_("Hello,"),
        paragraphs=(
            _(
                "%(inviter)s invites you to join the organising team of %(network)s in "
                "Opgavepost, as %(role)s.",
                inviter=inviter,
                network=network,
                role=role_name(str(payload.get("role") or ""), language),
            ),
            _("Use the button below to choose your name and password; then you can sign in."),
        ),
        button_text=_("Accept the invitation"),
        url=accept_url(invitation_token(invitation.id, secret_key, now=now), sender.base_url),
        valid_line=_("The link works once, for 72 hours."),
        why=_("Did you not expect this invitation? Then you need do nothing."),
    )
    return render_link_mail(
        sender,
        mail,
        kind=ACCOUNT_INVITATION,
        language=language,
        to_name="",
        to_email=to_email,
        message_id=message_id,
    )
