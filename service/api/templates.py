"""/api/v1/templates: campaign templates, a campaign's content kept under a name.

Thin views over `service.campaigns.templates`, the same rules as the organiser pages
(Campagnes → Sjablonen): viewers read, organisers create, change (rename) and delete.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _

from service.api.auth import allow, api_user
from service.api.campaign_schemas import (
    TemplateListSchema,
    TemplatePatchSchema,
    TemplateSchema,
    TemplateWriteSchema,
)
from service.api.common import api_blueprint
from service.api.errors import fail
from service.campaigns import templates
from service.database import get_session
from service.models import CampaignTemplate, Role

bp = api_blueprint(
    "api_templates",
    "/templates",
    "Campaign templates: a campaign's kind, subject, preheader and blocks under a name.",
)


def _get_or_404(template_id: int) -> CampaignTemplate:
    template = templates.get_template(get_session(), template_id)
    if template is None:
        fail(404, _("There is no template with id %(id)s.", id=template_id))
    return template


def _invalid(exc: templates.TemplateValidationError):
    fail(
        422,
        _("The template was not saved. Check the fields named in 'errors'."),
        errors={path: [text] for path, text in exc.messages(_, api_user().language).items()},
    )


@bp.route("", methods=["GET"])
@bp.response(200, TemplateListSchema)
@allow(Role.VIEWER)
def list_templates():
    """List the templates

    By name.
    """
    return {"items": templates.list_templates(get_session())}


@bp.route("", methods=["POST"])
@bp.arguments(TemplateWriteSchema)
@bp.response(201, TemplateSchema)
@allow(Role.ORGANISER)
def create_template(body: dict[str, Any]):
    """Create a template

    Answers 201 with the template and its address in the Location header; 422 when the name is
    taken or a block is invalid.
    """
    session = get_session()
    try:
        template = templates.create_template(session, actor=api_user(), **body)
    except templates.TemplateValidationError as exc:
        _invalid(exc)
    session.commit()
    return template, 201, {"Location": url_for(".read_template", template_id=template.id)}


@bp.route("/<int:template_id>", methods=["GET"])
@bp.response(200, TemplateSchema)
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.VIEWER)
def read_template(template_id: int):
    """Read a template"""
    return _get_or_404(template_id)


@bp.route("/<int:template_id>", methods=["PATCH"])
@bp.arguments(TemplatePatchSchema)
@bp.response(200, TemplateSchema)
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.ORGANISER)
def patch_template(body: dict[str, Any], template_id: int):
    """Change or rename a template

    Fields left out keep their value.
    """
    template = _get_or_404(template_id)
    session = get_session()
    try:
        templates.update_template(session, template, actor=api_user(), **body)
    except templates.TemplateValidationError as exc:
        _invalid(exc)
    session.commit()
    return template


@bp.route("/<int:template_id>", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.ORGANISER)
def delete_template(template_id: int):
    """Delete a template

    Campaigns made from it keep their content.
    """
    template = _get_or_404(template_id)
    session = get_session()
    templates.delete_template(session, template, actor=api_user())
    session.commit()
    return ""
