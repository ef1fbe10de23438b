"""Campaigns kept in the database: create, edit (with a version check), copy, delete, preview.

Plain logic for the organiser pages, the API and the CLI alike; nothing here imports Flask.
Content is checked with service/rendering/blocks.py before it is stored, so a stored campaign
always renders; whether it is ready to send is lint's business (service/campaigns/lint.py).
Every change writes an audit entry in the same transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from service import provinces
from service.campaigns.lifecycle import Action, require, transition
from service.campaigns.lint import Finding, lint, meeting_findings
from service.dates import moment_supported, unsupported_message, utc_to_local
from service.ids import parse_id
from service.meetings.invitations import places_left, why_closed
from service.messages import N_, Message
from service.models import (
    Answer,
    Campaign,
    CampaignKind,
    CampaignStatus,
    Contact,
    Meeting,
    MeetingStatus,
    Tag,
    User,
    record_audit,
    utcnow,
)
from service.rendering import blocks as b
from service.rendering import placeholders
from service.rendering.render import (
    MeetingFacts,
    Network,
    facts_of,
    personalise,
    render_campaign,
)
from service.rendering.versions import (
    StoredContentError,
    campaign_language,
    checked_versions,
    content_in,
    translated_languages,
    version_for,
)
from service.translation import translator

FIELDS = (
    "kind",
    "subject",
    "preheader",
    "sender_name",
    "meeting_id",
    "blocks",
    "audience",
    "count_clicks",
    "language",
    "translations",
)
MAX_SENDER_NAME = 200
EVERYONE: dict[str, Any] = {"all": True}


class CampaignError(ValueError):
    """A campaign action that cannot be done; `message` says why, for the organiser."""

    def __init__(self, message: Message):
        self.message = message
        super().__init__(str(message))


class StaleVersionError(CampaignError):
    """Someone saved the campaign after the version this change was based on."""

    def __init__(self, expected: int, current: int):
        self.expected = expected
        self.current = current
        super().__init__(
            Message(
                N_(
                    "This campaign was saved elsewhere in the meantime (version %(current)s, "
                    "you edited version %(expected)s). Reload it to see the newest version; "
                    "copy your changes first."
                ),
                {"current": current, "expected": expected},
            )
        )


class CampaignValidationError(CampaignError):
    """The submitted values do not make a valid campaign; `errors` maps field paths to problems.

    Paths are those of blocks.FieldError (`subject`, `blocks[3].items[2]`) plus `kind`,
    `sender_name`, `meeting_id` and `audience`. A value is a `Message` (translate it) or a list of
    `FieldError` (bilingual already).
    """

    def __init__(self, errors: Mapping[str, Message | list[b.FieldError]]):
        self.errors = dict(errors)
        super().__init__(
            Message(N_("The campaign was not saved. Correct the fields marked below."))
        )

    def messages(
        self, translate: Callable[[str], str] | None = None, language: str = "en"
    ) -> dict[str, str]:
        """Field path -> the problem in words (`translate` e.g. flask_babel.gettext)."""
        out: dict[str, str] = {}
        for path, problem in self.errors.items():
            if isinstance(problem, Message):
                out[path] = problem.render(translate)
            else:
                out[path] = "; ".join(e.message(language) for e in problem)
        return out


@dataclass(frozen=True)
class Preview:
    """A campaign as a sample recipient would get it, with the lint findings."""

    subject: str
    html: str
    text: str
    lint: list[Finding]
    # The language of the email shown, and whether it is a translation (versions.version_for).
    language: str = "nl"
    translated: bool = False


# ---------------------------------------------------------------------------------------------
# Reading


def get_campaign(session: Session, campaign_id: int) -> Campaign | None:
    """The campaign with this id, or None."""
    return session.get(Campaign, campaign_id)


def list_campaigns(session: Session, status: CampaignStatus | None = None) -> list[Campaign]:
    """Campaigns, most recently changed first, optionally of one status."""
    query = select(Campaign).order_by(Campaign.updated_at.desc(), Campaign.id.desc())
    if status is not None:
        query = query.where(Campaign.status == status)
    return list(session.scalars(query))


def campaign_content(campaign: Campaign) -> b.CampaignContent:
    """The campaign's own kind, subject, preheader and blocks as the renderer takes them (its
    translations: versions.content_in).

    Raises StoredContentError (a TemplateError) when what is stored fails today's checks.
    """
    return content_in(campaign, campaign_language(campaign))


def stored_content_errors(campaign: Campaign) -> CampaignValidationError | None:
    """What today's checks refuse in the campaign as stored (its translations too), by field,
    or None when it passes."""
    errors: dict[str, Message | list[b.FieldError]] = {}
    own = campaign_language(campaign)
    for language in [own, *translated_languages(campaign)]:
        try:
            content_in(campaign, language)
        except StoredContentError as exc:
            b.add_errors(errors, exc.errors, "" if language == own else f"translations.{language}")
    return CampaignValidationError(errors) if errors else None


def meeting_facts(meeting: Meeting, now: datetime | None = None) -> MeetingFacts:
    """A meeting as the emails show it (whether it takes answers: at `now`, default the clock)."""
    open_now = why_closed(meeting, now or utcnow()) is None
    return facts_of(meeting, answers_open=open_now, calendar_links=True)


def meeting_header(meeting: Meeting, timezone: str, *, title: str | None = None) -> dict[str, Any]:
    """A header block for an email about the meeting: title, host, day, place and theme.

    The title (by default the meeting's own) is shown above the host, so the host is named once:
    "De Opgavebeweging op bezoek bij" over "Gemeente Zwolle", not the whole title over it.
    """
    place = meeting.venue
    if meeting.city and meeting.city.casefold() not in place.casefold():
        place = f"{place}, {meeting.city}" if place else meeting.city
    return {
        "type": "header",
        "title": title_without_host(meeting.title, meeting.host_organisation)
        if title is None
        else title,
        "host": meeting.host_organisation,
        "date": utc_to_local(meeting.starts_at, timezone).date().isoformat(),
        "place": place,
        "theme": meeting.theme,
    }


def title_without_host(title: str, host: str) -> str:
    """The title less the host it ends with ("De Opgavebeweging op bezoek bij"); else as it is."""
    if host and title.casefold().endswith(host.casefold()):
        return title[: len(title) - len(host)].rstrip(" :,-–")
    return title


def campaign_meeting_facts(campaign: Campaign, now: datetime | None = None) -> MeetingFacts | None:
    """The facts of the campaign's meeting, with what its readers need to answer in time.

    An invitation or reminder shows the registration deadline and the places still free (as
    they are at `now`, when the email is rendered); one that reaches people who have not
    answered yet asks them for an answer with the Yes and No buttons.
    """
    meeting = campaign.meeting
    if meeting is None:
        return None
    facts = meeting_facts(meeting, now)
    if campaign.kind not in (CampaignKind.INVITATION, CampaignKind.REMINDER):
        return facts
    session = object_session(meeting)
    return replace(
        facts,
        registration_deadline=meeting.registration_deadline,
        places_left=places_left(session, meeting) if session is not None else None,
        asks_answer=campaign.kind == CampaignKind.INVITATION
        or reaches_unanswered(campaign.audience or {}),
    )


def upcoming_for(
    session: Session, campaign: Campaign, *, now: datetime | None = None
) -> list[MeetingFacts]:
    """The meetings for the campaign's "upcoming meetings" table.

    Those that start after the send (`now` when it is sent or previewed; the web version of a
    sent campaign keeps the moment its sending started), other than the campaign's own meeting:
    a recap sent late lists what is still to come, never a meeting already past. Cancelled and
    draft meetings are left out, as recipients read the table.
    """
    after = campaign.send_started_at or now or utcnow()
    query = (
        select(Meeting)
        .where(
            Meeting.starts_at > after,
            Meeting.status.not_in([MeetingStatus.CANCELLED, MeetingStatus.DRAFT]),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if campaign.meeting_id is not None:
        query = query.where(Meeting.id != campaign.meeting_id)
    return [meeting_facts(m) for m in session.scalars(query)]


# ---------------------------------------------------------------------------------------------
# Changing


def create_campaign(
    session: Session,
    *,
    kind: str = CampaignKind.RECAP,
    subject: str = "",
    preheader: str = "",
    sender_name: str = "",
    meeting_id: int | None = None,
    blocks: Sequence[Mapping[str, Any]] = (),
    audience: Mapping[str, Any] | None = None,
    count_clicks: bool = False,
    language: str = "",
    translations: Mapping[str, Any] | None = None,
    actor: User | None = None,
) -> Campaign:
    """A new draft; raises CampaignValidationError listing every problem.

    `language` defaults to the first of config.settings.LANGUAGES; `translations` are its
    versions in other languages (service/rendering/versions.py).
    """
    values = _checked(
        session,
        {
            "kind": kind,
            "subject": subject,
            "preheader": preheader,
            "sender_name": sender_name,
            "meeting_id": meeting_id,
            "blocks": list(blocks),
            "audience": dict(audience) if audience is not None else dict(EVERYONE),
            "count_clicks": count_clicks,
            "language": language,
            "translations": dict(translations or {}),
        },
    )
    campaign = Campaign(status=CampaignStatus.DRAFT, version=1, created_by=actor, **values)
    session.add(campaign)
    record_audit(session, actor, "campaign.create", campaign, kind=str(campaign.kind))
    return campaign


def update_campaign(
    session: Session,
    campaign: Campaign,
    *,
    expected_version: int | None,
    actor: User | None = None,
    **fields: Any,
) -> list[str]:
    """Change the given fields and raise the version; returns the names of changed fields.

    Raises StaleVersionError when `expected_version` is not the stored version (None skips
    the check, for callers that just read the campaign in the same transaction),
    lifecycle.TransitionError for a campaign that is sent or being sent, and
    CampaignValidationError.
    Nothing is stored when an error is raised.
    """
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown campaign field(s) {sorted(unknown)}; use {', '.join(FIELDS)}")
    require(campaign, Action.EDIT)
    if expected_version is not None and expected_version != campaign.version:
        raise StaleVersionError(expected_version, campaign.version)
    current = {name: getattr(campaign, name) for name in FIELDS}
    values = _checked(session, {**current, **fields})
    changed = [name for name in FIELDS if values[name] != current[name]]
    if not changed:
        return []
    for name in changed:
        setattr(campaign, name, values[name])
    campaign.version = campaign.version + 1
    campaign.updated_at = utcnow()
    record_audit(
        session, actor, "campaign.update", campaign, fields=changed, version=campaign.version
    )
    session.flush()
    if "meeting_id" in changed:
        # The loaded relationship still holds the old meeting; the preview must see the new one.
        session.expire(campaign, ["meeting"])
    return changed


def schedule_campaign(
    session: Session,
    campaign: Campaign,
    at: datetime,
    *,
    actor: User | None,
    now: datetime | None = None,
    timezone: str = "UTC",
) -> None:
    """Let the scheduler start the campaign at `at` (aware); only drafts and scheduled ones.

    The moment must fall within the supported days on the wall clock of `timezone` (the
    network's), as a meeting's must (service.dates). Raises lifecycle.TransitionError when the
    status does not allow it (looked at first), CampaignError for a moment it cannot take.
    """
    require(campaign, Action.SCHEDULE)
    if at.utcoffset() is None:
        raise ValueError("the time to send must be an aware datetime")
    if not moment_supported(at, timezone):
        raise CampaignError(unsupported_message())
    if at <= (now or utcnow()):
        raise CampaignError(Message(N_("Choose a moment in the future to send the campaign.")))
    transition(session, campaign, Action.SCHEDULE, at=at)
    record_audit(session, actor, "campaign.schedule", campaign, at=at.isoformat())
    session.flush()


def unschedule_campaign(session: Session, campaign: Campaign, *, actor: User | None) -> None:
    """Take a scheduled campaign back to draft; raises lifecycle.TransitionError otherwise."""
    transition(session, campaign, Action.UNSCHEDULE)
    record_audit(session, actor, "campaign.unschedule", campaign)
    session.flush()


def duplicate_campaign(session: Session, campaign: Campaign, *, actor: User | None) -> Campaign:
    """A new draft with the same content, audience and choice to count clicks (of any campaign,
    sent ones too)."""
    duplicate = Campaign(
        kind=campaign.kind,
        subject=campaign.subject,
        preheader=campaign.preheader,
        sender_name=campaign.sender_name,
        meeting_id=campaign.meeting_id,
        blocks=copy.deepcopy(campaign.blocks or []),
        audience=copy.deepcopy(campaign.audience or {}),
        count_clicks=campaign.count_clicks,
        language=campaign.language,
        translations=copy.deepcopy(campaign.translations or {}),
        status=CampaignStatus.DRAFT,
        version=1,
        created_by=actor,
    )
    session.add(duplicate)
    record_audit(session, actor, "campaign.duplicate", duplicate, source=campaign.id)
    return duplicate


def delete_campaign(session: Session, campaign: Campaign, *, actor: User | None) -> None:
    """Delete a draft; raises lifecycle.TransitionError for any other status."""
    require(campaign, Action.DELETE)
    record_audit(session, actor, "campaign.delete", campaign, subject=campaign.subject)
    session.delete(campaign)
    session.flush()


def _checked(session: Session, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Values ready to store, or CampaignValidationError naming every problem."""
    errors: dict[str, Message | list[b.FieldError]] = {}
    kind = raw["kind"]
    if str(kind) not in {k.value for k in CampaignKind}:
        errors["kind"] = Message(N_("Choose the kind of email."))
        kind = CampaignKind.RECAP
    kind = CampaignKind(str(kind))
    subject = _text(raw["subject"])
    preheader = _text(raw["preheader"])
    sender_name = _text(raw["sender_name"]).strip()
    if len(sender_name) > MAX_SENDER_NAME:
        errors["sender_name"] = Message(
            N_("The sender name is %(length)s characters long; shorten it to at most %(max)s."),
            {"length": len(sender_name), "max": MAX_SENDER_NAME},
        )
    elif "\n" in sender_name or "\r" in sender_name:
        errors["sender_name"] = Message(N_("The sender name must fit on one line."))
    meeting_id = raw["meeting_id"]
    if meeting_id in ("", None):
        meeting_id = None
    else:
        meeting_id = parse_id(meeting_id)
        if meeting_id is None:
            errors["meeting_id"] = Message(N_("Choose a meeting from the list."))
        else:
            if session.get(Meeting, meeting_id) is None:
                errors["meeting_id"] = Message(
                    N_("There is no meeting %(id)s; choose one from the list."), {"id": meeting_id}
                )
    blocks: list[dict[str, Any]] = []
    try:
        content = b.content_from_dict(
            {"kind": str(kind), "subject": subject, "preheader": preheader, "blocks": raw["blocks"]}
        )
    except b.ContentError as exc:
        b.add_errors(errors, exc.errors)
    else:
        blocks = [b.block_to_dict(block) for block in content.blocks]
    audience = check_audience(session, raw["audience"], errors)
    count_clicks = raw["count_clicks"]
    if not isinstance(count_clicks, bool):
        errors["count_clicks"] = Message(N_("Say whether link clicks are counted: true or false."))
    language, translations = checked_versions(kind, raw["language"], raw["translations"], errors)
    if errors:
        raise CampaignValidationError(errors)
    return {
        "kind": kind,
        "subject": subject,
        "preheader": preheader,
        "sender_name": sender_name,
        "meeting_id": meeting_id,
        "blocks": blocks,
        "audience": audience,
        "count_clicks": count_clicks,
        "language": language,
        "translations": translations,
    }


def check_audience(
    session: Session, raw: Any, errors: dict[str, Message | list[b.FieldError]]
) -> dict[str, Any]:
    """The audience as stored: {"all": true}, or a selection of any of these parts:

    - "provinces": [...] contacts in one of the provinces;
    - "tags": [...] contacts with one of the tags;
    - "emails": [...] single addresses of contacts;
    - "attended": [meeting ids] contacts who came to one of those meetings;
    - "meeting": {"id": N, "answers": ["yes", "invited", ...]} contacts invited to meeting N
      whose answer is one of those (reminders go to {"answers": ["yes"]}).

    A contact in any part receives it; whatever the selection, only contacts who gave consent
    ever do (service.delivery.queue.audience_condition). Problems are added under "audience".
    """
    if not isinstance(raw, Mapping) or not raw or raw.get("all"):
        return dict(EVERYONE)
    chosen: dict[str, Any] = {}
    chosen_provinces = sorted({str(p) for p in _listed(raw, "provinces", errors)})
    unknown = [p for p in chosen_provinces if p not in provinces.CHOICES]
    if unknown:
        errors["audience"] = Message(
            N_("Unknown province %(value)s; choose from the list."), {"value": ", ".join(unknown)}
        )
    chosen_tags = sorted({str(t) for t in _listed(raw, "tags", errors)})
    if chosen_tags:
        known = set(session.scalars(select(Tag.name).where(Tag.name.in_(chosen_tags))))
        missing = [t for t in chosen_tags if t not in known]
        if missing:
            errors["audience"] = Message(
                N_("Unknown tag %(value)s; choose from the list."), {"value": ", ".join(missing)}
            )
    emails = sorted(
        {str(e).strip().lower() for e in _listed(raw, "emails", errors) if str(e).strip()}
    )
    if emails:
        known = set(session.scalars(select(Contact.email).where(Contact.email.in_(emails))))
        missing = [e for e in emails if e not in known]
        if missing:
            errors["audience"] = Message(
                N_("No contact has the address %(value)s; add the contact first."),
                {"value": ", ".join(missing)},
            )
    attended = _meeting_ids(session, _listed(raw, "attended", errors), errors)
    meeting_part = _meeting_answers(session, raw.get("meeting"), errors)
    for key, value in (
        ("provinces", chosen_provinces),
        ("tags", chosen_tags),
        ("emails", emails),
        ("attended", attended),
        ("meeting", meeting_part),
    ):
        if value:
            chosen[key] = value
    if not chosen:
        # A selection of nobody is a slip, not a wish to reach everyone.
        errors.setdefault(
            "audience",
            Message(
                N_("Choose at least one province or tag, or send to everyone who gave consent.")
            ),
        )
        return dict(EVERYONE)
    # Provinces and tags are always present, as the composer's form reads them.
    return {"provinces": chosen_provinces, "tags": chosen_tags} | chosen


def _listed(
    raw: Mapping[str, Any], part: str, errors: dict[str, Message | list[b.FieldError]]
) -> list[Any]:
    """The values of one part of the audience, which must be a list (absent: none)."""
    values = raw.get(part)
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        errors["audience"] = Message(N_("Give %(part)s as a list."), {"part": part})
        return []
    return list(values)


def _meeting_ids(
    session: Session, raw: list[Any], errors: dict[str, Message | list[b.FieldError]]
) -> list[int]:
    parsed = [parse_id(i) for i in raw]
    readable = [i for i in parsed if i is not None]
    if len(readable) < len(parsed):
        # Not an id at all (1.5, true, "x", 2^31): no meeting can have it.
        errors["audience"] = Message(N_("Choose meetings from the list."))
        return []
    ids = sorted(set(readable))
    known = set(session.scalars(select(Meeting.id).where(Meeting.id.in_(ids)))) if ids else set()
    if set(ids) - known:
        errors["audience"] = Message(N_("Choose meetings from the list."))
    return ids


def _meeting_answers(
    session: Session, raw: Any, errors: dict[str, Message | list[b.FieldError]]
) -> dict[str, Any] | None:
    if not raw:
        return None
    if not isinstance(raw, Mapping):
        errors["audience"] = Message(N_("Choose a meeting and the answers to reach."))
        return None
    answers = sorted({str(a) for a in _listed(raw, "answers", errors)})
    ids = _meeting_ids(session, [raw.get("id")], errors)
    if not ids or not answers or set(answers) - {a.value for a in Answer}:
        errors["audience"] = Message(N_("Choose a meeting and the answers to reach."))
        return None
    return {"id": ids[0], "answers": answers}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# ---------------------------------------------------------------------------------------------
# Preview


def sample_values(base_url: str, *, language: str, email: str = "") -> dict[str, str]:
    """Values for a sample recipient, each visibly marked as an example."""
    base = base_url.rstrip("/")
    _ = translator(language).gettext
    return {
        placeholders.FIRST_NAME: _("Sample"),
        placeholders.NAME: _("Sample Recipient (sample)"),
        "email": email or "sample.recipient@example.org",
        # Example addresses: the real links are made per recipient when the campaign is sent.
        placeholders.WEB_VERSION_URL: f"{base}/sample/web-version?sample=1",
        placeholders.UNSUBSCRIBE_URL: f"{base}/sample/unsubscribe?sample=1",
        placeholders.ANSWER_YES_URL: f"{base}/sample/answer?antwoord=ja&sample=1",
        placeholders.ANSWER_NO_URL: f"{base}/sample/answer?antwoord=nee&sample=1",
        placeholders.ANSWER_URL: f"{base}/sample/answer?sample=1",
        placeholders.PREFERENCES_URL: f"{base}/sample/preferences?sample=1",
        placeholders.CARD_URL: f"{base}/sample/network-card?sample=1",
        placeholders.WALL_URL: f"{base}/sample/network-wall?sample=1",
    }


def web_version(
    session: Session, campaign: Campaign, *, language: str, network: Network, base_url: str
) -> tuple[str, str]:
    """Subject and HTML of the campaign's web version: for nobody in particular.

    Every placeholder gets its stand-in (service/rendering/placeholders.py), so no campaign can hold
    one that the web version cannot fill. Raises service.rendering.render.TemplateError.
    """
    version = version_for(campaign, language)
    rendered = render_campaign(
        version.content,
        language=version.language,
        network=network,
        base_url=base_url,
        upcoming=upcoming_for(session, campaign),
        meeting=campaign_meeting_facts(campaign),
        for_web=True,
    )
    stand_ins = placeholders.stand_in_values(base_url, version.language)
    subject, html, _text = personalise(rendered, stand_ins)
    return subject, html


def reaches_unanswered(audience: Mapping[str, Any]) -> bool:
    """Whether the audience may hold people invited to the meeting who have not answered.

    Only an audience of meeting answers alone ({"meeting": {"answers": ["yes"]}}) is known not to.
    """
    part = audience.get("meeting")
    chosen = {key for key, value in audience.items() if value}
    if chosen != {"meeting"} or not isinstance(part, Mapping):
        return True
    return Answer.INVITED.value in (part.get("answers") or [])


def meeting_check(campaign: Campaign, now: datetime) -> list[Finding]:
    """The errors of an invitation or reminder whose meeting cannot be answered at `now`."""
    meeting = campaign.meeting
    return meeting_findings(
        campaign.kind,
        has_meeting=meeting is not None,
        closed=why_closed(meeting, now) if meeting is not None else None,
        reaches_unanswered=reaches_unanswered(campaign.audience or {}),
    )


def preview_campaign(
    session: Session,
    campaign: Campaign,
    *,
    language: str,
    network: Network,
    base_url: str,
    sample: Mapping[str, str] | None = None,
    now: datetime | None = None,
    mark_blocks: bool = False,
) -> Preview:
    """Render the campaign once, as readers of `language` get it (versions.version_for), and
    fill it in for a sample recipient; lint the result.

    The checks look at the campaign's meeting as it is at `now` (default: the clock).
    `mark_blocks` marks each block's rows for the composer's preview (render.mark_block).
    Raises service.rendering.render.TemplateError when the email cannot be rendered.
    """
    now = now or utcnow()
    version = version_for(campaign, language)
    content = version.content
    rendered = render_campaign(
        content,
        language=version.language,
        network=network,
        base_url=base_url,
        upcoming=upcoming_for(session, campaign, now=now),
        meeting=campaign_meeting_facts(campaign, now),
        mark_blocks=mark_blocks,
    )
    values = dict(sample or sample_values(base_url, language=version.language))
    subject, html, text = personalise(rendered, values)
    findings = lint(content, rendered, also=meeting_check(campaign, now))
    return Preview(
        subject=subject,
        html=html,
        text=text,
        lint=findings,
        language=version.language,
        translated=version.translated,
    )
