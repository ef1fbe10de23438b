"""Meetings: list (upcoming and past), create and edit."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from service.auth.access import require_login
from service.database import get_session
from service.meetings import agenda
from service.meetings.forms import STATUS_LABELS, MeetingForm
from service.models import record_audit, utcnow

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
require_login(bp)


@bp.get("/")
def index():
    db = get_session()
    now = utcnow()
    return render_template(
        "meetings/list.html",
        upcoming=agenda.upcoming_meetings(db, now),
        past=agenda.past_meetings(db, now),
        status_labels=STATUS_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = MeetingForm()
    data = _checked(form)
    if data is not None:
        db = get_session()
        meeting = agenda.create_meeting(db, data)
        record_audit(db, current_user, "meeting.create", meeting, title=meeting.title)
        db.commit()
        flash(_("Meeting “%(title)s” is saved.", title=meeting.title), "success")
        return redirect(url_for("meetings.index"))
    return render_template("meetings/form.html", form=form, meeting=None)


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit(meeting_id: int):
    db = get_session()
    meeting = agenda.get_meeting(db, meeting_id)
    if meeting is None:
        abort(404, _("This meeting does not exist (any more)."))
    timezone = current_app.config["TIMEZONE"]
    form = MeetingForm(data=agenda.local_form_fields(meeting, timezone))
    data = _checked(form)
    if data is not None:
        changes = agenda.update_meeting(db, meeting, data)
        if changes:
            record_audit(db, current_user, "meeting.update", meeting, changes=changes)
        db.commit()
        flash(_("Meeting “%(title)s” is saved.", title=meeting.title), "success")
        return redirect(url_for("meetings.index"))
    return render_template("meetings/form.html", form=form, meeting=meeting)


def _checked(form: MeetingForm) -> agenda.MeetingInput | None:
    """The checked input of a submitted form, or None with the errors put on the form's fields."""
    if not form.is_submitted():
        return None
    form.validate()
    try:
        data = agenda.validate_meeting_fields(form.data, current_app.config["TIMEZONE"])
    except agenda.MeetingValidationError as exc:
        for name, message in exc.messages(_).items():
            # The form's own message (e.g. an unreadable date) is the more precise one.
            if name in form and not form[name].errors:
                form[name].errors.append(message)
        return None
    return None if form.errors else data
