"""A forgotten password: a reset link by mail, signed, valid one hour, good once.

`request_reset` queues one single message (kind "password_reset") for an active account of the
typed address, and nothing for an unknown or deactivated one; the page says the same either way.
The send loop builds the mail with `build_reset`: its link carries the account's id and its
`session_version`, signed with SECRET_KEY under its own salt. A reset raises the session version
(service/auth/users.py `set_password`), so the link stops working once used, as does every
older link and every session of the account. A second request within QUIET_PERIOD sends no
second mail, so a stranger cannot fill someone's mailbox.

Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.users import find_user, set_password
from service.mail.outgoing import Outgoing
from service.models import Delivery, DeliveryStatus, User, utcnow
from service.rendering.notice_mail import NoticeSender
from service.signing import timed_serializer
from service.team.invitations import LinkMail, render_link_mail
from service.translation import language_or_default, translator

PASSWORD_RESET = "password_reset"
VALID_FOR = timedelta(hours=1)
QUIET_PERIOD = timedelta(minutes=2)
SALT = "password-reset"
RESET_PATH = "/password/reset/"


def reset_token(user: User, secret_key: str, *, now: datetime) -> str:
    """The token in the reset link: the account and its session version, signed at `now`."""
    return timed_serializer(secret_key, salt=SALT, now=now).dumps(
        {"user": user.id, "version": user.session_version}
    )


def reset_url(token: str, base_url: str) -> str:
    """The link in the reset mail."""
    return f"{base_url.rstrip('/')}{RESET_PATH}{token}"


def request_reset(session: Session, email: str, *, now: datetime | None = None) -> Delivery | None:
    """Queue a reset mail for the active account of `email`; None (nothing sent) when there is
    none or one was queued less than QUIET_PERIOD ago. The caller commits."""
    now = now or utcnow()
    user = find_user(session, email)
    if user is None or not user.active:
        return None
    recent = session.scalar(
        select(Delivery.id).where(
            Delivery.kind == PASSWORD_RESET,
            Delivery.email == user.email,
            Delivery.created_at > now - QUIET_PERIOD,
        )
    )
    if recent is not None:
        return None
    delivery = Delivery(
        campaign_id=None,
        contact_id=None,
        kind=PASSWORD_RESET,
        email=user.email,
        payload={"user_id": user.id},
        status=DeliveryStatus.QUEUED,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


def open_reset(
    session: Session, token: str, *, secret_key: str, now: datetime | None = None
) -> User | None:
    """The account a reset link is for, or None: forged, older than an hour, used, or the
    account was deactivated."""
    now = now or utcnow()
    serializer = timed_serializer(secret_key, salt=SALT, now=now)
    try:
        claims = serializer.loads(token, max_age=int(VALID_FOR.total_seconds()))
    except BadSignature:  # SignatureExpired too
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("user"), int):
        return None
    user = session.get(User, claims["user"])
    if user is None or not user.active or user.session_version != claims.get("version"):
        return None
    return user


def reset_password(session: Session, user: User, password: str) -> None:
    """Set the new password; every session and reset link of the account ends. Raises
    PasswordRefused when it breaks the policy; the caller commits."""
    set_password(session, user, password, action="account.password_reset")


def build_reset(
    sender: NoticeSender,
    payload: Mapping[str, Any],
    *,
    session: Session,
    to_email: str,
    message_id: str,
    secret_key: str,
    now: datetime,
) -> Outgoing:
    """The reset mail, in the account's language; ValueError when the account is gone."""
    user_id = payload.get("user_id")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        raise ValueError("the account of this password reset is gone or deactivated")
    language = language_or_default(user.language)
    _ = translator(language).gettext
    network = sender.network.in_sentence(language)
    first = user.name.split()[0] if user.name.strip() else ""
    mail = LinkMail(
        subject=_("Choose a new password for %(network)s", network=network),
        preheader=_("The link works for one hour"),
        greeting=_("Dear %(name)s,", name=first) if first else _("Hello,"),
        paragraphs=(
            _(
                "Someone, hopefully you, asked for a new password for your account in "
                "Opgavepost of %(network)s.",
                network=network,
            ),
            _(
                "Choose a new password with the button below. All sessions of your account then "
                "end, and you sign in again with the new password."
            ),
        ),
        button_text=_("Choose a new password"),
        url=reset_url(reset_token(user, secret_key, now=now), sender.base_url),
        valid_line=_("The link works once, for one hour."),
        why=_("Did you not ask for this? Then you need do nothing: your password stays as it is."),
    )
    return render_link_mail(
        sender,
        mail,
        kind=PASSWORD_RESET,
        language=language,
        to_name=user.name,
        to_email=to_email,
        message_id=message_id,
    )
