"""Every kind of message the send loop sends, in one list (service/delivery/kinds.py says how).

The delivery package knows no feature; this module is where the features' builders meet it.
create_app keeps `MESSAGE_KINDS` on the app for the worker command and the demo's embedded
runner; tests and benches that make a `SendLoop` pass it in themselves.

Nothing here imports Flask.
"""

from __future__ import annotations

from service.audience.signup import (
    SIGNUP_CONFIRM,
    SIGNUP_KNOWN,
    build_already_signed_up,
    build_confirmation,
)
from service.audience.subscriptions import mailing_of
from service.delivery.kinds import (
    CAMPAIGN,
    MessageKind,
    MessageKinds,
    Recipient,
    SingleMessage,
)
from service.mail.outgoing import Outgoing
from service.meetings import notices
from service.meetings.answer_links import AnswerSigner, answer_url
from service.models import Meeting
from service.nominations.introduction import INTRODUCTION, build_introduction
from service.rendering.notice_mail import build_notice
from service.team.invitations import ACCOUNT_INVITATION, build_invitation
from service.team.password_reset import PASSWORD_RESET, build_reset
from service.translation import language_or_default


def signup_confirmation(message: SingleMessage) -> Outgoing:
    """The link that confirms a signup, to the typed address (service/audience/signup.py)."""
    return build_confirmation(
        message.sender,
        message.payload,
        to_email=message.delivery.email,
        message_id=message.message_id,
        secret_key=message.secret_key,
    )


def already_signed_up(message: SingleMessage) -> Outgoing:
    """The answer to a signup from a contact signed up already (service/audience/signup.py)."""
    delivery = message.delivery
    if delivery.contact_id is None:
        raise ValueError("the contact of this repeated signup was deleted; nothing to tell")
    return build_already_signed_up(
        message.sender,
        contact_id=delivery.contact_id,
        to_name=delivery.name,
        to_email=delivery.email,
        language=delivery.language,
        message_id=message.message_id,
        secret_key=message.secret_key,
    )


def introduction(message: SingleMessage) -> Outgoing:
    """The introduction to someone put forward (service/nominations/introduction.py)."""
    return build_introduction(
        message.sender,
        message.payload,
        to_email=message.delivery.email,
        message_id=message.message_id,
    )


def account_invitation(message: SingleMessage) -> Outgoing:
    """An admin's invitation to a colleague to join the team (service/team/invitations.py)."""
    return build_invitation(
        message.sender,
        message.payload,
        session=message.session,
        to_email=message.delivery.email,
        message_id=message.message_id,
        secret_key=message.secret_key,
        now=message.now,
    )


def password_reset(message: SingleMessage) -> Outgoing:
    """The link to choose a new password (service/team/password_reset.py)."""
    return build_reset(
        message.sender,
        message.payload,
        session=message.session,
        to_email=message.delivery.email,
        message_id=message.message_id,
        secret_key=message.secret_key,
        now=message.now,
    )


def meeting_notice(message: SingleMessage) -> Outgoing:
    """A notice about an answer or a changed meeting, from the meeting as it is now
    (service/meetings/notices.py); ValueError when the meeting is gone."""
    delivery = message.delivery
    meeting = message.session.get(Meeting, delivery.meeting_id) if delivery.meeting_id else None
    if meeting is None:
        raise ValueError(f"the {delivery.kind} message names no meeting that still exists")
    token = AnswerSigner(message.secret_key).token(delivery.contact_id or 0, meeting.id)
    return build_notice(
        message.sender,
        meeting,
        kind=delivery.kind,
        payload=message.payload,
        to_name=delivery.name,
        to_email=delivery.email,
        language=language_or_default(delivery.language),
        answer_url=answer_url(token, message.sender.base_url),
        message_id=message.message_id,
        now=message.now,
    )


MESSAGE_KINDS = MessageKinds(
    [
        # Rendered once per campaign version by the send loop's MessageFactory.
        MessageKind(CAMPAIGN, None, Recipient.SUBSCRIBER, mailing=mailing_of),
        MessageKind(SIGNUP_CONFIRM, signup_confirmation, Recipient.ADDRESS),
        MessageKind(SIGNUP_KNOWN, already_signed_up, Recipient.CONTACT),
        MessageKind(INTRODUCTION, introduction, Recipient.ADDRESS),
        MessageKind(ACCOUNT_INVITATION, account_invitation, Recipient.ADDRESS),
        MessageKind(PASSWORD_RESET, password_reset, Recipient.ADDRESS),
        MessageKind(notices.ANSWER_YES, meeting_notice, Recipient.CONTACT),
        MessageKind(notices.ANSWER_WAITING, meeting_notice, Recipient.CONTACT),
        MessageKind(notices.ANSWER_NO, meeting_notice, Recipient.CONTACT),
        MessageKind(notices.PROMOTED, meeting_notice, Recipient.CONTACT),
        MessageKind(notices.MEETING_UPDATE, meeting_notice, Recipient.CONTACT),
        MessageKind(notices.MEETING_CANCEL, meeting_notice, Recipient.CONTACT),
    ]
)
