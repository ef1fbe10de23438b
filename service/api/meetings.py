"""/api/v1/meetings: list, read, create and change meetings; their invitations and reminders.

Thin views: `service.meetings.agenda` checks the input (times, end after start, status, capacity),
`service.meetings.meeting_edit` creates or changes the meeting with its audit entry, calendar
notices and waiting list, as for the organiser pages; the views commit once. There is no DELETE: a
meeting that will not take place gets the status "cancelled".
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _

from service.api.auth import allow, api_user
from service.api.common import answer_links, api_blueprint, link
from service.api.errors import fail
from service.api.schemas import (
    MeetingInvitationsSchema,
    MeetingListSchema,
    MeetingPatchSchema,
    MeetingQuerySchema,
    MeetingReplaceSchema,
    MeetingSchema,
    MeetingWriteSchema,
    ReminderListSchema,
    ReminderSchema,
)
from service.campaigns import reminder_edit, reminders
from service.database import get_session
from service.meetings import agenda, invitations, meeting_edit
from service.models import Answer, Meeting, MeetingStatus, Role, utcnow
from service.settings import current_settings

bp = api_blueprint("api_meetings", "/meetings", "Meetings of the network.")

_ITS_ID = {"meeting_id": "$response.body#/id"}
# What a client can do next with the meeting an answer gives.
MEETING_LINKS = {
    "ReadMeeting": link("get", "/meetings/{meeting_id}", **_ITS_ID),
    "ChangeMeeting": link("patch", "/meetings/{meeting_id}", **_ITS_ID),
    "ReplaceMeeting": link("put", "/meetings/{meeting_id}", **_ITS_ID),
    "ReadInvitations": link("get", "/meetings/{meeting_id}/invitations", **_ITS_ID),
    "ReadReminders": link("get", "/meetings/{meeting_id}/reminders", **_ITS_ID),
    "AddReminder": link("post", "/meetings/{meeting_id}/reminders", **_ITS_ID),
}
REMINDER_LINKS = {
    "RemoveReminder": link(
        "delete",
        "/meetings/{meeting_id}/reminders/{reminder_id}",
        meeting_id="$request.path.meeting_id",
        reminder_id="$response.body#/id",
    ),
    "ReadReminders": link(
        "get", "/meetings/{meeting_id}/reminders", meeting_id="$request.path.meeting_id"
    ),
}

# A whole meeting, as the document shows it (and as clients and the API tests may send it).
MEETING_EXAMPLE = {
    "title": "Opgavebeweging bij Gemeente Zwolle",
    "theme": "Wonen en zorg",
    "host_organisation": "Gemeente Zwolle",
    "city": "Zwolle",
    "venue": "Stadhuis",
    "address": "Grote Kerkplein 15, 8011 PK Zwolle",
    "starts_at": "2025-06-03T10:00:00+02:00",
    "ends_at": "2025-06-03T13:00:00+02:00",
    "description": "Tweede bijeenkomst van het jaar.",
    "capacity": 40,
    "status": "published",
    "registration_deadline": "2025-06-01T23:59:00+02:00",
}


def _get_or_404(meeting_id: int) -> Meeting:
    meeting = agenda.get_meeting(get_session(), meeting_id)
    if meeting is None:
        fail(404, _("There is no meeting with id %(id)s.", id=meeting_id))
    return meeting


def _validated(raw: dict[str, Any]) -> agenda.MeetingInput:
    try:
        return agenda.validate_meeting_fields(raw, current_settings().TIMEZONE)
    except agenda.MeetingValidationError as exc:
        fail(
            422,
            _("The meeting was not saved. Check the fields named in 'errors'."),
            errors={name: [text] for name, text in exc.messages(_).items()},
        )


@bp.route("", methods=["GET"])
@bp.arguments(MeetingQuerySchema, location="query")
@bp.response(200, MeetingListSchema)
@allow(Role.VIEWER)
def list_meetings(args: dict[str, Any]):
    """List meetings

    All meetings, or only those that have (not) ended yet, optionally of one status.
    """
    session = get_session()
    if args.get("upcoming") is True:
        meetings = agenda.upcoming_meetings(session, utcnow())
    elif args.get("upcoming") is False:
        meetings = agenda.past_meetings(session, utcnow())
    else:
        meetings = agenda.list_meetings(session)
    if args.get("status"):
        meetings = [m for m in meetings if m.status == MeetingStatus(args["status"])]
    return {"items": meetings}


@bp.route("", methods=["POST"])
@bp.arguments(MeetingWriteSchema, example=MEETING_EXAMPLE)
@bp.response(201, MeetingSchema)
@bp.doc(**answer_links(201, **MEETING_LINKS))
@allow(Role.ORGANISER)
def create_meeting(body: dict[str, Any]):
    """Create a meeting

    Answers 201 with the meeting and its address in the Location header. The status is "draft"
    unless given.
    """
    data = _validated(body)
    session = get_session()
    meeting = meeting_edit.add_meeting(session, data, actor=api_user(), via="api")
    session.commit()
    return meeting, 201, {"Location": url_for(".read_meeting", meeting_id=meeting.id)}


@bp.route("/<int:meeting_id>", methods=["GET"])
@bp.response(200, MeetingSchema)
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.VIEWER)
def read_meeting(meeting_id: int):
    """Read a meeting"""
    return _get_or_404(meeting_id)


def _update(meeting_id: int, body: dict[str, Any], *, replace: bool) -> Meeting:
    meeting = _get_or_404(meeting_id)
    # PATCH checks the meeting as it will be, so a new start is compared with the stored end.
    data = _validated(body if replace else agenda.meeting_fields(meeting) | body)
    session = get_session()
    meeting_edit.change_meeting(session, meeting, data, actor=api_user(), via="api")
    session.commit()
    return meeting


@bp.route("/<int:meeting_id>", methods=["PATCH"])
@bp.arguments(MeetingPatchSchema)
@bp.response(200, MeetingSchema)
@bp.doc(**answer_links(200, **MEETING_LINKS))
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.ORGANISER)
def patch_meeting(body: dict[str, Any], meeting_id: int):
    """Change some fields of a meeting

    Fields left out keep their value.
    """
    return _update(meeting_id, body, replace=False)


@bp.route("/<int:meeting_id>", methods=["PUT"])
@bp.arguments(MeetingReplaceSchema, example=MEETING_EXAMPLE)
@bp.response(200, MeetingSchema)
@bp.doc(**answer_links(200, **MEETING_LINKS))
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.ORGANISER)
def replace_meeting(body: dict[str, Any], meeting_id: int):
    """Replace a meeting

    Every writable field is required.
    """
    return _update(meeting_id, body, replace=True)


@bp.route("/<int:meeting_id>/invitations", methods=["GET"])
@bp.response(200, MeetingInvitationsSchema)
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.VIEWER)
def read_invitations(meeting_id: int):
    """Invitations of a meeting

    Everyone invited with their answer (yes first, then waiting, not answered, no), the counts
    per answer and the number of places.
    """
    meeting = _get_or_404(meeting_id)
    session = get_session()
    counts = invitations.count_answers(session, meeting.id)
    rows = invitations.invitation_rows(session, meeting.id)
    return {
        "meeting_id": meeting.id,
        "capacity": meeting.capacity,
        "counts": {
            "invited": sum(counts.values()),
            "yes": counts.get(Answer.YES, 0),
            "no": counts.get(Answer.NO, 0),
            "waiting": counts.get(Answer.WAITING, 0),
        },
        "invitations": [
            {
                "contact_id": row.contact_id,
                "name": row.name,
                "email": row.email,
                "organisation": row.organisation,
                "answer": row.answer.value,
                "answered_at": row.answered_at,
                "remark": row.remark,
                "attended": row.attended,
            }
            for row in rows
        ],
    }


def _reminder_json(reminder, due) -> dict[str, Any]:
    return {
        "id": reminder.id,
        "days_before": reminder.days_before,
        "send_time": reminder.send_time,
        "audience": reminder.audience,
        "due_at": due,
        "sent_at": reminder.sent_at,
        "passed_over": reminder.passed_over,
    }


@bp.route("/<int:meeting_id>/reminders", methods=["GET"])
@bp.response(200, ReminderListSchema)
@bp.alt_response(404, response="NOT_FOUND")
@allow(Role.VIEWER)
def list_reminders(meeting_id: int):
    """Reminders of a meeting

    Earliest due first. New meetings start with two: 7 and 1 days before at 09:00, to those who
    said yes. Stored as offsets, so moving the meeting moves them.
    """
    meeting = _get_or_404(meeting_id)
    schedule = reminders.reminder_schedule(meeting, current_settings().TIMEZONE)
    return {
        "items": [_reminder_json(reminder, due) for reminder, due in schedule],
        "stopped": reminder_edit.reminders_stopped(meeting),
    }


@bp.route("/<int:meeting_id>/reminders", methods=["POST"])
@bp.arguments(
    ReminderSchema, example={"days_before": 3, "send_time": "09:00", "audience": "unanswered"}
)
@bp.response(201, ReminderSchema)
@bp.doc(**answer_links(201, **REMINDER_LINKS))
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@allow(Role.ORGANISER)
def add_reminder(body: dict[str, Any], meeting_id: int):
    """Add a reminder to a meeting

    A second reminder with the same days_before and audience is refused (422).
    """
    meeting = _get_or_404(meeting_id)
    session = get_session()
    try:
        reminder = reminder_edit.add_reminder(
            session,
            meeting,
            body["days_before"],
            body["send_time"],
            body["audience"],
            actor=api_user(),
            via="api",
        )
    except reminder_edit.ReminderError as exc:
        fail(
            422,
            _("The reminder was not added. Check the fields named in 'errors'."),
            errors={name: [message.render(_)] for name, message in exc.errors.items()},
        )
    session.commit()
    due = reminders.due_at(reminder, meeting, current_settings().TIMEZONE)
    return _reminder_json(reminder, due)


@bp.route("/<int:meeting_id>/reminders/<int:reminder_id>", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@allow(Role.ORGANISER)
def remove_reminder(meeting_id: int, reminder_id: int):
    """Remove a reminder that has not been sent (409 once it has)"""
    meeting = _get_or_404(meeting_id)
    session = get_session()
    reminder = next((r for r in meeting.reminders if r.id == reminder_id), None)
    if reminder is None:
        fail(404, _("This reminder does not exist (any more)."))
    try:
        reminder_edit.remove_reminder(session, meeting, reminder_id, actor=api_user(), via="api")
    except reminder_edit.ReminderError as exc:
        fail(409, next(iter(exc.errors.values())).render(_))
    session.commit()
    return ""
