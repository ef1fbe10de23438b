"""Invitations that read well (issue 15): a new draft reads like an invitation; invitees see the
registration deadline and the places left in the email, on the answer page and in the reminder;
the reminder to those who have not answered asks with Yes and No."""

from __future__ import annotations

import re
from datetime import date, time

from lxml import html as lxml_html
from sqlalchemy import select

from service.campaigns.reminders import send_due_reminders
from service.meetings.invitations import invite_contacts
from service.models import Answer, Campaign, CampaignKind, Invitation, Reminder
from service.settings import settings_of
from tests.builders import amsterdam, make_contact, make_meeting
from tests.conftest import Clock, csrf_token_from
from tests.mail_helpers import drain, message_to
from tests.test_answers import answer_links, confirm, future_meeting, send_invitation

ZWOLLE_TITLE = "De Opgavebeweging op bezoek bij Gemeente Zwolle"
ADDRESS = "Grote Kerkplein 15, 8011 PK Zwolle"
# 25 May 2027, 17:00 in Amsterdam: after the test clock and the real one, before the meeting.
DEADLINE = amsterdam(date(2027, 5, 25), time(17, 0))


def _visible(html: str) -> str:
    return " ".join(lxml_html.fromstring(html).text_content().split())


def _in_order(text: str, *parts: str) -> None:
    positions = [text.index(part) for part in parts]
    assert positions == sorted(positions), list(zip(parts, positions, strict=True))


def _zwolle(db, **fields):
    return future_meeting(
        db,
        title=ZWOLLE_TITLE,
        venue="Stadhuis Zwolle",
        address=ADDRESS,
        capacity=20,
        registration_deadline=DEADLINE,
        **fields,
    )


def _with_yeses(db, meeting, count: int) -> None:
    people = [make_contact(db, email=f"ja{n}@example.nl") for n in range(count)]
    invite_contacts(db, meeting, [p.id for p in people])
    for invitation in db.scalars(select(Invitation).where(Invitation.meeting_id == meeting.id)):
        invitation.answer = Answer.YES
    db.commit()


def test_a_new_invitation_draft_reads_like_an_invitation(organiser, db):
    meeting = _zwolle(db)
    make_meeting(
        db,
        title="De Opgavebeweging op bezoek bij Hogeschool van Amsterdam",
        host_organisation="Hogeschool van Amsterdam",
        city="Amsterdam",
        starts_at=amsterdam(date(2027, 9, 28), time(9, 30)),
        ends_at=amsterdam(date(2027, 9, 28), time(13, 0)),
    )
    page = organiser.get("/campaigns/new").get_data(as_text=True)
    response = organiser.post(
        "/campaigns/new",
        data={
            "csrf_token": csrf_token_from(page),
            "kind": "invitation",
            "meeting_id": str(meeting.id),
        },
    )
    assert response.status_code == 302
    campaign = db.scalars(select(Campaign)).one()
    header, welcome, upcoming = campaign.blocks
    # The host named once: the title above it leaves it out.
    assert (header["type"], header["title"], header["host"]) == (
        "header",
        "De Opgavebeweging op bezoek bij",
        "Gemeente Zwolle",
    )
    assert header["place"] == "Stadhuis Zwolle"
    # A short welcome, not an empty block.
    assert welcome["type"] == "text"
    assert welcome["body"].startswith("Beste [[first_name]],\n\n")
    assert (
        "We nodigen je van harte uit voor onze volgende bijeenkomst, te gast bij Gemeente Zwolle."
        in welcome["body"]
    )
    assert upcoming["type"] == "upcoming_meetings"

    preview = organiser.get(f"/campaigns/{campaign.id}/preview").get_data(as_text=True)
    visible = _visible(preview)
    (h1,) = lxml_html.fromstring(preview).xpath("//h1")
    assert h1.text_content().count("Gemeente Zwolle") == 1
    # Header, welcome, when and where, deadline and places, the buttons, then the rest.
    _in_order(
        visible,
        "Gemeente Zwolle",
        "We nodigen je van harte uit",
        "Wanneer",
        "Aanmelden kan tot",
        "Vrije plaatsen",
        "Ja, ik kom",
        "Nee, ik kan niet",
        "Hogeschool van Amsterdam",
    )
    assert f"Stadhuis Zwolle, {ADDRESS}" in visible
    assert "8011 PK Zwolle, Zwolle" not in visible
    assert "Kom je? Elke knop opent een pagina waarop je je antwoord bevestigt" in visible
    assert "één klik" not in visible


def test_the_invitation_and_the_answer_page_show_the_deadline_and_places_left(
    app, db, client, smtp_server
):
    meeting = _zwolle(db)
    _with_yeses(db, meeting, 3)
    anna = make_contact(db, name="Anna de Vries")
    send_invitation(app, db, smtp_server, meeting, anna)

    message = message_to(smtp_server, anna.email)
    text = message.get_body(("plain",)).get_content()
    assert "Aanmelden kan tot: dinsdag 25 mei 2027, 17:00" in text
    assert "Vrije plaatsen: 17\r\n" in text
    assert "bevestigt" in text and "één klik" not in text
    html = _visible(message.get_body(("html",)).get_content())
    _in_order(html, "Aanmelden kan tot dinsdag 25 mei 2027, 17:00", "Vrije plaatsen 17", "Ja")

    # The "ja" button opens the page that asks to confirm, with the same figures.
    path = answer_links(smtp_server, anna)["ja"]
    page = client.get(path).get_data(as_text=True)
    assert re.search(r'id="deadline"><time[^>]*>dinsdag 25 mei 2027, 17:00</time>', page)
    assert '<dd id="places-left">17</dd>' in page
    assert confirm(client, path, "ja").status_code == 200
    again = client.get(path).get_data(as_text=True)
    assert '<dd id="places-left">16</dd>' in again


def test_a_full_meeting_says_a_yes_goes_on_the_waiting_list(app, db, client, smtp_server):
    meeting = _zwolle(db)
    _with_yeses(db, meeting, 20)
    anna = make_contact(db, name="Anna de Vries")
    send_invitation(app, db, smtp_server, meeting, anna)
    text = message_to(smtp_server, anna.email).get_body(("plain",)).get_content()
    assert "Vrije plaatsen: Geen: met een ja kom je op de wachtlijst" in text
    page = client.get(answer_links(smtp_server, anna)["ja"]).get_data(as_text=True)
    assert '<dd id="places-left">Geen: met een ja kom je op de wachtlijst</dd>' in page


def test_reminders_open_with_the_header_and_ask_those_who_did_not_answer(app, db, smtp_server):
    clock = Clock()  # 12 May 2026, 09:00 UTC: the day the reminders of 19 May are due
    meeting = make_meeting(
        db,
        title=ZWOLLE_TITLE,
        address=ADDRESS,
        capacity=20,
        starts_at=amsterdam(date(2026, 5, 19), time(10, 0)),
        ends_at=amsterdam(date(2026, 5, 19), time(13, 0)),
        registration_deadline=amsterdam(date(2026, 5, 17), time(17, 0)),
    )
    anna = make_contact(db, name="Anna de Vries")
    bob = make_contact(db, name="Bob Jansen", email="bob@example.nl")
    invite_contacts(db, meeting, [anna.id, bob.id])
    db.scalar(select(Invitation).where(Invitation.contact_id == bob.id)).answer = Answer.YES
    for audience in ("unanswered", "yes"):
        meeting.reminders.append(Reminder(days_before=7, send_time="09:00", audience=audience))
    db.commit()

    sent = send_due_reminders(db, now=clock(), settings=settings_of(app))
    db.commit()
    assert len(sent) == 2 and all(s.campaign_id for s in sent)
    drain(app, smtp_server, clock)

    for person in (anna, bob):
        body = message_to(smtp_server, person.email).get_body(("html",)).get_content()
        (h1,) = lxml_html.fromstring(body).xpath("//h1")
        assert (
            " ".join(h1.text_content().split()) == "De Opgavebeweging op bezoek bijGemeente Zwolle"
        )
        visible = _visible(body)
        assert "Aanmelden kan tot zondag 17 mei 2026, 17:00" in visible
        assert "Vrije plaatsen 19" in visible

    # Anna has not answered: words for her, and the Yes and No buttons.
    asked = message_to(smtp_server, anna.email)
    html = asked.get_body(("html",)).get_content()
    buttons = lxml_html.fromstring(html).xpath("//a[contains(@class, 'button')]")
    assert [b.text_content() for b in buttons] == ["Ja, ik kom", "Nee, ik kan niet"]
    assert all("/antwoord/" in b.get("href") for b in buttons)
    _in_order(_visible(html), "We hebben nog geen antwoord van je", "Wanneer", "Ja, ik kom")
    assert "Je antwoord wijzigen" not in _visible(html)
    assert "Ja, ik kom: http" in asked.get_body(("plain",)).get_content()

    # Bob said yes: he may change his answer, no buttons asking again.
    coming = _visible(message_to(smtp_server, bob.email).get_body(("html",)).get_content())
    assert "Je antwoord wijzigen" in coming and "Ja, ik kom" not in coming
    kinds = {c.kind for c in db.scalars(select(Campaign))}
    assert kinds == {CampaignKind.REMINDER}
