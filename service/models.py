"""The data model: every table of Opgavepost in one place.

Times are stored in UTC (timezone-aware in Python) and shown in the network's time zone.
Later capabilities (campaigns, deliveries, invitations) add their tables here with a migration each.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from config.settings import DEFAULT_LANGUAGE
from service.search_text import contact_search_text

# Named constraints, so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware.

    SQLite keeps no time zone, so without this a value would come back naive and compare wrongly.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Consent(enum.StrEnum):
    UNKNOWN = "unknown"
    GIVEN = "given"
    WITHDRAWN = "withdrawn"


class MeetingStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    HELD = "held"
    CANCELLED = "cancelled"


class Role(enum.StrEnum):
    ADMIN = "admin"
    ORGANISER = "organiser"  # contacts, meetings, campaigns, sending, nominations
    VIEWER = "viewer"  # reads what organisers read; changes and sends nothing


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    # Stored as the lower-case values, checked by a named constraint on both backends.
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


contact_tags = Table(
    "contact_tags",
    Base.metadata,
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_contact_tags_tag_id", "tag_id"),
)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)


class Contact(Timestamped, Base):
    """A person in the network. `email` is stored lower-case, so uniqueness ignores case."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    province: Mapped[str | None] = mapped_column(String(20), index=True)
    language: Mapped[str] = mapped_column(String(2), default=DEFAULT_LANGUAGE)
    consent: Mapped[Consent] = mapped_column(_enum(Consent, "consent"), default=Consent.UNKNOWN)
    consent_at: Mapped[datetime | None]
    # How consent was given or withdrawn, e.g. "CSV import by admin@…", "signup form".
    consent_source: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Name and organisation folded for searching (service/search_text.py): made by the default
    # on every insert, Core ones included, and kept by _refresh_search_text on update.
    search_text: Mapped[str] = mapped_column(
        Text,
        default=lambda context: _search_text_of(context.get_current_parameters()),
        server_default="",
    )

    tags: Mapped[list[Tag]] = relationship(
        secondary=contact_tags, lazy="selectin", order_by=Tag.name
    )

    __table_args__ = (
        # Keyset pagination and the default listing order by name.
        Index("ix_contacts_name_id", "name", "id"),
        Index("ix_contacts_organisation", "organisation"),
    )

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags]


def _search_text_of(values: Mapping[str, Any]) -> str:
    return contact_search_text(values.get("name"), values.get("organisation"))


@event.listens_for(Contact, "before_update")
def _refresh_search_text(_mapper: Any, _connection: Any, contact: Contact) -> None:
    # Any change of a contact may be of its name or organisation; folding costs microseconds.
    contact.search_text = contact_search_text(contact.name, contact.organisation)


class Meeting(Timestamped, Base):
    """A gathering of the network, hosted by a member organisation."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(String(300), default="")
    host_organisation: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    venue: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    description: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[MeetingStatus] = mapped_column(
        _enum(MeetingStatus, "meeting_status"), default=MeetingStatus.DRAFT
    )
    # After this moment nobody can answer the invitation any more (None: until the start).
    registration_deadline: Mapped[datetime | None]
    # The iCalendar SEQUENCE: raised when the time or place changes or the meeting is cancelled,
    # so calendars replace the event they hold.
    calendar_sequence: Mapped[int] = mapped_column(Integer, default=0)

    reminders: Mapped[list[Reminder]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        order_by="Reminder.days_before.desc()",
    )


class Answer(enum.StrEnum):
    INVITED = "invited"  # invited, no answer yet
    YES = "yes"
    NO = "no"
    WAITING = "waiting"  # said yes when the meeting was full; first come, first promoted


class Invitation(Timestamped, Base):
    """A contact invited to a meeting, and their answer. One per contact and meeting."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # The invitation campaign that invited them (None: added by an organiser).
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    answer: Mapped[Answer] = mapped_column(_enum(Answer, "answer"), default=Answer.INVITED)
    answered_at: Mapped[datetime | None]
    # Dietary needs, accessibility, anything the host should know.
    remark: Mapped[str] = mapped_column(Text, default="")
    # Whether colleagues of the same organisation may see that this person comes.
    show_to_colleagues: Mapped[bool] = mapped_column(default=False)
    # Set by organisers after the meeting (None: not recorded).
    attended: Mapped[bool | None]
    # The calendar SEQUENCE last sent to this person (None: no calendar message yet).
    calendar_sequence_sent: Mapped[int | None] = mapped_column(Integer)

    meeting: Mapped[Meeting] = relationship()
    contact: Mapped[Contact] = relationship()

    __table_args__ = (
        UniqueConstraint("meeting_id", "contact_id", name="uq_invitations_meeting_contact"),
        Index("ix_invitations_meeting_answer", "meeting_id", "answer"),
        Index("ix_invitations_contact_id", "contact_id"),
    )


class Reminder(Base):
    """A reminder of a meeting, stored as an offset so that moving the meeting moves it.

    It is due `days_before` days before the meeting's day, at `send_time` (HH:MM, network time),
    and goes to those who said yes, or (audience "unanswered") to those who did not answer yet.
    """

    __tablename__ = "meeting_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    days_before: Mapped[int] = mapped_column(Integer)
    send_time: Mapped[str] = mapped_column(String(5), default="09:00")
    audience: Mapped[str] = mapped_column(String(20), default="yes")
    # Set once the reminder's campaign started; a reminder is sent at most once.
    sent_at: Mapped[datetime | None]
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship(back_populates="reminders")

    @property
    def passed_over(self) -> bool:
        """Whether it was done without a campaign (a later one went, it came too late, or the
        meeting closed): `sent_at` then says when it was passed over, not sent."""
        return self.sent_at is not None and self.campaign_id is None

    __table_args__ = (
        UniqueConstraint(
            "meeting_id", "days_before", "audience", name="uq_meeting_reminders_offset"
        ),
    )


class SchedulerLease(Base):
    """Who runs the scheduler: one row, held for a short lease and renewed while running.

    A second scheduler started by mistake finds the lease held and waits, so no reminder or
    scheduled campaign is started twice.
    """

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]


class CampaignKind(enum.StrEnum):
    RECAP = "recap"
    INVITATION = "invitation"
    REMINDER = "reminder"
    ANNOUNCEMENT = "announcement"


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"


class Campaign(Timestamped, Base):
    """One email to an audience: its content blocks, who gets it, and where sending stands.

    `blocks` holds the block dicts of service.rendering.blocks; `audience` says who receives it
    (e.g. {"all": true} or {"provinces": [...], "tags": [...], "emails": [...]}).
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CampaignKind] = mapped_column(
        _enum(CampaignKind, "campaign_kind"), default=CampaignKind.RECAP
    )
    subject: Mapped[str] = mapped_column(String(300), default="")
    preheader: Mapped[str] = mapped_column(String(300), default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[CampaignStatus] = mapped_column(
        _enum(CampaignStatus, "campaign_status"), default=CampaignStatus.DRAFT, index=True
    )
    scheduled_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # When sending began (deliveries recorded); the retry deadline counts from here.
    send_started_at: Mapped[datetime | None]
    # Why it stands where it is (paused by itself, sent back by the scheduler, the relay's last
    # words): a code and its parameters, put into words when shown
    # (service/campaigns/lifecycle.py); "" and {} when there is nothing to say.
    status_reason_code: Mapped[str] = mapped_column(String(40), default="")
    status_reason_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Failures in a row without an accepted message; many pause the campaign.
    failure_streak: Mapped[int] = mapped_column(Integer, default=0)
    # The relay failed as a whole (down, throttling): nothing is claimed before this time.
    retry_at: Mapped[datetime | None]
    # Raised on every save: autosave and two open editors notice a newer version by it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The organiser switched on counting link clicks: each link then goes through a signed
    # redirect that carries only the campaign and the link's number (CampaignLinkClicks).
    count_clicks: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The language it is written in, framing included, and its versions in other languages
    # ({"en": {"subject", "preheader", "blocks"}}): service/rendering/versions.py.
    language: Mapped[str] = mapped_column(String(8), default="nl", server_default="nl")
    translations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")

    meeting: Mapped[Meeting | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class CampaignTemplate(Timestamped, Base):
    """A campaign's kind, subject, preheader and blocks kept under a name, to start new ones from.

    `blocks` holds the block dicts of service.rendering.blocks, as a campaign does.
    """

    __tablename__ = "campaign_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[CampaignKind] = mapped_column(
        _enum(CampaignKind, "campaign_kind"), default=CampaignKind.RECAP
    )
    subject: Mapped[str] = mapped_column(String(300), default="")
    preheader: Mapped[str] = mapped_column(String(300), default="")
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # As a campaign's: the language and the versions in other languages.
    language: Mapped[str] = mapped_column(String(8), default="nl", server_default="nl")
    translations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    created_by: Mapped[User | None] = relationship()


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its first or next try (next_attempt_at)
    SENT = "sent"  # the relay accepted it
    FAILED = "failed"  # refused for good, or still failing at the deadline
    SKIPPED = "skipped"  # unsubscribed or suppressed after the send began
    CANCELLED = "cancelled"  # the campaign was cancelled before it went


class Delivery(Base):
    """One campaign to one contact: the outbox row the send loop claims, sends and records.

    Recorded for every recipient when the campaign starts sending; unique per campaign and
    contact, so no contact can be queued twice. `claim` and `claimed_until` are a worker's lease.
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a single message outside any campaign (an answer's confirmation with its calendar
    # invitation, a calendar update); `kind` and `payload` then say what to build.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30), default="campaign", server_default="campaign")
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Kept when the contact is deleted, so the campaign's counts stay right.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim: Mapped[str] = mapped_column(String(32), default="")
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    provider_id: Mapped[str] = mapped_column(String(200), default="")
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id", name="uq_deliveries_campaign_contact"),
        # The send loop's question: which queued deliveries are due, first due first? With the
        # id as well the index holds the claim's whole ORDER BY, so a claim reads its batch off
        # the index instead of sorting every queued row (PostgreSQL: 0.2 ms against 18 ms).
        Index("ix_deliveries_due", "status", "next_attempt_at", "id"),
        # The progress counts per campaign and status, and the pace from sent_at: with sent_at
        # in it, campaign_progress reads only the index once a campaign's rows are settled.
        Index("ix_deliveries_campaign_status", "campaign_id", "status", "sent_at"),
    )


class UsedWebhookToken(Base):
    """A Mailgun webhook token seen before: its signature does not cover the event, so a
    captured request could be replayed; a token is accepted once."""

    __tablename__ = "used_webhook_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    token: Mapped[str] = mapped_column(String(200))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("provider", "token", name="uq_used_webhook_tokens"),)


class Bounce(Base):
    """A bounce or complaint that came back for a message, tied to its delivery and campaign.

    From a relay's webhook (Mailgun, Postmark), the bounce listener or the bounce mailbox. The
    address is kept to count soft bounces per address (MAIL_SOFT_BOUNCE_LIMIT); erasure removes it.
    """

    __tablename__ = "bounces"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None when the bounce could not be tied to a message we sent (or the delivery is gone).
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254))
    # "hard_bounce", "soft_bounce" or "complaint".
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    # Where it came from: "mailgun", "postmark", "listener", "mailbox".
    source: Mapped[str] = mapped_column(String(100), default="")
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # The report's counts per campaign and kind.
        Index("ix_bounces_campaign_kind", "campaign_id", "kind"),
        # Soft bounces of one address within MAIL_SOFT_BOUNCE_DAYS.
        Index("ix_bounces_email_occurred", "email", "occurred_at"),
    )


class CampaignUnsubscribe(Base):
    """Someone left through a campaign's link: a count for its report, with nobody's name on it."""

    __tablename__ = "campaign_unsubscribes"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    # The mailing left ("news", "invitations"), or "all" for everything.
    mailing: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignLinkClicks(Base):
    """How often one link of a campaign was clicked, counted only when the organiser chose so.

    A total per link and nothing else: no contact, address or token is stored or derivable.
    """

    __tablename__ = "campaign_link_clicks"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    # The link's place in the email, counted from 1 in reading order.
    link_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, default="")
    clicks: Mapped[int] = mapped_column(Integer, default=0)


class Mailing(enum.StrEnum):
    """What a contact can subscribe to; every kind of campaign belongs to one."""

    NEWS = "news"  # recaps and announcements
    INVITATIONS = "invitations"  # meeting invitations and their reminders


class Subscription(Base):
    """A contact's subscription to one mailing, with when and how they chose it."""

    __tablename__ = "subscriptions"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    mailing: Mapped[Mailing] = mapped_column(_enum(Mailing, "mailing"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "signup form", "preferences page", "migration: consent given before mailings existed", ...
    source: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (Index("ix_subscriptions_mailing", "mailing"),)


class SignupRequest(Base):
    """A signup waiting for its confirmation (double opt-in); nothing is a contact before that.

    Holds what the person typed; `token_hash` is the SHA-256 of the token in the confirmation
    link. Pending requests of an address are replaced by a new one, and old ones are deleted.
    """

    __tablename__ = "signup_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    province: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2), default=DEFAULT_LANGUAGE)
    mailings: Mapped[list[str]] = mapped_column(JSON, default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]


class NetworkCard(Timestamped, Base):
    """A contact's network card ("netwerkkaart"), shown on the network wall if they choose so."""

    __tablename__ = "network_cards"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    # "Provincieschat": the treasure of one's province.
    treasure: Mapped[str] = mapped_column(Text, default="")
    brings: Mapped[str] = mapped_column(Text, default="")
    seeks: Mapped[str] = mapped_column(Text, default="")
    # The CardPhoto's file name (resized, metadata stripped), or "".
    photo: Mapped[str] = mapped_column(String(100), default="")
    photo_alt: Mapped[str] = mapped_column(String(300), default="")
    on_wall: Mapped[bool] = mapped_column(default=False)
    on_wall_since: Mapped[datetime | None]

    contact: Mapped[Contact] = relationship()


class NominationStatus(enum.StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Nomination(Base):
    """Someone put forward by a member ("iemand aandragen"); organisers accept or decline."""

    __tablename__ = "nominations"

    id: Mapped[int] = mapped_column(primary_key=True)
    nominator_name: Mapped[str] = mapped_column(String(200))
    nominator_email: Mapped[str] = mapped_column(String(254))
    nominee_name: Mapped[str] = mapped_column(String(200))
    nominee_email: Mapped[str] = mapped_column(String(254))
    nominee_organisation: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    # Whether the nominator agreed that the reason is quoted in the nominee's introduction.
    reason_shared: Mapped[bool] = mapped_column(default=False)
    status: Mapped[NominationStatus] = mapped_column(
        _enum(NominationStatus, "nomination_status"), default=NominationStatus.NEW, index=True
    )
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HostProposal(Base):
    """An organisation offering to host a meeting ("De Opgavebeweging naar jouw organisatie")."""

    __tablename__ = "host_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    proposed_period: Mapped[str] = mapped_column(String(200), default="")
    theme: Mapped[str] = mapped_column(String(300), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    # The draft meeting an organiser made of it.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediaFile(Base):
    """An uploaded image, its bytes in MediaBlob, served from BASE_URL/media/."""

    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Content hash plus extension: the same image uploaded twice is stored once.
    filename: Mapped[str] = mapped_column(String(100), unique=True)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediaBlob(Base):
    """The bytes of an uploaded image, by its public file name (content hash plus extension).

    In the database rather than a machine's instance folder, so every web process on every
    machine serves every image. A table of its own, so listing MediaFile rows reads no bytes.
    """

    __tablename__ = "media_blobs"

    filename: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CardPhoto(Base):
    """The bytes of a card photo (JPEG, metadata stripped) by its random file name.

    In the database, so every machine shows every card's photo; apart from MediaBlob because
    these are not public: service/cards decides who may see one.
    """

    __tablename__ = "card_photos"

    filename: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InstanceSecret(Base):
    """A secret that every process sharing this database must agree on (today: "secret_key").

    Holds the SECRET_KEY generated when the environment sets none (service/shared_key.py).
    """

    __tablename__ = "instance_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessHeartbeat(Base):
    """A running process (web, worker, scheduler) and a fingerprint of the key it signs with.

    The fingerprint is an HMAC of a constant under the key, never the key: a process that starts
    with a different one warns that links signed by the others will be refused.
    """

    __tablename__ = "process_heartbeats"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    key_fingerprint: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Suppression(Base):
    """An address no campaign may be sent to again: it bounced hard or its owner complained.

    Kept apart from contacts so it holds even for an address that is deleted and imported again.
    """

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # "hard_bounce", "complaint", "soft_bounce_limit" (MAIL_SOFT_BOUNCE_LIMIT soft bounces within
    # MAIL_SOFT_BOUNCE_DAYS), or "manual" (an organiser).
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    # Who reported it: "mailgun", "postmark", "smtp" (the relay refused the address), "listener",
    # "mailbox", or the organiser's address.
    source: Mapped[str] = mapped_column(String(100), default="")
    # The campaign whose message bounced or was complained about (None: none known).
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Timestamped, Base):
    """An organiser who logs in to the web app or uses the API."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"), default=Role.ORGANISER)
    language: Mapped[str] = mapped_column(String(2), default=DEFAULT_LANGUAGE)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    # Raised when the password is changed or reset and when the account is deactivated: the
    # session cookie carries it (get_id), so every session made before then ends.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The TOTP key (RFC 6238, base32) once two-factor sign-in is set up; None without it.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    # The time step of the last code accepted: a code is good once, even within its 30 seconds.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login's protocol, kept here so the model needs no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The session version too: a password reset or a deactivation ends older sessions.
        return f"{self.id}-{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class RecoveryCode(Base):
    """One of the ten single-use codes that stand in for the second factor; only a hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class AccountInvitation(Base):
    """An admin invited a colleague; the mailed link (signed, 72 hours, once) makes the account."""

    __tablename__ = "account_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Set when the colleague made the account (or an admin withdrew the invitation): used up.
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])


class ApiToken(Base):
    """A bearer token for the API. Only a SHA-256 hash is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, to tell tokens apart in lists without revealing them.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class AuditEntry(Base):
    """One organiser action: who did what to which object, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()


def record_audit(
    session: Any, user: User | None, action: str, obj: Any = None, **detail: Any
) -> None:
    """Add an audit entry for an organiser action to the session (committed with the change)."""
    if obj is not None and getattr(obj, "id", None) is None:
        session.flush()  # a new object gets its id here, so the entry can point at it
    session.add(
        AuditEntry(
            user_id=user.id if user is not None else None,
            action=action,
            object_type=type(obj).__tablename__ if obj is not None else "",
            object_id=getattr(obj, "id", None),
            detail=detail,
        )
    )


__all__ = [
    "Answer",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Campaign",
    "CampaignKind",
    "CampaignStatus",
    "CardPhoto",
    "Consent",
    "Contact",
    "Delivery",
    "DeliveryStatus",
    "HostProposal",
    "InstanceSecret",
    "Invitation",
    "Mailing",
    "MediaBlob",
    "MediaFile",
    "Meeting",
    "MeetingStatus",
    "NetworkCard",
    "Nomination",
    "NominationStatus",
    "ProcessHeartbeat",
    "Reminder",
    "Role",
    "SchedulerLease",
    "SignupRequest",
    "Subscription",
    "Suppression",
    "Tag",
    "UsedWebhookToken",
    "User",
    "record_audit",
    "utcnow",
]
