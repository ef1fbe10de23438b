"""The API's JSON shapes (marshmallow), from which the OpenAPI document is generated.

Field names are a contract with API clients: snake_case, as the models name them. The schemas check
types only (a string, a list of strings, a whole number); what a value means (a known province, a
valid address, an end after the start) is checked by the contacts and meetings logic, whose
messages come in the reader's language. Unknown fields are refused, so a typo such as
"organization" is reported instead of silently ignored; read-only fields (id, consent_at,
created_at, ...) count as unknown in a request body.
"""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import RAISE, Schema, fields, validate

from service.models import Consent, MeetingStatus
from service.provinces import CHOICES

CONSENT_VALUES = [c.value for c in Consent]
MEETING_STATUSES = [s.value for s in MeetingStatus]


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class PaginationSchema(Schema):
    page = fields.Integer(metadata={"description": "This page, from 1."})
    per_page = fields.Integer(metadata={"description": "Items per page."})
    total = fields.Integer(metadata={"description": "Items that match, on all pages."})
    pages = fields.Integer(metadata={"description": "Number of pages (at least 1)."})


# --- contacts ----------------------------------------------------------------------------------

PROVINCE_DOC = {
    "description": (
        "Province code, or 'landelijk' for national organisations. A name such as 'Zuid-Holland' "
        "or 'Fryslân' is accepted on input."
    ),
    "enum": [*CHOICES, None],
}
LANGUAGE_DOC = {"enum": ["nl", "en"]}
CONSENT_DOC = {
    "enum": CONSENT_VALUES,
    "description": "Changing it records consent_at and consent_source.",
}


class ContactSchema(StrictSchema):
    """A contact as the API answers it."""

    id = fields.Integer(dump_only=True)
    email = fields.String(
        required=True,
        metadata={"description": "Unique, case ignored; stored lower-case.", "format": "email"},
    )
    name = fields.String()
    organisation = fields.String()
    role = fields.String(metadata={"description": "Job title or role (functie)."})
    province = fields.String(allow_none=True, metadata=PROVINCE_DOC)
    language = fields.String(metadata=LANGUAGE_DOC)
    consent = fields.String(metadata=CONSENT_DOC)
    consent_at = fields.DateTime(dump_only=True, allow_none=True)
    consent_source = fields.String(
        metadata={
            "description": (
                "How consent was given or withdrawn. On input it is stored only when consent "
                "changes in the same request; when left out the API records who changed it."
            )
        }
    )
    tags = fields.List(fields.String(), attribute="tag_names")
    notes = fields.String()
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class ContactPatchSchema(ContactSchema):
    """The body of PATCH /contacts/<id>: any writable fields; those left out keep their value."""

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)


class ContactReplaceSchema(ContactSchema):
    """The body of PUT /contacts/<id>: the whole contact, every writable field."""

    name = fields.String(required=True)
    organisation = fields.String(required=True)
    role = fields.String(required=True)
    province = fields.String(required=True, allow_none=True, metadata=PROVINCE_DOC)
    language = fields.String(required=True, metadata=LANGUAGE_DOC)
    consent = fields.String(required=True, metadata=CONSENT_DOC)
    tags = fields.List(fields.String(), required=True, attribute="tag_names")
    notes = fields.String(required=True)


class ContactQuerySchema(StrictSchema):
    q = fields.String(metadata={"description": "Text in the name, email or organisation."})
    province = fields.String(metadata={"description": "Province code or name, or 'landelijk'."})
    tag = fields.String(metadata={"description": "Contacts with this tag (case ignored)."})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1),
        metadata={"description": "Items per page; more than 200 gives 200."},
    )


class ContactPageSchema(Schema):
    items = fields.List(fields.Nested(ContactSchema))
    pagination = fields.Nested(PaginationSchema)


class ImportFileSchema(StrictSchema):
    # flask-smorest's Upload field documents the part as a binary file in multipart/form-data.
    file = Upload(
        required=True,
        metadata={
            "description": (
                "A CSV file: UTF-8 (with or without BOM) or Windows-1252, comma or semicolon, "
                "headers in Dutch or English."
            )
        },
    )


class RejectedRowSchema(Schema):
    line = fields.Integer(metadata={"description": "Line number in the file (the header is 1)."})
    reason = fields.String()


class ImportReportSchema(Schema):
    imported = fields.Integer(metadata={"description": "New contacts."})
    updated = fields.Integer(metadata={"description": "Existing contacts merged by address."})
    rejected = fields.List(fields.Nested(RejectedRowSchema))
