"""Meetings: list (upcoming and past), create and edit, reminders, invitations and attendance."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from service.auth.access import allow, require_login
from service.campaigns import reminder_edit, reminders
from service.database import get_session
from service.forms import token_refused
from service.ids import parse_id
from service.meetings import (
    agenda,
    by_hand,
    export,
    invitations,
    meeting_edit,
)
from service.meetings.forms import (
    AUDIENCE_LABELS,
    STATUS_LABELS,
    InviteForm,
    MeetingForm,
    PostForm,
    ReminderForm,
)
from service.models import Answer, Meeting, MeetingStatus, Role, record_audit, utcnow
from service.settings import current_settings

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
require_login(bp)


def _answer_labels() -> dict[Answer, str]:
    """How each answer reads on the pages, in the order the counts show them."""
    return {
        Answer.YES: _("Registered"),
        Answer.NO: _("Declined"),
        Answer.WAITING: _("Waiting list"),
        Answer.INVITED: _("No answer yet"),
    }


@bp.get("/")
@allow(Role.VIEWER)
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
@allow(Role.ORGANISER)
def create():
    form = MeetingForm()
    data = _checked(form)
    if data is not None:
        db = get_session()
        meeting = meeting_edit.add_meeting(db, data, actor=current_user)
        db.commit()
        flash(_("Meeting “%(title)s” is saved.", title=meeting.title), "success")
        return redirect(url_for("meetings.index"))
    return render_template("meetings/form.html", form=form, meeting=None)


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@allow(Role.VIEWER, changes=Role.ORGANISER)
def edit(meeting_id: int):
    db = get_session()
    meeting = _get_or_404(meeting_id)
    timezone = current_settings().TIMEZONE
    form = MeetingForm(data=agenda.local_form_fields(meeting, timezone))
    data = _checked(form)
    if data is not None:
        meeting_edit.change_meeting(db, meeting, data, actor=current_user)
        db.commit()
        flash(_("Meeting “%(title)s” is saved.", title=meeting.title), "success")
        return redirect(url_for("meetings.index"))
    return _edit_page(meeting, form, ReminderForm(formdata=None))


# --- reminders ------------------------------------------------------------------------------


@bp.post("/<int:meeting_id>/reminders")
@allow(Role.ORGANISER)
def add_reminder(meeting_id: int):
    db = get_session()
    meeting = _get_or_404(meeting_id)
    form = ReminderForm()
    valid = form.validate()
    if token_refused(form):
        abort(400, _("The form has expired. Reload the page and try again."))
    try:
        if not valid:
            # Check the typed values too, so every wrong field gets its message at once.
            reminder_edit.check_reminder(
                request.form.get("days_before"),
                request.form.get("send_time"),
                request.form.get("audience"),
            )
        else:
            reminder_edit.add_reminder(
                db,
                meeting,
                form.days_before.data,
                form.send_time.data,
                form.audience.data,
                actor=current_user,
            )
            db.commit()
            flash(_("The reminder is added."), "success")
            return redirect(url_for("meetings.edit", meeting_id=meeting.id) + "#reminders")
    except reminder_edit.ReminderError as exc:
        for name, message in exc.errors.items():
            if not form[name].errors:
                form[name].errors = [*form[name].errors, message.render(_)]
    db.rollback()
    timezone = current_settings().TIMEZONE
    meeting_form = MeetingForm(formdata=None, data=agenda.local_form_fields(meeting, timezone))
    return _edit_page(meeting, meeting_form, form, status=400)


@bp.post("/<int:meeting_id>/reminders/<int:reminder_id>/delete")
@allow(Role.ORGANISER)
def remove_reminder(meeting_id: int, reminder_id: int):
    db = get_session()
    meeting = _get_or_404(meeting_id)
    if not PostForm().validate():
        abort(400, _("The form has expired. Reload the page and try again."))
    try:
        reminder_edit.remove_reminder(db, meeting, reminder_id, actor=current_user)
    except reminder_edit.ReminderError as exc:
        flash(next(iter(exc.errors.values())).render(_), "error")
    else:
        db.commit()
        flash(_("The reminder is removed."), "success")
    return redirect(url_for("meetings.edit", meeting_id=meeting.id) + "#reminders")


def _edit_page(meeting: Meeting, form: MeetingForm, reminder_form: ReminderForm, status=200):
    timezone = current_settings().TIMEZONE
    return (
        render_template(
            "meetings/form.html",
            form=form,
            meeting=meeting,
            schedule=reminders.reminder_schedule(meeting, timezone),
            reminders_stopped=reminder_edit.reminders_stopped(meeting),
            reminder_form=reminder_form,
            post_form=PostForm(),
            audience_labels=AUDIENCE_LABELS,
        ),
        status,
    )


# --- invitations ----------------------------------------------------------------------------


@bp.get("/<int:meeting_id>/invitations")
@allow(Role.VIEWER)
def invitations_page(meeting_id: int):
    return _invitations_page(_get_or_404(meeting_id), InviteForm(formdata=None))


def _invitations_page(meeting: Meeting, invite_form: InviteForm, status: int = 200):
    db = get_session()
    chosen = request.args.get("answer", "")
    answer = Answer(chosen) if chosen in {a.value for a in Answer} else None
    rows = invitations.invitation_rows(db, meeting.id)
    counts = invitations.count_answers(db, meeting.id)
    shown = [row for row in rows if answer is None or row.answer == answer]
    held = meeting.ends_at <= utcnow()
    return (
        render_template(
            "meetings/invitations.html",
            meeting=meeting,
            rows=shown,
            total=len(rows),
            counts=counts,
            places_left=invitations.places_left(db, meeting),
            funnel=invitations.meeting_funnel(db, meeting.id),
            answer=answer,
            answer_labels=_answer_labels(),
            held=held,
            can_invite=not held and meeting.status != MeetingStatus.CANCELLED,
            post_form=PostForm(),
            invite_form=invite_form,
        ),
        status,
    )


@bp.post("/<int:meeting_id>/invitations")
@allow(Role.ORGANISER)
def invite_by_hand(meeting_id: int):
    db = get_session()
    meeting = _get_or_404(meeting_id)
    form = InviteForm()
    if not form.validate():
        if token_refused(form):
            abort(400, _("The form has expired. Reload the page and try again."))
        return _invitations_page(meeting, form, status=400)
    report = by_hand.invite_by_address(db, meeting, form.addresses.data, coming=form.coming.data)
    if report.invited or report.registered or report.waiting:
        record_audit(
            db,
            current_user,
            "meeting.invite_by_hand",
            meeting,
            invited=report.invited,
            registered=report.registered,
            waiting=report.waiting,
        )
    db.commit()
    _flash_hand_report(report)
    return redirect(url_for("meetings.invitations_page", meeting_id=meeting.id))


def _flash_hand_report(report: by_hand.HandInviteReport) -> None:
    flash(
        _(
            "Invited: %(invited)d new, %(already)d already invited. "
            "Registered: %(registered)d, on the waiting list: %(waiting)d.",
            invited=report.invited,
            already=report.already,
            registered=report.registered,
            waiting=report.waiting,
        ),
        "success",
    )
    if report.unknown:
        flash(
            _(
                "These addresses are not contacts; add them as contacts first: %(addresses)s",
                addresses=", ".join(report.unknown),
            ),
            "error",
        )
    if report.closed is not None:
        flash(report.closed.render(_), "error")


@bp.get("/<int:meeting_id>/invitations.csv")
@allow(Role.VIEWER)
def invitations_csv(meeting_id: int):
    db = get_session()
    meeting = _get_or_404(meeting_id)
    rows = invitations.invitation_rows(db, meeting.id)
    # Taking a list of names out of the service is recorded, as the contacts export is.
    record_audit(db, current_user, "meeting.invitations_export", meeting, invitations=len(rows))
    db.commit()
    settings = current_settings()
    body = export.invitations_csv(rows, settings.TIMEZONE, settings.default_language)
    filename = f"uitnodigingen-{meeting.id}-{meeting.starts_at:%Y-%m-%d}.csv"
    return Response(
        body.encode("utf-8"),
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )


@bp.post("/<int:meeting_id>/attendance")
@allow(Role.ORGANISER)
def mark_attendance(meeting_id: int):
    db = get_session()
    meeting = _get_or_404(meeting_id)
    if not PostForm().validate():
        abort(400, _("The form has expired. Reload the page and try again."))
    if meeting.ends_at > utcnow():
        flash(_("Attendance can be recorded once the meeting has ended."), "error")
        return redirect(url_for("meetings.invitations_page", meeting_id=meeting.id))
    chosen = [i for i in map(parse_id, request.form.getlist("attended")) if i is not None]
    invitations.mark_attended(db, meeting, chosen)
    record_audit(db, current_user, "meeting.attendance", meeting, attended=len(set(chosen)))
    db.commit()
    flash(_("Attendance is saved."), "success")
    return redirect(url_for("meetings.invitations_page", meeting_id=meeting.id))


# --- helpers --------------------------------------------------------------------------------


def _get_or_404(meeting_id: int) -> Meeting:
    meeting = agenda.get_meeting(get_session(), meeting_id)
    if meeting is None:
        abort(404, _("This meeting does not exist (any more)."))
    return meeting


def _checked(form: MeetingForm) -> agenda.MeetingInput | None:
    """The checked input of a submitted form, or None with the errors put on the form's fields."""
    if not form.is_submitted():
        return None
    form.validate()
    try:
        data = agenda.validate_meeting_fields(form.data, current_settings().TIMEZONE)
    except agenda.MeetingValidationError as exc:
        for name, message in exc.messages(_).items():
            # The form's own message (e.g. an unreadable date) is the more precise one.
            if name in form and not form[name].errors:
                form[name].errors.append(message)
        return None
    return None if form.errors else data
