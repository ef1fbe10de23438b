"""The public calendar file of a meeting: `GET /bijeenkomsten/<id>.ics`.

The "add to calendar" link of every invitation points here. The file is `METHOD:PUBLISH` with no
attendee (anyone may add the meeting; the personal invitation with the contact as ATTENDEE comes
with the confirmation of a yes), the same UID as those invitations, and only for meetings the
network has announced: a draft, or a meeting that does not exist, is a 404. A cancelled meeting is
a 404 too: nobody should add it any more. The routes hang on the public blueprint (imported at the
end of service/public/views.py).
"""

from __future__ import annotations

from flask import abort, current_app

from service.campaigns.testsend import sender_address
from service.database import get_session
from service.mail.notice_mail import calendar_meeting, uid_domain
from service.meetings.calendar import ics_bytes, meeting_calendar
from service.models import Meeting, MeetingStatus
from service.public.views import bp
from service.settings import current_settings

# Meetings whose calendar file anyone may download.
DOWNLOADABLE = frozenset({MeetingStatus.PUBLISHED, MeetingStatus.HELD})


@bp.get("/bijeenkomsten/<int:meeting_id>.ics")
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
