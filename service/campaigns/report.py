"""A campaign's report after the send: counts only, never who did what.

What it counts, each with one grouped query (about eight in all, however large the campaign):

- recipients (the deliveries recorded when the send began), delivered (accepted by the relay) and
  failed, the failures grouped by their reason with the address taken out of the relay's words;
- bounces that came back later (hard and soft, each delivery counted once per kind) and
  complaints, from the bounces table that the webhooks, the listener and the mailbox fill;
- unsubscribes through this campaign's links, per mailing left ("all" for everything);
- for invitations and reminders, the answers of the meeting's invitations among this campaign's
  recipients, and the answers per day (network time) since the send;
- reach by province: the recipients the message reached (accepted, no hard bounce since) per
  province of their contact, and the provinces it did not reach;
- link clicks, only when the organiser switched counting on: a total per link.

`list_figures` gives the campaign list its few figures for many campaigns in one statement.
Nothing here imports Flask.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    bindparam,
    case,
    cast,
    distinct,
    exists,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from config.settings import Settings
from service.dashboard.coverage import ProvinceCount, missing_provinces
from service.messages import N_
from service.models import (
    Answer,
    Bounce,
    Campaign,
    CampaignKind,
    CampaignLinkClicks,
    CampaignUnsubscribe,
    Contact,
    Delivery,
    DeliveryStatus,
    Invitation,
    Mailing,
)
from service.provinces import CHOICES

# What stands where a relay's words named the recipient's address: failures then group by what
# went wrong, and the report shows no address.
ADDRESS_MARK = "…"
# The report lists this many failure reasons at most, the most frequent first; the rest are
# counted together under OTHER_REASONS.
REASONS_SHOWN = 50
OTHER_REASONS = N_("Other reasons")
# The mailings a person can leave through a campaign's link, and "all" for everything.
UNSUBSCRIBE_CHOICES = (Mailing.NEWS.value, Mailing.INVITATIONS.value, "all")
# Kinds of campaign that belong to a meeting and so have answers to count.
ANSWERED_KINDS = frozenset({CampaignKind.INVITATION, CampaignKind.REMINDER})


@dataclass(frozen=True)
class FailedReason:
    """Why deliveries failed (the relay's words, the address left out) and how many."""

    reason: str
    count: int


@dataclass(frozen=True)
class Bounced:
    """Deliveries that bounced later: hard, soft, and either (a delivery counts once in each)."""

    hard: int = 0
    soft: int = 0
    total: int = 0


@dataclass(frozen=True)
class Unsubscribed:
    """People who left through this campaign's links, in all and per mailing ("all": every one)."""

    total: int = 0
    by_mailing: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DayCount:
    """How many answers came in on one day (network time)."""

    day: date
    count: int


@dataclass(frozen=True)
class Answers:
    """The answers of the invitations among the campaign's recipients.

    `invited` is everyone of them who is invited; `no_answer` those who did not answer yet.
    """

    invited: int = 0
    yes: int = 0
    no: int = 0
    waiting: int = 0
    no_answer: int = 0
    attended: int = 0
    per_day: list[DayCount] = field(default_factory=list)

    @property
    def answered(self) -> int:
        """Everyone who gave an answer (yes, no, or yes onto the waiting list)."""
        return self.yes + self.no + self.waiting


@dataclass(frozen=True)
class LinkClicks:
    """How often one link of the email was clicked (counted from 1 in reading order)."""

    link: int
    url: str
    clicks: int


@dataclass(frozen=True)
class CampaignReport:
    """Every figure of a campaign's report; `answers` None for a recap or announcement and
    `clicks` None when counting was off."""

    campaign_id: int
    recipients: int
    delivered: int
    failed: int
    failed_reasons: list[FailedReason]
    bounced: Bounced
    complaints: int
    unsubscribed: Unsubscribed
    answers: Answers | None
    provinces: list[ProvinceCount]
    provinces_not_reached: list[ProvinceCount]
    # Reached recipients whose contact has no province recorded (or no longer exists).
    without_province: int
    clicks: list[LinkClicks] | None

    @property
    def clicks_total(self) -> int:
        """All clicks on all links together."""
        return sum(link.clicks for link in self.clicks or [])

    @property
    def reached(self) -> int:
        """Recipients the message reached: accepted by the relay and no hard bounce since."""
        return sum(p.count for p in self.provinces) + self.without_province

    def as_dict(self, reason_text: Callable[[str], str] = str) -> dict[str, Any]:
        """The report as the API answers it; `reason_text` puts a stored reason into words."""
        answers = self.answers
        return {
            "recipients": self.recipients,
            "delivered": self.delivered,
            "failed": self.failed,
            "failed_reasons": [
                {"reason": reason_text(r.reason), "count": r.count} for r in self.failed_reasons
            ],
            "bounced": {
                "hard": self.bounced.hard,
                "soft": self.bounced.soft,
                "total": self.bounced.total,
            },
            "complaints": self.complaints,
            "unsubscribed": {
                "total": self.unsubscribed.total,
                "by_mailing": dict(self.unsubscribed.by_mailing),
            },
            "answers": None
            if answers is None
            else {
                "invited": answers.invited,
                "yes": answers.yes,
                "no": answers.no,
                "waiting": answers.waiting,
                "no_answer": answers.no_answer,
                "attended": answers.attended,
                "per_day": [{"date": d.day.isoformat(), "count": d.count} for d in answers.per_day],
            },
            "provinces": [{"province": p.code, "recipients": p.count} for p in self.provinces],
            "provinces_not_reached": [p.code for p in self.provinces_not_reached],
            "clicks": None
            if self.clicks is None
            else [{"link": c.link, "url": c.url, "clicks": c.clicks} for c in self.clicks],
        }


def has_answers(campaign: Campaign) -> bool:
    """Whether the campaign invites to a meeting or reminds of one, so its answers count."""
    return campaign.kind in ANSWERED_KINDS and campaign.meeting_id is not None


def campaign_report(
    session: Session, campaign: Campaign, *, timezone: str = Settings.TIMEZONE
) -> CampaignReport:
    """Every figure of the campaign's report, from a handful of grouped queries."""
    statuses = _delivery_counts(session, campaign.id)
    provinces, without_province = _reach(session, campaign.id)
    return CampaignReport(
        campaign_id=campaign.id,
        recipients=sum(statuses.values()),
        delivered=statuses.get(DeliveryStatus.SENT, 0),
        failed=statuses.get(DeliveryStatus.FAILED, 0),
        failed_reasons=_failed_reasons(session, campaign.id),
        **_bounces(session, campaign.id),
        unsubscribed=_unsubscribed(session, campaign.id),
        answers=_answers(session, campaign, timezone) if has_answers(campaign) else None,
        provinces=provinces,
        provinces_not_reached=missing_provinces(provinces),
        without_province=without_province,
        clicks=_clicks(session, campaign.id) if campaign.count_clicks else None,
    )


def _delivery_counts(session: Session, campaign_id: int) -> dict[DeliveryStatus, int]:
    # Read off ix_deliveries_campaign_status.
    rows = session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.campaign_id == campaign_id)
        .group_by(Delivery.status)
    )
    return {DeliveryStatus(status): count for status, count in rows.all()}


def _failed_reasons(session: Session, campaign_id: int) -> list[FailedReason]:
    """Failures grouped by the relay's words with the recipient's address taken out.

    The address is replaced in SQL, so 10,000 refusals of "550 5.1.1 <x@y>: no such user" come
    back as one group; a literal (no bound parameter) keeps the grouped expression identical in
    SELECT and GROUP BY, which PostgreSQL requires.
    """
    mark = literal_column(f"'{ADDRESS_MARK}'", String)
    reason = func.replace(Delivery.last_error, Delivery.email, mark)
    count = func.count()
    rows = session.execute(
        select(reason, count)
        .where(Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.FAILED)
        .group_by(reason)
        .order_by(count.desc(), reason)
    ).all()
    reasons = [FailedReason(text or "", number) for text, number in rows[:REASONS_SHOWN]]
    rest = sum(number for _text, number in rows[REASONS_SHOWN:])
    if rest:
        reasons.append(FailedReason(OTHER_REASONS, rest))
    return reasons


def _bounces(session: Session, campaign_id: int) -> dict[str, Any]:
    """Hard and soft bounces and complaints, each delivery counted once per kind.

    A bounce that could not be tied to its delivery still names its address, which within one
    campaign stands for one delivery (deliveries are unique per campaign and contact).
    """
    who = case(
        (Bounce.delivery_id.is_not(None), cast(Bounce.delivery_id, String)),
        else_="@" + Bounce.email,
    )
    bounce_kinds = ("hard_bounce", "soft_bounce")
    either = func.count(distinct(case((Bounce.kind.in_(bounce_kinds), who))))
    row = session.execute(
        select(
            func.count(distinct(case((Bounce.kind == "hard_bounce", who)))),
            func.count(distinct(case((Bounce.kind == "soft_bounce", who)))),
            either,
            func.count(distinct(case((Bounce.kind == "complaint", who)))),
        ).where(Bounce.campaign_id == campaign_id)
    ).one()
    hard, soft, total, complaints = (value or 0 for value in row)
    return {"bounced": Bounced(hard=hard, soft=soft, total=total), "complaints": complaints}


def _unsubscribed(session: Session, campaign_id: int) -> Unsubscribed:
    rows = session.execute(
        select(CampaignUnsubscribe.mailing, func.count())
        .where(CampaignUnsubscribe.campaign_id == campaign_id)
        .group_by(CampaignUnsubscribe.mailing)
    )
    counts = dict(rows.all())
    by_mailing = {mailing: counts.pop(mailing, 0) for mailing in UNSUBSCRIBE_CHOICES}
    by_mailing.update(counts)  # a mailing added later still shows
    return Unsubscribed(total=sum(by_mailing.values()), by_mailing=by_mailing)


def _recipient_of(campaign_id: int) -> ColumnElement[bool]:
    """The invitation's contact got a delivery of this campaign (uq_deliveries_campaign_contact
    answers it from the index)."""
    return exists().where(
        Delivery.campaign_id == campaign_id, Delivery.contact_id == Invitation.contact_id
    )


def _answers(session: Session, campaign: Campaign, timezone: str) -> Answers:
    """The answers and the answers per day, from one pass over the meeting's invitations.

    Grouped by answer, attended or not, and the UTC hour of answers given since the send (NULL
    for the rest): at most a few thousand groups, from which both are summed here. SQLite knows
    no time zones, so the hours are put on their local day here; the network's offset is whole
    hours, so no hour straddles two days.
    """
    since = campaign.send_started_at or campaign.sent_at
    answered_since: ColumnElement[bool] = Invitation.answered_at.is_not(None)
    if since is not None:
        answered_since = and_(answered_since, Invitation.answered_at >= since)
    hour = case((answered_since, _utc_hour(session, Invitation.answered_at)))
    came = case((Invitation.attended.is_(True), 1), else_=0)
    rows = session.execute(
        select(Invitation.answer, came, hour, func.count())
        .where(Invitation.meeting_id == campaign.meeting_id, _recipient_of(campaign.id))
        .group_by(Invitation.answer, came, hour)
    ).all()
    counts: Counter[Answer] = Counter()
    attended = 0
    per_hour: Counter[str] = Counter()
    for answer, attended_flag, at_hour, number in rows:
        counts[Answer(answer)] += number
        attended += number if attended_flag else 0
        if at_hour is not None:
            per_hour[at_hour] += number
    return Answers(
        invited=sum(counts.values()),
        yes=counts[Answer.YES],
        no=counts[Answer.NO],
        waiting=counts[Answer.WAITING],
        no_answer=counts[Answer.INVITED],
        attended=attended,
        per_day=_per_day(per_hour, since, ZoneInfo(timezone)),
    )


def _per_day(per_hour: Counter[str], since: datetime | None, zone: ZoneInfo) -> list[DayCount]:
    """Counts per UTC hour ("2025-06-03 08") as counts per local day, every day from the send
    to the last answer."""
    per_day: Counter[date] = Counter()
    for text, number in per_hour.items():
        moment = datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=UTC)
        per_day[moment.astimezone(zone).date()] += number
    if not per_day:
        return []
    first = min(per_day)
    if since is not None:
        first = min(first, since.astimezone(zone).date())
    days = (max(per_day) - first).days + 1
    return [
        DayCount(day, per_day.get(day, 0))
        for day in (first + timedelta(days=n) for n in range(days))
    ]


def _utc_hour(session: Session, column: Any) -> Any:
    """The UTC hour of a timestamp as text, "2025-06-03 08", on the database at hand."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    # SQLite holds the UTC time as text (service.models.UTCDateTime).
    return func.strftime("%Y-%m-%d %H", column)


def _reach(session: Session, campaign_id: int) -> tuple[list[ProvinceCount], int]:
    """Recipients the message reached per province of their contact, and those without one.

    Reached: accepted by the relay and no hard bounce came back since; a contact deleted after
    the send counts as without province.
    """
    hard_bounced = exists().where(Bounce.delivery_id == Delivery.id, Bounce.kind == "hard_bounce")
    # A bounce that could not be tied to its delivery names the campaign and the address.
    hard_bounced_untied = exists().where(
        Bounce.campaign_id == campaign_id,
        Bounce.delivery_id.is_(None),
        Bounce.email == Delivery.email,
        Bounce.kind == "hard_bounce",
    )
    rows = session.execute(
        select(Contact.province, func.count())
        .select_from(Delivery)
        .outerjoin(Contact, Contact.id == Delivery.contact_id)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.status == DeliveryStatus.SENT,
            ~hard_bounced,
            ~hard_bounced_untied,
        )
        .group_by(Contact.province)
    ).all()
    counts: dict[str | None, int] = dict(rows)
    provinces = [ProvinceCount(code, name, counts.get(code, 0)) for code, name in CHOICES.items()]
    known = sum(p.count for p in provinces)
    return provinces, sum(counts.values()) - known


def _clicks(session: Session, campaign_id: int) -> list[LinkClicks]:
    rows = session.scalars(
        select(CampaignLinkClicks)
        .where(CampaignLinkClicks.campaign_id == campaign_id)
        .order_by(CampaignLinkClicks.link_number)
    )
    return [LinkClicks(row.link_number, row.url, row.clicks) for row in rows]


# ---------------------------------------------------------------------------------------------
# The campaign list


@dataclass(frozen=True)
class ListFigures:
    """The figures the campaign list shows per row; `yes` None when the campaign has no answers."""

    recipients: int = 0
    delivered: int = 0
    failed: int = 0
    unsubscribed: int = 0
    yes: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        """The figures as the API's campaign list carries them."""
        return {
            "recipients": self.recipients,
            "delivered": self.delivered,
            "failed": self.failed,
            "unsubscribed": self.unsubscribed,
            "yes": self.yes,
        }


def list_figures(session: Session, campaigns: Sequence[Campaign]) -> dict[int, ListFigures]:
    """The list's figures of these campaigns, by id, in one statement for all of them.

    Each figure is a grouped subquery over the listed campaigns, joined to them; a campaign
    without deliveries gets zeros.
    """
    if not campaigns:
        return {}
    ids: BindParameter[int] = bindparam("ids", [c.id for c in campaigns], expanding=True)
    sent = func.count(case((Delivery.status == DeliveryStatus.SENT, 1)))
    failed = func.count(case((Delivery.status == DeliveryStatus.FAILED, 1)))
    deliveries = (
        select(
            Delivery.campaign_id.label("campaign_id"),
            func.count().label("recipients"),
            sent.label("delivered"),
            failed.label("failed"),
        )
        .where(Delivery.campaign_id.in_(ids))
        .group_by(Delivery.campaign_id)
        .subquery()
    )
    unsubscribes = (
        select(
            CampaignUnsubscribe.campaign_id.label("campaign_id"),
            func.count().label("unsubscribed"),
        )
        .where(CampaignUnsubscribe.campaign_id.in_(ids))
        .group_by(CampaignUnsubscribe.campaign_id)
        .subquery()
    )
    answered = [c.id for c in campaigns if has_answers(c)]
    yes_ids: BindParameter[int] = bindparam("yes_ids", answered or [0], expanding=True)
    said_yes = (
        select(Delivery.campaign_id.label("campaign_id"), func.count().label("yes"))
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .join(
            Invitation,
            and_(
                Invitation.meeting_id == Campaign.meeting_id,
                Invitation.contact_id == Delivery.contact_id,
            ),
        )
        .where(Delivery.campaign_id.in_(yes_ids), Invitation.answer == Answer.YES)
        .group_by(Delivery.campaign_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Campaign.id,
            func.coalesce(deliveries.c.recipients, 0),
            func.coalesce(deliveries.c.delivered, 0),
            func.coalesce(deliveries.c.failed, 0),
            func.coalesce(unsubscribes.c.unsubscribed, 0),
            func.coalesce(said_yes.c.yes, 0),
        )
        .outerjoin(deliveries, deliveries.c.campaign_id == Campaign.id)
        .outerjoin(unsubscribes, unsubscribes.c.campaign_id == Campaign.id)
        .outerjoin(said_yes, said_yes.c.campaign_id == Campaign.id)
        .where(Campaign.id.in_(ids))
    ).all()
    with_answers = set(answered)
    return {
        campaign_id: ListFigures(
            recipients=recipients,
            delivered=delivered,
            failed=failed_count,
            unsubscribed=unsubscribed,
            yes=yes if campaign_id in with_answers else None,
        )
        for campaign_id, recipients, delivered, failed_count, unsubscribed, yes in rows
    }
