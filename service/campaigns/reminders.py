"""Reminders of a meeting: stored as offsets, sent by the scheduler as reminder campaigns.

A reminder is "N days before the meeting's day, at HH:MM network time", to those who said yes or
to those who have not answered. Stored as an offset, it moves with the meeting. When one is due,
`send_due_reminders` makes a reminder campaign for the meeting and starts it; the reminder's
`sent_at` is set in the same transaction by a conditional UPDATE, so a restart, a missed tick or a
second scheduler neither skips nor repeats it. The campaign's text is written in the network's
default language (Settings.default_language), from the catalogs. Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from config.settings import Settings
from service.campaigns import store
from service.campaigns.lint import meeting_findings
from service.delivery.queue import start_sending
from service.dml import rows_changed
from service.meetings.invitations import why_closed
from service.meetings.reminder_times import due_at, reminder_schedule  # noqa: F401 (re-exported)
from service.models import (
    Campaign,
    CampaignKind,
    Meeting,
    MeetingStatus,
    Reminder,
)
from service.rendering import placeholders
from service.translation import Translator, translator

# The reminders every new meeting starts with: a week and a day before, at nine, to the yeses.
DEFAULT_REMINDERS = ((7, "09:00", "yes"), (1, "09:00", "yes"))
AUDIENCES = {"yes": ["yes"], "unanswered": ["invited"]}


def add_default_reminders(session: Session, meeting: Meeting) -> None:
    """Give a new meeting the default reminders (organisers can change them)."""
    for days, at, audience in DEFAULT_REMINDERS:
        meeting.reminders.append(Reminder(days_before=days, send_time=at, audience=audience))
    session.flush()


def latest_useful(due: datetime, meeting: Meeting) -> datetime:
    """The last moment a late reminder still goes: while at least half its notice is left.

    The scheduler may have been down. "1 day before at 09:00" for a meeting at 10:00 still goes
    until 21:30 the evening before, "7 days before" until three and a half days before; later
    it would come too close to the meeting to help, so it is passed over.
    """
    return due + (meeting.starts_at - due) / 2


# Why a due reminder was passed over without mail.
LATER_ONE = "later-one"  # a later reminder of the same audience was due as well
TOO_LATE = "too-late"  # less than half its notice was left (see latest_useful)
CLOSED = "closed"  # its recipients can no longer answer (see lint.meeting_findings)


@dataclass(frozen=True)
class SentReminder:
    """A reminder that went out, or was passed over (`campaign_id` None, `passed_over` why)."""

    reminder_id: int
    meeting_id: int
    campaign_id: int | None
    recipients: int
    passed_over: str = ""


def send_due_reminders(
    session: Session, *, now: datetime, settings: Settings
) -> list[SentReminder]:
    """Start every reminder that is due at `now`; the caller commits.

    A reminder is due from its moment until half its notice has passed (`latest_useful`), and
    only while its recipients could still answer: never for a meeting that is cancelled or over,
    nor to those who did not answer once the registration deadline passed. When the service was
    down long enough that two reminders of the same audience are due, only the later (nearer the
    meeting) is sent. Those passed over are marked done without mail, so each is reported once.
    """
    timezone = settings.TIMEZONE
    candidates = session.execute(
        select(Reminder, Meeting)
        .join(Meeting, Meeting.id == Reminder.meeting_id)
        .where(
            Reminder.sent_at.is_(None),
            Meeting.status == MeetingStatus.PUBLISHED,
            Meeting.starts_at > now,
        )
        .order_by(Reminder.meeting_id, Reminder.audience, Reminder.days_before)
    ).all()
    done: list[SentReminder] = []
    newest: set[tuple[int, str]] = set()
    # Ordered by fewest days first, so the first due one per meeting and audience is the latest.
    for reminder, meeting in candidates:
        due = due_at(reminder, meeting, timezone)
        if due > now:
            continue
        key = (meeting.id, reminder.audience)
        passed_over = LATER_ONE if key in newest else _why_not(reminder, meeting, due, now)
        newest.add(key)
        if not _claim(session, reminder.id, now):
            continue  # another scheduler took it a moment ago
        if passed_over:
            done.append(SentReminder(reminder.id, meeting.id, None, 0, passed_over))
            continue
        campaign = _reminder_campaign(session, reminder, meeting, timezone, settings.LANGUAGES)
        recipients = start_sending(session, campaign, actor=None, now=now)
        reminder.campaign_id = campaign.id
        session.flush()
        done.append(SentReminder(reminder.id, meeting.id, campaign.id, recipients))
    return done


def _why_not(reminder: Reminder, meeting: Meeting, due: datetime, now: datetime) -> str:
    # The same rule as the checks before any invitation or reminder goes.
    closed = meeting_findings(
        CampaignKind.REMINDER,
        has_meeting=True,
        closed=why_closed(meeting, now),
        reaches_unanswered=reminder.audience == "unanswered",
    )
    if closed:
        return CLOSED
    return TOO_LATE if now > latest_useful(due, meeting) else ""


def _claim(session: Session, reminder_id: int, now: datetime) -> bool:
    # The conditional UPDATE is the guard against sending one reminder twice.
    claimed = rows_changed(
        session,
        update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.sent_at.is_(None))
        .values(sent_at=now)
        .execution_options(synchronize_session=False),
    )
    return claimed == 1


def _reminder_campaign(
    session: Session,
    reminder: Reminder,
    meeting: Meeting,
    timezone: str,
    languages: Sequence[str],
) -> Campaign:
    """The reminder as a campaign in the first of `languages`, with a version in each other one,
    so every reader gets it in their own language (service/rendering/versions.py)."""
    own, *others = languages
    versions = {
        language: _reminder_words(reminder, meeting, timezone, translator(language))
        for language in languages
    }
    header = store.meeting_header(meeting, timezone)
    campaign = store.create_campaign(
        session,
        kind=CampaignKind.REMINDER,
        subject=versions[own][0],
        preheader=meeting.theme or meeting.title,
        meeting_id=meeting.id,
        # Opened like an invitation: the header, the words; the email adds the facts and the
        # buttons (Yes and No for those who have not answered; see emails/reminder.html).
        blocks=[header, {"type": "text", "body": versions[own][1]}],
        audience={"meeting": {"id": meeting.id, "answers": AUDIENCES[reminder.audience]}},
        language=own,
        translations={
            language: {
                "subject": versions[language][0],
                "preheader": meeting.theme or meeting.title,
                "blocks": [header, {"type": "text", "body": versions[language][1]}],
            }
            for language in others
        },
        actor=None,
    )
    session.flush()
    return campaign


def _reminder_words(
    reminder: Reminder, meeting: Meeting, timezone: str, words: Translator
) -> tuple[str, str]:
    """The reminder's subject and text in one language."""
    _ = words.gettext
    day = words.format_date(meeting.starts_at, timezone)
    # The greeting's name is the recipient's, filled in per message.
    greeting = _("Dear %(name)s,", name=placeholders.token(placeholders.FIRST_NAME))
    if reminder.audience == "yes":
        subject = _("Reminder: %(meeting)s, %(day)s", meeting=meeting.title, day=day)
        body = _(
            "Good to have you with us on %(day)s. The details are below once more; if you "
            "cannot come after all, let us know with the link in your invitation.",
            day=day,
        )
    else:
        subject = _("Will you come too? %(meeting)s, %(day)s", meeting=meeting.title, day=day)
        body = _(
            "We have no answer from you yet to the invitation for %(day)s. Will you let us "
            "know whether you are coming?",
            day=day,
        )
    return subject, f"{greeting}\n\n{body}"
