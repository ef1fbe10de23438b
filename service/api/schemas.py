"""The API's JSON shapes (marshmallow), from which the OpenAPI document is generated.

Field names are a contract with API clients: snake_case, as the models name them. The schemas check
types only (a string, a list of strings, a whole number); what a value means (a known province, a
valid address, an end after the start) is checked by the contacts and meetings logic, whose
messages come in the reader's language. Unknown fields are refused, so a typo such as
"organization" is reported instead of silently ignored; read-only fields (id, consent_at,
created_at, ...) count as unknown in a request body.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext
from flask_smorest.fields import Upload
from marshmallow import RAISE, Schema, fields, missing, validate

from config.settings import LANGUAGES
from service.api.fields import Choice, JsonBoolean, Moment, WholeNumber, local_moment
from service.api.intake import LINES_DOC, IntakeSchema, Lines
from service.campaigns.reminder_edit import AUDIENCES, MAX_DAYS_BEFORE
from service.contacts import suppressions
from service.contacts.directory import address_warnings
from service.database import get_session
from service.meetings.agenda import MAX_CAPACITY
from service.models import Consent, Contact, MeetingStatus, Suppression
from service.provinces import CHOICES
from service.settings import current_settings

CONSENT_VALUES = [c.value for c in Consent]
MEETING_STATUSES = [s.value for s in MeetingStatus]


class TagList(fields.List):
    """Tag names, answered in alphabetical order however they were given."""

    def _serialize(self, value, attr, obj, **kwargs):
        names = super()._serialize(value, attr, obj, **kwargs)
        return sorted(names) if names is not None else []


class StrictSchema(IntakeSchema):
    class Meta:
        unknown = RAISE


class PaginationSchema(Schema):
    page = fields.Integer(metadata={"description": "This page, from 1."})
    per_page = fields.Integer(metadata={"description": "Items per page."})
    total = fields.Integer(metadata={"description": "Items that match, on all pages."})
    pages = fields.Integer(metadata={"description": "Number of pages (at least 1)."})


# --- the suppression list ------------------------------------------------------------------------

SUPPRESSION_KINDS = [
    suppressions.HARD_BOUNCE,
    suppressions.COMPLAINT,
    suppressions.SOFT_BOUNCE_LIMIT,
    suppressions.MANUAL,
]


class SuppressionStateSchema(Schema):
    """Why no campaign or other mail goes to an address."""

    kind = fields.String(
        metadata={
            "enum": SUPPRESSION_KINDS,
            "description": (
                "hard_bounce: the address does not exist or refuses mail; complaint: its owner "
                "marked our mail as spam; soft_bounce_limit: too many temporary bounces "
                "(MAIL_SOFT_BOUNCE_LIMIT within MAIL_SOFT_BOUNCE_DAYS); manual: an organiser."
            ),
        }
    )
    reason = fields.String(
        metadata={"description": "The words of the relay, the bounce or the organiser."}
    )
    source = fields.String(
        metadata={
            "description": (
                "Who reported it: smtp (the relay refused the address when the message was "
                "handed over), listener or mailbox (a bounce read by 'opgavepost bounces "
                "listen' or 'opgavepost bounces fetch'), mailgun or postmark (their webhooks), "
                "or the address of the organiser who blocked it."
            )
        }
    )
    campaign_id = fields.Integer(
        allow_none=True,
        metadata={"description": "The campaign whose message bounced or was complained about."},
    )
    created_at = Moment(metadata={"description": "When the address was blocked, in UTC."})


class SuppressionSchema(SuppressionStateSchema):
    """An address on the suppression list."""

    email = fields.String(metadata={"description": "Lower case.", "format": "email"})


class SuppressionPageSchema(Schema):
    items = fields.List(fields.Nested(SuppressionSchema))
    pagination = fields.Nested(PaginationSchema)


class SuppressionQuerySchema(IntakeSchema):
    q = fields.String(metadata={"description": "Text in the address (case ignored)."})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1),
        metadata={"description": "Items per page; more than 200 gives 200."},
    )


class SuppressionLiftSchema(StrictSchema):
    """The body of DELETE /suppressions/<address>."""

    reason = fields.String(
        required=True,
        metadata={
            "description": (
                "Why mail may go to the address again; recorded in the audit log with your "
                "name. At most 500 characters."
            )
        },
    )
    person_asked = JsonBoolean(
        load_default=False,
        metadata={
            "description": (
                "true: the owner of the address asked for the block to be lifted. Required "
                "(true) to lift a complaint; without it a complaint is refused with 422."
            )
        },
    )


def remember_suppressions(contacts: list[Contact]) -> None:
    """Look up the suppressions of a page of contacts at once, for their `suppression` fields."""
    g.contact_suppressions = suppressions.suppressions_of(
        get_session(), [contact.email for contact in contacts]
    )


class ContactSuppression(fields.Nested):
    """A contact's entry on the suppression list, found by its address; null when there is none."""

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = missing) -> Any:
        known: dict[str, Suppression | None] | None = g.get("contact_suppressions")
        key = suppressions.listed_form(obj.email)
        if known is not None and key in known:
            return known[key]
        return suppressions.suppression_of(get_session(), obj.email)


# --- contacts ----------------------------------------------------------------------------------

PROVINCE_DOC = {
    "description": (
        "Province code, or 'landelijk' for national organisations; null: none. A name such as "
        "'Zuid-Holland' or 'Fryslân' is accepted on input."
    ),
}
CONSENT_DOC = {"description": "Changing it records consent_at and consent_source."}


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
    province = Choice(CHOICES, allow_none=True, metadata=PROVINCE_DOC)
    language = Choice(LANGUAGES)
    consent = Choice(CONSENT_VALUES, metadata=CONSENT_DOC)
    consent_at = Moment(dump_only=True, allow_none=True)
    consent_source = fields.String(
        metadata={
            "description": (
                "How consent was given or withdrawn. On input it is stored only when consent "
                "changes in the same request; when left out the API records who changed it."
            )
        }
    )
    tags = TagList(fields.String(), attribute="tag_names")
    notes = Lines(metadata={"description": LINES_DOC})
    created_at = Moment(dump_only=True)
    updated_at = Moment(dump_only=True)
    warnings = fields.Method(
        "_warnings",
        dump_only=True,
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": (
                "What may go wrong with mail to this contact, in your language; empty when all "
                "is well. The contact is stored all the same. For now: an address with letters "
                "outside ASCII before the @, which only mail servers with SMTPUTF8 accept."
            ),
        },
    )

    suppression = ContactSuppression(
        SuppressionStateSchema,
        dump_only=True,
        allow_none=True,
        metadata={
            "description": (
                "null: mail may go to this address. Otherwise it is on the suppression list "
                "(GET /api/v1/suppressions) and no campaign or other mail goes to it: why, who "
                "reported it, from which campaign and since when."
            )
        },
    )

    def _warnings(self, contact) -> list[str]:
        return [message.render(gettext) for message in address_warnings(contact.email)]


class ContactPatchSchema(ContactSchema):
    """The body of PATCH /contacts/<id>: any writable fields; those left out keep their value."""

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)


class ContactReplaceSchema(ContactSchema):
    """The body of PUT /contacts/<id>: the whole contact, every writable field."""

    name = fields.String(required=True)
    organisation = fields.String(required=True)
    role = fields.String(required=True)
    province = Choice(CHOICES, required=True, allow_none=True, metadata=PROVINCE_DOC)
    language = Choice(LANGUAGES, required=True)
    consent = Choice(CONSENT_VALUES, required=True, metadata=CONSENT_DOC)
    tags = TagList(fields.String(), required=True, attribute="tag_names")
    notes = Lines(required=True, metadata={"description": LINES_DOC})


class ContactQuerySchema(IntakeSchema):
    # Unknown query parameters are ignored (webargs's default for the query string), as usual
    # on the web: a cache-busting "_=123" must not break a search.
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
    email = fields.String(metadata={"description": "The address in the row, as written."})
    reason = fields.String()


class RowWarningSchema(Schema):
    line = fields.Integer(metadata={"description": "Line number in the file (the header is 1)."})
    email = fields.String(metadata={"description": "The address in the row, as written."})
    message = fields.String(metadata={"description": "What may go wrong, in your language."})


class ImportReportSchema(Schema):
    source = fields.String(metadata={"description": "The name of the file."})
    imported = fields.Integer(metadata={"description": "New contacts."})
    updated = fields.Integer(metadata={"description": "Existing contacts merged by address."})
    rejected = fields.List(fields.Nested(RejectedRowSchema))
    warnings = fields.List(
        fields.Nested(RowWarningSchema),
        metadata={
            "description": (
                "Rows that were imported but may give trouble, e.g. an address with letters "
                "outside ASCII before the @, which only mail servers with SMTPUTF8 accept."
            )
        },
    )


# --- meetings ----------------------------------------------------------------------------------

MOMENT_DOC = {
    "format": "date-time",
    "description": (
        "ISO 8601, e.g. 2025-06-03T10:00:00+02:00 or 2025-06-03T08:00:00Z. Without an offset the "
        "time is read as wall-clock time in the network's time zone (Europe/Amsterdam). From "
        "1900-01-01 to 2200-12-31 in that time zone."
    ),
}


class MeetingSchema(StrictSchema):
    """A meeting as the API answers it: times in UTC, and the same moments in local time."""

    id = fields.Integer()
    title = fields.String()
    theme = fields.String()
    host_organisation = fields.String()
    city = fields.String()
    venue = fields.String()
    address = fields.String()
    starts_at = Moment(metadata={"description": "Start, in UTC."})
    ends_at = Moment(metadata={"description": "End, in UTC."})
    starts_at_local = fields.Method(
        "_starts_local",
        metadata={
            "type": "string",
            "format": "date-time",
            "description": (
                "Start in the network's time zone (Europe/Amsterdam), with offset. Before 1937 "
                "Amsterdam's offset had seconds (+00:19:32), which RFC 3339 cannot write: such "
                "times are given in UTC."
            ),
        },
    )
    ends_at_local = fields.Method(
        "_ends_local",
        metadata={
            "type": "string",
            "format": "date-time",
            "description": "End in the network's time zone, as starts_at_local.",
        },
    )
    description = Lines(metadata={"description": LINES_DOC})
    capacity = fields.Integer(allow_none=True)
    status = fields.String(metadata={"enum": MEETING_STATUSES})
    registration_deadline = Moment(
        allow_none=True,
        metadata={
            "description": "After this moment (UTC) nobody can answer; null: until the start."
        },
    )
    created_at = Moment()
    updated_at = Moment()

    def _starts_local(self, meeting) -> str:
        return _local_iso(meeting.starts_at)

    def _ends_local(self, meeting) -> str:
        return _local_iso(meeting.ends_at)


def _local_iso(moment) -> str:

    return local_moment(moment, current_settings().TIMEZONE)


class MeetingWriteSchema(StrictSchema):
    """The body of POST /meetings: title, host organisation, city, start and end are required.

    Times are strings here so that the meetings logic reads them (and explains a wrong one in the
    reader's language); an offset-less time is wall-clock time in Europe/Amsterdam.
    """

    title = fields.String(required=True)
    theme = fields.String()
    host_organisation = fields.String(required=True)
    city = fields.String(required=True)
    venue = fields.String()
    address = fields.String()
    starts_at = fields.String(required=True, metadata=MOMENT_DOC)
    ends_at = fields.String(
        required=True, metadata={**MOMENT_DOC, "description": "Must be after starts_at."}
    )
    description = Lines(metadata={"description": LINES_DOC})
    capacity = WholeNumber(
        allow_none=True,
        minimum=1,
        maximum=MAX_CAPACITY,
        metadata={
            "description": (
                "Places; null: no limit. Raising it gives the new places to those on the waiting "
                "list, longest waiting first."
            )
        },
    )
    status = Choice(MEETING_STATUSES, metadata={"description": "Default: draft."})
    registration_deadline = fields.String(
        allow_none=True,
        metadata={
            **MOMENT_DOC,
            "description": (
                "When answering closes; must be before starts_at. ISO 8601, without an offset "
                "read as time in Europe/Amsterdam. null or left out: open until the start "
                "(PATCH: left out keeps the stored value)."
            ),
        },
    )


class MeetingPatchSchema(MeetingWriteSchema):
    """The body of PATCH /meetings/<id>: any writable fields; those left out keep their value."""

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)


class MeetingReplaceSchema(MeetingWriteSchema):
    """The body of PUT /meetings/<id>: the whole meeting, every writable field."""

    theme = fields.String(required=True)
    venue = fields.String(required=True)
    address = fields.String(required=True)
    description = Lines(required=True, metadata={"description": LINES_DOC})
    capacity = WholeNumber(required=True, allow_none=True, minimum=1, maximum=MAX_CAPACITY)
    status = Choice(MEETING_STATUSES, required=True)


class MeetingQuerySchema(IntakeSchema):
    upcoming = fields.Boolean(
        metadata={
            "description": (
                "true: meetings that have not ended yet, earliest first; false: meetings that "
                "have ended, most recent first. Left out: all meetings, earliest first."
            )
        }
    )
    status = fields.String(validate=validate.OneOf(MEETING_STATUSES))


class MeetingListSchema(Schema):
    items = fields.List(fields.Nested(MeetingSchema))


class ReminderSchema(StrictSchema):
    """A reminder of a meeting: so many days before its day, at a time, to an audience."""

    id = fields.Integer(dump_only=True)
    days_before = WholeNumber(
        required=True,
        minimum=0,
        maximum=MAX_DAYS_BEFORE,
        metadata={"description": "Days before the meeting's day."},
    )
    send_time = fields.String(
        load_default="09:00",
        metadata={"description": "HH:MM in Europe/Amsterdam. Default 09:00.", "example": "09:00"},
    )
    audience = Choice(
        list(AUDIENCES),
        load_default="yes",
        metadata={
            "description": "yes: those who said yes (default); unanswered: those not answered yet.",
        },
    )
    due_at = Moment(dump_only=True, metadata={"description": "When it goes (or went), in UTC."})
    sent_at = Moment(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "null: not sent yet. With passed_over true: when it was passed over."
        },
    )
    passed_over = fields.Boolean(
        dump_only=True,
        metadata={
            "description": (
                "true: it was not sent: when it fell due a later reminder went instead, too "
                "little of its notice was left to help (less than half), or the meeting no "
                "longer took answers."
            )
        },
    )


class ReminderListSchema(Schema):
    items = fields.List(fields.Nested(ReminderSchema))
    stopped = fields.Boolean(
        metadata={"description": "true: the meeting is cancelled, so no reminder goes."}
    )


ANSWER_DOC = {
    "enum": ["invited", "yes", "no", "waiting"],
    "description": "invited: no answer yet; waiting: said yes when the meeting was full.",
}


class InvitationCountsSchema(Schema):
    invited = fields.Integer(metadata={"description": "Everyone invited, whatever their answer."})
    yes = fields.Integer()
    no = fields.Integer()
    waiting = fields.Integer()


class MeetingInvitationSchema(Schema):
    contact_id = fields.Integer()
    name = fields.String()
    email = fields.String()
    organisation = fields.String()
    answer = fields.String(metadata=ANSWER_DOC)
    answered_at = Moment(allow_none=True, metadata={"description": "In UTC."})
    remark = fields.String()
    attended = fields.Boolean(
        allow_none=True, metadata={"description": "Recorded after the meeting; null: not yet."}
    )


class MeetingInvitationsSchema(Schema):
    """Who is invited to a meeting and what they answered, with the counts."""

    meeting_id = fields.Integer()
    capacity = fields.Integer(allow_none=True, metadata={"description": "null: no limit."})
    counts = fields.Nested(InvitationCountsSchema)
    invitations = fields.List(fields.Nested(MeetingInvitationSchema))
