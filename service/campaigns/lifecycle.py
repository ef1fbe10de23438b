"""A campaign's lifecycle: its statuses, how it moves between them, and why it stands where it is.

The one home of the status machine, in the shape of pretix's OutgoingMail statuses
(pretix/base/models/mail.py). TRANSITIONS names every action, the statuses it may leave from,
the status it leads to and who takes it; PERMISSIONS names what may be done to a campaign
without moving it. `transition` (a loaded campaign) and `move` (a campaign id, for the send loop)
perform an action as one conditional UPDATE ... WHERE status IN (the statuses it leaves from), so
two processes that race (two clicks, the scheduler and an organiser, two workers) never both
win. A refused action raises TransitionError, the one error of the lifecycle, whose message names
the status in the reader's language.

Why a campaign stands where it is (paused by itself, sent back by the scheduler, the relay's
last words) is stored as a code with parameters (`Reason`, in campaigns.status_reason_code and
status_reason_params) and put into words only where it is shown, by `reason_text`, in the
reader's language. Code decides on codes, never on the words; what a relay said is a parameter,
shown as it came.

Nothing here imports Flask.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service import dates
from service.campaigns.lint import MESSAGES as CHECK_MESSAGES
from service.campaigns.lint import Finding
from service.dml import rows_changed
from service.messages import N_, Message
from service.models import Campaign, CampaignStatus, utcnow

DRAFT = CampaignStatus.DRAFT
SCHEDULED = CampaignStatus.SCHEDULED
SENDING = CampaignStatus.SENDING
PAUSED = CampaignStatus.PAUSED
SENT = CampaignStatus.SENT
CANCELLED = CampaignStatus.CANCELLED

# The organiser app's labels (service/campaigns/forms.py) are made from the same msgids, so a
# message such as 'This campaign has the status "Sent"' names it as the pages do.
STATUS_NAMES = {
    DRAFT: N_("Draft"),
    SCHEDULED: N_("Scheduled"),
    SENDING: N_("Sending"),
    PAUSED: N_("Paused"),
    SENT: N_("Sent"),
    CANCELLED: N_("Cancelled"),
}


def status_name(status: CampaignStatus) -> Message:
    """The status's name, translated when the message holding it is rendered."""
    return Message(STATUS_NAMES[status])


# ---------------------------------------------------------------------------------------------
# The table


class Action(enum.StrEnum):
    """Something done to a campaign that its status must allow."""

    SCHEDULE = "schedule"
    UNSCHEDULE = "unschedule"
    START = "start"
    SEND_BACK = "send-back"
    LEAVE_LATE = "leave-late"
    NOTE = "note"
    PAUSE = "pause"
    PAUSE_BY_ITSELF = "pause-by-itself"
    RESUME = "resume"
    CANCEL = "cancel"
    FINISH = "finish"
    EDIT = "edit"
    DELETE = "delete"


# What a transition does with the stored reason: clears it, keeps it, or records the one given
# (none given clears it).
ReasonRule = Literal["clears", "keeps", "records"]

CANNOT_CHANGE = N_(
    'This campaign has the status "%(status)s" and can no longer be changed; duplicate it instead.'
)
# For the moves only the scheduler and the send loop make: nobody reads it but a log.
MOVED_MEANWHILE = N_('This campaign has the status "%(status)s" now; nothing was changed.')


@dataclass(frozen=True)
class Transition:
    """One allowed move: from which statuses, to which, who takes it, and why it can be refused."""

    sources: frozenset[CampaignStatus]
    target: CampaignStatus
    trigger: str
    refusal: str
    reason: ReasonRule = "clears"


TRANSITIONS: dict[Action, Transition] = {
    Action.SCHEDULE: Transition(
        frozenset({DRAFT, SCHEDULED}),
        SCHEDULED,
        "an organiser schedules it, or moves its moment (send page, API)",
        CANNOT_CHANGE,
    ),
    Action.UNSCHEDULE: Transition(
        frozenset({SCHEDULED}),
        DRAFT,
        "an organiser takes it back to draft (composer, API)",
        CANNOT_CHANGE,
    ),
    Action.START: Transition(
        frozenset({DRAFT, SCHEDULED}),
        SENDING,
        "an organiser sends it now, the scheduler when it is due, or a meeting's reminder",
        N_(
            'This campaign has the status "%(status)s"; only drafts and scheduled campaigns '
            "can start."
        ),
    ),
    Action.SEND_BACK: Transition(
        frozenset({SCHEDULED}),
        DRAFT,
        "the scheduler, when a campaign that is due cannot go (it does not render, or fails "
        "its checks)",
        MOVED_MEANWHILE,
        "records",
    ),
    Action.LEAVE_LATE: Transition(
        frozenset({SCHEDULED}),
        SCHEDULED,
        "the scheduler, when a campaign is more than 6 hours late: it waits for an organiser",
        MOVED_MEANWHILE,
        "records",
    ),
    Action.NOTE: Transition(
        frozenset({SENDING}),
        SENDING,
        "the send loop, with what the relay said last (cleared when a message is accepted)",
        MOVED_MEANWHILE,
        "records",
    ),
    Action.PAUSE: Transition(
        frozenset({SENDING}),
        PAUSED,
        "an organiser pauses it (progress page, API)",
        N_("Only a campaign that is sending can be paused."),
    ),
    Action.PAUSE_BY_ITSELF: Transition(
        frozenset({SENDING}),
        PAUSED,
        "the send loop: the relay refused the login, too many failures in a row, the email no "
        "longer renders, or its meeting can no longer be answered",
        MOVED_MEANWHILE,
        "records",
    ),
    Action.RESUME: Transition(
        frozenset({PAUSED}),
        SENDING,
        "an organiser resumes it (progress page, API)",
        N_("Only a paused campaign can be resumed."),
    ),
    Action.CANCEL: Transition(
        frozenset({SENDING, PAUSED}),
        CANCELLED,
        "an organiser stops it for good (progress page, API)",
        N_("Only a campaign that is sending or paused can be cancelled."),
        # Why it had paused stays readable after the cancel.
        "keeps",
    ),
    Action.FINISH: Transition(
        frozenset({SENDING}),
        SENT,
        "the send loop, when no delivery waits any more (at once when nobody was to get it)",
        MOVED_MEANWHILE,
    ),
}


@dataclass(frozen=True)
class Permission:
    """Something done to a campaign that leaves its status as it is."""

    statuses: frozenset[CampaignStatus]
    refusal: str


# Sent, sending and cancelled campaigns are history: what went out must stay as it was.
PERMISSIONS: dict[Action, Permission] = {
    Action.EDIT: Permission(frozenset({DRAFT, SCHEDULED, PAUSED}), CANNOT_CHANGE),
    Action.DELETE: Permission(
        frozenset({DRAFT}),
        N_('Only drafts can be deleted; this campaign has the status "%(status)s".'),
    ),
}


class TransitionError(ValueError):
    """The campaign's status does not allow the action; `message` says why, naming the status."""

    def __init__(self, action: Action, status: CampaignStatus | None):
        self.action = action
        self.status = status
        if status is None:
            self.message = Message(N_("This campaign does not exist (any more)."))
        else:
            self.message = Message(_refusal(action), {"status": status_name(status)})
        super().__init__(str(self.message))


def _refusal(action: Action) -> str:
    rule = TRANSITIONS.get(action)
    return rule.refusal if rule is not None else PERMISSIONS[action].refusal


def allowed_from(action: Action) -> frozenset[CampaignStatus]:
    """The statuses in which `action` may be done."""
    rule = TRANSITIONS.get(action)
    return rule.sources if rule is not None else PERMISSIONS[action].statuses


def allows(status: CampaignStatus, action: Action) -> bool:
    """Whether a campaign with this status may have `action` done to it."""
    return status in allowed_from(action)


def require(campaign: Campaign, action: Action) -> None:
    """Raise TransitionError unless the campaign's status allows `action`."""
    if not allows(campaign.status, action):
        raise TransitionError(action, campaign.status)


def transition(
    session: Session,
    campaign: Campaign,
    action: Action,
    *,
    reason: Reason | None = None,
    now: datetime | None = None,
    at: datetime | None = None,
) -> None:
    """Move a loaded campaign by `action`, or raise TransitionError naming its status.

    The status the campaign was read with is looked at first, so the refusal names what the
    reader saw; then the conditional UPDATE decides, so a campaign that another process moved in
    the meantime is refused with the status it has now. `now` is when a send starts or ends,
    `at` the moment a schedule names.
    """
    require(campaign, action)
    session.flush()  # the UPDATE below must not be undone by a pending change to the object
    if not move(session, campaign.id, action, reason=reason, now=now, at=at):
        current = session.scalar(select(Campaign.status).where(Campaign.id == campaign.id))
        session.expire(campaign)
        raise TransitionError(action, current)
    # Loaded again on the next read: the row holds what the UPDATE wrote.
    session.expire(campaign)


def move(
    session: Session,
    campaign_id: int,
    action: Action,
    *,
    reason: Reason | None = None,
    now: datetime | None = None,
    at: datetime | None = None,
) -> bool:
    """Move the campaign by `action` if its status allows it now; False when it did not.

    One UPDATE ... WHERE status IN (the allowed ones): of two processes that try at once, one
    moves it and the other finds 0 rows, whatever each read before. The send loop and the
    scheduler, which act on what they find, take False as "someone else decided".
    """
    rule = TRANSITIONS[action]
    values: dict[str, Any] = {"status": rule.target, **_effects(action, now, at)}
    if rule.reason != "keeps":
        values.update(reason_columns(reason))
    moved = rows_changed(
        session,
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status.in_(list(rule.sources)))
        .values(**values)
        .execution_options(synchronize_session=False),
    )
    return moved == 1


def _effects(action: Action, now: datetime | None, at: datetime | None) -> dict[str, Any]:
    """What else an action writes besides the status and the reason."""
    if action == Action.SCHEDULE:
        if at is None:
            raise ValueError("scheduling needs the moment it starts at")
        return {"scheduled_at": at}
    if action == Action.UNSCHEDULE:
        return {"scheduled_at": None}
    if action == Action.START:
        # A new send begins with a clean slate: no failures counted, no relay to wait for.
        return {"send_started_at": _moment(now), "failure_streak": 0, "retry_at": None}
    if action == Action.RESUME:
        return {"failure_streak": 0, "retry_at": None}
    if action == Action.FINISH:
        return {"sent_at": _moment(now), "retry_at": None}
    return {}


def _moment(now: datetime | None) -> datetime:
    return now or utcnow()


# ---------------------------------------------------------------------------------------------
# Reasons


class ReasonCode(enum.StrEnum):
    """Why a campaign stands where it is; each has its words in REASON_TEXTS."""

    # What the relay (or the transport talking to it) said, in its own words: {reply}.
    RELAY_SAID = "relay-said"
    # The send loop paused it: {count} failures in a row, the last one's {reply}.
    FAILURES_IN_A_ROW = "failures-in-a-row"
    # The send loop paused an invitation or reminder: {check}, the lint code of why its meeting
    # cannot be answered (service/campaigns/lint.py).
    MEETING_CLOSED = "meeting-closed"
    # The send loop paused it: the email no longer renders, {error}.
    RENDER_FAILED = "render-failed"
    # A start was refused before anything was recorded: {error} from rendering, or {count}
    # errors the checks found.
    NOT_RENDERED = "not-rendered"
    CHECKS_FAILED = "checks-failed"
    # The scheduler: it was due at {due_at} (ISO 8601), more than 6 hours before it could run.
    DUE_TOO_LATE = "due-too-late"
    # The scheduler sent it back to draft: {cause} is the reason the start was refused.
    START_REFUSED = "start-refused"


REASON_TEXTS: dict[str, str] = {
    ReasonCode.FAILURES_IN_A_ROW: N_("%(count)s failures in a row; the last: %(reply)s"),
    ReasonCode.MEETING_CLOSED: N_("The meeting can no longer be answered: %(why)s"),
    ReasonCode.RENDER_FAILED: N_("The email could not be rendered: %(error)s"),
    ReasonCode.NOT_RENDERED: N_("The email could not be rendered, so nothing was sent: %(error)s"),
    ReasonCode.CHECKS_FAILED: N_(
        "The checks before sending found %(count)s error(s), so nothing was sent. "
        "Mend them in the composer first."
    ),
    ReasonCode.DUE_TOO_LATE: N_(
        "It was due at %(due_at)s, more than 6 hours before the scheduler could start it; "
        "start it or schedule it again."
    ),
    ReasonCode.START_REFUSED: N_("It could not start at its scheduled time: %(cause)s"),
}
# Parameters that hold a moment (ISO 8601), shown as a date and time in the reader's language.
MOMENTS = frozenset({"due_at"})


@dataclass(frozen=True)
class Reason:
    """Why a campaign stands where it is: a code and its parameters, put into words when shown."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form, for a reason inside another one's parameters."""
        return {"code": str(self.code), "params": dict(self.params)}

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Reason:
        """The reason `as_dict` gave."""
        return cls(str(value.get("code", "")), dict(value.get("params") or {}))


def relay_said(reply: str) -> Reason:
    """The relay's own words as the reason (shortened to what a page can hold)."""
    return Reason(ReasonCode.RELAY_SAID, {"reply": reply[:2000]})


def reason_columns(reason: Reason | None) -> dict[str, Any]:
    """The stored form of a reason (none: cleared), as columns of campaigns."""
    if reason is None:
        return {"status_reason_code": "", "status_reason_params": {}}
    return {"status_reason_code": str(reason.code), "status_reason_params": dict(reason.params)}


def reason_of(campaign: Campaign) -> Reason | None:
    """The campaign's stored reason, None when there is none."""
    if not campaign.status_reason_code:
        return None
    return Reason(campaign.status_reason_code, dict(campaign.status_reason_params or {}))


class Verbatim(Message):
    """Words that are data (what a relay said), shown as they came in every language."""

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        """The words themselves; there is nothing to translate."""
        return self.msgid


def reason_message(reason: Reason, language: str = "en", timezone: str | None = None) -> Message:
    """The reason as a message to translate; `language` and `timezone` put in the parts that
    are not catalog text (a check's words, a moment). Without a timezone a moment stays ISO."""
    params: dict[str, Any] = dict(reason.params)
    if reason.code == ReasonCode.RELAY_SAID:
        return Verbatim(str(params.get("reply", "")))
    msgid = REASON_TEXTS.get(reason.code)
    if msgid is None:
        # A code this version does not know (written by a newer one): say what is known.
        return Verbatim(str(params.get("reply") or reason.code))
    if reason.code == ReasonCode.MEETING_CLOSED:
        check = str(params.get("check", ""))
        known = check in CHECK_MESSAGES
        params["why"] = Verbatim(Finding("error", check).message(language) if known else check)
    if reason.code == ReasonCode.START_REFUSED:
        cause = Reason.from_dict(params.get("cause") or {})
        params["cause"] = reason_message(cause, language, timezone)
    for name in MOMENTS & set(params):
        params[name] = _moment_text(str(params[name]), language, timezone)
    return Message(msgid, params)


def reason_text(
    reason: Reason | None,
    translate: Callable[[str], str] | None = None,
    *,
    language: str = "en",
    timezone: str | None = None,
) -> str:
    """The reason in the reader's words ("" for none): the one place a reason becomes text.

    `translate` is e.g. flask_babel.gettext, `language` the reader's (one of LANGUAGES) and
    `timezone` the network's; without them it is English, as logs and the CLI read it.
    """
    if reason is None:
        return ""
    try:
        return reason_message(reason, language, timezone).render(translate)
    except (KeyError, TypeError, ValueError):
        # Parameters that do not fit the words (stored by another version) must not break a
        # page: the code still says what happened.
        return str(reason.code)


def _moment_text(value: str, language: str, timezone: str | None) -> str:
    if timezone is None:
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return dates.format_local(moment, timezone, language)


def status_reason(campaign: Campaign) -> str:
    """The campaign's reason in English, as logs, the CLI and tests read it ("" when none)."""
    return reason_text(reason_of(campaign))
