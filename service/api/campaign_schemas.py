"""JSON shapes of /api/v1/campaigns (marshmallow), from which the OpenAPI document is generated.

Types only; what the blocks and the audience must hold is checked by service.campaigns.store,
whose messages come in the reader's language.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from config.settings import DEFAULT_LANGUAGE, LANGUAGES
from service.api.fields import Choice, Flag, Id, Moment, WholeNumber
from service.api.intake import IntakeSchema
from service.api.report_schemas import ListFiguresSchema
from service.api.schemas import StrictSchema
from service.models import Answer, CampaignKind, CampaignStatus
from service.provinces import CHOICES as PROVINCES
from service.rendering.blocks import BLOCK_TYPES

KINDS = [k.value for k in CampaignKind]
STATUSES = [s.value for s in CampaignStatus]
BLOCKS_DOC = {
    "description": (
        "Content blocks in order; each an object with 'type' (one of "
        + ", ".join(BLOCK_TYPES)
        + ") and that block's fields."
    )
}
AUDIENCE_DOC = {
    "description": (
        'Who gets it: {"all": true} (every contact with consent), or any of {"provinces": '
        '[...], "tags": [...], "emails": [...], "attended": [meeting ids], "meeting": {"id": '
        'meeting id, "answers": ["yes", "no", "waiting", "invited"]}}: a contact with consent '
        "in any part gets it."
    )
}


COUNT_CLICKS_DOC = {
    "description": (
        "Count how often each link of the email is clicked: the links then go through a "
        "redirect that carries only the campaign and the link's number, and only a total per "
        "link is kept (mail scanners may click too). Default false; fixed once sending starts."
    )
}


LANGUAGE_DOC = {
    "description": (
        "The language the campaign is written in, framing included (links, buttons, footer): "
        f"one of {', '.join(LANGUAGES)}; default {DEFAULT_LANGUAGE}. Readers of a language the "
        "campaign has no version in get the whole email in this language."
    )
}
TRANSLATIONS_DOC = {
    "description": (
        'Versions in other languages: {"en": {"subject": "...", "preheader": "...", "blocks": '
        "[...]}}, checked as the campaign's own content. A reader of that language gets that "
        "version. Errors name their place, e.g. translations.en.blocks[0].type."
    )
}
VERSIONS = fields.Dict(keys=fields.String(), values=fields.Dict(), metadata=TRANSLATIONS_DOC)


class MeetingAnswersSchema(StrictSchema):
    """Contacts invited to one meeting whose answer is one of `answers`."""

    id = Id(required=True, metadata={"description": "The meeting's id."})
    answers = fields.List(
        Choice([answer.value for answer in Answer]),
        required=True,
        metadata={"description": "invited: no answer yet; waiting: on the waiting list."},
    )


class AudienceSchema(StrictSchema):
    """Who gets a campaign: everyone with consent, or the contacts with consent in any part."""

    all = fields.Boolean(metadata={"description": "true: every contact with consent."})
    provinces = fields.List(Choice(PROVINCES))
    tags = fields.List(fields.String())
    emails = fields.List(fields.String(), metadata={"description": "Addresses of contacts."})
    attended = fields.List(Id(), metadata={"description": "Ids of meetings they attended."})
    meeting = fields.Nested(MeetingAnswersSchema)


class CampaignSchema(StrictSchema):
    """A campaign as the API answers it."""

    id = fields.Integer()
    kind = fields.String(metadata={"enum": KINDS})
    subject = fields.String()
    preheader = fields.String()
    sender_name = fields.String()
    meeting_id = fields.Integer(allow_none=True)
    blocks = fields.List(fields.Dict(), metadata=BLOCKS_DOC)
    audience = fields.Nested(AudienceSchema, metadata=AUDIENCE_DOC)
    count_clicks = fields.Boolean(metadata=COUNT_CLICKS_DOC)
    language = fields.String(metadata=LANGUAGE_DOC | {"enum": list(LANGUAGES)})
    translations = VERSIONS
    status = fields.String(metadata={"enum": STATUSES})
    status_reason = fields.String(
        metadata={
            "description": (
                "Why the send paused by itself, why the scheduler left it or sent it back, "
                "or what the relay last said, in the client's language; empty when all is well."
            )
        }
    )
    scheduled_at = Moment(allow_none=True)
    sent_at = Moment(allow_none=True)
    version = WholeNumber(
        minimum=1,
        metadata={"description": "Goes up by one with every change; send it back with PATCH."},
    )
    created_at = Moment()
    updated_at = Moment()


class ProgressSchema(Schema):
    """Where the sending of a campaign stands; all zero before it starts."""

    total = fields.Integer(metadata={"description": "Deliveries recorded when the send started."})
    sent = fields.Integer(metadata={"description": "Accepted by the relay."})
    failed = fields.Integer(metadata={"description": "Refused for good, or out of retries."})
    skipped = fields.Integer(
        metadata={"description": "Not sent: unsubscribed or suppressed during the send."}
    )
    cancelled = fields.Integer(metadata={"description": "Not sent because the send was cancelled."})
    waiting = fields.Integer(metadata={"description": "Still to be sent (or tried again)."})
    rate_per_minute = fields.Float(
        metadata={"description": "Messages a minute over the last five minutes."}
    )
    expected_end = fields.String(
        allow_none=True,
        metadata={
            "format": "date-time",
            "description": "When the rest should be out at that rate (UTC); null if unknown.",
        },
    )


class CampaignDetailSchema(CampaignSchema):
    """One campaign as the API answers it: every field of Campaign plus its send progress."""

    progress = fields.Nested(ProgressSchema)


class CampaignWriteSchema(StrictSchema):
    """The body of POST /campaigns: every field is optional; a new campaign is a draft."""

    kind = Choice(KINDS, metadata={"description": "Default: recap."})
    subject = fields.String()
    preheader = fields.String()
    sender_name = fields.String()
    meeting_id = Id(allow_none=True)
    blocks = fields.List(fields.Dict(), metadata=BLOCKS_DOC)
    audience = fields.Nested(AudienceSchema, allow_none=True, metadata=AUDIENCE_DOC)
    # Only JSON's true and false: "yes" or 1 is a mistake to report, not a choice to guess.
    count_clicks = Flag(metadata=COUNT_CLICKS_DOC)
    language = Choice(list(LANGUAGES), metadata=LANGUAGE_DOC)
    translations = VERSIONS


class CampaignPatchSchema(CampaignWriteSchema):
    """The body of PATCH /campaigns/<id>: fields left out keep their value."""

    version = WholeNumber(
        minimum=1,
        metadata={
            "description": (
                "The version you edited. When someone saved the campaign since, the answer is "
                "409 and nothing changes. Left out: no check."
            )
        },
    )


class ScheduleSchema(StrictSchema):
    """The body of POST /campaigns/<id>/schedule."""

    scheduled_at = Moment(
        required=True,
        metadata={
            "description": (
                "When the scheduler starts it, ISO 8601, e.g. 2025-06-03T08:30:00+02:00; "
                "without an offset it is read in the network's time zone (Europe/Amsterdam). "
                "Must be in the future."
            )
        },
    )


class NoFieldsSchema(StrictSchema):
    """The body of a POST that only acts (send, pause, ...): none at all, or the empty object {}."""


NO_BODY = {
    "required": False,
    "description": "No body is needed; an empty JSON object {} is accepted too.",
}


class CampaignQuerySchema(IntakeSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class CampaignListItemSchema(CampaignSchema):
    """A campaign in the list, with the figures the organisers' campaign list shows."""

    figures = fields.Nested(ListFiguresSchema)


class CampaignListSchema(Schema):
    items = fields.List(fields.Nested(CampaignListItemSchema))


class PreviewQuerySchema(IntakeSchema):
    language = fields.String(
        load_default=DEFAULT_LANGUAGE,
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": f"Language of the email; default {DEFAULT_LANGUAGE}."},
    )


class FindingSchema(Schema):
    level = fields.String(metadata={"enum": ["error", "warning"]})
    code = fields.String()
    block = fields.Integer(
        allow_none=True, metadata={"description": "Index of the block; null: the whole email."}
    )
    message = fields.String()


class PreviewSchema(Schema):
    language = fields.String(
        metadata={
            "description": (
                "The language of the email shown: the one asked for when the campaign is "
                "written in it or has a version in it, else the campaign's own."
            )
        }
    )
    subject = fields.String()
    html = fields.String()
    text = fields.String()
    lint = fields.List(
        fields.Nested(FindingSchema),
        metadata={"description": "Findings; an error stops a send, a warning does not."},
    )


class TemplateSchema(StrictSchema):
    """A campaign template as the API answers it: content kept under a name."""

    id = fields.Integer()
    name = fields.String(metadata={"description": "Unique (case ignored), at most 100 characters."})
    kind = fields.String(metadata={"enum": KINDS})
    subject = fields.String()
    preheader = fields.String()
    blocks = fields.List(fields.Dict(), metadata=BLOCKS_DOC)
    language = fields.String(metadata=LANGUAGE_DOC | {"enum": list(LANGUAGES)})
    translations = VERSIONS
    created_at = Moment()
    updated_at = Moment()


class TemplateListSchema(Schema):
    items = fields.List(fields.Nested(TemplateSchema))


class TemplatePatchSchema(StrictSchema):
    """The body of PATCH /templates/<id>: fields left out keep their value (a rename: name)."""

    name = fields.String()
    kind = Choice(KINDS)
    subject = fields.String()
    preheader = fields.String()
    blocks = fields.List(fields.Dict(), metadata=BLOCKS_DOC)
    language = Choice(list(LANGUAGES), metadata=LANGUAGE_DOC)
    translations = VERSIONS


class TemplateWriteSchema(TemplatePatchSchema):
    """The body of POST /templates: a name, and the content (kind defaults to recap)."""

    name = fields.String(required=True)
