"""Answers to invitations: capacity, waiting list, promotion, deadline, colleagues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.meetings.invitations import (
    AnswerClosed,
    answer_invitation,
    colleagues_coming,
    count_answers,
    invitation_rows,
    invite_contacts,
    mark_attended,
    promote_waiting,
)
from service.models import Answer, Invitation, MeetingStatus
from tests.builders import make_contact, make_meeting

BEFORE = datetime(2025, 5, 20, 12, 0, tzinfo=UTC)  # two weeks before the Zwolle meeting


def _invited(db, meeting, count: int, **contact_fields) -> list[Invitation]:
    contacts = [make_contact(db, **contact_fields) for _ in range(count)]
    invite_contacts(db, meeting, [c.id for c in contacts])
    db.commit()
    return list(
        db.query(Invitation)
        .filter(Invitation.meeting_id == meeting.id)
        .order_by(Invitation.contact_id)
        .all()
    )[-count:]


def test_yes_takes_a_place_until_full_then_waits(db):
    meeting = make_meeting(db, capacity=2)
    a, b, c = _invited(db, meeting, 3)
    assert answer_invitation(db, a, coming=True, now=BEFORE).answer == Answer.YES
    assert answer_invitation(db, b, coming=True, now=BEFORE).answer == Answer.YES
    third = answer_invitation(db, c, coming=True, now=BEFORE)
    assert third.answer == Answer.WAITING and third.changed
    assert count_answers(db, meeting.id) == {Answer.YES: 2, Answer.WAITING: 1}


def test_a_place_that_comes_free_goes_to_who_waited_longest(db):
    meeting = make_meeting(db, capacity=1)
    a, b, c = _invited(db, meeting, 3)
    answer_invitation(db, a, coming=True, now=BEFORE)
    answer_invitation(db, b, coming=True, now=BEFORE + timedelta(minutes=1))
    answer_invitation(db, c, coming=True, now=BEFORE + timedelta(minutes=2))
    result = answer_invitation(db, a, coming=False, now=BEFORE + timedelta(hours=1))
    assert result.answer == Answer.NO
    assert [i.id for i in result.promoted] == [b.id]
    assert (b.answer, c.answer) == (Answer.YES, Answer.WAITING)


def test_more_capacity_promotes_the_waiting_list(db):
    meeting = make_meeting(db, capacity=1)
    a, b, c = _invited(db, meeting, 3)
    for n, invitation in enumerate((a, b, c)):
        answer_invitation(db, invitation, coming=True, now=BEFORE + timedelta(minutes=n))
    meeting.capacity = 3
    promoted = promote_waiting(db, meeting, now=BEFORE + timedelta(hours=2))
    assert [i.id for i in promoted] == [b.id, c.id]


def test_repeating_an_answer_changes_nothing(db):
    meeting = make_meeting(db)
    (a,) = _invited(db, meeting, 1)
    answer_invitation(db, a, coming=True, now=BEFORE)
    again = answer_invitation(db, a, coming=True, remark="Vegetarisch", now=BEFORE)
    assert not again.changed and a.remark == "Vegetarisch"


def test_no_after_a_calendar_invitation_asks_to_cancel_it(db):
    meeting = make_meeting(db)
    (a,) = _invited(db, meeting, 1)
    answer_invitation(db, a, coming=True, now=BEFORE)
    a.calendar_sequence_sent = 0
    assert answer_invitation(db, a, coming=False, now=BEFORE).cancel_calendar


@pytest.mark.parametrize(
    ("change", "now"),
    [
        ({"status": MeetingStatus.CANCELLED}, BEFORE),
        ({"registration_deadline": BEFORE - timedelta(days=1)}, BEFORE),
        ({}, datetime(2025, 6, 3, 12, 0, tzinfo=UTC)),  # during the meeting
        ({"status": MeetingStatus.DRAFT}, BEFORE),
    ],
    ids=["cancelled", "deadline", "started", "draft"],
)
def test_closed_meetings_refuse_answers(db, change, now):
    meeting = make_meeting(db, **change)
    (a,) = _invited(db, meeting, 1)
    with pytest.raises(AnswerClosed):
        answer_invitation(db, a, coming=True, now=now)
    assert a.answer == Answer.INVITED


def test_colleagues_are_shown_only_when_they_chose_so(db):
    meeting = make_meeting(db)
    me, shown, hidden = _invited(db, meeting, 3, organisation="Gemeente Zwolle")
    (other_org,) = _invited(db, meeting, 1, organisation="Provincie Utrecht")
    for invitation, show in ((shown, True), (hidden, False), (other_org, True)):
        answer_invitation(db, invitation, coming=True, show_to_colleagues=show, now=BEFORE)
    assert colleagues_coming(db, me) == [shown.contact.name]


def test_inviting_twice_keeps_answers_and_rows_list_everyone(db):
    meeting = make_meeting(db)
    a, b = _invited(db, meeting, 2)
    answer_invitation(db, a, coming=True, now=BEFORE)
    assert invite_contacts(db, meeting, [a.contact_id, b.contact_id]) == 0
    rows = invitation_rows(db, meeting.id)
    assert [r.answer for r in rows] == [Answer.YES, Answer.INVITED]
    mark_attended(db, meeting, [a.id])
    assert (a.attended, b.attended) == (True, False)
