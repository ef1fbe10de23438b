"""The audit log for admins (/audit/): who did what, when, filterable by person and kind."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import format_number
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from service.audit import log
from service.audit.forms import AuditFilterForm
from service.auth.access import allow, require_login
from service.database import get_session
from service.messages import Message
from service.models import Role

bp = Blueprint("audit", __name__, url_prefix="/audit")
require_login(bp)

# Where an object of the log is shown, by its table: the endpoint and its id parameter.
OBJECT_PAGES = {
    "contacts": ("contacts.edit", "contact_id"),
    "campaigns": ("campaigns.edit", "campaign_id"),
    "meetings": ("meetings.edit", "meeting_id"),
    "api_tokens": ("tokens.index", None),
}


@bp.get("/")
@allow(Role.ADMIN)
def index():
    """The log, newest first, one page at a time."""
    db = get_session()
    form = AuditFilterForm(request.args)
    people = log.people(db)
    form.person.choices = [
        SelectChoice("", _("Everyone")),
        SelectChoice(log.NOBODY, _("Nobody: a contact or the system")),
    ] + [SelectChoice(str(user.id), _person_label(user)) for user in people]
    form.kind.choices = [SelectChoice("", _("All kinds"))] + [
        SelectChoice(code, _(kind.label)) for code, kind in log.KINDS.items()
    ]
    searchable = form.validate()
    person = _person(form.person.data) if searchable else None
    # "contact." (an action prefix) is the kind "contact" too.
    asked = (form.kind.data or "").rstrip(".")
    kind = asked if searchable and asked in log.KINDS else None
    result = log.search_entries(
        db, person=person, kind=kind, page=request.args.get("page", 1, type=int)
    )
    filters = {"person": form.person.data if person is not None else None, "kind": kind}
    return render_template(
        "audit/index.html",
        form=form,
        result=result,
        total_text=format_number(result.total),
        filters=filters,
        filtered=any(filters.values()),
        say=_say,
        object_pages=OBJECT_PAGES,
    ), 200 if searchable else 400


def _person(value: str | None) -> int | str | None:
    if value == log.NOBODY:
        return log.NOBODY
    if value and value.isdigit():
        return int(value)
    return None


def _person_label(user) -> str:
    label = f"{user.name} ({user.email})" if user.name else user.email
    return label if user.active else _("%(name)s, deactivated", name=label)


def _say(value: str | Message) -> str:
    return value.render(_) if isinstance(value, Message) else value
