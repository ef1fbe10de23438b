"""/api/v1/contacts: search, read, create, change, delete and import contacts.

Thin views over `service.contacts.directory` (and `csvio` for the import): they parse, call the
logic, commit once and answer. The logic never commits, so a refused request stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.api.auth import allow, api_user
from service.api.common import answer_links, api_blueprint, link, takes_upload
from service.api.errors import fail
from service.api.schemas import (
    ContactPageSchema,
    ContactPatchSchema,
    ContactQuerySchema,
    ContactReplaceSchema,
    ContactSchema,
    ImportFileSchema,
    ImportReportSchema,
    remember_suppressions,
)
from service.contacts import csvio, deletion, directory
from service.database import get_session
from service.models import Contact, Role
from service.provinces import parse_province

bp = api_blueprint("api_contacts", "/contacts", "Contacts of the network.")

_ITS_ID = {"contact_id": "$response.body#/id"}
# What a client can do next with the contact an answer gives.
CONTACT_LINKS = {
    "ReadContact": link("get", "/contacts/{contact_id}", **_ITS_ID),
    "ChangeContact": link("patch", "/contacts/{contact_id}", **_ITS_ID),
    "ReplaceContact": link("put", "/contacts/{contact_id}", **_ITS_ID),
    "DeleteContact": link("delete", "/contacts/{contact_id}", **_ITS_ID),
}


def _source() -> str:
    return f"API ({api_user().email})"


def _get_or_404(contact_id: int) -> Contact:
    contact = directory.get_contact(get_session(), contact_id)
    if contact is None:
        fail(404, _("There is no contact with id %(id)s.", id=contact_id))
    return contact


def _validated(raw: dict[str, Any], current: Contact | None = None) -> directory.ContactInput:
    fields = {k: v for k, v in raw.items() if k != "consent_source"}
    if "tag_names" in fields:
        fields["tags"] = fields.pop("tag_names")
    try:
        return directory.validate_contact_fields(fields, current)
    except directory.ContactValidationError as exc:
        fail(
            422,
            _("The contact was not saved. Check the fields named in 'errors'."),
            errors=exc.messages(_),
        )


@contextmanager
def _saved(email: str) -> Iterator[Session]:
    """A session whose changes are committed at the end, or 409 when the address is taken."""
    session = get_session()
    try:
        yield session
        session.commit()
    except directory.DuplicateContactError as exc:
        session.rollback()
        fail(409, exc.message.render(_))
    except IntegrityError:
        # Two requests with the same new address at once: the unique index stops the second.
        session.rollback()
        fail(409, _("A contact with the email address %(email)s already exists.", email=email))


@bp.route("", methods=["GET"])
@bp.arguments(ContactQuerySchema, location="query")
@bp.response(200, ContactPageSchema)
@allow(Role.VIEWER)
def list_contacts(args: dict[str, Any]):
    """Search contacts

    Text search in name, email and organisation, filters on province and tag, ordered by name.
    A page past the end answers the last page.
    """
    province = None
    if args.get("province"):
        try:
            province = parse_province(args["province"])
        except ValueError:
            fail(
                422,
                _("%(value)s is not a Dutch province.", value=args["province"]),
                errors={"province": [_("Use one of the twelve provinces or “landelijk”.")]},
            )
    result = directory.search_contacts(
        get_session(),
        q=args.get("q"),
        province=province,
        tag=args.get("tag"),
        page=args["page"],
        per_page=min(args["per_page"], directory.MAX_PER_PAGE),
    )
    remember_suppressions(result.items)
    return {
        "items": result.items,
        "pagination": {
            "page": result.page,
            "per_page": result.per_page,
            "total": result.total,
            "pages": result.pages,
        },
    }


@bp.route("", methods=["POST"])
@bp.arguments(ContactSchema)
@bp.response(201, ContactSchema)
@bp.doc(**answer_links(201, **CONTACT_LINKS))
@bp.alt_response(409, response="CONFLICT")
@allow(Role.ORGANISER)
def create_contact(body: dict[str, Any]):
    """Create a contact

    Answers 201 with the contact and its address in the Location header, 409 when the email
    address is taken (case ignored).
    """
    data = _validated(body)
    with _saved(data.email) as session:
        contact = directory.create_contact(
            session, data, actor=api_user(), source=body.get("consent_source") or _source()
        )
    return contact, 201, {"Location": url_for(".read_contact", contact_id=contact.id)}


@bp.route("/<int:contact_id>", methods=["GET"])
@bp.response(200, ContactSchema)
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.VIEWER)
def read_contact(contact_id: int):
    """Read a contact"""
    return _get_or_404(contact_id)


def _update(contact_id: int, body: dict[str, Any], *, replace: bool) -> Contact:
    contact = _get_or_404(contact_id)
    # PUT sends the whole contact, so it is checked as a new one; PATCH keeps what it leaves out.
    data = _validated(body, None if replace else contact)
    with _saved(data.email) as session:
        directory.update_contact(
            session,
            contact,
            data,
            actor=api_user(),
            source=body.get("consent_source") or _source(),
        )
    return contact


@bp.route("/<int:contact_id>", methods=["PATCH"])
@bp.arguments(ContactPatchSchema)
@bp.response(200, ContactSchema)
@bp.doc(**answer_links(200, **CONTACT_LINKS))
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@allow(Role.ORGANISER)
def patch_contact(body: dict[str, Any], contact_id: int):
    """Change some fields of a contact

    Fields left out keep their value.
    """
    return _update(contact_id, body, replace=False)


@bp.route("/<int:contact_id>", methods=["PUT"])
@bp.arguments(ContactReplaceSchema)
@bp.response(200, ContactSchema)
@bp.doc(**answer_links(200, **CONTACT_LINKS))
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@allow(Role.ORGANISER)
def replace_contact(body: dict[str, Any], contact_id: int):
    """Replace a contact

    Every writable field is required (consent_source excepted).
    """
    return _update(contact_id, body, replace=True)


@bp.route("/<int:contact_id>", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.ADMIN, refusal=lambda: deletion.DeletionRefused().message.render(_))
def delete_contact(contact_id: int):
    """Delete a contact (admins only)"""
    try:
        deletion.check_may_delete(api_user())
    except deletion.DeletionRefused as exc:
        fail(403, exc.message.render(_))
    contact = _get_or_404(contact_id)
    session = get_session()
    deletion.delete_contact(session, contact, actor=api_user())
    session.commit()
    return ""


@bp.route("/import", methods=["POST"])
@takes_upload
@bp.arguments(ImportFileSchema, location="files")
@bp.response(200, ImportReportSchema)
@bp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@allow(Role.ORGANISER)
def import_contacts(files: dict[str, Any]):
    """Import contacts from a CSV file

    Send the file as multipart/form-data in the field `file`. Rows merge into existing contacts
    by email address (case ignored); the answer counts imported and updated rows and lists each
    rejected row with its line number and reason. A file that cannot be read at all is refused
    with 422 and changes nothing. Larger files than the upload limit get 413.
    """
    upload = files["file"]
    name = upload.filename or "upload.csv"
    session = get_session()
    try:
        report = csvio.import_contacts(session, upload.read(), name, actor=api_user())
        session.commit()
    except csvio.ImportRefused as exc:
        session.rollback()
        message = exc.message.render(_)
        fail(422, message, errors={"file": [message]})
    except IntegrityError:
        # Another request stored one of these addresses between our check and our write.
        session.rollback()
        fail(409, _("Contacts changed during the import, so nothing was saved. Send it again."))
    return report.as_dict(_)
