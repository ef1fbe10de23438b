"""Campaign pages: the list, a new campaign, the composer with its preview, copy, delete, test send,
and sending: the confirmation, the progress page (polled by progress.js) and its controls.

The composer is one plain form that works without JavaScript: every button (move, remove, add,
save) submits it, the draft is saved and the page comes back at the same block. composer.js
makes the same form work without reloads and autosaves through `autosave`, which answers JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from babel.dates import format_date
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_decimal, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice

from service import dates, provinces
from service.audience.subscriptions import mailing_of
from service.auth.access import allow, require_login
from service.campaigns import report_export, sending, store, templates
from service.campaigns.forms import (
    BLOCK_LABELS,
    FIELD_SPECS,
    KIND_LABELS,
    STATUS_LABELS,
    VERSION_NAMES,
    BodyForm,
    CampaignForm,
    NewCampaignForm,
    ScheduleForm,
    TemplateNameForm,
    TestSendForm,
    VersionForm,
    audience_form_data,
    audience_from_form,
    block_from_raw,
    block_gist,
    field_of,
    item_of,
    raw_blocks_from_form,
    raw_from_block,
)
from service.campaigns.lifecycle import (
    Action,
    ReasonCode,
    TransitionError,
    allows,
    reason_of,
    reason_text,
)
from service.campaigns.lint import MAX_SUBJECT
from service.campaigns.report import campaign_report, list_figures
from service.campaigns.report_chart import answers_chart
from service.campaigns.report_export import MAILING_WORDS, reason_words
from service.campaigns.webversion import web_version_token
from service.dashboard.coverage import name_list, tile_map
from service.database import get_session
from service.delivery.queue import (
    Pace,
    campaign_progress,
    cancel_sending,
    count_recipients,
    pause_sending,
    recipients_by_language,
    resume_sending,
)
from service.delivery.testsend import (
    MAX_TEST_ADDRESSES,
    BadTestAddresses,
    parse_test_addresses,
    send_test_email,
)
from service.extensions import csrf
from service.filters import delivery_reason, local_datetime, page_locale
from service.forms import AppForm, token_refused
from service.ids import parse_id
from service.mail.senders import sender_name
from service.mail.transports import TransportConfigError, TransportError
from service.meetings.agenda import list_meetings
from service.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Meeting,
    MeetingStatus,
    Role,
    Tag,
    utcnow,
)
from service.rendering import placeholders, versions
from service.rendering.blocks import BLOCK_TYPES
from service.rendering.network import network_from_config
from service.rendering.render import Network, TemplateError
from service.settings import current_settings
from service.translation import language_or_default, translator

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
require_login(bp)

MOBILE_WIDTH = 375
# A composer with more blocks than this shows them folded to one line each.
FOLD_ABOVE = 4
# The session key of the last test send's outcome, shown in the composer's bar.
_TEST_RESULT = "campaign_test_send"
# The progress page lists this many failed deliveries at most; the rest are counted.
FAILED_SHOWN = 100
_ACTION = re.compile(r"^(up|down|remove)-(\d+)$")
_DARK_MEDIA = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)")
# Nothing inside the preview may run or phone home; its own inline styles and images may load.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src http: https: data:; "
    "font-src http: https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


def campaign_reason(campaign: Campaign) -> str:
    """Why the campaign stands where it is (paused by itself, sent back, the relay's last words),
    in the reader's language; "" when there is nothing to say."""
    return reason_text(
        reason_of(campaign),
        _,
        language=page_locale(),
        timezone=current_settings().TIMEZONE,
    )


@bp.get("/")
@allow(Role.VIEWER)
def index():
    chosen = request.args.get("status", "")
    status = CampaignStatus(chosen) if chosen in {s.value for s in CampaignStatus} else None
    db = get_session()
    campaigns = store.list_campaigns(db, status)
    return render_template(
        "campaigns/list.html",
        campaigns=campaigns,
        figures=list_figures(db, campaigns),
        web_version=_web_version_path,
        now=utcnow(),
        chosen_status=status,
        status_labels=STATUS_LABELS,
        kind_labels=KIND_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.ORGANISER)
def create():
    db = get_session()
    form = NewCampaignForm()
    form.meeting_id.choices = _meeting_choices(db)
    if request.method == "GET" and request.args.get("meeting_id"):
        form.meeting_id.data = request.args["meeting_id"]
    if form.validate_on_submit():
        meeting_id = parse_id(form.meeting_id.data)
        meeting = db.get(Meeting, meeting_id) if meeting_id is not None else None
        try:
            campaign = store.create_campaign(
                db,
                kind=form.kind.data,
                subject=_starting_subject(form.kind.data, meeting),
                sender_name=sender_name(current_settings()),
                meeting_id=meeting.id if meeting else None,
                blocks=_starting_blocks(form.kind.data, meeting),
                # Every draft, a recap too, starts aimed at everyone who gave consent: that is
                # the subscribers and whoever attended with consent (attendees without consent
                # may not be mailed at all), as the issue asks of a recap.
                audience={"all": True},
                actor=current_user,
            )
        except store.CampaignValidationError as exc:
            for name, message in exc.messages(_, _language()).items():
                if name in form:
                    form[name].errors.append(message)
        else:
            db.commit()
            flash(_("The draft is made; fill in the blocks."), "success")
            return redirect(url_for("campaigns.edit", campaign_id=campaign.id))
    return (
        render_template(
            "campaigns/new.html",
            form=form,
            held=_held_meetings(db),
            recap=CampaignKind.RECAP,
            templates=templates.list_templates(db),
            kind_labels=KIND_LABELS,
        ),
        422 if form.errors else 200,
    )


# ---------------------------------------------------------------------------------------------
# Templates: a campaign's content kept under a name (service/campaigns/templates.py)


@bp.route("/<int:campaign_id>/save-template", methods=["GET", "POST"])
@allow(Role.ORGANISER)
def save_template(campaign_id: int):
    """ "Opslaan als sjabloon": the campaign's saved content under a name."""
    db = get_session()
    campaign = _get_or_404(campaign_id)
    form = TemplateNameForm()
    if form.validate_on_submit():
        try:
            template = templates.save_campaign_as(
                db, campaign, form.name.data or "", actor=current_user
            )
        except templates.TemplateValidationError as exc:
            _name_errors(form, exc)
        else:
            db.commit()
            flash(
                _(
                    "Saved as the template “%(name)s”; “New campaign” offers it.",
                    name=template.name,
                ),
                "success",
            )
            return redirect(url_for("campaigns.edit", campaign_id=campaign.id))
    return (
        render_template("campaigns/save_template.html", campaign=campaign, form=form),
        422 if form.errors else 200,
    )


@bp.get("/templates")
@allow(Role.VIEWER)
def template_list():
    db = get_session()
    return render_template(
        "campaigns/templates.html", templates=templates.list_templates(db), kind_labels=KIND_LABELS
    )


@bp.route("/templates/<int:template_id>/rename", methods=["GET", "POST"])
@allow(Role.ORGANISER)
def rename_template(template_id: int):
    db = get_session()
    template = _template_or_404(template_id)
    form = TemplateNameForm(data={"name": template.name} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            templates.update_template(db, template, name=form.name.data or "", actor=current_user)
        except templates.TemplateValidationError as exc:
            _name_errors(form, exc)
        else:
            db.commit()
            flash(_("The template is now called “%(name)s”.", name=template.name), "success")
            return redirect(url_for("campaigns.template_list"))
    return (
        render_template("campaigns/template_rename.html", template=template, form=form),
        422 if form.errors else 200,
    )


@bp.route("/templates/<int:template_id>/delete", methods=["GET", "POST"])
@allow(Role.ORGANISER)
def delete_template(template_id: int):
    db = get_session()
    template = _template_or_404(template_id)
    form = BodyForm()
    if form.validate_on_submit():
        name = template.name
        templates.delete_template(db, template, actor=current_user)
        db.commit()
        flash(_("The template “%(name)s” is deleted.", name=name), "success")
        return redirect(url_for("campaigns.template_list"))
    return render_template("campaigns/template_delete.html", template=template, form=form)


@bp.post("/templates/<int:template_id>/use")
@allow(Role.ORGANISER)
def use_template(template_id: int):
    """ "Nieuwe campagne" from a template: a draft with its content, for everyone with consent."""
    db = get_session()
    template = _template_or_404(template_id)
    if not BodyForm().validate_on_submit():
        abort(400)
    campaign = templates.start_campaign(
        db, template, sender_name=sender_name(current_settings()), actor=current_user
    )
    db.commit()
    flash(_("The draft is made from the template “%(name)s”.", name=template.name), "success")
    return redirect(url_for("campaigns.edit", campaign_id=campaign.id))


def _template_or_404(template_id: int):
    template = templates.get_template(get_session(), template_id)
    if template is None:
        abort(404, _("This template does not exist (any more)."))
    return template


def _name_errors(form: TemplateNameForm, exc: templates.TemplateValidationError) -> None:
    for message in exc.messages(_, _language()).values():
        form.name.errors = [*form.name.errors, message]


# The composer's form checks its own CSRF token (FlaskForm), so an expired token shows the
# typed text again instead of the general error page.
@bp.route("/<int:campaign_id>", methods=["GET", "POST"])
@csrf.exempt
@allow(Role.ORGANISER)
def edit(campaign_id: int):
    db = get_session()
    campaign = _get_or_404(campaign_id)
    form = CampaignForm(data=_form_data(campaign) if request.method == "GET" else None)
    _set_choices(db, form)
    editor = _Editor(raw=[raw_from_block(b) for b in campaign.blocks or []])
    status = 200
    if request.method == "GET":
        _mark_stored_problems(campaign, form, editor)
    valid = request.method == "POST" and form.validate_on_submit()
    if valid:
        editor = _Editor(raw=raw_blocks_from_form(request.form))
        anchor = editor.apply(request.form.get("action", "save"), request.form.get("add_type"))
        try:
            changed = _save(db, campaign, form, editor)
        except store.StaleVersionError as exc:
            editor.general = exc.message.render(_)
            status = 409
        except TransitionError as exc:
            flash(exc.message.render(_), "error")
            return redirect(url_for("campaigns.edit", campaign_id=campaign.id))
        except store.CampaignValidationError as exc:
            editor.take_errors(form, exc)
            status = 422
        else:
            db.commit()
            if changed:
                flash(_("The draft is saved."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            # The block the button was about (added, moved) comes back unfolded.
            shown = anchor.removeprefix("block-") if anchor.startswith("block-") else None
            back = url_for(
                "campaigns.edit", campaign_id=campaign.id, lang=_email_language(), open=shown
            )
            return redirect(f"{back}#{anchor}")
    elif request.method == "POST":
        # Show what was typed, so nothing is lost: either the CSRF token expired, or a field
        # holds what no field may (a control character), whose message is under that field.
        editor = _Editor(raw=raw_blocks_from_form(request.form))
        if token_refused(form):
            editor.general = _(
                "The page was open too long to save it safely. Everything you typed is still "
                "here; press “Save draft” again."
            )
            status = 400
        else:
            status = 422
    version = request.form.get("version", campaign.version) if request.method == "POST" else None
    return _composer_page(
        db, campaign, form, editor, version=version, test_result=_test_result(campaign)
    ), status


def _composer_page(
    db: Session,
    campaign: Campaign,
    form: CampaignForm,
    editor: _Editor,
    *,
    version: object = None,
    test_result: dict[str, str] | None,
) -> str:
    """The composer: the form with its blocks, the bar, and the preview beside them."""
    return render_template(
        "campaigns/composer.html",
        campaign=campaign,
        form=form,
        editor=editor,
        version=campaign.version if version is None else version,
        preview=_preview_or_none(db, campaign, _email_language()),
        view=_view_options(),
        editable=allows(campaign.status, Action.EDIT),
        can_start=allows(campaign.status, Action.START),
        schedule=_schedule_state(campaign),
        fold=len(editor.raw) > FOLD_ABOVE,
        test_result=test_result,
        max_test_addresses=MAX_TEST_ADDRESSES,
        open_block=request.args.get("open", type=int),
        language_names=_language_names(),
        language_versions=_versions_of(campaign),
        **_labels(),
    )


def _language_names() -> dict[str, str]:
    """Each language of the emails by its name in the page's language ("Engels")."""
    names = translator(_language())
    return {code: names.language_name(code) for code in current_settings().LANGUAGES}


@bp.post("/<int:campaign_id>/autosave")
@csrf.exempt
@allow(Role.ORGANISER)
def autosave(campaign_id: int):
    """The composer's form, saved without a reload; answers JSON for composer.js."""
    db = get_session()
    campaign = _get_or_404(campaign_id)
    form = CampaignForm()
    _set_choices(db, form)
    if not form.validate_on_submit():
        if token_refused(form):
            return jsonify(saved=False, message=_("The form has expired; reload the page.")), 400
        return _not_saved(form, {}), 422
    editor = _Editor(raw=raw_blocks_from_form(request.form))
    try:
        changed = _save(db, campaign, form, editor)
    except store.StaleVersionError as exc:
        return jsonify(saved=False, conflict=True, message=exc.message.render(_)), 409
    except TransitionError as exc:
        return jsonify(saved=False, message=exc.message.render(_)), 409
    except store.CampaignValidationError as exc:
        editor.take_errors(form, exc)
        return _not_saved(form, editor.field_ids()), 422
    db.commit()
    preview = _preview_or_none(db, campaign, _email_language())
    return jsonify(
        saved=True,
        changed=bool(changed),
        version=campaign.version,
        message=_("Draft saved.") if changed else _("No changes to save."),
        preview_url=url_for("campaigns.preview", campaign_id=campaign.id, v=campaign.version),
        lint_html=render_template("campaigns/_lint.html", preview=preview),
        checks_html=render_template("campaigns/_checks_summary.html", preview=preview),
        text=preview.text if preview else "",
    )


def _not_saved(form: CampaignForm, block_errors: dict[str, str]):
    """The autosave's answer when fields are wrong: each field's id with its first problem."""
    errors = {**{f.id: f.errors[0] for f in form if f.errors}, **block_errors}
    return jsonify(
        saved=False,
        message=_("Not saved: correct the fields marked in the form."),
        errors=errors,
    )


@bp.get("/<int:campaign_id>/preview")
@allow(Role.VIEWER)
def preview(campaign_id: int):
    """The personalised email of a sample recipient, for the composer's iframe.

    `scheme=dark` turns the email's own dark-mode rules on (its `prefers-color-scheme: dark`
    media query becomes `all`), so organisers see what dark-mode mail clients show whatever
    their own browser's setting.
    """
    db = get_session()
    campaign = _get_or_404(campaign_id)
    # Marked, so the composer can scroll to the block being edited (never in sent mail).
    shown = _preview_or_none(db, campaign, _email_language(), mark_blocks=True)
    if shown is None:
        abort(422, _("This email cannot be shown; save the draft again or check its blocks."))
    html = shown.html
    if request.args.get("scheme") == "dark":
        html = _DARK_MEDIA.sub("@media all", html)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:campaign_id>/delete", methods=["GET", "POST"])
@allow(Role.ORGANISER)
def delete(campaign_id: int):
    db = get_session()
    campaign = _get_or_404(campaign_id)
    form = BodyForm()
    if form.validate_on_submit():
        try:
            store.delete_campaign(db, campaign, actor=current_user)
        except TransitionError as exc:
            flash(exc.message.render(_), "error")
            return redirect(url_for("campaigns.edit", campaign_id=campaign.id))
        db.commit()
        flash(_("The draft “%(subject)s” was deleted.", subject=_title(campaign)), "success")
        return redirect(url_for("campaigns.index"))
    return render_template("campaigns/delete.html", campaign=campaign, form=form)


@bp.post("/<int:campaign_id>/duplicate")
@allow(Role.ORGANISER)
def duplicate(campaign_id: int):
    db = get_session()
    campaign = _get_or_404(campaign_id)
    if not BodyForm().validate_on_submit():
        abort(400)
    copy = store.duplicate_campaign(db, campaign, actor=current_user)
    db.commit()
    flash(
        _("This is a copy of “%(subject)s”, saved as a draft.", subject=_title(campaign)), "success"
    )
    return redirect(url_for("campaigns.edit", campaign_id=copy.id))


@bp.post("/<int:campaign_id>/send-test")
@allow(Role.ORGANISER)
def send_test(campaign_id: int):
    """Send the email, filled in as a sample, to up to five addresses (default: the organiser's).

    The outcome is shown next to the button in the composer's bar (`_TEST_RESULT` in the session),
    with the addresses as typed when they were refused.
    """
    db = get_session()
    campaign = _get_or_404(campaign_id)
    form = TestSendForm()
    if not form.validate_on_submit():
        if token_refused(form):
            abort(400)
        # A control character: refused by the intake rules, shown in the bar with what was typed.
        return _refused_test_send(db, campaign, form), 422
    typed = form.to.data or ""
    result: dict[str, str] = {"campaign": str(campaign.id), "to": typed}
    try:
        addresses = parse_test_addresses(typed, current_user.email)
        send_test_email(
            db, campaign, current_user, current_settings(), to=addresses, readers=_email_language()
        )
    except BadTestAddresses as exc:
        result["level"] = "error"
        result["field"] = "1"
        result["message"] = (
            _("“%(address)s” is not an email address.", address=exc.address)
            if exc.address
            else _("A test goes to at most %(count)s addresses.", count=MAX_TEST_ADDRESSES)
        )
    except (TemplateError, TransportConfigError, TransportError, ValueError) as exc:
        current_app.logger.warning("test send of campaign %s failed: %s", campaign.id, exc)
        reason = delivery_reason(str(exc))
        result["level"] = "error"
        result["message"] = _("The test email could not be sent: %(reason)s", reason=reason)
    else:
        result["level"] = "success"
        result["message"] = _("A test email was sent to %(email)s.", email=", ".join(addresses))
    session[_TEST_RESULT] = result
    back = url_for("campaigns.edit", campaign_id=campaign.id, lang=_email_language())
    return redirect(back + "#composer-bar")


def _refused_test_send(db: Session, campaign: Campaign, form: TestSendForm) -> str:
    """The composer as stored, its bar saying why the test's addresses were refused."""
    composer = CampaignForm(data=_form_data(campaign), formdata=None)
    _set_choices(db, composer)
    editor = _Editor(raw=[raw_from_block(b) for b in campaign.blocks or []])
    result = {
        "campaign": str(campaign.id),
        "to": request.form.get("to", ""),
        "level": "error",
        "field": "1",
        "message": " ".join(str(error) for error in form.to.errors),
    }
    return _composer_page(db, campaign, composer, editor, test_result=result)


def _test_result(campaign: Campaign) -> dict[str, str] | None:
    """The outcome of this campaign's last test send, shown once."""
    result = session.pop(_TEST_RESULT, None)
    if not isinstance(result, dict) or result.get("campaign") != str(campaign.id):
        return None
    return result


@bp.route("/<int:campaign_id>/send", methods=["GET", "POST"])
@allow(Role.ORGANISER)
def confirm_send(campaign_id: int):
    """Ask before sending: how many recipients, and whether the email passes its checks."""
    db = get_session()
    campaign = _get_or_404(campaign_id)
    if not allows(campaign.status, Action.START):
        return redirect(url_for("campaigns.progress", campaign_id=campaign.id))
    form = BodyForm()
    if form.validate_on_submit():
        try:
            count = sending.send_campaign(db, campaign, current_settings(), actor=current_user)
        except TransitionError as exc:
            db.rollback()
            flash(exc.message.render(_), "error")
            return redirect(url_for("campaigns.progress", campaign_id=campaign.id))
        except sending.NotReadyError:
            # The page checks again and shows why, with every finding; a flash would repeat it.
            db.rollback()
            return redirect(url_for("campaigns.confirm_send", campaign_id=campaign.id))
        db.commit()
        flash(_("Sending has started to %(count)s recipients.", count=count), "success")
        return redirect(url_for("campaigns.progress", campaign_id=campaign.id))
    return _send_page(db, campaign, form, _schedule_form(campaign))


@bp.post("/<int:campaign_id>/schedule")
@allow(Role.ORGANISER)
def schedule(campaign_id: int):
    """Let the scheduler start the campaign at the chosen day and time (the network's zone)."""
    db = get_session()
    campaign = _get_or_404(campaign_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        return _send_page(db, campaign, BodyForm(), form, status=422)
    at = dates.local_to_utc(form.date.data, form.time.data, current_settings().TIMEZONE)
    try:
        sending.schedule_campaign(db, campaign, at, current_settings(), actor=current_user)
    except TransitionError as exc:
        db.rollback()
        flash(exc.message.render(_), "error")
        return redirect(url_for("campaigns.edit", campaign_id=campaign.id))
    except sending.NotReadyError:
        # The page checks again and shows every finding next to the form.
        db.rollback()
        return _send_page(db, campaign, BodyForm(), form, status=422)
    except store.CampaignError as exc:
        db.rollback()
        form.date.errors = [*form.date.errors, exc.message.render(_)]
        return _send_page(db, campaign, BodyForm(), form, status=422)
    db.commit()
    flash(_("Scheduled for %(moment)s.", moment=local_datetime(at)), "success")
    return redirect(url_for("campaigns.edit", campaign_id=campaign.id))


@bp.post("/<int:campaign_id>/unschedule")
@allow(Role.ORGANISER)
def unschedule(campaign_id: int):
    """Take a scheduled campaign back to draft: the scheduler will not start it."""
    db = get_session()
    campaign = _get_or_404(campaign_id)
    if not BodyForm().validate_on_submit():
        abort(400)
    try:
        store.unschedule_campaign(db, campaign, actor=current_user)
    except TransitionError as exc:
        db.rollback()
        flash(exc.message.render(_), "error")
    else:
        db.commit()
        flash(_("The campaign is no longer scheduled; it is a draft again."), "success")
    return redirect(url_for("campaigns.edit", campaign_id=campaign.id))


@bp.get("/<int:campaign_id>/sending")
@allow(Role.VIEWER)
def progress(campaign_id: int):
    """Where the sending stands; progress.js keeps the numbers current while it sends."""
    db = get_session()
    campaign = _get_or_404(campaign_id)
    return render_template(
        "campaigns/progress.html",
        campaign=campaign,
        form=BodyForm(),
        state=_progress_state(db, campaign),
        failed=sending.failed_deliveries(db, campaign.id, limit=FAILED_SHOWN),
        failed_shown=FAILED_SHOWN,
        status_labels=STATUS_LABELS,
        kind_labels=KIND_LABELS,
    )


@bp.get("/<int:campaign_id>/progress.json")
@allow(Role.VIEWER)
def progress_json(campaign_id: int):
    """The progress page's numbers as JSON, for progress.js."""
    campaign = _get_or_404(campaign_id)
    return jsonify(_progress_state(get_session(), campaign))


@bp.post("/<int:campaign_id>/pause")
@allow(Role.ORGANISER)
def pause(campaign_id: int):
    """Stop handing out new messages; the rest waits until resumed."""
    return _control(campaign_id, pause_sending, _("Sending is paused."))


@bp.post("/<int:campaign_id>/resume")
@allow(Role.ORGANISER)
def resume(campaign_id: int):
    """Send the rest of a paused campaign."""
    return _control(campaign_id, resume_sending, _("Sending goes on."))


@bp.route("/<int:campaign_id>/cancel", methods=["GET", "POST"])
@allow(Role.ORGANISER)
def cancel(campaign_id: int):
    """Ask, then stop sending for good: messages still waiting are not sent."""
    campaign = _get_or_404(campaign_id)
    form = BodyForm()
    if form.validate_on_submit():
        return _control(campaign_id, cancel_sending, _("Sending is cancelled."))
    return render_template("campaigns/cancel.html", campaign=campaign, form=form)


@bp.get("/<int:campaign_id>/report")
@allow(Role.VIEWER)
def report(campaign_id: int):
    """The campaign's report: counts after the send, answers, reach by province, link clicks."""
    campaign = _get_or_404(campaign_id)
    figures = campaign_report(get_session(), campaign, timezone=current_settings().TIMEZONE)
    locale = page_locale()
    answers = figures.answers
    return render_template(
        "campaigns/report.html",
        campaign=campaign,
        report=figures,
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
        failed_reasons=[(reason_words(r.reason, _), r.count) for r in figures.failed_reasons],
        mailing_words={mailing: _(words) for mailing, words in MAILING_WORDS.items()},
        chart=answers_chart(answers.per_day, locale) if answers and answers.per_day else None,
        day_names={
            d.day: format_date(d.day, dates.DATE_FORMAT, locale=locale)
            for d in (answers.per_day if answers else [])
        },
        tile_map_data=tile_map(figures.provinces),
        not_reached=name_list([p.name for p in figures.provinces_not_reached], locale),
        national=next(p for p in figures.provinces if p.code == provinces.NATIONAL),
        web_version=_web_version_path(campaign.id),
    )


@bp.get("/<int:campaign_id>/report.csv")
@allow(Role.VIEWER)
def report_csv(campaign_id: int):
    """The report as a CSV file for a spreadsheet: section; item; count."""
    campaign = _get_or_404(campaign_id)
    settings = current_settings()
    figures = campaign_report(get_session(), campaign, timezone=settings.TIMEZONE)
    body = report_export.report_csv(figures, settings.default_language)
    return Response(
        body.encode("utf-8"),
        headers={
            "Content-Disposition": f'attachment; filename="rapport-campagne-{campaign.id}.csv"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )


def _web_version_path(campaign_id: int) -> str:
    """The campaign's web version on this site, with its signed token."""
    token = web_version_token(campaign_id, current_settings().SECRET_KEY)
    return url_for("web.web_version", campaign_id=campaign_id, token=token)


# ---------------------------------------------------------------------------------------------


def _send_page(db, campaign: Campaign, form: BodyForm, schedule_form: ScheduleForm, status=200):
    """The confirmation page: recipients, the checks, send now, or schedule for later."""
    problem, findings = None, []
    try:
        sending.check_ready(db, campaign, current_settings())
    except sending.NotReadyError as exc:
        problem, findings = exc.message.render(_), exc.findings
    page = render_template(
        "campaigns/send.html",
        campaign=campaign,
        form=form,
        schedule_form=schedule_form,
        schedule=_schedule_state(campaign),
        timezone=current_settings().TIMEZONE,
        recipients=count_recipients(db, campaign.audience or {}, mailing_of(campaign.kind)),
        readers=_readers(db, campaign),
        problem=problem,
        findings=findings,
        language=_language(),
    )
    return page, status


def _readers(db: Session, campaign: Campaign) -> list[dict[str, object]]:
    """Who gets which language, named in the page's language, for the send page."""
    counts = recipients_by_language(db, campaign.audience or {}, mailing_of(campaign.kind))
    names = translator(_language())
    return [
        {
            "count": group.count,
            "reads": names.language_name(group.language),
            "gets": names.language_name(group.gets),
            "own_language": group.own_language,
        }
        for group in versions.readers_by_language(campaign, counts, current_settings().LANGUAGES)
    ]


def _schedule_form(campaign: Campaign) -> ScheduleForm:
    """The schedule form, showing the campaign's current moment when it has one."""
    if campaign.scheduled_at is None:
        return ScheduleForm(formdata=None)
    local = dates.utc_to_local(campaign.scheduled_at, current_settings().TIMEZONE)
    return ScheduleForm(formdata=None, date=local.date(), time=local.time().replace(second=0))


def _schedule_state(campaign: Campaign, now: datetime | None = None) -> dict[str, Any]:
    """When a scheduled campaign goes, and whether the scheduler left it for being too late."""
    # The moment counts only while the campaign is scheduled.
    at = campaign.scheduled_at if campaign.status == CampaignStatus.SCHEDULED else None
    left_late = campaign.status_reason_code == ReasonCode.DUE_TOO_LATE
    late = at is not None and at <= (now or utcnow()) and left_late
    reason = campaign_reason(campaign)
    return {
        "scheduled": at is not None,
        "late": late,
        "moment": local_datetime(at) if at is not None else "",
        "datetime": at.isoformat() if at is not None else "",
        "reason": reason,
        # A draft the scheduler sent back (it could not render) says why.
        "refused": reason if campaign.status == CampaignStatus.DRAFT else "",
    }


def _control(campaign_id: int, action, done: str):
    db = get_session()
    campaign = _get_or_404(campaign_id)
    if not BodyForm().validate_on_submit():
        abort(400)
    try:
        action(db, campaign, actor=current_user)
    except TransitionError as exc:
        db.rollback()
        flash(exc.message.render(_), "error")
    else:
        db.commit()
        flash(done, "success")
    return redirect(url_for("campaigns.progress", campaign_id=campaign_id))


def _progress_state(db, campaign: Campaign) -> dict[str, Any]:
    """The counts as numbers, and the words and dates the page shows, in the reader's language."""
    counts = campaign_progress(db, campaign.id)
    expected_end = counts.expected_end
    ongoing = campaign.status in (CampaignStatus.SENDING, CampaignStatus.PAUSED)
    return {
        "status": campaign.status.value,
        "status_label": str(STATUS_LABELS[campaign.status]),
        "status_reason": campaign_reason(campaign),
        "heading": _progress_heading(campaign),
        "progress": counts.as_dict(),
        "display": {
            "rate_per_minute": format_decimal(round(counts.rate_per_minute, 1)),
            # While it sends, the pace of the last five minutes; afterwards, of the whole send.
            "pace_label": _("Pace (last five minutes):") if ongoing else _("Pace of the send:"),
            "pace": _pace_words(counts.recent if ongoing else counts.whole),
            "expected_end": local_datetime(expected_end) if expected_end else "",
            "sent_at": local_datetime(campaign.sent_at) if campaign.sent_at else "",
        },
    }


def _progress_heading(campaign: Campaign) -> str:
    """The progress page's title: what happened to the sending, not always "is being sent"."""
    subject = _title(campaign)
    if campaign.status == CampaignStatus.SENDING:
        return _("Sending “%(subject)s”", subject=subject)
    if campaign.status == CampaignStatus.PAUSED:
        return _("Sending “%(subject)s” is paused", subject=subject)
    if campaign.status == CampaignStatus.SENT:
        return _("“%(subject)s” has been sent", subject=subject)
    if campaign.status == CampaignStatus.CANCELLED:
        return _("Sending “%(subject)s” was cancelled", subject=subject)
    return _("“%(subject)s” has not been sent yet", subject=subject)


def _pace_words(pace: Pace) -> str:
    """How fast the messages went: "35 messages in 1 second" for a send shorter than a minute,
    else "120 per minute".

    A rate per minute of a burst that took one second reads as a promise it cannot keep (35
    messages in one second are "2100 per minute"), so below a minute the page says what
    really happened: the count and the seconds it took.
    """
    if not pace.count:
        return _("none yet")
    seconds = max(1, round(pace.span.total_seconds()))
    if seconds < 60:
        return _(
            "%(messages)s in %(time)s",
            messages=ngettext("%(num)s message", "%(num)s messages", pace.count),
            time=ngettext("%(num)s second", "%(num)s seconds", seconds),
        )
    per_minute = pace.count / (pace.span.total_seconds() / 60)
    return _("%(rate)s per minute", rate=format_decimal(round(per_minute, 1)))


# ---------------------------------------------------------------------------------------------
# A version in another language, side by side with the campaign's own (rendering/versions.py)


# Like the composer, the form checks its own CSRF token, so an expired token keeps the text.
@bp.route("/<int:campaign_id>/versions/<language>", methods=["GET", "POST"])
@csrf.exempt
@allow(Role.ORGANISER)
def version(campaign_id: int, language: str):
    """The campaign's version in `language`: start it from a copy, or write it block by block
    beside the campaign's own blocks."""
    db = get_session()
    campaign = _get_or_404(campaign_id)
    _other_language_or_404(campaign, language)
    exists = language in versions.translated_languages(campaign)
    form = VersionForm(data=_version_data(campaign, language) if request.method == "GET" else None)
    editor = _Editor(raw=[raw_from_block(pair.version) for pair in _pairs(campaign, language)])
    status = 200
    if request.method == "POST":
        editor = _Editor(raw=raw_blocks_from_form(request.form)) if exists else editor
        if not form.validate_on_submit():
            if token_refused(form):
                editor.general = _(
                    "The page was open too long to save it safely. Everything you typed is "
                    "still here; save it again."
                )
                status = 400
            else:
                status = 422
        else:
            start = request.form.get("action") == "start"
            if start == exists:
                # A second tab started (or removed) it meanwhile: show it as it is now.
                return redirect(url_for("campaigns.version", **_version_args(campaign, language)))
            fields = (
                versions.copy_of_own(campaign)
                if start
                else {
                    "subject": form.subject.data or "",
                    "preheader": form.preheader.data or "",
                    "blocks": editor.blocks(),
                }
            )
            try:
                changed = store.update_campaign(
                    db,
                    campaign,
                    expected_version=_posted_version(),
                    translations=versions.with_version(campaign, language, fields),
                    actor=current_user,
                )
            except store.StaleVersionError as exc:
                editor.general = exc.message.render(_)
                status = 409
            except TransitionError as exc:
                flash(exc.message.render(_), "error")
                return redirect(url_for("campaigns.version", **_version_args(campaign, language)))
            except store.CampaignValidationError as exc:
                _version_errors(form, editor, exc, language)
                status = 422
            else:
                db.commit()
                name = _version_name(language)
                if start:
                    made = _("The %(version)s is made: translate it below.", version=name)
                    flash(made, "success")
                elif changed:
                    flash(_("The %(version)s is saved.", version=name), "success")
                else:
                    flash(_("Nothing was changed."), "info")
                return redirect(url_for("campaigns.version", **_version_args(campaign, language)))
    posted = request.form.get("version", campaign.version) if request.method == "POST" else None
    return _version_page(campaign, language, form, editor, version=posted), status


@bp.route("/<int:campaign_id>/versions/<language>/delete", methods=["GET", "POST"])
@allow(Role.ORGANISER)
def delete_version(campaign_id: int, language: str):
    """Ask, then remove the version in `language`: its readers get the campaign's own again."""
    db = get_session()
    campaign = _get_or_404(campaign_id)
    _other_language_or_404(campaign, language)
    back = url_for("campaigns.version", **_version_args(campaign, language))
    if language not in versions.translated_languages(campaign):
        return redirect(back)
    form = BodyForm()
    if form.validate_on_submit():
        try:
            store.update_campaign(
                db,
                campaign,
                expected_version=None,
                translations=versions.without_version(campaign, language),
                actor=current_user,
            )
        except TransitionError as exc:
            flash(exc.message.render(_), "error")
            return redirect(back)
        db.commit()
        flash(_("The %(version)s is deleted.", version=_version_name(language)), "success")
        return redirect(back)
    return render_template(
        "campaigns/version_delete.html",
        campaign=campaign,
        form=form,
        version_name=_version_name(language),
        who_gets=_who_gets(campaign, language, after_removal=True),
        back=back,
    )


def _other_language_or_404(campaign: Campaign, language: str) -> None:
    """A version is written in a language the network writes in, other than the campaign's."""
    own = versions.campaign_language(campaign)
    if language not in current_settings().LANGUAGES or language == own:
        abort(404, _("This campaign has no other version in that language."))


def _version_args(campaign: Campaign, language: str) -> dict[str, Any]:
    return {"campaign_id": campaign.id, "language": language}


def _posted_version() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return -1


def _version_data(campaign: Campaign, language: str) -> dict[str, Any]:
    stored = (campaign.translations or {}).get(language) or {}
    return {"subject": stored.get("subject", ""), "preheader": stored.get("preheader", "")}


def _pairs(campaign: Campaign, language: str) -> list[versions.BlockPair]:
    if language not in versions.translated_languages(campaign):
        return []
    return versions.paired_blocks(campaign, language)


def _version_name(language: str) -> str:
    """ "English version" in the page's language ("Engelse versie")."""
    name = VERSION_NAMES.get(language)
    if name is not None:
        return str(name)
    return _("version in %(language)s", language=_language_name(language))


def _language_name(language: str) -> str:
    """A language named in the page's language ("Engels" on a Dutch page)."""
    return _language_names()[language]


def _who_gets(campaign: Campaign, language: str, *, after_removal: bool = False) -> str:
    """Who gets what today, in one sentence, for the readers of `language`."""
    own = versions.campaign_language(campaign)
    if language in versions.translated_languages(campaign) and not after_removal:
        return _(
            "Readers of %(language)s get this version; everyone else gets the %(own)s.",
            language=_language_name(language),
            own=_version_name(own),
        )
    if after_removal:
        return _(
            "Readers of %(language)s will then get the whole email in %(own)s, framing included.",
            language=_language_name(language),
            own=_language_name(own),
        )
    return _(
        "Readers of %(language)s now get the whole email in %(own)s, framing included.",
        language=_language_name(language),
        own=_language_name(own),
    )


def _version_errors(
    form: VersionForm, editor: _Editor, exc: store.CampaignValidationError, language: str
) -> None:
    """Each problem of the version at its field; a problem of the campaign's own in general."""
    prefix = f"translations.{language}."
    own: list[str] = []
    mine: dict[str, Any] = {}
    for path, problem in exc.errors.items():
        if path.startswith(prefix):
            mine[path.removeprefix(prefix)] = problem
        else:
            own.append(exc.messages(_, _language())[path])
    if mine:
        editor.take_errors(form, store.CampaignValidationError(mine))
    if own:
        editor.general = " ".join(
            [
                _(
                    "The campaign's own version has problems; mend them in the composer first:",
                ),
                *own,
            ]
        )


def _version_page(
    campaign: Campaign,
    language: str,
    form: VersionForm,
    editor: _Editor,
    *,
    version: object = None,
) -> str:
    own_raw = [raw_from_block(block) for block in campaign.blocks or []]
    copied = {n for n, pair in enumerate(_pairs(campaign, language)) if pair.copied}
    exists = language in versions.translated_languages(campaign)
    return render_template(
        "campaigns/version.html",
        campaign=campaign,
        language=language,
        own_language=versions.campaign_language(campaign),
        form=form,
        editor=editor,
        version=campaign.version if version is None else version,
        exists=exists,
        out_of_step=exists and versions.out_of_step(campaign, language),
        rows=[
            {
                "n": n,
                "raw": raw,
                "own": own_raw[n] if n < len(own_raw) else None,
                "copied": n in copied,
            }
            for n, raw in enumerate(editor.raw)
        ],
        editable=allows(campaign.status, Action.EDIT),
        version_name=_version_name(language),
        own_name=_version_name(versions.campaign_language(campaign)),
        language_name=_language_name(language),
        # The checks of the email its readers get, to mend before sending (the send page
        # checks every language again).
        preview=_preview_or_none(get_session(), campaign, language) if exists else None,
        who_gets=_who_gets(campaign, language),
        **_labels(),
    )


def _versions_of(campaign: Campaign) -> list[dict[str, Any]]:
    """The composer's line per other language: whether there is a version, and if in step."""
    own = versions.campaign_language(campaign)
    present = versions.translated_languages(campaign)
    return [
        {
            "language": language,
            "name": _version_name(language),
            "exists": language in present,
            "out_of_step": language in present and versions.out_of_step(campaign, language),
            "who_gets": _who_gets(campaign, language),
        }
        for language in current_settings().LANGUAGES
        if language != own
    ]


# ---------------------------------------------------------------------------------------------


@dataclass
class _Editor:
    """The blocks as the form shows them, with their errors and one message for the whole form."""

    raw: list[dict[str, str]]
    errors: dict[tuple[int, str], list[str]] = field(default_factory=dict)
    general: str = ""

    def apply(self, action: str, add_type: str | None) -> str:
        """Do what the pressed button asks; returns the anchor to come back to."""
        match = _ACTION.match(action or "")
        if action == "add" and add_type in BLOCK_TYPES:
            self.raw.append(raw_from_block({"type": add_type}))
            return f"block-{len(self.raw) - 1}"
        if match is None:
            return "blocks-heading"
        move, index = match.group(1), int(match.group(2))
        if not 0 <= index < len(self.raw):
            return "blocks-heading"
        if move == "remove":
            del self.raw[index]
            if not self.raw:
                return "add-block"
            return f"block-{min(index, len(self.raw) - 1)}"
        target = index - 1 if move == "up" else index + 1
        if not 0 <= target < len(self.raw):
            return f"block-{index}"
        self.raw[index], self.raw[target] = self.raw[target], self.raw[index]
        return f"block-{target}"

    def blocks(self) -> list[dict[str, Any]]:
        """The block dicts for the store."""
        return [block_from_raw(raw) for raw in self.raw]

    def take_errors(self, form: AppForm, exc: store.CampaignValidationError) -> None:
        """Put every problem next to its field: the form's own or a block's."""
        language = _language()
        for path, problem in exc.errors.items():
            place = field_of(path)
            if place is None:
                name = path.split(".")[0].split("[")[0]
                message = exc.messages(_, language)[path]
                if name in form:
                    form[name].errors.append(message)
                else:
                    self.general = message
                continue
            problems = problem if isinstance(problem, list) else []
            for error in problems:
                text = error.message(language)
                line = item_of(error.path)
                if line is not None:
                    text = _("Entry %(number)s: %(problem)s", number=line + 1, problem=text)
                self.errors.setdefault(place, []).append(text)

    def field_ids(self) -> dict[str, str]:
        """The block errors keyed by the id of their form field (for composer.js)."""
        return {f"blocks-{n}-{name}": " ".join(msgs) for (n, name), msgs in self.errors.items()}


def _save(db, campaign: Campaign, form: CampaignForm, editor: _Editor) -> list[str]:
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        version = -1
    return store.update_campaign(
        db,
        campaign,
        expected_version=version,
        actor=current_user,
        kind=form.kind.data,
        # Not posted while the select is disabled (the campaign has another language's version).
        language=form.language.data or versions.campaign_language(campaign),
        subject=form.subject.data or "",
        preheader=form.preheader.data or "",
        sender_name=form.sender_name.data or "",
        meeting_id=form.meeting_id.data or None,
        blocks=editor.blocks(),
        audience=audience_from_form(form),
        count_clicks=bool(form.count_clicks.data),
    )


def _mark_stored_problems(campaign: Campaign, form: CampaignForm, editor: _Editor) -> None:
    # Checks tighten after a draft is saved (a date range, a refused character): the stored
    # values that fail them are marked at their fields, so the organiser can mend them.
    problems = store.stored_content_errors(campaign)
    if problems is not None:
        editor.take_errors(form, problems)
        editor.general = editor.general or _(
            "Some values of this campaign are no longer accepted (marked below). Mend them and "
            "save: until then it cannot be previewed or sent."
        )


def _preview_or_none(
    db, campaign: Campaign, language: str, *, mark_blocks: bool = False
) -> store.Preview | None:
    try:
        return store.preview_campaign(
            db,
            campaign,
            language=language,
            network=_network(),
            base_url=current_settings().BASE_URL,
            mark_blocks=mark_blocks,
        )
    except TemplateError as exc:
        current_app.logger.warning("campaign %s does not render: %s", campaign.id, exc)
        return None


def _view_options() -> dict[str, str]:
    width = "mobile" if request.args.get("width") == "mobile" else "desktop"
    scheme = "dark" if request.args.get("scheme") == "dark" else "light"
    part = "text" if request.args.get("part") == "text" else "html"
    return {"width": width, "scheme": scheme, "part": part, "lang": _email_language()}


def _email_language() -> str:
    """The language of the previewed email: `lang` in the query or form, else the organiser's."""
    chosen = request.values.get("lang", "")
    return chosen if chosen in current_settings().LANGUAGES else _language()


def _labels() -> dict[str, Any]:
    return {
        "block_labels": BLOCK_LABELS,
        "block_gist": block_gist,
        "field_specs": FIELD_SPECS,
        "status_labels": STATUS_LABELS,
        "kind_labels": KIND_LABELS,
        "mobile_width": MOBILE_WIDTH,
        "max_subject": MAX_SUBJECT,
        "new_blocks": {kind: raw_from_block({"type": kind}) for kind in BLOCK_TYPES},
    }


def _form_data(campaign: Campaign) -> dict[str, Any]:
    return {
        "kind": str(campaign.kind),
        "language": versions.campaign_language(campaign),
        "subject": campaign.subject,
        "preheader": campaign.preheader,
        "sender_name": campaign.sender_name,
        "meeting_id": str(campaign.meeting_id or ""),
        "count_clicks": campaign.count_clicks,
    } | audience_form_data(campaign.audience or {})


def _set_choices(db, form: CampaignForm) -> None:
    form.language.choices = [SelectChoice(code, name) for code, name in _language_names().items()]
    form.meeting_id.choices = _meeting_choices(db)
    form.provinces.choices = [SelectChoice(code, name) for code, name in provinces.CHOICES.items()]
    tags = db.scalars(select(Tag.name).order_by(Tag.name))
    form.tags.choices = [SelectChoice(tag, tag) for tag in tags]
    form.attended.choices = [
        SelectChoice(str(meeting.id), _meeting_label(meeting)) for meeting in _held_meetings(db)
    ]


def _held_meetings(db) -> list[Meeting]:
    """Meetings that took place (marked held, or over and not cancelled), the latest first."""
    query = (
        select(Meeting)
        .where(
            (Meeting.status == MeetingStatus.HELD)
            | ((Meeting.ends_at < utcnow()) & (Meeting.status == MeetingStatus.PUBLISHED))
        )
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    )
    return list(db.scalars(query))


def _meeting_label(meeting: Meeting) -> str:
    day = dates.format_local_date(meeting.starts_at, current_settings().TIMEZONE, _language())
    return f"{day} · {meeting.host_organisation} · {meeting.title}"


def _meeting_choices(db) -> list[SelectChoice]:
    choices = [SelectChoice("", _("No meeting"))]
    for meeting in reversed(list_meetings(db)):
        choices.append(SelectChoice(str(meeting.id), _meeting_label(meeting)))
    return choices


def _starting_subject(kind: str, meeting: Meeting | None) -> str:
    if meeting is None:
        return ""
    if kind == CampaignKind.RECAP:
        return _("Recap: %(title)s", title=meeting.title)
    if kind == CampaignKind.INVITATION:
        return _("Invitation: %(title)s", title=meeting.title)
    if kind == CampaignKind.REMINDER:
        return _("Reminder: %(title)s", title=meeting.title)
    return meeting.title


def _starting_blocks(kind: str, meeting: Meeting | None) -> list[dict[str, Any]]:
    """A recap (or any email) for a meeting starts with its header and the upcoming meetings.

    An invitation reads like one: the header (naming the host once), a short welcome; the email
    puts when and where and the answer buttons after these, then the upcoming meetings.
    """
    text: dict[str, Any] = {"type": "text", "body": ""}
    if meeting is None:
        return [text]
    title = _("The Opgavebeweging visits") if kind == CampaignKind.RECAP else None
    header = store.meeting_header(meeting, current_settings().TIMEZONE, title=title)
    if kind == CampaignKind.INVITATION:
        text["body"] = _welcome(meeting)
    upcoming = {"type": "upcoming_meetings", "title": _("Upcoming meetings")}
    return [header, text, upcoming]


def _welcome(meeting: Meeting) -> str:
    """The invitation's first words, for the organiser to make their own."""
    greeting = _("Dear %(name)s,", name=placeholders.token(placeholders.FIRST_NAME))
    if meeting.theme:
        body = _(
            "We warmly invite you to our next meeting, hosted by %(host)s, on the theme "
            "“%(theme)s”. Below you find when and where; will you let us know whether you "
            "are coming?",
            host=meeting.host_organisation,
            theme=meeting.theme,
        )
    else:
        body = _(
            "We warmly invite you to our next meeting, hosted by %(host)s. Below you find "
            "when and where; will you let us know whether you are coming?",
            host=meeting.host_organisation,
        )
    return f"{greeting}\n\n{body}"


def _network() -> Network:
    return network_from_config(current_settings())


def _language() -> str:
    locale = get_locale()
    return language_or_default(
        locale.language if locale is not None else None, current_settings().LANGUAGES
    )


def _get_or_404(campaign_id: int) -> Campaign:
    campaign = store.get_campaign(get_session(), campaign_id)
    if campaign is None:
        abort(404, _("This campaign does not exist (any more)."))
    return campaign


def _title(campaign: Campaign) -> str:
    return campaign.subject or _("(no subject)")
