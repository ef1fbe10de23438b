"""JSON shapes of a campaign's report (GET /api/v1/campaigns/<id>/report) and of the figures
each item of the campaign list carries; the OpenAPI document is generated from them.

The report is built by service.campaigns.report (`CampaignReport.as_dict`); counts only, no
person is named in it.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from service.provinces import CHOICES, PROVINCES


class ListFiguresSchema(Schema):
    """The figures of one campaign in the campaign list; all zero before it is sent."""

    recipients = fields.Integer(metadata={"description": "Deliveries recorded at the send."})
    delivered = fields.Integer(metadata={"description": "Accepted by the mail server."})
    failed = fields.Integer(metadata={"description": "Refused for good, or out of retries."})
    unsubscribed = fields.Integer(
        metadata={"description": "People who left through this campaign's links."}
    )
    yes = fields.Integer(
        allow_none=True,
        metadata={
            "description": (
                "Recipients who said yes to the meeting (invitations and reminders); null for "
                "other kinds."
            )
        },
    )


class FailedReasonSchema(Schema):
    reason = fields.String(
        metadata={
            "description": (
                "The mail server's words with the recipient's address replaced by '…', or our "
                "own reason in the client's language."
            )
        }
    )
    count = fields.Integer()


class BouncedSchema(Schema):
    """Bounces that came back after the message was accepted, each delivery counted once."""

    hard = fields.Integer(metadata={"description": "The address does not exist (any more)."})
    soft = fields.Integer(metadata={"description": "For now: a full mailbox, a server down."})
    total = fields.Integer(metadata={"description": "Deliveries that bounced hard or soft."})


class UnsubscribedSchema(Schema):
    total = fields.Integer()
    by_mailing = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Per mailing left: news, invitations, and all (left everything)."},
    )


class DayCountSchema(Schema):
    date = fields.String(metadata={"format": "date", "description": "A day in network time."})
    count = fields.Integer()


class AnswersSchema(Schema):
    """The answers to the meeting among the campaign's recipients."""

    invited = fields.Integer(metadata={"description": "Recipients invited to the meeting."})
    yes = fields.Integer()
    no = fields.Integer()
    waiting = fields.Integer(metadata={"description": "Said yes when it was full."})
    no_answer = fields.Integer(metadata={"description": "Did not answer yet."})
    attended = fields.Integer(metadata={"description": "Recorded as present afterwards."})
    per_day = fields.List(
        fields.Nested(DayCountSchema),
        metadata={"description": "Answers per day from the day of the send to the last answer."},
    )


class ProvinceReachSchema(Schema):
    province = fields.String(metadata={"enum": list(CHOICES)})
    recipients = fields.Integer()


class LinkClicksSchema(Schema):
    link = fields.Integer(metadata={"description": "The link's place in the email, from 1."})
    url = fields.String()
    clicks = fields.Integer()


class CampaignReportSchema(Schema):
    """A campaign's report: counts after the send, never who did what."""

    recipients = fields.Integer(metadata={"description": "Deliveries recorded at the send."})
    delivered = fields.Integer(metadata={"description": "Accepted by the mail server."})
    failed = fields.Integer(metadata={"description": "Refused for good, or out of retries."})
    failed_reasons = fields.List(
        fields.Nested(FailedReasonSchema),
        metadata={"description": "The failures grouped by reason, the most frequent first."},
    )
    bounced = fields.Nested(BouncedSchema)
    complaints = fields.Integer(metadata={"description": "Recipients who marked it as spam."})
    unsubscribed = fields.Nested(UnsubscribedSchema)
    answers = fields.Nested(
        AnswersSchema,
        allow_none=True,
        metadata={"description": "For invitations and reminders; null for other kinds."},
    )
    provinces = fields.List(
        fields.Nested(ProvinceReachSchema),
        metadata={
            "description": (
                "Recipients reached (accepted, no hard bounce since) per province of their "
                "contact, the twelve provinces and 'landelijk'."
            )
        },
    )
    provinces_not_reached = fields.List(
        fields.String(metadata={"enum": list(PROVINCES)}),
        metadata={"description": "Provinces without any recipient reached, south to north."},
    )
    clicks = fields.List(
        fields.Nested(LinkClicksSchema),
        allow_none=True,
        metadata={
            "description": (
                "Clicks per link when counting was switched on for the campaign, else null. "
                "Mail scanners may have clicked too."
            )
        },
    )
