"""Campaign templates: a campaign's kind, subject, preheader and blocks kept under a name.

"Opslaan als sjabloon" in the composer keeps a campaign's content (`save_campaign_as`); "Nieuwe
campagne" starts a draft from a template (`start_campaign`); templates can be renamed and
deleted, in the organiser app and through /api/v1/templates alike. The content is checked as a
campaign's is (service/rendering/blocks.py), so a template always makes a valid draft. The
audience, the meeting and the sender are not part of a template: they belong to one send.
Nothing here imports Flask.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import text
from service.campaigns import store
from service.messages import N_, Message
from service.models import Campaign, CampaignKind, CampaignTemplate, User, record_audit
from service.rendering import blocks as b
from service.rendering.versions import checked_versions

MAX_NAME = 100
FIELDS = ("name", "kind", "subject", "preheader", "blocks", "language", "translations")


class TemplateValidationError(store.CampaignValidationError):
    """The values do not make a valid template; `errors` maps field paths to problems."""

    def __init__(self, errors: Mapping[str, Message | list[b.FieldError]]):
        super().__init__(errors)
        self.message = Message(N_("The template was not saved. Correct the fields marked below."))


def list_templates(session: Session) -> list[CampaignTemplate]:
    """Every template, by name."""
    query = select(CampaignTemplate).order_by(
        func.lower(CampaignTemplate.name), CampaignTemplate.id
    )
    return list(session.scalars(query))


def get_template(session: Session, template_id: int) -> CampaignTemplate | None:
    return session.get(CampaignTemplate, template_id)


def create_template(
    session: Session,
    *,
    name: str,
    kind: str = CampaignKind.RECAP,
    subject: str = "",
    preheader: str = "",
    blocks: Sequence[Mapping[str, Any]] = (),
    language: str = "",
    translations: Mapping[str, Any] | None = None,
    actor: User | None = None,
) -> CampaignTemplate:
    """A new template; raises TemplateValidationError listing every problem."""
    values = _checked(
        session,
        {
            "name": name,
            "kind": kind,
            "subject": subject,
            "preheader": preheader,
            "blocks": list(blocks),
            "language": language,
            "translations": dict(translations or {}),
        },
        None,
    )
    template = CampaignTemplate(**values, created_by=actor)
    session.add(template)
    record_audit(session, actor, "campaign_template.create", template, name=template.name)
    return template


def save_campaign_as(
    session: Session, campaign: Campaign, name: str, *, actor: User | None = None
) -> CampaignTemplate:
    """Keep the campaign's kind, subject, preheader and blocks as a new template."""
    return create_template(
        session,
        name=name,
        kind=campaign.kind,
        subject=campaign.subject,
        preheader=campaign.preheader,
        blocks=copy.deepcopy(campaign.blocks or []),
        language=campaign.language,
        translations=copy.deepcopy(campaign.translations or {}),
        actor=actor,
    )


def update_template(
    session: Session, template: CampaignTemplate, *, actor: User | None = None, **fields: Any
) -> list[str]:
    """Change the given fields (a rename is `name=`); returns the names of changed fields."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown template field(s) {sorted(unknown)}; use {', '.join(FIELDS)}")
    current = {name: getattr(template, name) for name in FIELDS}
    values = _checked(session, {**current, **fields}, template.id)
    changed = [name for name in FIELDS if values[name] != current[name]]
    for name in changed:
        setattr(template, name, values[name])
    if changed:
        detail: dict[str, Any] = {"fields": changed}
        if "name" in changed:
            detail["old_name"] = current["name"]
            detail["name"] = values["name"]
        record_audit(session, actor, "campaign_template.update", template, **detail)
    return changed


def delete_template(session: Session, template: CampaignTemplate, *, actor: User | None) -> None:
    """Delete a template; campaigns started from it keep their content."""
    record_audit(session, actor, "campaign_template.delete", template, name=template.name)
    session.delete(template)


def start_campaign(
    session: Session, template: CampaignTemplate, *, sender_name: str, actor: User | None
) -> Campaign:
    """A new draft with the template's content, for everyone who gave consent."""
    return store.create_campaign(
        session,
        kind=template.kind,
        subject=template.subject,
        preheader=template.preheader,
        sender_name=sender_name,
        blocks=copy.deepcopy(template.blocks or []),
        language=template.language,
        translations=copy.deepcopy(template.translations or {}),
        audience=dict(store.EVERYONE),
        actor=actor,
    )


def _checked(session: Session, raw: Mapping[str, Any], own_id: int | None) -> dict[str, Any]:
    errors: dict[str, Message | list[b.FieldError]] = {}
    name = " ".join(str(raw["name"] or "").split())
    if not name:
        errors["name"] = Message(N_("Give the template a name."))
    elif len(name) > MAX_NAME:
        errors["name"] = Message(
            N_("The name is %(length)s characters long; shorten it to at most %(max)s."),
            {"length": len(name), "max": MAX_NAME},
        )
    elif text.forbidden_characters(name):
        errors["name"] = Message(N_("The name holds characters that cannot be shown."))
    else:
        same = select(CampaignTemplate.id).where(func.lower(CampaignTemplate.name) == name.lower())
        if own_id is not None:
            same = same.where(CampaignTemplate.id != own_id)
        if session.scalar(same.limit(1)) is not None:
            errors["name"] = Message(
                N_("There is already a template named “%(name)s”; choose another name."),
                {"name": name},
            )
    kind = raw["kind"]
    if str(kind) not in {k.value for k in CampaignKind}:
        errors["kind"] = Message(N_("Choose the kind of email."))
        kind = CampaignKind.RECAP
    kind = CampaignKind(str(kind))
    subject = str(raw["subject"] or "")
    preheader = str(raw["preheader"] or "")
    blocks: list[dict[str, Any]] = []
    try:
        content = b.content_from_dict(
            {"kind": str(kind), "subject": subject, "preheader": preheader, "blocks": raw["blocks"]}
        )
    except b.ContentError as exc:
        b.add_errors(errors, exc.errors)
    else:
        subject, preheader = content.subject, content.preheader
        blocks = [b.block_to_dict(block) for block in content.blocks]
    language, translations = checked_versions(kind, raw["language"], raw["translations"], errors)
    if errors:
        raise TemplateValidationError(errors)
    return {
        "name": name,
        "kind": kind,
        "subject": subject,
        "preheader": preheader,
        "blocks": blocks,
        "language": language,
        "translations": translations,
    }
