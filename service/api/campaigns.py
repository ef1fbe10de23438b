"""/api/v1/campaigns: list, read, create and change campaigns, preview one, send it.

Thin views over `service.campaigns.store` and `service.campaigns.sending`, which check the content
and record the audit entry; the views commit once. There is no DELETE here: drafts are deleted in
the organiser app. Answers about one campaign carry its send `progress`.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _

from service.api.auth import allow, api_user
from service.api.campaign_schemas import (
    NO_BODY,
    CampaignDetailSchema,
    CampaignListSchema,
    CampaignPatchSchema,
    CampaignQuerySchema,
    CampaignSchema,
    CampaignWriteSchema,
    NoFieldsSchema,
    PreviewQuerySchema,
    PreviewSchema,
    ScheduleSchema,
)
from service.api.common import answer_links, api_blueprint, body_optional, link
from service.api.errors import fail
from service.api.report_schemas import CampaignReportSchema
from service.campaigns import report, report_export, sending, store
from service.campaigns.lifecycle import TransitionError
from service.campaigns.views import campaign_reason
from service.database import get_session
from service.delivery.queue import (
    campaign_progress,
    cancel_sending,
    pause_sending,
    resume_sending,
)
from service.models import Campaign, CampaignStatus, Role
from service.rendering.network import network_from_config
from service.rendering.render import TemplateError
from service.settings import current_settings

bp = api_blueprint("api_campaigns", "/campaigns", "Campaigns: the emails of the network.")


def _campaign_links(campaign_id: str) -> dict[str, dict[str, Any]]:
    """What a client can do next with the campaign whose id is at `campaign_id` (an expression).

    Every answer about one campaign carries its id, so each can lead to each.
    """
    its_id = {"campaign_id": campaign_id}
    actions = ("send", "schedule", "unschedule", "pause", "resume", "cancel")
    return {
        "ReadCampaign": link("get", "/campaigns/{campaign_id}", **its_id),
        "ChangeCampaign": link("patch", "/campaigns/{campaign_id}", **its_id),
        "PreviewCampaign": link("get", "/campaigns/{campaign_id}/preview", **its_id),
        **{
            f"{action.capitalize()}Campaign": link(
                "post", f"/campaigns/{{campaign_id}}/{action}", **its_id
            )
            for action in actions
        },
    }


CAMPAIGN_LINKS = _campaign_links("$response.body#/id")
# From a list, to the first campaign in it (the most recently changed).
FIRST_CAMPAIGN_LINKS = _campaign_links("$response.body#/items/0/id")


def _get_or_404(campaign_id: int) -> Campaign:
    campaign = store.get_campaign(get_session(), campaign_id)
    if campaign is None:
        fail(404, _("There is no campaign with id %(id)s.", id=campaign_id))
    return campaign


def _presented(campaign: Campaign) -> SimpleNamespace:
    """The campaign's fields for CampaignSchema, its status reason in the client's language."""
    values = {
        name: getattr(campaign, name) for name in CampaignSchema().fields if name != "status_reason"
    }
    values["status_reason"] = campaign_reason(campaign)
    return SimpleNamespace(**values)


def _detail(campaign: Campaign) -> SimpleNamespace:
    """The campaign's fields with its progress, for CampaignDetailSchema."""
    presented = _presented(campaign)
    presented.progress = campaign_progress(get_session(), campaign.id).as_dict()
    return presented


def _invalid(exc: store.CampaignValidationError):
    fail(
        422,
        _("The campaign was not saved. Check the fields named in 'errors'."),
        errors={path: [text] for path, text in exc.messages(_, api_user().language).items()},
    )


def _not_ready(exc: sending.NotReadyError):
    """422 for a campaign that cannot go out, with its lint errors in the client's language."""
    language = api_user().language
    extra = {"errors": {"lint": [f.message(language) for f in exc.findings]}}
    fail(422, exc.message.render(_), **(extra if exc.findings else {}))


def _control_endpoint(action: str):
    """The route and documentation of POST /<id>/<action>, which takes no body."""
    decorators = [
        bp.route(f"/<int:campaign_id>/{action}", methods=["POST"]),
        body_optional,
        bp.arguments(NoFieldsSchema, **NO_BODY),
        bp.response(200, CampaignDetailSchema),
        bp.doc(**answer_links(200, **CAMPAIGN_LINKS)),
        bp.alt_response(404, response="NOT_FOUND"),
        bp.alt_response(409, response="CONFLICT"),
    ]

    def decorate(view):
        for decorator in reversed(decorators):
            view = decorator(view)
        return view

    return decorate


def _control(campaign_id: int, action) -> SimpleNamespace:
    """Apply a lifecycle action that takes no values; 409 when the status does not allow it."""
    campaign = _get_or_404(campaign_id)
    session = get_session()
    try:
        action(session, campaign, actor=api_user())
    except TransitionError as exc:
        session.rollback()
        fail(409, exc.message.render(_))
    session.commit()
    return _detail(campaign)


@bp.route("", methods=["GET"])
@bp.arguments(CampaignQuerySchema, location="query")
@bp.response(200, CampaignListSchema)
@bp.doc(**answer_links(200, **FIRST_CAMPAIGN_LINKS))
@allow(Role.VIEWER)
def list_campaigns(args: dict[str, Any]):
    """List campaigns

    Most recently changed first, optionally of one status; each with its `figures`
    (recipients, delivered, failed, unsubscribed, and yes for invitations and reminders).
    """
    status = CampaignStatus(args["status"]) if args.get("status") else None
    session = get_session()
    campaigns = store.list_campaigns(session, status)
    figures = report.list_figures(session, campaigns)
    items = []
    for campaign in campaigns:
        item = _presented(campaign)
        item.figures = figures[campaign.id].as_dict()
        items.append(item)
    return {"items": items}


@bp.route("", methods=["POST"])
@bp.arguments(CampaignWriteSchema)
@bp.response(201, CampaignDetailSchema)
@bp.doc(**answer_links(201, **CAMPAIGN_LINKS))
@allow(Role.ORGANISER)
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
    return _detail(campaign), 201, {"Location": url_for(".read_campaign", campaign_id=campaign.id)}


@bp.route("/<int:campaign_id>", methods=["GET"])
@bp.response(200, CampaignDetailSchema)
@bp.doc(**answer_links(200, **CAMPAIGN_LINKS))
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.VIEWER)
def read_campaign(campaign_id: int):
    """Read a campaign

    With its send `progress` (all zero before it starts) and `status_reason`.
    """
    return _detail(_get_or_404(campaign_id))


@bp.route("/<int:campaign_id>", methods=["PATCH"])
@bp.arguments(CampaignPatchSchema)
@bp.response(200, CampaignDetailSchema)
@bp.doc(**answer_links(200, **CAMPAIGN_LINKS))
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@allow(Role.ORGANISER)
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
    except (store.CampaignError, TransitionError) as exc:
        fail(409, exc.message.render(_))
    session.commit()
    return _detail(campaign)


@bp.route("/<int:campaign_id>/preview", methods=["GET"])
@bp.arguments(PreviewQuerySchema, location="query")
@bp.response(200, PreviewSchema)
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.VIEWER)
def preview_campaign(args: dict[str, Any], campaign_id: int):
    """Preview a campaign

    Subject, HTML and text as a sample recipient gets them, and the lint findings.
    """
    campaign = _get_or_404(campaign_id)
    settings = current_settings()
    language = args["language"]
    try:
        preview = store.preview_campaign(
            get_session(),
            campaign,
            language=language,
            network=network_from_config(settings),
            base_url=settings.BASE_URL,
        )
    except TemplateError as exc:
        fail(422, _("The email could not be rendered: %(error)s", error=str(exc)))
    return {
        "language": preview.language,
        "subject": preview.subject,
        "html": preview.html,
        "text": preview.text,
        "lint": [finding.to_dict(language) for finding in preview.lint],
    }


@bp.route("/<int:campaign_id>/send", methods=["POST"])
@body_optional
@bp.arguments(NoFieldsSchema, **NO_BODY)
@bp.response(202, CampaignDetailSchema)
@bp.doc(**answer_links(202, **CAMPAIGN_LINKS))
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@allow(Role.ORGANISER)
def send_campaign(_body: dict[str, Any], campaign_id: int):
    """Send a campaign

    No body is needed. Records one delivery per recipient (contacts with consent in
    the audience, minus the suppression list) and answers 202: the send loop sends them from
    now on; follow `progress` with GET. 409 when the campaign is not a draft or scheduled (it is
    sending or sent already). 422 when the email cannot be rendered or its checks found errors
    (the preview's lint errors, listed in `errors.lint`); nothing is recorded then.
    """
    campaign = _get_or_404(campaign_id)
    session = get_session()
    try:
        sending.send_campaign(session, campaign, current_settings(), actor=api_user())
    except sending.NotReadyError as exc:
        session.rollback()
        _not_ready(exc)
    except TransitionError as exc:
        session.rollback()
        fail(409, exc.message.render(_))
    session.commit()
    return _detail(campaign), 202


@bp.route("/<int:campaign_id>/schedule", methods=["POST"])
@bp.arguments(ScheduleSchema)
@bp.response(200, CampaignDetailSchema)
@bp.doc(**answer_links(200, **CAMPAIGN_LINKS))
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@allow(Role.ORGANISER)
def schedule_campaign(body: dict[str, Any], campaign_id: int):
    """Schedule a campaign

    The scheduler starts it by itself at `scheduled_at`; the campaign is `scheduled` until then
    and can still be changed. Scheduling again moves the moment. 409 when it is not a draft or
    scheduled. 422 when the moment is not in the future, or the email cannot be rendered or its
    checks found errors (as for send; listed in `errors.lint`). A campaign due more than 6 hours
    before the scheduler could start it (the service was down) is not started by itself: it
    stays `scheduled` with a `status_reason`; send it or schedule it again.
    """
    campaign = _get_or_404(campaign_id)
    session = get_session()
    at = _aware(body["scheduled_at"])
    try:
        sending.schedule_campaign(session, campaign, at, current_settings(), actor=api_user())
    except TransitionError as exc:
        session.rollback()
        fail(409, exc.message.render(_))
    except sending.NotReadyError as exc:
        session.rollback()
        _not_ready(exc)
    except store.CampaignError as exc:
        session.rollback()
        fail(422, exc.message.render(_), errors={"scheduled_at": [exc.message.render(_)]})
    session.commit()
    return _detail(campaign)


@_control_endpoint("unschedule")
@allow(Role.ORGANISER)
def unschedule_campaign(_body: dict[str, Any], campaign_id: int):
    """Unschedule a campaign

    No body is needed. The campaign goes back to draft; the scheduler will not
    start it. 409 when it is not scheduled.
    """
    return _control(campaign_id, store.unschedule_campaign)


def _aware(moment: datetime) -> datetime:
    """A time without offset is a wall-clock time in the network's zone."""
    if moment.utcoffset() is None:
        return moment.replace(tzinfo=ZoneInfo(current_settings().TIMEZONE))
    return moment


@_control_endpoint("pause")
@allow(Role.ORGANISER)
def pause_campaign(_body: dict[str, Any], campaign_id: int):
    """Pause a campaign that is sending

    No body is needed. No new messages go out; messages a worker already holds
    still finish. 409 when the campaign is not sending.
    """
    return _control(campaign_id, pause_sending)


@_control_endpoint("resume")
@allow(Role.ORGANISER)
def resume_campaign(_body: dict[str, Any], campaign_id: int):
    """Resume a paused campaign

    No body is needed. Sends the rest; nobody gets the message twice. 409 when the
    campaign is not paused.
    """
    return _control(campaign_id, resume_sending)


@_control_endpoint("cancel")
@allow(Role.ORGANISER)
def cancel_campaign(_body: dict[str, Any], campaign_id: int):
    """Cancel a campaign that is sending or paused

    No body is needed. Deliveries still waiting are cancelled; this cannot be undone.
    409 when the campaign is not sending or paused.
    """
    return _control(campaign_id, cancel_sending)


@bp.route("/<int:campaign_id>/report", methods=["GET"])
@bp.response(200, CampaignReportSchema)
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.VIEWER)
def campaign_report(campaign_id: int):
    """Read a campaign's report

    The figures of the report page: recipients, delivered, failed (with `failed_reasons`),
    `bounced` later (hard, soft), `complaints`, `unsubscribed` (per mailing), the `answers` of
    an invitation or reminder (null for other kinds), reach per province and the
    `provinces_not_reached`, and `clicks` per link when counting was switched on (else null).
    Counts only: nobody is named. All zero before the campaign is sent.
    """
    campaign = _get_or_404(campaign_id)
    figures = report.campaign_report(get_session(), campaign, timezone=current_settings().TIMEZONE)
    return figures.as_dict(lambda reason: report_export.reason_words(reason, _))
