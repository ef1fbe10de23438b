"""The audit log as admins read it: who did what, when, to which object; newest first.

The entries are written where things happen (`record_audit` in service/models.py); this module
only reads them: a page of them narrowed to one person and one kind of action, each action in
words where we have them (falling back to its code), its object named and found where it still
exists, its details as short lines. It shows what organisers (and contacts on their own pages)
did; it reads no contact's data besides what the entry holds. Nothing here imports Flask.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session, joinedload

from service.messages import N_, Message
from service.models import (
    ApiToken,
    AuditEntry,
    Campaign,
    CampaignTemplate,
    Contact,
    Meeting,
    User,
)
from service.paging import Paging, clamp_page

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
# A value in the details is cut to this many characters: the list stays readable, the entry
# keeps the whole value.
MAX_VALUE = 120
# The person filter's value for entries without an organiser: a contact on their own pages
# (signing up, unsubscribing) or the system.
NOBODY = "none"


@dataclass(frozen=True)
class Kind:
    """A kind of action to filter on: the action codes that start with one of `prefixes`, or
    are one of `actions`."""

    label: str
    prefixes: tuple[str, ...]
    actions: tuple[str, ...] = ()


# The kinds offered in the filter, in the order shown.
KINDS: dict[str, Kind] = {
    "account": Kind(N_("Accounts and signing in"), ("account.",), ("login", "logout")),
    "token": Kind(N_("API tokens"), ("token.",)),
    "contact": Kind(N_("Contacts"), ("contact.", "contacts.")),
    "suppression": Kind(N_("Blocked addresses"), ("suppression.",)),
    "meeting": Kind(N_("Meetings"), ("meeting.",)),
    "campaign": Kind(N_("Campaigns"), ("campaign.", "campaign_template.")),
    "nomination": Kind(N_("Nominations and hosts"), ("nomination.", "host_proposal.")),
}

# Actions in words; an action without a phrase here is shown as its code.
ACTIONS: dict[str, str] = {
    "login": N_("Signed in"),
    "logout": N_("Signed out"),
    "account.role": N_("Changed an account's role"),
    "account.deactivate": N_("Deactivated an account"),
    "account.reactivate": N_("Reactivated an account"),
    "account.profile": N_("Changed their name or language"),
    "account.password_change": N_("Changed their password"),
    "account.password_reset": N_("Reset their forgotten password"),
    "account.invite": N_("Invited a colleague"),
    "account.invitation_accepted": N_("Accepted an invitation to the team"),
    "account.invitation_withdrawn": N_("Withdrew an invitation"),
    "account.enable_2fa": N_("Turned on two-factor sign-in"),
    "account.disable_2fa": N_("Turned off two-factor sign-in"),
    "account.reset_2fa": N_("Reset an account's two-factor sign-in"),
    "account.regenerate_recovery_codes": N_("Made new recovery codes"),
    "account.use_recovery_code": N_("Signed in with a recovery code"),
    "token.create": N_("Made an API token"),
    "token.revoke": N_("Revoked an API token"),
    "contact.create": N_("Added a contact"),
    "contact.update": N_("Changed a contact"),
    "contact.delete": N_("Deleted a contact"),
    "contact.signup": N_("Signed up through the signup form"),
    "contact.unsubscribe": N_("Unsubscribed"),
    "contact.preferences": N_("Changed their mail preferences"),
    "contact.erase_self": N_("Erased their own data"),
    "contacts.import": N_("Imported contacts"),
    "contacts.export": N_("Exported the contacts"),
    "suppression.lift": N_("Lifted a blocked address"),
    "meeting.create": N_("Added a meeting"),
    "meeting.update": N_("Changed a meeting"),
    "meeting.attendance": N_("Recorded attendance"),
    "meeting.invite_by_hand": N_("Invited people by hand"),
    "meeting.invitations_export": N_("Exported the invitations"),
    "meeting.promote_waiting": N_("Moved people up from the waiting list"),
    "meeting.reminder_add": N_("Added a reminder"),
    "meeting.reminder_remove": N_("Removed a reminder"),
    "campaign.create": N_("Made a campaign"),
    "campaign.update": N_("Changed a campaign"),
    "campaign.duplicate": N_("Duplicated a campaign"),
    "campaign.delete": N_("Deleted a campaign"),
    "campaign.schedule": N_("Scheduled a campaign"),
    "campaign.unschedule": N_("Took a campaign off the schedule"),
    "campaign.send": N_("Sent a campaign"),
    "campaign.pause": N_("Paused sending"),
    "campaign.resume": N_("Resumed sending"),
    "campaign.cancel": N_("Cancelled sending"),
    "campaign_template.create": N_("Saved a campaign as a template"),
    "campaign_template.update": N_("Changed a template"),
    "campaign_template.delete": N_("Deleted a template"),
    "nomination.accept": N_("Accepted a nomination"),
    "nomination.decline": N_("Declined a nomination"),
    "host_proposal.plan": N_("Planned a meeting from a host's offer"),
    "host_proposal.decline": N_("Declined a host's offer"),
}

# Objects we can name and look up: their table, model and the attribute that names them (None:
# named by their number only; a contact's name is theirs, not what an organiser did).
_OBJECTS: dict[str, tuple[Any, str | None, str]] = {
    "contacts": (Contact, None, N_("Contact %(id)s")),
    "campaigns": (Campaign, "subject", N_("Campaign %(id)s")),
    "meetings": (Meeting, "title", N_("Meeting %(id)s")),
    "api_tokens": (ApiToken, "name", N_("API token %(id)s")),
    "campaign_templates": (CampaignTemplate, "name", N_("Template %(id)s")),
}


@dataclass(frozen=True)
class AuditObject:
    """What an entry was about: its table and id, a name, and whether it still exists."""

    type: str
    id: int
    name: str  # "" when it has none we show
    number: Message  # "Campaign 12", for one without a name
    exists: bool


@dataclass(frozen=True)
class AuditRow:
    """One entry as the page shows it."""

    entry: AuditEntry
    action: Message | None  # None: no words for it; show the code
    object: AuditObject | None
    details: list[tuple[str, str | Message]]


@dataclass(frozen=True)
class AuditPage(Paging):
    """One page of the log."""

    items: list[AuditRow]


def people(session: Session) -> list[User]:
    """Every account, active or not, for the person filter: by name, then address."""
    return list(session.scalars(select(User).order_by(func.lower(User.name), User.email)))


def _kind_condition(kind: Kind) -> ColumnElement[bool]:
    conditions = [AuditEntry.action.startswith(prefix, autoescape=True) for prefix in kind.prefixes]
    if kind.actions:
        conditions.append(AuditEntry.action.in_(kind.actions))
    return or_(*conditions) if conditions else false()


def search_entries(
    session: Session,
    person: int | str | None = None,
    kind: str | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> AuditPage:
    """A page of the log, newest first, narrowed to one person (a user id, or NOBODY for the
    entries without an organiser) and one of KINDS. A page past the end gives the last page."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    conditions: list[ColumnElement[bool]] = []
    if person == NOBODY:
        conditions.append(AuditEntry.user_id.is_(None))
    elif isinstance(person, int):
        conditions.append(AuditEntry.user_id == person)
    if kind in KINDS:
        conditions.append(_kind_condition(KINDS[kind]))
    total = session.scalar(select(func.count(AuditEntry.id)).where(*conditions)) or 0
    page = clamp_page(page, total, per_page)
    entries = list(
        session.scalars(
            select(AuditEntry)
            .options(joinedload(AuditEntry.user))
            .where(*conditions)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    objects = _objects(session, entries)
    items = [
        AuditRow(
            entry=entry,
            action=action_words(entry.action),
            object=objects.get((entry.object_type, entry.object_id or 0)),
            details=detail_lines(entry.detail),
        )
        for entry in entries
    ]
    return AuditPage(items=items, total=total, page=page, per_page=per_page)


def action_words(action: str) -> Message | None:
    """The action in words (translated by the caller), or None when we have none for it."""
    msgid = ACTIONS.get(action)
    return Message(msgid) if msgid else None


def _objects(session: Session, entries: Iterable[AuditEntry]) -> dict[tuple[str, int], AuditObject]:
    """The objects of these entries that we can name, looked up in one query per table."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.object_type in _OBJECTS and entry.object_id is not None:
            wanted.setdefault(entry.object_type, set()).add(entry.object_id)
    found: dict[tuple[str, int], AuditObject] = {}
    for table, ids in wanted.items():
        model, name_attribute, fallback = _OBJECTS[table]
        if name_attribute is None:
            names = dict.fromkeys(session.scalars(select(model.id).where(model.id.in_(ids))), "")
        else:
            column = getattr(model, name_attribute)
            query = select(model.id, column).where(model.id.in_(ids))
            names = {row[0]: row[1] for row in session.execute(query)}
        for object_id in ids:
            number = Message(fallback, {"id": object_id})
            found[(table, object_id)] = AuditObject(
                table, object_id, names.get(object_id, ""), number, object_id in names
            )
    return found


def detail_lines(detail: dict[str, Any] | None) -> list[tuple[str, str | Message]]:
    """The entry's details as (name, value) lines, empty values left out, long ones cut; a yes
    or no is a Message to translate."""
    lines: list[tuple[str, str | Message]] = []
    for name, value in (detail or {}).items():
        if value is None or value == "" or value == [] or value == {}:
            continue
        if isinstance(value, bool):
            lines.append((name, Message(N_("yes") if value else N_("no"))))
        else:
            lines.append((name, _short(_as_text(value))))
    return lines


def _as_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_as_text(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_as_text(item)}" for key, item in value.items())
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _short(text: str) -> str:
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
