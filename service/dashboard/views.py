"""The organiser's overview page: counts, the next meeting and the province coverage."""

from flask import Blueprint, render_template
from flask_babel import get_locale

from service.auth.access import allow, require_login
from service.dashboard import coverage
from service.database import get_session
from service.meetings import agenda
from service.meetings.forms import AUDIENCE_LABELS
from service.meetings.reminder_times import reminder_schedule
from service.models import MeetingStatus, Role, utcnow
from service.provinces import NATIONAL
from service.settings import current_settings

bp = Blueprint("dashboard", __name__)
require_login(bp)

UPCOMING_SHOWN = 5


@bp.get("/")
@allow(Role.VIEWER)
def index():
    db = get_session()
    now = utcnow()
    per_province = coverage.province_coverage(db)
    missing = coverage.missing_provinces(per_province)
    national = next(p for p in per_province if p.code == NATIONAL)
    timezone = current_settings().TIMEZONE
    # The coming meetings with the reminders still to go, so organisers see what mail is planned.
    coming = [
        (meeting, [(r, due) for r, due in reminder_schedule(meeting, timezone) if not r.sent_at])
        for meeting in agenda.upcoming_meetings(db, now)
        if meeting.status != MeetingStatus.CANCELLED
    ][:UPCOMING_SHOWN]
    return render_template(
        "dashboard/index.html",
        contacts_total=coverage.count_contacts(db),
        upcoming_count=agenda.count_upcoming(db, now),
        next_meeting=agenda.next_meeting(db, now),
        coming=coming,
        audience_labels=AUDIENCE_LABELS,
        coverage=per_province,
        national=national,
        without_province=coverage.contacts_without_province(db),
        missing_names=coverage.name_list(
            [p.name for p in missing], str(get_locale() or current_settings().default_language)
        ),
        tile_map_data=coverage.tile_map(per_province),
    )
