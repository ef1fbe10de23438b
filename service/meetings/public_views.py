"""The public answer pages of an invitation: "Ja, ik kom" / "Nee, ik kan niet" without a login.

Every invitation email carries the contact's own signed link, `/antwoord/<token>?antwoord=ja`
or `=nee`. Opening it shows the meeting and asks to confirm; only the POST of that form answers,
because mail scanners (Safe Links and the like) open every link in an email.

Also here: the public calendar file of a meeting, `GET /bijeenkomsten/<id>.ics`, which the "add
to calendar" link of every invitation points to. It is `METHOD:PUBLISH` with no attendee (anyone
may add the meeting; the personal invitation with the contact as ATTENDEE comes with the
confirmation of a yes), the same UID as those invitations, and only for meetings the network has
announced: a draft, a cancelled meeting or one that does not exist is a 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from service.auth.access import public
from service.database import get_session
from service.forms import AppForm
from service.languages import reader_language
from service.mail.senders import sender_address
from service.meetings.answer_links import NO, YES
from service.meetings.answer_page import (
    LinkProblem,
    meeting_place,
    meeting_when,
    open_answer_link,
    preselected_choice,
    waiting_position,
)
from service.meetings.answering import answer_and_notify
from service.meetings.calendar import calendar_meeting, ics_bytes, meeting_calendar, uid_domain
from service.meetings.invitations import (
    AnswerClosed,
    closed_reason,
    colleagues_coming,
    places_left,
)
from service.messages import Message
from service.models import Answer, Contact, Invitation, Meeting, MeetingStatus, utcnow
from service.settings import current_settings

bp = Blueprint("answers", __name__)

REMARK_LIMIT = 2000
# An altered token is a bad request; a deleted contact or meeting, or a contact who was never
# invited to this meeting, is "not found" (saying more would tell a stranger who was invited).
REFUSAL_STATUS = {LinkProblem.ALTERED: 400, LinkProblem.GONE: 404, LinkProblem.NOT_INVITED: 404}
# Answering is over (cancelled, held, deadline passed): the page still shows the answer given.
CLOSED_STATUS = 410


class AnswerForm(AppForm):
    """Coming or not, a remark for the host, and whether colleagues may see it."""

    choice = RadioField(
        _l("Are you coming?"),
        choices=[
            SelectChoice(YES, _l("Yes, I am coming")),
            SelectChoice(NO, _l("No, I cannot come")),
        ],
        validators=[InputRequired(message=_l("Choose whether you are coming."))],
    )
    remark = TextAreaField(
        _l("Remark (for example dietary needs or accessibility)"),
        validators=[
            Length(
                max=REMARK_LIMIT,
                message=_l("Keep the remark under %(limit)s characters.", limit=REMARK_LIMIT),
            )
        ],
    )
    show_to_colleagues = BooleanField(_l("Colleagues from my organisation may see that I come"))


def _page(template: str, status: int = 200, contact: Contact | None = None, **values):
    with force_locale(reader_language(contact)):
        html = render_template(template, **values)
    response = current_app.make_response((html, status))
    # The token in the address is this contact's key to their answer: keep it out of search
    # engines, shared caches and other sites' Referer headers. "same-origin" rather than
    # "no-referrer": Flask-WTF refuses a form posted over HTTPS without a Referer from our site.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"
    return response


def _refusal(problem: LinkProblem):
    return _page("meetings/answer_refused.html", REFUSAL_STATUS[problem], problem=problem.value)


def _answer_page(invitation: Invitation, form: AnswerForm, status: int = 200, closed=None):
    """The question (or, when answering is closed, why) with the meeting and current answer."""
    contact = invitation.contact
    language = reader_language(contact)
    reason: Message | None = closed or closed_reason(invitation.meeting, utcnow())
    with force_locale(language):
        closed_text = reason.render(_) if reason is not None else None
    return _page(
        "meetings/answer.html",
        CLOSED_STATUS if reason is not None else status,
        contact,
        form=form,
        closed=closed_text,
        **_facts(invitation, language),
    )


def _facts(invitation: Invitation, language: str) -> dict:
    """What both pages show: the meeting, the answer so far, and colleagues who come."""
    db = get_session()
    meeting = invitation.meeting
    shown = invitation.answer == Answer.YES and invitation.show_to_colleagues
    return {
        "invitation": invitation,
        "meeting": meeting,
        "when": meeting_when(meeting, current_settings().TIMEZONE, language),
        "place": meeting_place(meeting),
        # What an invitee needs to answer in time (None: no deadline, no limit).
        "deadline": meeting.registration_deadline,
        "places_left": places_left(db, meeting),
        "answer": invitation.answer.value,
        "position": (
            waiting_position(db, invitation) if invitation.answer == Answer.WAITING else None
        ),
        # Only those who show themselves see who else does (and only who chose to be seen).
        "colleagues": colleagues_coming(db, invitation) if shown else [],
    }


@bp.get("/antwoord/<token>")
@public
def answer_page(token: str):
    """Show the meeting and ask to confirm the answer; opening the link changes nothing."""
    invitation = open_answer_link(get_session(), token, current_settings().SECRET_KEY)
    if isinstance(invitation, LinkProblem):
        return _refusal(invitation)
    form = AnswerForm(
        formdata=None,
        choice=preselected_choice(invitation, request.args.get("antwoord")),
        remark=invitation.remark,
        show_to_colleagues=invitation.show_to_colleagues,
    )
    return _answer_page(invitation, form)


@bp.post("/antwoord/<token>")
@public
def answer(token: str):
    """Record the confirmed answer and show what it means: a place, the waiting list, or no."""
    db = get_session()
    invitation = open_answer_link(db, token, current_settings().SECRET_KEY)
    if isinstance(invitation, LinkProblem):
        return _refusal(invitation)
    form = AnswerForm()
    if not form.validate():
        return _answer_page(invitation, form, status=422)
    try:
        # The answer with its confirmation, calendar invitation or cancel and promotion notices.
        answer_and_notify(
            db,
            invitation,
            coming=form.choice.data == YES,
            remark=form.remark.data or "",
            show_to_colleagues=form.show_to_colleagues.data,
        )
    except AnswerClosed as closed:
        db.rollback()
        return _answer_page(invitation, AnswerForm(formdata=None), closed=closed.message)
    db.commit()
    language = reader_language(invitation.contact)
    return _page(
        "meetings/answer_done.html", 200, invitation.contact, **_facts(invitation, language)
    )


@bp.get("/antwoord")
@bp.get("/sample/answer")
@public
def answer_without_link():
    """Explain that answering works from one's own invitation email (web versions, test sends)."""
    return _page("meetings/answer_generic.html", sample=request.path.startswith("/sample"))


# Meetings whose calendar file anyone may download.
DOWNLOADABLE = frozenset({MeetingStatus.PUBLISHED, MeetingStatus.HELD})


@bp.get("/bijeenkomsten/<int:meeting_id>.ics")
@public
def meeting_ics(meeting_id: int):
    """The meeting as an .ics file to add to any calendar (published and held meetings)."""
    meeting = get_session().get(Meeting, meeting_id)
    if meeting is None or meeting.status not in DOWNLOADABLE:
        abort(404)
    settings = current_settings()
    calendar = meeting_calendar(
        calendar_meeting(meeting),
        method="PUBLISH",
        uid_domain=uid_domain(settings.BASE_URL, sender_address(settings)),
        timezone=settings.TIMEZONE,
        organizer_email=settings.NETWORK_EMAIL,
        organizer_name=settings.NETWORK_NAME,
    )
    response = current_app.response_class(ics_bytes(calendar), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="bijeenkomst-{meeting.id}.ics"'
    return response
