"""The emails after an answer or a change of a meeting, sent by the real send loop to a real SMTP
server and read back: confirmation with the iCalendar REQUEST, waiting list, cancel, promotion,
calendar update and cancel with rising SEQUENCE, retries, suppression."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import partial

import pytest
from icalendar import Calendar
from sqlalchemy import select

from service.delivery.queue import campaign_progress, start_sending
from service.delivery.suppression import suppress
from service.meetings import agenda, notices
from service.meetings.answering import answer_and_notify
from service.meetings.invitations import invite_contacts
from service.models import (
    Answer,
    Consent,
    Contact,
    Delivery,
    DeliveryStatus,
    Invitation,
    Meeting,
    MeetingStatus,
)
from tests.api_helpers import api_client
from tests.builders import amsterdam, make_campaign, make_contact, make_meeting
from tests.conftest import Clock, csrf_token_from
from tests.mail_helpers import run_until_idle, smtp_loop
from tests.test_answers import answer_links, confirm, future_meeting, invited_path, send_invitation

NETWORK_EMAIL = "grenzeloossamenwerken@rijksoverheid.nl"


# Batches of three, as in tests/test_sendloop.py.
_loop = partial(smtp_loop, batch_size=3)


def winter_meeting(db, **fields) -> Meeting:
    """Tuesday 12 January 2027, 10:00-12:00 in Amsterdam (UTC+1)."""
    values = {
        "starts_at": amsterdam(date(2027, 1, 12), time(10, 0)),
        "ends_at": amsterdam(date(2027, 1, 12), time(12, 0)),
    }
    return make_meeting(db, **(values | fields))


def invited(db, meeting: Meeting, contact: Contact) -> Invitation:
    invite_contacts(db, meeting, [contact.id])
    db.commit()
    return db.scalar(
        select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.contact_id == contact.id
        )
    )


def answer(db, invitation: Invitation, clock, *, coming: bool):
    """Answer as the public answer page does: the answer and its notices, one commit."""
    result = answer_and_notify(db, invitation, coming=coming, now=clock())
    db.commit()
    return result


def received(smtp_server) -> dict[str, list]:
    """The messages that arrived, per recipient, in order."""
    out: dict[str, list] = {}
    for _from, rcpts, message in smtp_server.handler.messages:
        for rcpt in rcpts:
            out.setdefault(rcpt, []).append(message)
    return out


def calendar_part(message):
    """The text/calendar alternative of a message, or None."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part
    return None


def event_of(message):
    """The method, the VEVENT and the VTIMEZONE ids of the message's calendar part."""
    part = calendar_part(message)
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    [event] = [c for c in calendar.walk() if c.name == "VEVENT"]
    zones = [str(c["TZID"]) for c in calendar.walk() if c.name == "VTIMEZONE"]
    return str(calendar["METHOD"]), event, zones


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_a_yes_is_confirmed_with_a_calendar_request_in_winter_time(app, db, smtp_server, clock):
    anna = make_contact(db, name="Anna de Vries")
    meeting = winter_meeting(db)
    invitation = invited(db, meeting, anna)

    answer(db, invitation, clock, coming=True)
    run_until_idle(_loop(app, smtp_server, clock))

    [message] = received(smtp_server)[anna.email]
    assert message["Subject"] == f"Je bent aangemeld voor {meeting.title}"
    assert "Beste Anna," in body(message)
    # The personal answer page, to change the answer later.
    assert "http://127.0.0.1:5000/antwoord/" in body(message)
    part = calendar_part(message)
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert message.get_content_type() == "multipart/mixed"
    attachments = [p for p in message.walk() if p.get_filename() == "invite.ics"]
    assert attachments and attachments[0].get_payload(decode=True) == part.get_payload(decode=True)

    method, event, zones = event_of(message)
    assert method == "REQUEST"
    assert b"METHOD:REQUEST" in part.get_payload(decode=True)
    # BASE_URL is an IP address, so the UID takes the sender's domain.
    assert str(event["UID"]) == f"meeting-{meeting.id}@rijksoverheid.nl"
    assert event["SEQUENCE"] == 0
    assert str(event["ORGANIZER"]) == f"mailto:{NETWORK_EMAIL}"
    assert str(event["ATTENDEE"]) == f"mailto:{anna.email}"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert zones == ["Europe/Amsterdam"]
    start = event["DTSTART"]
    assert start.params["TZID"] == "Europe/Amsterdam"
    assert (start.dt.hour, start.dt.minute) == (10, 0)
    assert start.dt.astimezone(UTC) == datetime(2027, 1, 12, 9, 0, tzinfo=UTC)
    assert event["DTEND"].dt.astimezone(UTC) == datetime(2027, 1, 12, 11, 0, tzinfo=UTC)
    assert "Grote Kerkplein 15" in str(event["LOCATION"])
    assert "DTSTAMP" in event
    db.expire_all()
    assert db.get(Invitation, invitation.id).calendar_sequence_sent == 0


def test_a_summer_meeting_keeps_its_wall_clock_time_across_daylight_saving(
    app, db, smtp_server, clock
):
    anna = make_contact(db)
    meeting = make_meeting(
        db,
        starts_at=amsterdam(date(2027, 6, 1), time(10, 0)),
        ends_at=amsterdam(date(2027, 6, 1), time(12, 0)),
    )
    answer(db, invited(db, meeting, anna), clock, coming=True)
    run_until_idle(_loop(app, smtp_server, clock))

    [message] = received(smtp_server)[anna.email]
    _method, event, _zones = event_of(message)
    start = event["DTSTART"]
    assert start.params["TZID"] == "Europe/Amsterdam"
    assert (start.dt.hour, start.dt.minute) == (10, 0)
    assert start.dt.astimezone(UTC) == datetime(2027, 6, 1, 8, 0, tzinfo=UTC)


def test_confirmations_go_whatever_the_newsletter_consent(app, db, smtp_server, clock):
    # Answering is the contact's own action: its confirmation is not a newsletter.
    unknown = make_contact(db, consent=Consent.UNKNOWN)
    withdrawn = make_contact(db, consent=Consent.WITHDRAWN)
    meeting = winter_meeting(db)
    for contact in (unknown, withdrawn):
        answer(db, invited(db, meeting, contact), clock, coming=True)
    run_until_idle(_loop(app, smtp_server, clock))

    assert set(received(smtp_server)) == {unknown.email, withdrawn.email}


def test_a_suppressed_address_gets_nothing(app, db, smtp_server, clock):
    bounced = make_contact(db)
    suppress(db, bounced.email, "hard_bounce", "550 no such user", "test")
    db.commit()
    meeting = winter_meeting(db)
    answer(db, invited(db, meeting, bounced), clock, coming=True)
    run_until_idle(_loop(app, smtp_server, clock))

    assert smtp_server.handler.messages == []
    db.expire_all()
    [delivery] = db.scalars(select(Delivery).where(Delivery.contact_id == bounced.id))
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.SKIPPED, "suppressed")


def test_waiting_list_then_no_cancels_and_promotes_with_a_request(app, db, smtp_server, clock):
    first, second = make_contact(db), make_contact(db)
    meeting = winter_meeting(db, capacity=1)
    first_invitation = invited(db, meeting, first)
    second_invitation = invited(db, meeting, second)
    answer(db, first_invitation, clock, coming=True)
    result = answer(db, second_invitation, clock, coming=True)
    assert result.answer == Answer.WAITING
    loop = _loop(app, smtp_server, clock)
    run_until_idle(loop)

    [waiting] = received(smtp_server)[second.email]
    assert waiting["Subject"] == "Je staat op de wachtlijst (nummer 1)"
    assert calendar_part(waiting) is None

    clock.advance(minutes=5)
    result = answer(db, first_invitation, clock, coming=False)
    assert result.cancel_calendar and [i.id for i in result.promoted] == [second_invitation.id]
    run_until_idle(loop)

    confirmation, cancel = received(smtp_server)[first.email]
    assert cancel["Subject"] == f"Je bent afgemeld voor {meeting.title}"
    assert calendar_part(cancel).get_param("method") == "CANCEL"
    method, event, _zones = event_of(cancel)
    assert method == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] > event_of(confirmation)[1]["SEQUENCE"]
    assert str(event["UID"]) == str(event_of(confirmation)[1]["UID"])
    # RFC 5546: the CANCEL to one attendee names that attendee only.
    assert str(event["ATTENDEE"]) == f"mailto:{first.email}"

    _waiting, promoted = received(smtp_server)[second.email]
    assert promoted["Subject"] == (
        f"Er is een plek vrijgekomen: je bent aangemeld voor {meeting.title}"
    )
    method, event, _zones = event_of(promoted)
    assert method == "REQUEST" and str(event["ATTENDEE"]) == f"mailto:{second.email}"


def test_a_plain_no_gets_a_short_note_without_calendar(app, db, smtp_server, clock):
    nora = make_contact(db)
    meeting = winter_meeting(db)
    answer(db, invited(db, meeting, nora), clock, coming=False)
    run_until_idle(_loop(app, smtp_server, clock))

    [message] = received(smtp_server)[nora.email]
    assert message["Subject"] == f"Jammer dat je niet kunt komen naar {meeting.title}"
    assert calendar_part(message) is None


def test_a_yes_then_no_again_yes_keeps_the_sequence_rising(app, db, smtp_server, clock):
    anna = make_contact(db)
    meeting = winter_meeting(db)
    invitation = invited(db, meeting, anna)
    loop = _loop(app, smtp_server, clock)
    for coming in (True, False, True):
        answer(db, invitation, clock, coming=coming)
        run_until_idle(loop)
        clock.advance(minutes=1)

    sequences = [event_of(m)[1]["SEQUENCE"] for m in received(smtp_server)[anna.email]]
    methods = [event_of(m)[0] for m in received(smtp_server)[anna.email]]
    assert methods == ["REQUEST", "CANCEL", "REQUEST"]
    assert sequences == sorted(set(sequences))  # strictly rising: no calendar takes one as stale


def _yes_no_waiting_invited(app, db, clock, smtp_server):
    yes, waiting, no, silent = (make_contact(db) for _ in range(4))
    other_yes = make_contact(db)
    meeting = winter_meeting(db, capacity=2)
    for contact, coming in ((yes, True), (other_yes, True), (waiting, True), (no, False)):
        answer(db, invited(db, meeting, contact), clock, coming=coming)
    invited(db, meeting, silent)
    loop = _loop(app, smtp_server, clock)
    run_until_idle(loop)
    smtp_server.handler.messages.clear()
    return meeting, loop, {"yes": yes, "other_yes": other_yes, "waiting": waiting, "no": no}


def _change(db, meeting: Meeting, clock, **fields) -> dict:
    data = agenda.validate_meeting_fields(
        agenda.meeting_fields(meeting) | fields, "Europe/Amsterdam"
    )
    changes = agenda.update_meeting(db, meeting, data)
    notices.meeting_changed(db, meeting, changes, now=clock())
    db.commit()
    return changes


def test_moving_the_meeting_updates_the_calendars_of_yes_sayers_only(app, db, smtp_server, clock):
    meeting, loop, people = _yes_no_waiting_invited(app, db, clock, smtp_server)

    clock.advance(hours=1)
    _change(
        db,
        meeting,
        clock,
        starts_at=amsterdam(date(2027, 1, 19), time(13, 0)),
        ends_at=amsterdam(date(2027, 1, 19), time(16, 0)),
    )
    run_until_idle(loop)

    got = received(smtp_server)
    assert set(got) == {people["yes"].email, people["other_yes"].email}
    message = got[people["yes"].email][0]
    assert message["Subject"] == f"Gewijzigd: {meeting.title}"
    method, event, _zones = event_of(message)
    assert method == "REQUEST" and event["SEQUENCE"] == 1
    assert event["DTSTART"].dt.astimezone(UTC) == datetime(2027, 1, 19, 12, 0, tzinfo=UTC)
    assert str(event["UID"]) == f"meeting-{meeting.id}@rijksoverheid.nl"
    db.expire_all()
    assert db.get(Meeting, meeting.id).calendar_sequence == 1

    # A change that moves nothing in a calendar (the title here) sends nothing.
    smtp_server.handler.messages.clear()
    _change(db, db.get(Meeting, meeting.id), clock, title="Opgavebeweging, nieuwe titel")
    run_until_idle(loop)
    assert smtp_server.handler.messages == []


def test_cancelling_the_meeting_cancels_calendars_and_tells_those_waiting(
    app, db, smtp_server, clock
):
    meeting, loop, people = _yes_no_waiting_invited(app, db, clock, smtp_server)
    _change(db, meeting, clock, venue="Grote zaal")
    run_until_idle(loop)
    update = received(smtp_server)[people["yes"].email][0]
    smtp_server.handler.messages.clear()

    _change(db, db.get(Meeting, meeting.id), clock, status=MeetingStatus.CANCELLED.value)
    run_until_idle(loop)

    got = received(smtp_server)
    assert set(got) == {people["yes"].email, people["other_yes"].email, people["waiting"].email}
    [cancel] = got[people["yes"].email]
    assert cancel["Subject"] == f"Afgelast: {meeting.title}"
    assert calendar_part(cancel).get_param("method") == "CANCEL"
    method, event, _zones = event_of(cancel)
    assert method == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] > event_of(update)[1]["SEQUENCE"]
    [notice] = got[people["waiting"].email]
    assert calendar_part(notice) is None and "wachtlijst vervalt" in body(notice)


def test_taking_a_cancellation_back_puts_the_event_back(app, db, smtp_server, clock):
    anna = make_contact(db)
    meeting = winter_meeting(db)
    answer(db, invited(db, meeting, anna), clock, coming=True)
    loop = _loop(app, smtp_server, clock)
    _change(db, meeting, clock, status=MeetingStatus.CANCELLED.value)
    run_until_idle(loop)
    _change(db, db.get(Meeting, meeting.id), clock, status=MeetingStatus.PUBLISHED.value)
    run_until_idle(loop)

    messages = received(smtp_server)[anna.email]
    assert [event_of(m)[0] for m in messages] == ["CANCEL", "REQUEST"]
    cancel, request = (event_of(m)[1]["SEQUENCE"] for m in messages)
    assert request > cancel


def test_a_draft_meeting_sends_nothing_when_changed(app, db, smtp_server, clock):
    meeting = winter_meeting(db, status=MeetingStatus.DRAFT)
    anna = make_contact(db)
    invitation = invited(db, meeting, anna)
    invitation.answer = Answer.YES
    db.commit()

    _change(db, meeting, clock, venue="Elders")
    _change(db, meeting, clock, status=MeetingStatus.CANCELLED.value)
    assert run_until_idle(_loop(app, smtp_server, clock)) == 0
    assert db.get(Meeting, meeting.id).calendar_sequence == 0


def test_a_4xx_is_tried_again_like_campaign_mail(app, db, smtp_server, clock):
    anna = make_contact(db)
    meeting = winter_meeting(db)
    answer(db, invited(db, meeting, anna), clock, coming=True)
    smtp_server.handler.next_answers = ["451 4.3.0 Mailbox busy, try later"]
    loop = _loop(app, smtp_server, clock)

    run_until_idle(loop)
    db.expire_all()
    [delivery] = db.scalars(select(Delivery).where(Delivery.contact_id == anna.id))
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.attempts == 1 and "451" in delivery.last_error
    assert smtp_server.handler.messages == []

    clock.advance(seconds=20)
    assert run_until_idle(loop) == 0  # not due yet
    clock.advance(minutes=2)
    run_until_idle(loop)
    [message] = received(smtp_server)[anna.email]
    assert event_of(message)[0] == "REQUEST"
    db.expire_all()
    delivery = db.get(Delivery, delivery.id)
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2


def test_a_newer_notice_replaces_one_still_waiting(app, db, smtp_server, clock):
    anna = make_contact(db)
    meeting = winter_meeting(db)
    invitation = invited(db, meeting, anna)
    answer(db, invitation, clock, coming=True)
    answer(db, invitation, clock, coming=False)  # changed her mind before anything was sent
    run_until_idle(_loop(app, smtp_server, clock))

    [message] = received(smtp_server)[anna.email]
    assert event_of(message)[0] == "CANCEL"  # the confirmation never went out stale


def test_single_messages_and_a_campaign_go_out_together(app, db, smtp_server, clock):
    readers = [make_contact(db) for _ in range(4)]
    campaign = make_campaign(db)
    start_sending(db, campaign, actor=None, now=clock())
    db.commit()
    meeting = winter_meeting(db)
    answer(db, invited(db, meeting, readers[0]), clock, coming=True)

    run_until_idle(_loop(app, smtp_server, clock))

    got = received(smtp_server)
    assert sorted(got) == sorted(r.email for r in readers)
    assert len(got[readers[0].email]) == 2
    progress = campaign_progress(db, campaign.id, now=clock())
    assert (progress.total, progress.sent) == (4, 4)


def test_moving_a_meeting_through_the_api_updates_calendars(app, db, smtp_server, clock):
    anna = make_contact(db)
    meeting = winter_meeting(db)
    answer(db, invited(db, meeting, anna), clock, coming=True)
    loop = _loop(app, smtp_server, clock)
    run_until_idle(loop)
    api = api_client(app)

    response = api.patch(
        f"/api/v1/meetings/{meeting.id}", json={"starts_at": "2027-01-12T11:00:00+01:00"}
    )
    assert response.status_code == 200, response.get_json()
    clock.advance(minutes=1)  # the API queues at the real time; the test clock catches up
    clock.now = max(clock.now, datetime.now(UTC) + timedelta(seconds=1))
    run_until_idle(loop)

    _confirmation, update = received(smtp_server)[anna.email]
    assert update["Subject"] == f"Gewijzigd: {meeting.title}"
    _method, event, _zones = event_of(update)
    assert event["SEQUENCE"] == 1
    assert event["DTSTART"].dt.astimezone(UTC) == datetime(2027, 1, 12, 10, 0, tzinfo=UTC)


def test_cancelling_through_the_organiser_form_cancels_calendars(
    app, db, smtp_server, clock, organiser
):
    anna = make_contact(db)
    meeting = winter_meeting(db)
    answer(db, invited(db, meeting, anna), clock, coming=True)
    loop = _loop(app, smtp_server, clock)
    run_until_idle(loop)

    page = organiser.get(f"/meetings/{meeting.id}/edit")
    form = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "title": meeting.title,
        "theme": "",
        "host_organisation": meeting.host_organisation,
        "city": meeting.city,
        "venue": meeting.venue,
        "address": meeting.address,
        "date": "2027-01-12",
        "start_time": "10:00",
        "end_time": "12:00",
        "description": "",
        "capacity": "",
        "status": "cancelled",
    }
    response = organiser.post(f"/meetings/{meeting.id}/edit", data=form)
    assert response.status_code == 302
    clock.now = max(clock.now, datetime.now(UTC) + timedelta(seconds=1))
    run_until_idle(loop)

    _confirmation, cancel = received(smtp_server)[anna.email]
    method, event, _zones = event_of(cancel)
    assert method == "CANCEL" and str(event["STATUS"]) == "CANCELLED"


def test_yes_from_the_received_invitation_brings_the_confirmation(app, db, client, smtp_server):
    anna = make_contact(db, name="Anna de Vries")
    meeting = make_meeting(
        db,
        starts_at=amsterdam(date(2027, 6, 1), time(10, 0)),
        ends_at=amsterdam(date(2027, 6, 1), time(13, 0)),
    )
    send_invitation(app, db, smtp_server, meeting, anna)
    invitation_mail = received(smtp_server)[anna.email][0]
    # The invitation itself offers the meeting for any calendar.
    assert f"/bijeenkomsten/{meeting.id}.ics" in body(invitation_mail)
    yes_link = answer_links(smtp_server, anna)["ja"]
    smtp_server.handler.messages.clear()

    response = confirm(client, yes_link, "ja")
    assert response.status_code == 200
    clock = Clock()
    clock.now = datetime.now(UTC) + timedelta(seconds=1)  # the page answered at the real time
    run_until_idle(_loop(app, smtp_server, clock))

    [confirmation] = received(smtp_server)[anna.email]
    assert confirmation["Subject"] == f"Je bent aangemeld voor {meeting.title}"
    method, event, _zones = event_of(confirmation)
    assert method == "REQUEST" and str(event["ATTENDEE"]) == f"mailto:{anna.email}"


@pytest.fixture
def outbox_refuses_rows(app):
    """The database refuses every new outbox row, as a full disk or a broken connection would."""
    engine = app.extensions["db_engine"]
    if engine.dialect.name == "postgresql":
        make = [
            "CREATE FUNCTION outbox_refuses() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the outbox refuses new rows'; END $$",
            "CREATE TRIGGER outbox_refuses BEFORE INSERT ON deliveries "
            "FOR EACH ROW EXECUTE FUNCTION outbox_refuses()",
        ]
        remove = [
            "DROP TRIGGER IF EXISTS outbox_refuses ON deliveries",
            "DROP FUNCTION IF EXISTS outbox_refuses()",
        ]
    else:
        make = [
            "CREATE TRIGGER outbox_refuses BEFORE INSERT ON deliveries "
            "BEGIN SELECT RAISE(ABORT, 'the outbox refuses new rows'); END"
        ]
        remove = ["DROP TRIGGER IF EXISTS outbox_refuses"]

    def run(statements):
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)

    run(make)
    # The person sees the error page, as in production, instead of the test seeing the exception.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield lambda: run(remove)
    run(remove)


def test_an_answer_whose_emails_cannot_be_queued_is_not_stored_and_can_be_given_again(
    app, db, client, smtp_server, outbox_refuses_rows
):
    meeting = future_meeting(db, capacity=1)
    anna, bram = make_contact(db, name="Anna de Vries"), make_contact(db, name="Bram Jansen")
    anna_path = invited_path(app, db, meeting, anna)
    anna_invitation = invited(db, meeting, anna)
    bram_invitation = invited(db, meeting, bram)
    anna_invitation.answer, bram_invitation.answer = Answer.YES, Answer.WAITING
    anna_invitation.answered_at = bram_invitation.answered_at = datetime.now(UTC)
    db.commit()

    # Anna's no would give her place to Bram: the no, Bram's place and both emails are one
    # transaction, so when the emails cannot be stored, none of it is.
    failed = confirm(client, anna_path, "nee")
    assert failed.status_code == 500
    db.expire_all()
    assert db.get(Invitation, anna_invitation.id).answer == Answer.YES
    assert db.get(Invitation, bram_invitation.id).answer == Answer.WAITING
    assert db.scalars(select(Delivery)).all() == []

    # Once the outbox takes rows again, the same answer goes through, with both emails.
    db.rollback()  # ends the reading transaction, which would keep the trigger from going
    outbox_refuses_rows()
    again = confirm(client, anna_path, "nee")
    assert again.status_code == 200
    db.expire_all()
    assert db.get(Invitation, anna_invitation.id).answer == Answer.NO
    assert db.get(Invitation, bram_invitation.id).answer == Answer.YES
    clock = Clock()
    clock.now = datetime.now(UTC) + timedelta(seconds=1)  # the page answered at the real time
    run_until_idle(_loop(app, smtp_server, clock))
    mail = received(smtp_server)
    [no_thanks] = mail[anna.email]
    assert no_thanks["Subject"] == f"Jammer dat je niet kunt komen naar {meeting.title}"
    [place] = mail[bram.email]
    assert place["Subject"] == f"Er is een plek vrijgekomen: je bent aangemeld voor {meeting.title}"
