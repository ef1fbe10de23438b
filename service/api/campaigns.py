"""/api/v1/campaigns: list, read, create and change campaigns, and preview one.

Thin views over `service.campaigns.store`, which checks the content and records the audit entry;
the views commit once. There is no DELETE here: drafts are deleted in the organiser app.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _

from service.api.auth import api_user
from service.api.campaign_schemas import (
    CampaignListSchema,
    CampaignPatchSchema,
    CampaignQuerySchema,
    CampaignSchema,
    CampaignWriteSchema,
    PreviewQuerySchema,
    PreviewSchema,
)
from service.api.common import api_blueprint
from service.api.errors import fail
from service.campaigns import store
from service.campaigns.testsend import network_from_config
from service.database import get_session
from service.mail.render import TemplateError
from service.models import Campaign, CampaignStatus

bp = api_blueprint("api_campaigns", "/campaigns", "Campaigns: the emails of the network.")


def _get_or_404(campaign_id: int) -> Campaign:
    campaign = store.get_campaign(get_session(), campaign_id)
    if campaign is None:
        fail(404, _("There is no campaign with id %(id)s.", id=campaign_id))
    return campaign


def _invalid(exc: store.CampaignValidationError):
    fail(
        422,
        _("The campaign was not saved. Check the fields named in 'errors'."),
        errors={path: [text] for path, text in exc.messages(_, api_user().language).items()},
    )


@bp.route("", methods=["GET"])
@bp.arguments(CampaignQuerySchema, location="query")
@bp.response(200, CampaignListSchema)
def list_campaigns(args: dict[str, Any]):
    """List campaigns

    Most recently changed first, optionally of one status.
    """
    status = CampaignStatus(args["status"]) if args.get("status") else None
    return {"items": store.list_campaigns(get_session(), status)}


@bp.route("", methods=["POST"])
@bp.arguments(CampaignWriteSchema)
@bp.response(201, CampaignSchema)
def create_campaign(body: dict[str, Any]):
    """Create a campaign

    Answers 201 with the new draft and its address in the Location header.
    """
    session = get_session()
    try:
        campaign = store.create_campaign(session, actor=api_user(), **body)
    except store.CampaignValidationError as exc:
        _invalid(exc)
    session.commit()
    return campaign, 201, {"Location": url_for(".read_campaign", campaign_id=campaign.id)}


@bp.route("/<int:campaign_id>", methods=["GET"])
@bp.response(200, CampaignSchema)
@bp.alt_response(404, response="NOT_FOUND")
def read_campaign(campaign_id: int):
    """Read a campaign"""
    return _get_or_404(campaign_id)


@bp.route("/<int:campaign_id>", methods=["PATCH"])
@bp.arguments(CampaignPatchSchema)
@bp.response(200, CampaignSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def patch_campaign(body: dict[str, Any], campaign_id: int):
    """Change some fields of a campaign

    Fields left out keep their value. Send the `version` you read: if the campaign was saved
    since, the answer is 409. A campaign that is sending or sent cannot change (409).
    """
    campaign = _get_or_404(campaign_id)
    session = get_session()
    expected = body.pop("version", None)
    try:
        store.update_campaign(
            session, campaign, expected_version=expected, actor=api_user(), **body
        )
    except store.CampaignValidationError as exc:
        _invalid(exc)
    except store.CampaignError as exc:
        fail(409, exc.message.render(_))
    session.commit()
    return campaign


@bp.route("/<int:campaign_id>/preview", methods=["GET"])
@bp.arguments(PreviewQuerySchema, location="query")
@bp.response(200, PreviewSchema)
@bp.alt_response(404, response="NOT_FOUND")
def preview_campaign(args: dict[str, Any], campaign_id: int):
    """Preview a campaign

    Subject, HTML and text as a sample recipient gets them, and the lint findings.
    """
    campaign = _get_or_404(campaign_id)
    config = current_app.config
    language = args["language"]
    try:
        preview = store.preview_campaign(
            get_session(),
            campaign,
            language=language,
            network=network_from_config(config),
            base_url=config["BASE_URL"],
        )
    except TemplateError as exc:
        fail(422, _("The email could not be rendered: %(error)s", error=str(exc)))
    return {
        "subject": preview.subject,
        "html": preview.html,
        "text": preview.text,
        "lint": [finding.to_dict(language) for finding in preview.lint],
    }
