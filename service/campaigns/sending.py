"""Starting a campaign's send safely: the checks that must pass first, one path for web and API.

A campaign that cannot render, or whose checks (service/campaigns/lint.py) found an error, is
refused before a single delivery is recorded; the organiser mends it in the composer. Nothing
here imports Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from service.campaigns import store
from service.campaigns.lifecycle import Action, Reason, ReasonCode, allows, reason_message
from service.campaigns.lint import Finding
from service.delivery.queue import start_sending
from service.delivery.sendloop import preflight
from service.models import Campaign, Delivery, DeliveryStatus, User
from service.rendering.blocks import ContentError
from service.rendering.network import network_from_config
from service.rendering.render import TemplateError


class NotReadyError(ValueError):
    """The campaign cannot go as it is: its content, not its status (that is the lifecycle's
    TransitionError). `reason` says why (the scheduler stores it), `message` in words to
    translate, `findings` are the lint errors."""

    def __init__(self, reason: Reason, findings: Sequence[Finding] = ()):
        self.reason = reason
        self.message = reason_message(reason)
        self.findings = list(findings)
        super().__init__(str(self.message))


def check_ready(
    session: Session,
    campaign: Campaign,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> None:
    """Render the campaign as the send loop will and lint it; raises NotReadyError if it fails.

    `now` is the moment it would start (the scheduler's clock); the default is the clock.
    """
    try:
        preflight(session, campaign, settings)
    # Content stored before a rule existed fails like a template (store.StoredContentError).
    except (TemplateError, ContentError) as exc:
        raise NotReadyError(Reason(ReasonCode.NOT_RENDERED, {"error": str(exc)})) from exc
    errors = lint_errors(session, campaign, settings, now=now)
    if errors:
        raise NotReadyError(Reason(ReasonCode.CHECKS_FAILED, {"count": len(errors)}), errors)


def lint_errors(
    session: Session,
    campaign: Campaign,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> list[Finding]:
    """The findings that stop a send, in every language the email goes out in (no repeats)."""
    errors: list[Finding] = []
    for language in settings.LANGUAGES:
        preview = store.preview_campaign(
            session,
            campaign,
            language=language,
            network=network_from_config(settings),
            base_url=settings.BASE_URL,
            now=now,
        )
        errors += [f for f in preview.lint if f.level == "error" and f not in errors]
    return errors


def send_campaign(
    session: Session, campaign: Campaign, settings: Settings, *, actor: User | None
) -> int:
    """Check the campaign, then record its deliveries and mark it sending; returns how many.

    Raises NotReadyError when it cannot render or lint found errors, and
    lifecycle.TransitionError when its status does not allow a start. The status is looked at
    first, so a campaign that is already sending is answered as such, not re-checked.
    """
    if allows(campaign.status, Action.START):
        check_ready(session, campaign, settings)
    return start_sending(session, campaign, actor=actor)


def schedule_campaign(
    session: Session,
    campaign: Campaign,
    at: datetime,
    settings: Settings,
    *,
    actor: User | None,
    now: datetime | None = None,
) -> None:
    """Let the scheduler start the campaign at `at`, after the same checks as sending now.

    Raises lifecycle.TransitionError when its status does not allow it (looked at first),
    store.CampaignError for a moment that is not in the future, and NotReadyError when it
    cannot render or lint found errors. The campaign may be changed when it raises: roll back.
    """
    store.schedule_campaign(session, campaign, at, actor=actor, now=now, timezone=settings.TIMEZONE)
    # Checked now, so an organiser hears of a problem today, not when nobody is watching; and as
    # at the moment it will go, so an invitation that would arrive after the deadline is refused.
    check_ready(session, campaign, settings, now=at)


def failed_deliveries(session: Session, campaign_id: int, *, limit: int = 100) -> list[Delivery]:
    """The first deliveries that failed, with the relay's last words, for the progress page."""
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.FAILED)
            .order_by(Delivery.id)
            .limit(limit)
        )
    )
