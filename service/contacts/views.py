"""Contacts: list, search, create, edit, delete, import and export."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.utils import secure_filename

from service.audience import subscriptions
from service.auth.access import allow, require_login
from service.contacts import csvio, deletion, directory, suppressions
from service.contacts.consent_sources import source_words
from service.contacts.forms import (
    ContactForm,
    DeleteForm,
    ImportForm,
    LiftForm,
    SearchForm,
    SuppressionSearchForm,
    tag_choices,
)
from service.database import get_session
from service.forms import province_choices, token_refused
from service.models import Consent, Contact, Role, Suppression, utcnow
from service.provinces import CHOICES
from service.settings import current_settings

bp = Blueprint("contacts", __name__, url_prefix="/contacts")
require_login(bp)


@bp.app_template_filter("consent_source")
def consent_source_filter(source: str) -> str:
    """How consent was recorded, in the reader's language (service/contacts/consent_sources.py)."""
    return source_words(source, _)


def _consent_labels() -> dict[Consent, str]:
    return {
        Consent.UNKNOWN: _("Unknown"),
        Consent.GIVEN: _("Given"),
        Consent.WITHDRAWN: _("Withdrawn"),
    }


@bp.get("/")
@allow(Role.VIEWER)
def index():
    db = get_session()
    form = SearchForm(request.args)
    form.province.choices = province_choices(_("All provinces"))
    tags = directory.list_tags(db)
    form.tag.choices = tag_choices(tags, _("All tags"))
    # A filter with a control character searches nothing: its message shows under the field.
    searchable = form.validate()
    q = (form.q.data or "").strip() if searchable else ""
    province = form.province.data if form.province.data in CHOICES else None
    tag = (form.tag.data or None) if searchable else None
    result = directory.search_contacts(
        db,
        q=q,
        province=province,
        tag=tag,
        page=request.args.get("page", 1, type=int),
        per_page=current_settings().CONTACTS_PER_PAGE,
    )
    filters = {"q": q or None, "province": province, "tag": tag}
    return render_template(
        "contacts/list.html",
        form=form,
        result=result,
        total_text=format_number(result.total),
        filtered=any(filters.values()),
        filters=filters,
        consent_labels=_consent_labels(),
    ), 200 if searchable else 400


@bp.get("/withdrawn")
@allow(Role.VIEWER)
def withdrawn():
    """Who withdrew consent ("Afgemeld"), when and how, and who left one mailing of two;
    only they can subscribe again."""
    db = get_session()
    return render_template(
        "contacts/withdrawn.html",
        contacts=subscriptions.withdrawn_contacts(db),
        partly=subscriptions.contacts_who_left_a_mailing(db),
        mailing_labels=subscriptions.MAILING_LABELS,
    )


@bp.get("/suppressions/")
@allow(Role.VIEWER)
def suppression_list():
    """The blocked addresses ("Geblokkeerd"): why, how, from which campaign and since when."""
    db = get_session()
    form = SuppressionSearchForm(request.args)
    # A search with a control character searches nothing: its message shows under the field.
    searchable = form.validate()
    q = (form.q.data or "").strip() if searchable else ""
    result = suppressions.search_suppressions(
        db,
        q=q,
        page=request.args.get("page", 1, type=int),
        per_page=current_settings().CONTACTS_PER_PAGE,
    )
    return render_template(
        "contacts/suppressions.html",
        form=form,
        result=result,
        total_text=format_number(result.total),
        q=q or None,
        may_lift=suppressions.may_lift(current_user),
        words=_suppression_words,
    ), 200 if searchable else 400


@bp.route("/suppressions/<int:suppression_id>/lift", methods=["GET", "POST"])
@allow(Role.ADMIN, refusal=lambda: _lift_refused())
def lift_suppression(suppression_id: int):
    """An admin takes an address off the list, with a reason that goes into the audit log."""
    try:
        suppressions.check_may_lift(current_user)
    except suppressions.LiftRefused as exc:
        abort(403, exc.message.render(_))
    db = get_session()
    entry = suppressions.get_suppression(db, suppression_id)
    if entry is None:
        abort(404, _("This address is not blocked (any more)."))
    form = LiftForm()
    status = 200
    if form.is_submitted():
        if not form.validate():
            status = 400 if token_refused(form) else 422
        else:
            email = entry.email
            try:
                suppressions.lift_suppression(
                    db,
                    entry,
                    actor=current_user,
                    reason=form.reason.data or "",
                    person_asked=bool(form.person_asked.data),
                )
            except suppressions.LiftRefused as exc:
                db.rollback()
                for name, message in exc.problems.items():
                    form[name or "reason"].errors.append(message.render(_))
                status = 422
            else:
                db.commit()
                flash(
                    _(
                        "%(email)s is no longer blocked: campaigns and other mail go to it again.",
                        email=email,
                    ),
                    "success",
                )
                return redirect(url_for("contacts.suppression_list"))
    return render_template(
        "contacts/lift.html",
        form=form,
        entry=entry,
        subject=suppressions.campaign_subject(db, entry),
        words=_suppression_words(entry),
        complaint=suppressions.is_complaint(entry),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.ORGANISER)
def create():
    form = _contact_form()
    data = _checked(form)
    if data is not None:
        db = get_session()
        try:
            contact = directory.create_contact(db, data, actor=current_user, source=_form_source())
        except directory.DuplicateContactError as exc:
            db.rollback()
            form.email.errors.append(_duplicate_message(exc))
        else:
            db.commit()
            flash(_("Contact %(name)s was added.", name=_label(contact)), "success")
            _flash_address_warnings(contact)
            return redirect(url_for("contacts.index"))
    return render_template("contacts/form.html", form=form, contact=None), _status(form)


@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
@allow(Role.VIEWER, changes=Role.ORGANISER)
def edit(contact_id: int):
    db = get_session()
    contact = _get_or_404(contact_id)
    form = _contact_form(contact)
    data = _checked(form, contact)
    if data is not None:
        try:
            changed = directory.update_contact(
                db, contact, data, actor=current_user, source=_form_source()
            )
        except directory.DuplicateContactError as exc:
            db.rollback()
            form.email.errors.append(_duplicate_message(exc))
        else:
            db.commit()
            if changed:
                flash(_("The changes to %(name)s were saved.", name=_label(contact)), "success")
            else:
                flash(_("Nothing was changed for %(name)s.", name=_label(contact)), "info")
            if "email" in changed:
                _flash_address_warnings(contact)
            return redirect(url_for("contacts.index"))
    suppression = suppressions.suppression_of(db, contact.email)
    return render_template(
        "contacts/form.html",
        form=form,
        contact=contact,
        may_delete=deletion.may_delete_contacts(current_user),
        suppression=suppression,
        suppression_words=_suppression_words(suppression) if suppression else None,
        mailings=[
            (_(subscriptions.MAILING_LABELS[row.mailing]), row)
            for row in subscriptions.subscriptions_of(db, contact.id)
        ],
    ), _status(form)


@bp.route("/<int:contact_id>/delete", methods=["GET", "POST"])
@allow(Role.ADMIN, refusal=lambda: deletion.DeletionRefused().message.render(_))
def delete(contact_id: int):
    try:
        deletion.check_may_delete(current_user)
    except deletion.DeletionRefused as exc:
        abort(403, exc.message.render(_))
    db = get_session()
    contact = _get_or_404(contact_id)
    form = DeleteForm()
    if form.validate_on_submit():
        label = _label(contact)
        deletion.delete_contact(db, contact, actor=current_user)
        db.commit()
        flash(_("Contact %(name)s was deleted.", name=label), "success")
        return redirect(url_for("contacts.index"))
    return render_template("contacts/delete.html", form=form, contact=contact)


@bp.route("/import", methods=["GET", "POST"])
@allow(Role.ORGANISER)
def import_csv():
    form = ImportForm()
    report = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        name = secure_filename(upload.filename or "") or "upload.csv"
        db = get_session()
        try:
            report = csvio.import_contacts(db, upload.read(), name, actor=current_user)
        except csvio.ImportRefused as exc:
            db.rollback()
            form.file.errors.append(exc.message.render(_))
            status = 422
        else:
            db.commit()
    elif form.is_submitted():
        status = 422
    return render_template("contacts/import.html", form=form, report=report, translate=_), status


@bp.get("/export.csv")
@allow(Role.VIEWER)
def export_csv():
    db = get_session()
    count = db.scalar(select(func.count(Contact.id))) or 0
    # Taking the address list out of the service is recorded before the first byte leaves.
    csvio.record_export(db, current_user, count)
    db.commit()
    settings = current_settings()

    def pieces():
        # The request's own session is closed before the body streams; get_session() here opens
        # one in the streaming context, which closes it when the last piece is sent.
        for piece in csvio.iter_export(get_session(), settings.TIMEZONE, settings.default_language):
            yield piece.encode("utf-8")

    filename = f"contacten-{utcnow():%Y-%m-%d}.csv"
    return Response(
        stream_with_context(pieces()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )


# --- helpers --------------------------------------------------------------------------------


def _lift_refused() -> str:
    try:
        suppressions.check_may_lift(current_user)
    except suppressions.LiftRefused as exc:
        return exc.message.render(_)
    return ""


def _get_or_404(contact_id: int) -> Contact:
    contact = directory.get_contact(get_session(), contact_id)
    if contact is None:
        abort(404, _("This contact does not exist (any more)."))
    return contact


def _suppression_words(entry: Suppression) -> dict[str, str]:
    """How an entry of the list came there and who reported it, in the reader's language."""
    reporter = suppressions.reporter_words(entry)
    return {
        "source": suppressions.source_words(entry).render(_),
        "reporter": reporter.render(_) if reporter is not None else "",
    }


def _flash_address_warnings(contact: Contact) -> None:
    for message in directory.address_warnings(contact.email):
        flash(message.render(_), "info")


def _label(contact: Contact) -> str:
    return contact.name or contact.email


def _form_source() -> str:
    # How consent was recorded, kept with the contact ("organiser form" plus who).
    return f"organiser form by {current_user.email}"


def _duplicate_message(exc: directory.DuplicateContactError) -> str:
    return exc.message.render(_)


def _status(form: ContactForm) -> int:
    # A form sent back with errors is "unprocessable"; browsers show it like any page.
    return 422 if form.is_submitted() and form.errors else 200


def _contact_form(contact: Contact | None = None) -> ContactForm:
    if contact is None:
        form = ContactForm()
    else:
        form = ContactForm(
            data={
                "email": contact.email,
                "name": contact.name,
                "organisation": contact.organisation,
                "role": contact.role,
                "province": contact.province or "",
                "language": contact.language,
                "consent": contact.consent.value,
                "tags": ", ".join(contact.tag_names),
                "notes": contact.notes,
            }
        )
    form.province.choices = province_choices(_("No province"))
    return form


def _checked(form: ContactForm, current: Contact | None = None) -> directory.ContactInput | None:
    """The checked input of a submitted form, or None with the errors put on the form's fields.

    `current` is the contact being edited: some changes depend on it (consent the contact
    withdrew cannot be set back to given by an organiser).
    """
    if not form.is_submitted():
        return None
    form.validate()
    raw = {name: form[name].data for name in directory.FIELDS}
    try:
        data = directory.validate_contact_fields(raw, current)
    except directory.ContactValidationError as exc:
        for name, messages in exc.messages(_).items():
            # The form's own message (a missing address) is already there.
            if name in form and not form[name].errors:
                form[name].errors = [*form[name].errors, *messages]
        return None
    return None if form.errors else data
