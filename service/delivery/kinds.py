"""Message kinds: what the send loop knows of each kind of message, in one registry.

Every delivery row carries a `kind` ("campaign" for campaign mail, "answer_yes",
"signup_confirm", "introduction", ...). A `MessageKind` says three things about it:

- `build`: how the message is made when it is sent (None for campaign mail, which
  `MessageFactory` renders once per campaign version and fills in per recipient);
- `recipient`: who it may reach (`Recipient`: a subscriber of the mailing, any contact, or the
  typed address of someone who is not a contact yet); a suppressed address never gets anything;
- `mailing`: for campaign mail, the mailing a campaign of a given kind goes to (what a recipient
  must be subscribed to, and what the unsubscribe link leaves); None for a single message, which
  answers a person's own action and belongs to no mailing.

The delivery package knows no feature: the features write their builders, and one wiring module,
service/message_kinds.py, lists every kind in `MESSAGE_KINDS`. Whoever makes a `SendLoop` (the
worker command and the demo's embedded runner through the app, tests, benches) passes it in;
create_app keeps it on the app (`kinds_of(app)`).

To add a kind: write its builder next to the feature that queues it (a function taking a
`SingleMessage` and returning an `Outgoing`), queue deliveries with the kind's name, and add one
`MessageKind` line to service/message_kinds.py. Nothing in service/delivery changes.

Nothing here imports Flask.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from service.mail.outgoing import Outgoing
from service.models import Mailing
from service.rendering.notice_mail import NoticeSender

if TYPE_CHECKING:  # the queue asks the registry for recipient rules, so it imports this module
    from service.delivery.queue import Claimed

# The kind of every campaign delivery (the column's default).
CAMPAIGN = "campaign"
# Where create_app keeps the registry (app.extensions), as service/settings.py keeps the Settings.
EXTENSION = "message_kinds"


class Recipient(enum.Enum):
    """Who a kind of message may reach; checked when the delivery is claimed, not only queued."""

    # A contact who gave consent and takes the campaign's mailing (campaign mail).
    SUBSCRIBER = "subscriber"
    # The contact, whatever their newsletter consent: it answers their own action (a notice).
    CONTACT = "contact"
    # The delivery's own address, of someone who is not a contact (yet): only suppression counts.
    ADDRESS = "address"


@dataclass(frozen=True)
class SingleMessage:
    """One single message to build: the claimed delivery and what every builder may use."""

    session: Session
    delivery: Claimed
    # Who sends, where links point, the calendar UID's domain.
    sender: NoticeSender
    # Signs the links a builder makes (a signup's confirmation, an answer page).
    secret_key: str
    # The same every time this delivery is sent, so a repeat is recognisable.
    message_id: str
    now: datetime

    @property
    def payload(self) -> Mapping[str, Any]:
        """What the feature put in the delivery when it queued it ({} when nothing)."""
        return self.delivery.payload or {}


Builder = Callable[[SingleMessage], Outgoing]


@dataclass(frozen=True)
class MessageKind:
    """One kind of message: its name, how it is built, whom it may reach, its mailing."""

    name: str
    build: Builder | None
    recipient: Recipient
    # For campaign mail: the mailing of a campaign of the given (campaign) kind.
    mailing: Callable[[str], Mailing] | None = None


class MessageKinds:
    """The registry: every kind of message by name; made once (service/message_kinds.py)."""

    def __init__(self, kinds: Iterable[MessageKind]):
        self._kinds: dict[str, MessageKind] = {}
        for kind in kinds:
            if kind.name in self._kinds:
                raise ValueError(f"the message kind {kind.name!r} is registered twice")
            self._kinds[kind.name] = kind
        if CAMPAIGN not in self._kinds:
            raise ValueError(f"the registry needs the {CAMPAIGN!r} kind for campaign mail")

    def __iter__(self) -> Iterator[MessageKind]:
        return iter(self._kinds.values())

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __getitem__(self, name: str) -> MessageKind:
        """The kind of this name; ValueError (the message cannot be built) for an unknown one."""
        try:
            return self._kinds[name]
        except KeyError:
            raise ValueError(
                f"unknown kind of message {name!r}; use one of {sorted(self._kinds)} "
                "(service/message_kinds.py lists them)"
            ) from None

    def recipient(self, name: str) -> Recipient:
        """Whom a message of this kind may reach; an unknown kind is held to a contact's rule
        (it fails when it is built, with the reason)."""
        kind = self._kinds.get(name)
        return kind.recipient if kind is not None else Recipient.CONTACT

    def mailing_of(self, campaign_kind: str) -> Mailing:
        """The mailing a campaign of this kind goes to."""
        mailing = self._kinds[CAMPAIGN].mailing
        if mailing is None:
            raise ValueError(f"the {CAMPAIGN!r} kind names no mailing rule")
        return mailing(campaign_kind)

    def build(self, message: SingleMessage) -> Outgoing:
        """The single message built by its kind's builder; ValueError when it cannot be."""
        builder = self[message.delivery.kind].build
        if builder is None:
            raise ValueError(f"{message.delivery.kind!r} messages belong to a campaign")
        return builder(message)


def kinds_of(app: Any) -> MessageKinds:
    """The registry create_app keeps on the app (for the worker command and the demo)."""
    kinds: MessageKinds = app.extensions[EXTENSION]
    return kinds
