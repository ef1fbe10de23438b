"""The public answer pages of an invitation, opened from the links in a really sent invitation:
a GET only asks, the confirmed POST answers (capacity, waiting list, remark, colleagues), and
every link that cannot answer is refused without changing anything."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from service.meetings import notices
from service.meetings.answer_links import AnswerSigner, answer_url
from service.meetings.invitations import invite_contacts
from service.models import Answer, Contact, Invitation, Meeting, MeetingStatus
from tests.builders import amsterdam, make_contact, make_invitation, make_meeting
from tests.conftest import Clock, csrf_token_from
from tests.mail_helpers import drain, message_to, start

BASE_URL = "http://127.0.0.1:5000"


def future_meeting(db, **fields) -> Meeting:
    """A published meeting on dinsdag 1 juni 2027, 10:00-13:00: answerable by the real clock."""
    return make_meeting(
        db,
        **{
            "starts_at": amsterdam(date(2027, 6, 1), time(10, 0)),
            "ends_at": amsterdam(date(2027, 6, 1), time(13, 0)),
        }
        | fields,
    )


def send_invitation(app, db, smtp_server, meeting: Meeting, *contacts: Contact) -> None:
    """Send an invitation campaign for the meeting to these contacts through the send loop."""
    campaign = make_invitation(db, meeting, audience={"emails": [c.email for c in contacts]})
    clock = Clock()
    start(db, campaign, clock)
    drain(app, smtp_server, clock, batch_size=3)


def answer_links(smtp_server, contact: Contact) -> dict[str, str]:
    """The "ja" and "nee" links (as paths) of the invitation that reached this contact."""
    html = message_to(smtp_server, contact.email).get_body(("html",)).get_content()
    links = re.findall(r'href="([^"]*/antwoord/[^"]*)"', html)
    return {link.rsplit("=", 1)[1]: link.removeprefix(BASE_URL) for link in links}


def invited_path(app, db, meeting: Meeting, contact: Contact) -> str:
    """Invite the contact directly (as an organiser can) and return their answer path."""
    invite_contacts(db, meeting, [contact.id])
    db.commit()
    return signed_path(app, contact.id, meeting.id)


def signed_path(app, contact_id: int, meeting_id: int) -> str:
    token = AnswerSigner(app.config["SECRET_KEY"]).token(contact_id, meeting_id)
    return answer_url(token, BASE_URL).removeprefix(BASE_URL)


def confirm(client, path: str, choice: str | None, remark: str = "", show: bool = False):
    """Open the answer page, then post its form as a person would (with its CSRF token)."""
    page = client.get(path)
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), "remark": remark}
    if choice is not None:
        data["choice"] = choice
    if show:
        data["show_to_colleagues"] = "y"
    return client.post(path.split("?")[0], data=data)


def invitation_of(db, contact: Contact, meeting: Meeting) -> Invitation:
    db.expire_all()
    return db.scalar(
        select(Invitation).where(
            Invitation.contact_id == contact.id, Invitation.meeting_id == meeting.id
        )
    )


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def hook_calls(monkeypatch):
    """The results passed to notices.after_answer (the emails themselves are tested elsewhere)."""
    calls = []
    monkeypatch.setattr(
        notices, "after_answer", lambda session, result, *, now: calls.append(result)
    )
    return calls


def test_opening_the_yes_link_asks_and_confirming_answers(app, db, client, smtp_server, hook_calls):
    meeting = future_meeting(db, theme="Samen werken aan de energietransitie")
    anna = make_contact(db, name="Anna de Vries", language="en")
    send_invitation(app, db, smtp_server, meeting, anna)
    links = answer_links(smtp_server, anna)

    page = client.get(links["ja"])
    assert page.status_code == 200
    body = text(page)
    assert "Opgavebeweging bij Gemeente Zwolle" in body
    assert "Tuesday 1 June 2027, 10:00–13:00" in body
    assert "Stadhuis, Grote Kerkplein 15, 8011 PK Zwolle" in body
    assert "8011 PK Zwolle, Zwolle" not in body  # the city once (issue 15)
    assert "Samen werken aan de energietransitie" in body
    assert "Not answered yet" in body
    assert re.search(r'<input[^>]*checked[^>]*value="ja"|<input[^>]*value="ja"[^>]*checked', body)
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["X-Robots-Tag"] == "noindex"
    assert page.headers["Cache-Control"] == "no-store"
    # Opening the link (as a mail scanner does) changed nothing.
    assert invitation_of(db, anna, meeting).answer == Answer.INVITED
    assert hook_calls == []

    done = confirm(client, links["ja"], "ja")
    assert done.status_code == 200
    assert "You are registered" in text(done)
    assert f'href="{links["ja"].split("?")[0]}"' in text(done)  # change the answer again
    assert invitation_of(db, anna, meeting).answer == Answer.YES
    assert [call.answer for call in hook_calls] == [Answer.YES]

    # The same answer again changes nothing and sends nothing.
    assert confirm(client, links["ja"], "ja").status_code == 200
    assert len(hook_calls) == 1

    no = confirm(client, links["nee"], "nee")
    assert "You have declined" in text(no)
    assert invitation_of(db, anna, meeting).answer == Answer.NO
    assert [call.answer for call in hook_calls] == [Answer.YES, Answer.NO]


def test_the_no_link_preselects_no_and_the_plain_link_the_current_answer(
    app, db, client, smtp_server
):
    meeting = future_meeting(db)
    bram = make_contact(db, language="en")
    send_invitation(app, db, smtp_server, meeting, bram)
    links = answer_links(smtp_server, bram)

    checked = re.compile(
        r'<input[^>]*checked[^>]*value="(\w+)"|<input[^>]*value="(\w+)"[^>]*checked'
    )
    no_page = text(client.get(links["nee"]))
    assert [a or b for a, b in checked.findall(no_page)] == ["nee"]
    plain = links["ja"].split("?")[0]
    assert checked.findall(text(client.get(plain))) == []  # no answer yet: nothing chosen

    confirm(client, links["nee"], "nee")
    assert [a or b for a, b in checked.findall(text(client.get(plain)))] == ["nee"]
    assert "You are not coming" in text(client.get(plain))


def test_a_full_meeting_puts_yes_on_the_waiting_list_and_a_no_promotes(
    app, db, smtp_server, hook_calls
):
    meeting = future_meeting(db, capacity=1)
    anna, bram = make_contact(db, language="en"), make_contact(db, language="en")
    send_invitation(app, db, smtp_server, meeting, anna, bram)
    anna_links, bram_links = answer_links(smtp_server, anna), answer_links(smtp_server, bram)
    anna_browser, bram_browser = app.test_client(), app.test_client()

    assert "You are registered" in text(confirm(anna_browser, anna_links["ja"], "ja"))
    waiting = confirm(bram_browser, bram_links["ja"], "ja")
    assert "You are on the waiting list (number 1)" in text(waiting)
    assert invitation_of(db, bram, meeting).answer == Answer.WAITING

    confirm(anna_browser, anna_links["nee"], "nee")
    assert invitation_of(db, anna, meeting).answer == Answer.NO
    assert invitation_of(db, bram, meeting).answer == Answer.YES
    assert [i.contact_id for i in hook_calls[-1].promoted] == [bram.id]
    assert "You are coming" in text(bram_browser.get(bram_links["ja"]))


def test_remark_and_consent_are_stored_and_colleagues_shown_only_with_consent(app, db, smtp_server):
    meeting = future_meeting(db)
    anna = make_contact(db, name="Anna de Vries", organisation="Gemeente Utrecht", language="en")
    bram = make_contact(db, name="Bram Bakker", organisation="gemeente utrecht", language="en")
    carla = make_contact(db, name="Carla Smit", organisation="Gemeente Utrecht", language="en")
    dirk = make_contact(db, name="Dirk Dijk", organisation="Provincie Utrecht", language="en")
    send_invitation(app, db, smtp_server, meeting, anna, bram, carla, dirk)
    links = {c.id: answer_links(smtp_server, c)["ja"] for c in (anna, bram, carla, dirk)}

    confirm(app.test_client(), links[anna.id], "ja", remark="Vegetarisch, rolstoel", show=True)
    confirm(app.test_client(), links[dirk.id], "ja", show=True)
    stored = invitation_of(db, anna, meeting)
    assert (stored.remark, stored.show_to_colleagues) == ("Vegetarisch, rolstoel", True)

    # Carla comes but keeps it to herself: she does not see who else comes, nor is she seen.
    carla_done = text(confirm(app.test_client(), links[carla.id], "ja"))
    assert "Anna de Vries" not in carla_done
    assert invitation_of(db, carla, meeting).show_to_colleagues is False

    bram_done = text(confirm(app.test_client(), links[bram.id], "ja", show=True))
    assert "Colleagues from your organisation who are coming" in bram_done
    assert "Anna de Vries" in bram_done
    assert "Carla Smit" not in bram_done and "Dirk Dijk" not in bram_done
    assert "Vegetarisch" not in bram_done  # someone else's remark stays with the organisers

    too_long = confirm(app.test_client(), links[dirk.id], "ja", remark="x" * 2001)
    assert too_long.status_code == 422
    assert invitation_of(db, dirk, meeting).remark == ""


def test_confirming_without_a_choice_asks_again(app, db, client):
    meeting = future_meeting(db)
    anna = make_contact(db, language="en")
    path = invited_path(app, db, meeting, anna)

    response = confirm(client, path, None)
    assert response.status_code == 422
    assert "Choose whether you are coming." in text(response)
    assert invitation_of(db, anna, meeting).answer == Answer.INVITED


def test_a_post_without_csrf_token_is_refused(app, db, client):
    meeting = future_meeting(db)
    anna = make_contact(db)
    path = invited_path(app, db, meeting, anna)
    client.get(path)

    assert client.post(path, data={"choice": "ja"}).status_code == 400
    assert app.test_client().post(path, data={"choice": "ja"}).status_code == 400
    assert invitation_of(db, anna, meeting).answer == Answer.INVITED


def test_a_first_time_visitor_gets_a_session_for_the_form(app, db):
    meeting = future_meeting(db)
    anna = make_contact(db)
    path = invited_path(app, db, meeting, anna)
    fresh = app.test_client()

    page = fresh.get(path)
    assert "session=" in page.headers.get("Set-Cookie", "")
    assert confirm(fresh, path, "ja").status_code == 200
    assert invitation_of(db, anna, meeting).answer == Answer.YES


def test_altered_and_spliced_tokens_are_refused(app, db, client):
    meeting, other = future_meeting(db), future_meeting(db, title="Andere bijeenkomst")
    anna, bram = make_contact(db, language="en"), make_contact(db, language="en")
    anna_path = invited_path(app, db, meeting, anna)
    bram_path = invited_path(app, db, other, bram)
    altered = anna_path[:-1] + ("A" if anna_path[-1] != "A" else "B")
    # Anna's signed part with the signature of Bram's link for another meeting.
    spliced = anna_path.rsplit(".", 1)[0] + "." + bram_path.rsplit(".", 1)[1]

    for path in (altered, spliced, "/antwoord/not-a-token"):
        # Nobody is known from a broken link: the browser's language decides.
        page = client.get(path, headers={"Accept-Language": "en"})
        assert page.status_code == 400, path
        assert "The answer link is incomplete or has been changed" in text(page)
        assert client.post(path, data={"choice": "ja"}).status_code == 400
    assert invitation_of(db, anna, meeting).answer == Answer.INVITED


def test_links_of_deleted_or_uninvited_people_are_refused(app, db, client):
    meeting, other = future_meeting(db), future_meeting(db, title="Andere bijeenkomst")
    anna = make_contact(db, language="en")
    invited_path(app, db, meeting, anna)
    # A link signed for Anna and a meeting she was never invited to.
    uninvited = signed_path(app, anna.id, other.id)
    page = client.get(uninvited, headers={"Accept-Language": "en"})
    assert page.status_code == 404
    assert "We have no invitation to this meeting for you" in text(page)
    token = csrf_token_from(client.get("/antwoord").get_data(as_text=True))
    assert client.post(uninvited, data={"choice": "ja", "csrf_token": token}).status_code == 404
    assert db.scalars(select(Invitation).where(Invitation.meeting_id == other.id)).all() == []

    assert client.get(signed_path(app, anna.id, 999_999)).status_code == 404
    assert client.get(signed_path(app, 999_999, meeting.id)).status_code == 404


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": MeetingStatus.CANCELLED}, "This meeting has been cancelled."),
        ({"status": MeetingStatus.HELD}, "This meeting has already taken place."),
        (
            {
                "starts_at": datetime.now(UTC) - timedelta(hours=2),
                "ends_at": datetime.now(UTC) - timedelta(hours=1),
            },
            "This meeting has already taken place.",
        ),
        (
            {"registration_deadline": datetime.now(UTC) - timedelta(minutes=1)},
            "Registration for this meeting has closed.",
        ),
    ],
    ids=["cancelled", "held", "past", "deadline-passed"],
)
def test_a_closed_meeting_shows_why_and_keeps_the_answer(
    app, db, client, hook_calls, change, reason
):
    meeting = future_meeting(db)
    anna = make_contact(db, language="en")
    path = invited_path(app, db, meeting, anna)
    page = client.get(path)
    token = csrf_token_from(page.get_data(as_text=True))
    confirm(client, path, "ja")
    for name, value in change.items():
        setattr(meeting, name, value)
    db.commit()

    page = client.get(path)
    assert page.status_code == 410
    assert reason in text(page)
    assert "You are coming" in text(page)  # the answer given still shows
    assert 'name="choice"' not in text(page)

    refused = client.post(path, data={"choice": "nee", "csrf_token": token})
    assert refused.status_code == 410
    assert reason in text(refused)
    assert invitation_of(db, anna, meeting).answer == Answer.YES
    assert len(hook_calls) == 1  # only the answer given while it was open


def test_the_page_speaks_the_contacts_language_unless_the_visitor_chose(app, db, client):
    meeting = future_meeting(db)
    anna = make_contact(db, language="en")
    path = invited_path(app, db, meeting, anna)
    assert "Tuesday 1 June 2027" in text(client.get(path))

    client.post(
        "/language",
        data={
            "language": "nl",
            "next": path,
            "csrf_token": csrf_token_from(client.get(path).get_data(as_text=True)),
        },
    )
    assert "dinsdag 1 juni 2027, 10:00–13:00" in text(client.get(path))


@pytest.mark.parametrize("path", ["/antwoord", "/sample/answer?antwoord=ja&sample=1"])
def test_the_generic_link_explains_where_to_answer(client, path):
    client.set_cookie("session", "", expires=0)
    page = client.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "only work from your own invitation email" in text(page)
    assert page.headers["X-Robots-Tag"] == "noindex"
