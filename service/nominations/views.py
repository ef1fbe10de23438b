"""Nominations and host proposals: the two public forms and the organisers' queue.

`public_bp` holds the forms anyone may fill in (/aandragen, /gastheer-worden): CSRF, a honeypot
field and a rate limit per address keep bots out. `bp` holds the organisers' pages under
/nominations/, all behind the login.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from service.auth.access import allow, public, require_login
from service.database import get_session
from service.extensions import limiter
from service.forms import AppForm, token_refused
from service.languages import reader_language
from service.meetings.agenda import MeetingValidationError
from service.models import HostProposal, Nomination, Role, utcnow
from service.nominations import decisions, intake
from service.nominations.forms import (
    DeclineForm,
    HostProposalForm,
    NominationForm,
    PlanMeetingForm,
    PostForm,
)
from service.settings import current_settings

# Posts per address: enough for a person who puts forward a few colleagues in one go, too few
# for a bot to fill the queue.
PUBLIC_FORM_LIMIT = "5 per hour"

public_bp = Blueprint("nominate", __name__)
bp = Blueprint("nominations", __name__, url_prefix="/nominations")
require_login(bp)


# --- public forms ----------------------------------------------------------------------------


@public_bp.route("/aandragen", methods=["GET", "POST"])
@limiter.limit(PUBLIC_FORM_LIMIT, methods=["POST"])
@public
def nominate():
    """The public form to put someone forward."""
    return _public_form(
        NominationForm(),
        intake.check_nomination,
        intake.store_nomination,
        "nominations/nominate.html",
        "nominate.nomination_thanks",
    )


@public_bp.get("/aandragen/bedankt")
@public
def nomination_thanks():
    """The thank-you page after a nomination (also shown to a bot, which stored nothing)."""
    return _public_page("nominations/thanks.html", None, 200, kind="nomination")


@public_bp.route("/gastheer-worden", methods=["GET", "POST"])
@limiter.limit(PUBLIC_FORM_LIMIT, methods=["POST"])
@public
def host():
    """The public form for an organisation that offers to host a meeting."""
    return _public_form(
        HostProposalForm(),
        intake.check_host_proposal,
        intake.store_host_proposal,
        "nominations/host.html",
        "nominate.host_thanks",
    )


@public_bp.get("/gastheer-worden/bedankt")
@public
def host_thanks():
    """The thank-you page after a host proposal."""
    return _public_page("nominations/thanks.html", None, 200, kind="host")


def _public_form(
    form: AppForm,
    check: Callable[[Mapping[str, Any]], Any],
    store: Callable[[Session, Any], Any],
    template: str,
    thanks: str,
):
    # What both public forms do with a post: checked by intake.py, stored, thanked for.
    if form.validate_on_submit():
        if _is_bot(form):
            return redirect(url_for(thanks))
        try:
            data = check(form.data)
        except intake.IntakeError as exc:
            _show_errors(form, exc)
        else:
            db = get_session()
            store(db, data)
            db.commit()
            return redirect(url_for(thanks))
    return _public_page(template, form, 400 if form.errors else 200)


def _is_bot(form: AppForm) -> bool:
    # People never see the field; whatever fills it is a bot. It gets the same thank-you page,
    # so it learns nothing from the answer.
    return bool((form.website.data or "").strip())


def _show_errors(form: AppForm, exc: intake.IntakeError) -> None:
    # In the language the page is shown in, which is the reader's, not the organisers' default.
    with force_locale(reader_language(None)):
        for name, message in exc.errors.items():
            form[name].errors = [*form[name].errors, message.render(_)]


def _public_page(template: str, form: AppForm | None, status: int, **values):
    with force_locale(reader_language(None)):
        html = render_template(template, form=form, **values)
    response = current_app.make_response((html, status))
    # What people typed may come back in an error page: keep it out of shared caches.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


# --- organisers: nominations -----------------------------------------------------------------


@bp.get("/")
@allow(Role.VIEWER)
def index():
    """The queue of nominations, new ones first."""
    return _queue_page()


def _queue_page(errors: dict[int, str] | None = None, status: int = 200):
    db = get_session()
    return (
        render_template(
            "nominations/queue.html",
            nominations=decisions.nomination_queue(db),
            decline_errors=errors or {},
            form=PostForm(),
        ),
        status,
    )


@bp.post("/<int:nomination_id>/accept")
@allow(Role.ORGANISER)
def accept(nomination_id: int):
    """Accept a nomination: the nominee gets the introduction email."""
    if not PostForm().validate_on_submit():
        abort(400)
    db = get_session()
    nomination = _nomination_or_404(nomination_id)
    try:
        decisions.accept_nomination(db, nomination, current_user, now=utcnow())
    except decisions.DecisionError as exc:
        db.rollback()
        flash(exc.message.render(_), "error")
        return redirect(url_for("nominations.index"))
    db.commit()
    flash(
        _(
            "%(name)s is accepted; the introduction email is on its way.",
            name=nomination.nominee_name,
        ),
        "success",
    )
    return redirect(url_for("nominations.index"))


@bp.post("/<int:nomination_id>/decline")
@allow(Role.ORGANISER)
def decline(nomination_id: int):
    """Decline a nomination with a reason."""
    form = DeclineForm()
    if not form.validate_on_submit():
        if token_refused(form):
            abort(400)
        return _queue_page({nomination_id: " ".join(map(str, form.reason.errors))}, 400)
    db = get_session()
    nomination = _nomination_or_404(nomination_id)
    try:
        decisions.decline_nomination(
            db, nomination, current_user, form.reason.data or "", now=utcnow()
        )
    except decisions.DecisionError as exc:
        db.rollback()
        return _queue_page({nomination_id: exc.message.render(_)}, 400)
    db.commit()
    flash(_("The nomination of %(name)s is declined.", name=nomination.nominee_name), "success")
    return redirect(url_for("nominations.index"))


def _nomination_or_404(nomination_id: int) -> Nomination:
    nomination = get_session().get(Nomination, nomination_id)
    if nomination is None:
        abort(404)
    return nomination


# --- organisers: host proposals --------------------------------------------------------------


@bp.get("/hosts")
@allow(Role.VIEWER)
def hosts():
    """The organisations that offered to host, new ones first."""
    return render_template(
        "nominations/hosts.html", proposals=decisions.host_proposals(get_session()), form=PostForm()
    )


@bp.post("/hosts/<int:proposal_id>/decline")
@allow(Role.ORGANISER)
def decline_host(proposal_id: int):
    """Decline a host proposal."""
    if not PostForm().validate_on_submit():
        abort(400)
    db = get_session()
    proposal = _proposal_or_404(proposal_id)
    try:
        decisions.decline_host_proposal(db, proposal, current_user)
    except decisions.DecisionError as exc:
        db.rollback()
        flash(exc.message.render(_), "error")
        return redirect(url_for("nominations.hosts"))
    db.commit()
    flash(_("The proposal of %(organisation)s is declined.", organisation=proposal.organisation))
    return redirect(url_for("nominations.hosts"))


@bp.route("/hosts/<int:proposal_id>/meeting", methods=["GET", "POST"])
@allow(Role.ORGANISER)
def plan_meeting(proposal_id: int):
    """Ask the date and times, then make the proposal a draft meeting and open it."""
    db = get_session()
    proposal = _proposal_or_404(proposal_id)
    if proposal.status != decisions.HOST_NEW:
        flash(_("This proposal has already been decided."), "error")
        return redirect(url_for("nominations.hosts"))
    form = PlanMeetingForm()
    if form.validate_on_submit():
        moment = decisions.MeetingMoment(form.date.data, form.start_time.data, form.end_time.data)
        try:
            meeting = decisions.plan_meeting(
                db, proposal, current_user, moment, timezone=current_settings().TIMEZONE
            )
        except MeetingValidationError as exc:
            db.rollback()
            for name, message in exc.messages(_).items():
                if name in form:
                    form[name].errors = [*form[name].errors, message]
                else:
                    flash(message, "error")
        else:
            db.commit()
            flash(
                _("Draft meeting “%(title)s” is made; complete it here.", title=meeting.title),
                "success",
            )
            return redirect(url_for("meetings.edit", meeting_id=meeting.id))
    status = 400 if form.errors else 200
    return (
        render_template(
            "nominations/plan_meeting.html",
            form=form,
            proposal=proposal,
            title=decisions.meeting_title(proposal),
        ),
        status,
    )


def _proposal_or_404(proposal_id: int) -> HostProposal:
    proposal = get_session().get(HostProposal, proposal_id)
    if proposal is None:
        abort(404)
    return proposal
