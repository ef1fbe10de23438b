"""Organiser side of a meeting's invitations: deadline, reminders, the invitations page, the CSV
export, attendance, and the API's list of invitations. Answers are made the way contacts make
them, with invitations.answer_invitation."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from service.campaigns import reminder_edit
from service.database import session_scope
from service.meetings import agenda, invitations
from service.models import (
    Answer,
    AuditEntry,
    Delivery,
    Invitation,
    Meeting,
    MeetingStatus,
    Reminder,
    Role,
    User,
)
from tests.api_helpers import api_client
from tests.builders import amsterdam, make_announcement, make_contact, make_meeting
from tests.conftest import ADMIN_EMAIL, csrf_token_from

TZ = "Europe/Amsterdam"
# A month before the Zwolle meeting of dinsdag 3 juni 2025 (make_meeting's default).
BEFORE = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def english(app, organiser):
    """The logged-in organiser reads the pages in English (messages are asserted by msgid)."""
    with session_scope(app) as session:
        session.scalars(select(User).where(User.email == ADMIN_EMAIL)).one().language = "en"
    return organiser


@pytest.fixture
def api(app):
    return api_client(app, Role.ORGANISER, language="en")


def form_values(**overrides) -> dict[str, str]:
    """The meeting form as an organiser fills it in (Zwolle, dinsdag 3 juni 2025, 10:00-13:00)."""
    return {
        "title": "Opgavebeweging bij Gemeente Zwolle",
        "host_organisation": "Gemeente Zwolle",
        "city": "Zwolle",
        "date": "2025-06-03",
        "start_time": "10:00",
        "end_time": "13:00",
        "capacity": "",
        "status": "published",
        "deadline_date": "",
        "deadline_time": "",
    } | overrides


def post_with_token(client, page: str, action: str, data: dict, *, form_index: int = 0):
    """POST `data` to `action` with a CSRF token read from `page`."""
    html = client.get(page).get_data(as_text=True)
    tokens = re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert tokens, "page has no CSRF token"
    return client.post(action, data=data | {"csrf_token": tokens[form_index]})


def invited(db, meeting: Meeting, **contact_fields) -> Invitation:
    """Invite a new contact to the meeting and return the invitation."""
    contact = make_contact(db, **contact_fields)
    invitations.invite_contacts(db, meeting, [contact.id])
    db.commit()
    return db.scalars(
        select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.contact_id == contact.id
        )
    ).one()


def answered(db, meeting: Meeting, coming: bool, *, remark: str = "", **contact_fields):
    """A contact invited to the meeting who answered, a month before it."""
    invitation = invited(db, meeting, **contact_fields)
    invitations.answer_invitation(db, invitation, coming=coming, remark=remark, now=BEFORE)
    db.commit()
    return invitation


def counts_on(html: str) -> dict[str, str]:
    """The numbers of the counts block: data-count name -> text."""
    return dict(re.findall(r'<dd [^>]*data-count="([^"]+)">([^<]+)</dd>', html))


CARD = re.compile(r'<div class="stat"><dt>([^<]+)</dt><dd class="stat-number[^>]*>([^<]+)</dd>')


def cards_on(html: str) -> list[str]:
    """The answers block's cards as a reader takes each in: "label number"."""
    start = html.index('id="invitation-counts"')
    block = html[start : html.index("</dl>", start)]
    return [f"{label} {figure}" for label, figure in CARD.findall(block)]


def audit_actions(app) -> list[str]:
    with session_scope(app) as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- registration deadline ------------------------------------------------------------------


def test_deadline_from_the_form_is_amsterdam_time_and_must_be_before_the_start():
    checked = agenda.validate_meeting_fields(
        form_values(deadline_date="2025-05-27", deadline_time="17:00"), TZ
    )
    assert checked.registration_deadline == datetime(2025, 5, 27, 15, 0, tzinfo=UTC)

    # A day without a time closes at the end of that day.
    whole_day = agenda.validate_meeting_fields(form_values(deadline_date="2025-05-27"), TZ)
    assert whole_day.registration_deadline == datetime(2025, 5, 27, 21, 59, tzinfo=UTC)
    assert agenda.validate_meeting_fields(form_values(), TZ).registration_deadline is None

    with pytest.raises(agenda.MeetingValidationError) as late:
        agenda.validate_meeting_fields(
            form_values(deadline_date="2025-06-03", deadline_time="10:00"), TZ
        )
    assert late.value.messages() == {
        "deadline_date": "Registration must close before the meeting starts."
    }
    with pytest.raises(agenda.MeetingValidationError) as no_day:
        agenda.validate_meeting_fields(form_values(deadline_time="17:00"), TZ)
    assert set(no_day.value.errors) == {"deadline_date"}


def test_deadline_through_the_web_form_is_stored_shown_and_refused_when_late(app, english, db):
    html = english.get("/meetings/new").get_data(as_text=True)
    assert '<label for="deadline_date"' in html and '<label for="deadline_time"' in html
    token = csrf_token_from(html)
    late = english.post(
        "/meetings/new",
        data=form_values(deadline_date="2025-06-04", deadline_time="09:00", csrf_token=token),
    )
    assert late.status_code == 200
    page = late.get_data(as_text=True)
    assert "Registration must close before the meeting starts." in page
    assert re.search(r'aria-describedby="[^"]*deadline_date-error-1', page)
    assert db.scalars(select(Meeting)).all() == []

    saved = english.post(
        "/meetings/new",
        data=form_values(deadline_date="2025-05-27", deadline_time="17:00", csrf_token=token),
    )
    assert saved.status_code == 302
    with session_scope(app) as session:
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.registration_deadline == datetime(2025, 5, 27, 15, 0, tzinfo=UTC)
        meeting_id = meeting.id
    edit = english.get(f"/meetings/{meeting_id}/edit").get_data(as_text=True)
    assert 'value="2025-05-27"' in edit and 'value="17:00"' in edit


def test_api_takes_and_answers_the_deadline_and_refuses_one_after_the_start(api, db):
    body = {
        "title": "Hogeschool van Amsterdam",
        "host_organisation": "Hogeschool van Amsterdam",
        "city": "Amsterdam",
        "starts_at": "2025-09-30T10:00:00+02:00",
        "ends_at": "2025-09-30T13:00:00+02:00",
        "registration_deadline": "2025-09-23T17:00",
    }
    created = api.post("/api/v1/meetings", json=body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["registration_deadline"] == "2025-09-23T15:00:00+00:00"
    meeting_id = created.get_json()["id"]

    refused = api.patch(
        f"/api/v1/meetings/{meeting_id}", json={"registration_deadline": "2025-10-01T09:00Z"}
    )
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {
        "registration_deadline": ["Registration must close before the meeting starts."]
    }
    # Moving the start before the stored deadline is refused too.
    moved = api.patch(
        f"/api/v1/meetings/{meeting_id}",
        json={"starts_at": "2025-09-20T10:00+02:00", "ends_at": "2025-09-20T12:00+02:00"},
    )
    assert moved.status_code == 422 and "registration_deadline" in moved.get_json()["errors"]

    cleared = api.patch(f"/api/v1/meetings/{meeting_id}", json={"registration_deadline": None})
    assert cleared.status_code == 200 and cleared.get_json()["registration_deadline"] is None
    db.expire_all()
    assert db.get(Meeting, meeting_id).registration_deadline is None


# --- reminders ------------------------------------------------------------------------------


def test_a_new_meeting_gets_the_default_reminders(app, organiser, api):
    token = csrf_token_from(organiser.get("/meetings/new").get_data(as_text=True))
    assert organiser.post("/meetings/new", data=form_values(csrf_token=token)).status_code == 302
    created = api.post(
        "/api/v1/meetings",
        json={
            "title": "Via de API",
            "host_organisation": "Provincie Utrecht",
            "city": "Utrecht",
            "starts_at": "2025-09-30T10:00",
            "ends_at": "2025-09-30T12:00",
        },
    )
    assert created.status_code == 201
    with session_scope(app) as session:
        for meeting in session.scalars(select(Meeting)):
            offsets = sorted((r.days_before, r.send_time, r.audience) for r in meeting.reminders)
            assert offsets == [(1, "09:00", "yes"), (7, "09:00", "yes")], meeting.title


def test_reminders_section_lists_due_moments_audience_and_sent_state(app, english, db):
    meeting = make_meeting(db)  # dinsdag 3 juni 2025
    meeting.reminders.append(Reminder(days_before=7, send_time="09:00", audience="yes"))
    sent = make_announcement(db, kind="reminder", meeting_id=meeting.id)
    meeting.reminders.append(
        Reminder(
            days_before=1, send_time="09:00", audience="yes", sent_at=BEFORE, campaign_id=sent.id
        )
    )
    # Passed over by the scheduler (too late, or its recipients could no longer answer).
    meeting.reminders.append(
        Reminder(days_before=0, send_time="08:00", audience="unanswered", sent_at=BEFORE)
    )
    db.commit()
    html = english.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    section = html[html.index('id="reminders"') :]
    rows = re.findall(r'<tr class="reminder-row">(.*?)</tr>', section, re.S)
    assert len(rows) == 3
    # Earliest due first; dates as the network reads them, in the organiser's language.
    assert "Tuesday, May 27, 2025" in rows[0] or "27 May 2025" in rows[0] or "May 27" in rows[0]
    assert "Registered (said yes)" in rows[0] and "Not yet" in rows[0]
    assert "Remove" in rows[0]
    assert "Sent on" in rows[1] and "Remove" not in rows[1]
    assert "Not sent: passed over on" in rows[2] and "Sent on" not in rows[2]
    assert "Remove" not in rows[2]
    assert 'id="reminders-stopped"' not in html


def test_due_moment_reads_in_dutch_for_a_dutch_organiser(organiser, db):
    meeting = make_meeting(db)
    meeting.reminders.append(Reminder(days_before=7, send_time="09:00", audience="yes"))
    db.commit()
    html = organiser.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert "dinsdag 27 mei 2025, 09:00" in html


def test_add_a_reminder_and_refuse_a_duplicate_or_a_wrong_offset(app, english, db):
    meeting = make_meeting(db)
    meeting.reminders.append(Reminder(days_before=7, send_time="09:00", audience="yes"))
    db.commit()
    page = f"/meetings/{meeting.id}/edit"
    action = f"/meetings/{meeting.id}/reminders"

    added = post_with_token(
        english, page, action, {"days_before": "2", "send_time": "18:30", "audience": "unanswered"}
    )
    assert added.status_code == 302
    html = english.get(page).get_data(as_text=True)
    assert "Not answered yet" in html and "18:30" in html

    duplicate = post_with_token(
        english, page, action, {"days_before": "7", "send_time": "12:00", "audience": "yes"}
    )
    assert duplicate.status_code == 400
    text = duplicate.get_data(as_text=True)
    assert "already has a reminder 7 days before to the same people" in text
    assert 'id="days_before-error-1"' in text

    too_far = post_with_token(
        english, page, action, {"days_before": "61", "send_time": "25:00", "audience": "all"}
    )
    assert too_far.status_code == 400
    text = too_far.get_data(as_text=True)
    for name in ("days_before", "send_time", "audience"):
        assert f'id="{name}-error-1"' in text, name

    with session_scope(app) as session:
        stored = session.scalars(select(Reminder).where(Reminder.meeting_id == meeting.id)).all()
        assert sorted((r.days_before, r.send_time, r.audience) for r in stored) == [
            (2, "18:30", "unanswered"),
            (7, "09:00", "yes"),
        ]
    assert audit_actions(app).count("meeting.reminder_add") == 1


def test_remove_an_unsent_reminder_but_not_a_sent_one(app, english, db):
    meeting = make_meeting(db)
    unsent = Reminder(days_before=7, send_time="09:00", audience="yes")
    sent = Reminder(days_before=1, send_time="09:00", audience="yes", sent_at=BEFORE)
    meeting.reminders.extend([unsent, sent])
    db.commit()
    page = f"/meetings/{meeting.id}/edit"

    no_token = english.post(f"/meetings/{meeting.id}/reminders/{unsent.id}/delete")
    assert no_token.status_code == 400

    refused = post_with_token(
        english, page, f"/meetings/{meeting.id}/reminders/{sent.id}/delete", {}
    )
    assert refused.status_code == 302
    assert "it can no longer be removed" in english.get(page).get_data(as_text=True)

    removed = post_with_token(
        english, page, f"/meetings/{meeting.id}/reminders/{unsent.id}/delete", {}
    )
    assert removed.status_code == 302
    with session_scope(app) as session:
        left = session.scalars(select(Reminder).where(Reminder.meeting_id == meeting.id)).all()
        assert [r.id for r in left] == [sent.id]
    assert "meeting.reminder_remove" in audit_actions(app)


def test_reminder_rules_refuse_a_duplicate_without_touching_the_database(db):
    meeting = make_meeting(db)
    reminder_edit.add_reminder(db, meeting, 3, "9:00", "yes")
    with pytest.raises(reminder_edit.ReminderError) as duplicate:
        reminder_edit.add_reminder(db, meeting, "3", "10:00", "yes")
    assert set(duplicate.value.errors) == {"days_before"}
    db.commit()  # nothing half-added that the unique constraint would refuse
    assert [(r.days_before, r.send_time) for r in meeting.reminders] == [(3, "09:00")]
    reminder_edit.add_reminder(db, meeting, 3, "09:00", "unanswered")
    assert len(meeting.reminders) == 2


def test_the_same_reminder_added_meanwhile_by_another_organiser_is_refused_with_a_message(app, db):
    meeting = make_meeting(db)
    assert meeting.reminders == []  # this organiser's page was drawn without it
    with app.extensions["db_sessionmaker"]() as other:
        reminder_edit.add_reminder(other, other.get(Meeting, meeting.id), 3, "09:00", "yes")
        other.commit()

    with pytest.raises(reminder_edit.ReminderError) as duplicate:
        reminder_edit.add_reminder(db, meeting, 3, "10:00", "yes")

    assert set(duplicate.value.errors) == {"days_before"}
    # The session goes on: the other reminder is there once, and a different one can be added.
    reminder_edit.add_reminder(db, meeting, 3, "09:00", "unanswered")
    db.commit()
    assert sorted((r.days_before, r.audience) for r in meeting.reminders) == [
        (3, "unanswered"),
        (3, "yes"),
    ]


def test_a_cancelled_meeting_says_no_reminders_go(english, db):
    meeting = make_meeting(db, status=MeetingStatus.CANCELLED)
    meeting.reminders.append(Reminder(days_before=7, send_time="09:00", audience="yes"))
    db.commit()
    html = english.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert 'id="reminders-stopped"' in html
    assert "no reminders will be sent" in html and "Will not be sent" in html


# --- capacity ---------------------------------------------------------------------------------


def test_raising_capacity_on_the_form_promotes_those_waiting(app, organiser, db):
    meeting = make_meeting(db, capacity=1)
    first = answered(db, meeting, True)
    waiting = answered(db, meeting, True)
    assert waiting.answer == Answer.WAITING and first.answer == Answer.YES

    page = f"/meetings/{meeting.id}/edit"
    response = post_with_token(organiser, page, page, form_values(capacity="2"))
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Invitation, waiting.id).answer == Answer.YES
    with session_scope(app) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "meeting.promote_waiting")
        ).one()
        assert entry.detail["contacts"] == [waiting.contact_id]


def test_raising_capacity_through_the_api_promotes_those_waiting(api, db):
    meeting = make_meeting(db, capacity=1)
    answered(db, meeting, True)
    waiting = [answered(db, meeting, True) for _ in range(2)]
    response = api.patch(f"/api/v1/meetings/{meeting.id}", json={"capacity": None})
    assert response.status_code == 200
    db.expire_all()
    assert [db.get(Invitation, w.id).answer for w in waiting] == [Answer.YES, Answer.YES]


def test_the_form_and_the_api_change_a_meeting_the_same_way(app, organiser, api, db):
    """One use case behind both: the same audit entries, notices and promotions."""

    def outcome(meeting: Meeting) -> tuple[list, list, list]:
        db.expire_all()
        audit = db.execute(
            select(AuditEntry.action, AuditEntry.detail)
            .where(AuditEntry.object_id == meeting.id, AuditEntry.action.like("meeting.%"))
            .order_by(AuditEntry.id)
        ).all()
        sent = db.execute(
            select(Delivery.kind, Delivery.payload)
            .where(Delivery.meeting_id == meeting.id)
            .order_by(Delivery.id)
        ).all()
        answers = db.scalars(
            select(Invitation.answer)
            .where(Invitation.meeting_id == meeting.id)
            .order_by(Invitation.id)
        ).all()
        # Without the parts that differ by design: the API's via="api" and the contacts' ids.
        return (
            [
                (action, {k: v for k, v in detail.items() if k not in ("via", "contacts")})
                for action, detail in audit
            ],
            list(sent),
            list(answers),
        )

    meetings = []
    for _ in range(2):
        meeting = make_meeting(db, capacity=1)
        answered(db, meeting, True)
        answered(db, meeting, True)
        meetings.append(meeting)
    by_form, by_api = meetings

    page = f"/meetings/{by_form.id}/edit"
    moved = form_values(capacity="2", start_time="11:00")
    assert post_with_token(organiser, page, page, moved).status_code == 302
    changes = {"capacity": 2, "starts_at": "2025-06-03T11:00:00+02:00"}
    assert api.patch(f"/api/v1/meetings/{by_api.id}", json=changes).status_code == 200

    form_outcome, api_outcome = outcome(by_form), outcome(by_api)
    assert form_outcome == api_outcome
    audit, sent, answers = form_outcome
    assert [action for action, _detail in audit] == ["meeting.update", "meeting.promote_waiting"]
    assert sorted(kind for kind, _payload in sent) == ["meeting_update", "promoted"]
    assert answers == [Answer.YES, Answer.YES]


def test_lowering_capacity_promotes_nobody(db):
    assert agenda.capacity_raised({"capacity": [2, 1]}) is False
    assert agenda.capacity_raised({"capacity": [None, 5]}) is False
    assert agenda.capacity_raised({"capacity": [2, None]}) is True
    assert agenda.capacity_raised({"title": ["a", "b"]}) is False


# --- invitations page -------------------------------------------------------------------------


def _meeting_with_answers(db) -> tuple[Meeting, dict[str, Invitation]]:
    meeting = make_meeting(db, capacity=2)
    people = {
        "anna": answered(
            db,
            meeting,
            True,
            name="Anna de Vries",
            organisation="Gemeente Zwolle",
            province="overijssel",
            remark="Vegetarisch",
        ),
        "bram": answered(db, meeting, True, name="Bram Jansen", remark='=HYPERLINK("x")'),
        "cees": answered(db, meeting, True, name="Cees Bakker"),  # full: waiting list
        "dirk": answered(db, meeting, False, name="Dirk Smit"),
        "eva": invited(db, meeting, name="Eva Mulder"),
    }
    return meeting, people


def test_invitations_page_counts_and_lists_the_answers(english, db):
    meeting, _people = _meeting_with_answers(db)
    html = english.get(f"/meetings/{meeting.id}/invitations").get_data(as_text=True)
    assert counts_on(html) == {
        "invited-total": "5",
        "yes": "2",
        "no": "1",
        "waiting": "1",
        "invited": "1",
        "capacity": "2",
        "places-left": "0",
    }
    # Each figure is a card of its own, its label beside its number.
    assert cards_on(html) == [
        "Invited 5",
        "Registered 2",
        "Declined 1",
        "Waiting list 1",
        "No answer yet 1",
        "Places 2",
        "Places left 0",
    ]
    names = re.findall(r'<th scope="row">([^<]+)</th>', html)
    assert names == ["Anna de Vries", "Bram Jansen", "Cees Bakker", "Eva Mulder", "Dirk Smit"]
    anna = html[html.index("Anna de Vries") : html.index("Bram Jansen")]
    assert "Gemeente Zwolle" in anna and "Overijssel" in anna and "Vegetarisch" in anna
    assert "Registered" in anna and "<time" in anna
    cees = html[html.index("Cees Bakker") : html.index("Eva Mulder")]
    assert "Waiting list" in cees


def test_invitations_page_cards_read_in_dutch_without_a_limit(organiser, db):
    meeting = make_meeting(db)
    answered(db, meeting, True, name="Anna de Vries")
    answered(db, meeting, False, name="Dirk Smit")
    html = organiser.get(f"/meetings/{meeting.id}/invitations").get_data(as_text=True)
    # Without a limit there are no places left to count: the places card says so in words.
    assert cards_on(html) == [
        "Uitgenodigd 2",
        "Aangemeld 1",
        "Afgemeld 1",
        "Wachtlijst 0",
        "Nog geen antwoord 0",
        "Plaatsen geen maximum",
    ]


def test_invitations_page_filters_by_answer(english, db):
    meeting, _ = _meeting_with_answers(db)
    html = english.get(f"/meetings/{meeting.id}/invitations?answer=waiting").get_data(as_text=True)
    assert re.findall(r'<th scope="row">([^<]+)</th>', html) == ["Cees Bakker"]
    assert '<option value="waiting" selected>' in html
    html = english.get(f"/meetings/{meeting.id}/invitations?answer=no").get_data(as_text=True)
    assert re.findall(r'<th scope="row">([^<]+)</th>', html) == ["Dirk Smit"]
    # An unknown filter shows everyone rather than failing.
    html = english.get(f"/meetings/{meeting.id}/invitations?answer=maybe").get_data(as_text=True)
    assert len(re.findall(r'<th scope="row">', html)) == 5


def test_invitations_pages_need_a_login(client, db):
    meeting = make_meeting(db)
    for path in (
        f"/meetings/{meeting.id}/invitations",
        f"/meetings/{meeting.id}/invitations.csv",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(f"/meetings/{meeting.id}/attendance", data={"attended": "1"})
    assert response.status_code in (302, 400)
    assert client.get("/meetings/999/invitations").status_code == 302


def test_unknown_meeting_is_404(organiser):
    assert organiser.get("/meetings/999/invitations").status_code == 404
    assert organiser.get("/meetings/999/invitations.csv").status_code == 404


def test_csv_export_is_excel_ready_and_formula_safe(app, organiser, db):
    meeting, _ = _meeting_with_answers(db)
    response = organiser.get(f"/meetings/{meeting.id}/invitations.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == [
        "naam",
        "e-mail",
        "organisatie",
        "provincie",
        "antwoord",
        "geantwoord op",
        "opmerking",
        "aanwezig",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {
        "Anna de Vries",
        "Bram Jansen",
        "Cees Bakker",
        "Dirk Smit",
        "Eva Mulder",
    }
    anna = by_name["Anna de Vries"]
    assert anna[2:5] == ["Gemeente Zwolle", "Overijssel", "aangemeld"]
    assert anna[5] == "2025-05-01 14:00"  # answered at 12:00 UTC, shown in Amsterdam time
    assert anna[6] == "Vegetarisch"
    assert by_name["Bram Jansen"][6] == '\'=HYPERLINK("x")'
    assert by_name["Cees Bakker"][4] == "wachtlijst"
    assert by_name["Dirk Smit"][4] == "afgemeld"
    assert by_name["Eva Mulder"][4:6] == ["nog geen antwoord", ""]
    assert "meeting.invitations_export" in audit_actions(app)


# --- attendance -------------------------------------------------------------------------------


def test_after_the_meeting_organisers_mark_who_attended(app, english, db):
    meeting, people = _meeting_with_answers(db)  # 3 June 2025: over
    page = f"/meetings/{meeting.id}/invitations"
    html = english.get(page).get_data(as_text=True)
    assert f'id="attended-{people["anna"].id}"' in html
    assert 'aria-label="Anna de Vries attended"' in html

    chosen = {"attended": [str(people["anna"].id), str(people["cees"].id)]}
    response = post_with_token(english, page, f"/meetings/{meeting.id}/attendance", chosen)
    assert response.status_code == 302
    db.expire_all()
    stored = {key: db.get(Invitation, inv.id).attended for key, inv in people.items()}
    assert stored == {"anna": True, "bram": False, "cees": True, "dirk": False, "eva": False}
    html = english.get(page).get_data(as_text=True)
    assert re.search(rf'id="attended-{people["anna"].id}"[^>]* checked', html)
    assert not re.search(rf'id="attended-{people["bram"].id}"[^>]* checked', html)
    assert "meeting.attendance" in audit_actions(app)


def test_attendance_needs_a_csrf_token_and_an_ended_meeting(english, db):
    meeting, people = _meeting_with_answers(db)
    response = english.post(
        f"/meetings/{meeting.id}/attendance", data={"attended": [str(people["anna"].id)]}
    )
    assert response.status_code == 400
    db.expire_all()
    assert db.get(Invitation, people["anna"].id).attended is None

    later = (datetime.now(UTC) + timedelta(days=30)).date()
    upcoming = make_meeting(
        db, starts_at=amsterdam(later, time(10)), ends_at=amsterdam(later, time(13))
    )
    guest = invited(db, upcoming)
    page = f"/meetings/{upcoming.id}/invitations"
    assert 'name="attended"' not in english.get(page).get_data(as_text=True)
    refused = post_with_token(
        english, page, f"/meetings/{upcoming.id}/attendance", {"attended": [str(guest.id)]}
    )
    assert refused.status_code == 302
    db.expire_all()
    assert db.get(Invitation, guest.id).attended is None


# --- API --------------------------------------------------------------------------------------

INVITATION_FIELDS = {
    "contact_id",
    "name",
    "email",
    "organisation",
    "answer",
    "answered_at",
    "remark",
    "attended",
}


def test_api_lists_a_meetings_invitations(api, db):
    meeting, people = _meeting_with_answers(db)
    invitations.mark_attended(db, meeting, [people["anna"].id])
    db.commit()
    response = api.get(f"/api/v1/meetings/{meeting.id}/invitations")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"meeting_id", "capacity", "counts", "invitations"}
    assert body["meeting_id"] == meeting.id and body["capacity"] == 2
    assert body["counts"] == {"invited": 5, "yes": 2, "no": 1, "waiting": 1}
    assert all(set(item) == INVITATION_FIELDS for item in body["invitations"])
    by_name = {item["name"]: item for item in body["invitations"]}
    anna = by_name["Anna de Vries"]
    assert anna["contact_id"] == people["anna"].contact_id
    assert anna["answer"] == "yes" and anna["attended"] is True
    assert anna["answered_at"] == "2025-05-01T12:00:00+00:00"
    assert anna["organisation"] == "Gemeente Zwolle" and anna["remark"] == "Vegetarisch"
    assert by_name["Eva Mulder"]["answer"] == "invited"
    assert by_name["Eva Mulder"]["answered_at"] is None
    assert by_name["Bram Jansen"]["attended"] is False
    assert by_name["Cees Bakker"]["answer"] == "waiting"


def test_api_invitations_of_unknown_meeting_is_404_and_needs_a_token(app, api, client, db):
    missing = api.get("/api/v1/meetings/999/invitations")
    assert missing.status_code == 404
    assert missing.get_json()["message"] == "There is no meeting with id 999."
    meeting = make_meeting(db)
    assert client.get(f"/api/v1/meetings/{meeting.id}/invitations").status_code == 401
    empty = api.get(f"/api/v1/meetings/{meeting.id}/invitations").get_json()
    assert empty["counts"] == {"invited": 0, "yes": 0, "no": 0, "waiting": 0}
    assert empty["invitations"] == [] and empty["capacity"] is None


def test_api_invitations_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/meetings/{meeting_id}/invitations"]["get"]
    assert "200" in operation["responses"] and "404" in operation["responses"]
    schemas = spec["components"]["schemas"]
    assert "registration_deadline" in schemas["Meeting"]["properties"]
    assert set(schemas["MeetingInvitation"]["properties"]) == INVITATION_FIELDS
    assert set(schemas["MeetingInvitations"]["properties"]) == {
        "meeting_id",
        "capacity",
        "counts",
        "invitations",
    }


def test_a_day_before_the_deadline_date_is_accepted_across_dst():
    # The deadline on the last Sunday of March, at 02:30, does not exist in Amsterdam.
    with pytest.raises(agenda.MeetingValidationError) as gap:
        agenda.validate_meeting_fields(
            form_values(date="2025-04-01", deadline_date="2025-03-30", deadline_time="02:30"), TZ
        )
    assert set(gap.value.errors) == {"deadline_time"}
    assert date(2025, 3, 30).weekday() == 6


# --- inviting by hand -------------------------------------------------------------------------


def _upcoming(db, **fields) -> Meeting:
    later = (datetime.now(UTC) + timedelta(days=30)).date()
    return make_meeting(
        db, starts_at=amsterdam(later, time(10)), ends_at=amsterdam(later, time(13)), **fields
    )


def test_addresses_are_read_from_pasted_text():
    from service.meetings.by_hand import addresses

    pasted = "Anna@Example.nl, bram@example.nl;\n<cees@example.nl>\n\nanna@example.nl"
    assert addresses(pasted) == ["anna@example.nl", "bram@example.nl", "cees@example.nl"]
    assert addresses("  ") == []


def test_organiser_invites_known_contacts_by_hand_and_records_their_yes(app, english, db):
    meeting = _upcoming(db, capacity=1)
    anna = make_contact(db, email="anna@example.nl", name="Anna de Vries")
    bram = make_contact(db, email="bram@example.nl", name="Bram Jansen")
    page = f"/meetings/{meeting.id}/invitations"
    html = english.get(page).get_data(as_text=True)
    assert '<label for="addresses"' in html and '<label for="coming"' in html

    response = post_with_token(
        english,
        page,
        page,
        {"addresses": "ANNA@example.nl\nbram@example.nl, onbekend@example.nl", "coming": "y"},
    )
    assert response.status_code == 302
    shown = english.get(page).get_data(as_text=True)
    assert "Invited: 2 new, 0 already invited. Registered: 1, on the waiting list: 1." in shown
    assert "onbekend@example.nl" in shown
    db.expire_all()
    answers = dict(
        db.execute(
            select(Invitation.contact_id, Invitation.answer).where(
                Invitation.meeting_id == meeting.id
            )
        ).all()
    )
    assert answers == {anna.id: Answer.YES, bram.id: Answer.WAITING}
    assert "meeting.invite_by_hand" in audit_actions(app)

    again = post_with_token(english, page, page, {"addresses": "anna@example.nl"})
    assert again.status_code == 302
    assert "Invited: 0 new, 1 already invited." in english.get(page).get_data(as_text=True)


def test_inviting_by_hand_needs_addresses_a_token_and_an_open_meeting(english, db):
    meeting = _upcoming(db)
    make_contact(db, email="anna@example.nl")
    page = f"/meetings/{meeting.id}/invitations"
    empty = post_with_token(english, page, page, {"addresses": "  "})
    assert empty.status_code == 400
    assert 'id="addresses-error-1"' in empty.get_data(as_text=True)
    assert english.post(page, data={"addresses": "anna@example.nl"}).status_code == 400
    assert db.scalars(select(Invitation)).all() == []

    over = make_meeting(db)  # 3 June 2025: over, so attendance instead of inviting
    assert 'id="addresses"' not in english.get(f"/meetings/{over.id}/invitations").get_data(
        as_text=True
    )


def test_attendance_ignores_what_cannot_be_a_contact_id(app, english, db):
    meeting, people = _meeting_with_answers(db)
    page = f"/meetings/{meeting.id}/invitations"
    chosen = {"attended": [str(people["anna"].id), "²", "٣", "2147483648", "x"]}
    response = post_with_token(english, page, f"/meetings/{meeting.id}/attendance", chosen)
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Invitation, people["anna"].id).attended is True
    assert db.get(Invitation, people["bram"].id).attended is False
