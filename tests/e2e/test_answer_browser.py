"""The answer buttons of a sent invitation, in Chromium: "Ja, ik kom" from the received email,
confirmed by keyboard; every page it shows (question, result, closed, refused) passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from service.models import Answer, MeetingStatus
from tests.builders import make_contact
from tests.e2e.conftest import check_accessibility, tab_to_button, translated, visit
from tests.mail_helpers import message_to
from tests.test_answers import answer_links, future_meeting, invitation_of, send_invitation

pytestmark = pytest.mark.browser


def test_yes_from_the_received_invitation_confirmed_by_keyboard(page: Page, app, db, smtp_server):
    meeting = future_meeting(db, capacity=10)
    anna = make_contact(db, name="Anna de Vries", email="anna@example.nl")
    send_invitation(app, db, smtp_server, meeting, anna)
    yes_link = answer_links(smtp_server, anna)["ja"]

    visit(page, yes_link)
    expect(page.locator("h1")).to_have_text(meeting.title)
    expect(page.locator("main")).to_contain_text("dinsdag 1 juni 2027, 10:00–13:00")
    expect(page.get_by_label(translated(app, "Yes, I am coming"))).to_be_checked()
    assert invitation_of(db, anna, meeting).answer == Answer.INVITED  # opening changed nothing

    page.get_by_label(translated(app, "Remark (for example dietary needs or accessibility)")).fill(
        "Vegetarisch"
    )
    tab_to_button(page, translated(app, "Confirm"), presses=20)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(translated(app, "You are registered"))
    check_accessibility(page)
    stored = invitation_of(db, anna, meeting)
    assert (stored.answer, stored.remark) == (Answer.YES, "Vegetarisch")

    # Changing the answer: back to the same page by keyboard, now choosing no.
    page.get_by_role("link", name=translated(app, "Change your answer")).press("Enter")
    check_accessibility(page)
    no = page.get_by_label(translated(app, "No, I cannot come"))
    no.focus()
    page.keyboard.press("Space")
    expect(no).to_be_checked()
    tab_to_button(page, translated(app, "Confirm"), presses=20)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(translated(app, "You have declined"))
    check_accessibility(page)
    assert invitation_of(db, anna, meeting).answer == Answer.NO


def test_closed_and_refused_answer_pages_pass_axe(page: Page, app, db, smtp_server):
    meeting = future_meeting(db)
    anna = make_contact(db)
    send_invitation(app, db, smtp_server, meeting, anna)
    yes_link = answer_links(smtp_server, anna)["ja"]
    meeting.status = MeetingStatus.CANCELLED
    db.commit()

    response = page.goto(yes_link)
    assert response is not None and response.status == 410
    expect(page.locator("main")).to_contain_text(
        translated(app, "This meeting has been cancelled.")
    )
    check_accessibility(page)

    path = yes_link.split("?")[0]
    response = page.goto(path[:-1] + ("A" if path[-1] != "A" else "B"))
    assert response is not None and response.status == 400
    expect(page.locator("h1")).to_have_text(translated(app, "This link does not work"))
    check_accessibility(page)

    visit(page, "/antwoord")
    expect(page.locator("h1")).to_have_text(translated(app, "Answer an invitation"))


@pytest.mark.parametrize("width", [1280, 375])
def test_an_invitation_shows_its_deadline_and_places_left_up_to_the_answer(
    page: Page, app, db, smtp_server, width
):
    from tests.test_invitations_read_well import DEADLINE, _with_yeses

    page.set_viewport_size({"width": width, "height": 900})
    meeting = future_meeting(db, capacity=12, registration_deadline=DEADLINE)
    _with_yeses(db, meeting, 2)
    anna = make_contact(db, name="Anna de Vries", email="anna@example.nl")
    send_invitation(app, db, smtp_server, meeting, anna)
    # The email says both, and what a button does.
    sent = message_to(smtp_server, anna.email).get_body(("plain",)).get_content()
    assert "Aanmelden kan tot: dinsdag 25 mei 2027, 17:00" in sent
    assert "Vrije plaatsen: 10" in sent

    visit(page, answer_links(smtp_server, anna)["ja"])
    facts = page.locator(".meeting-facts")
    expect(facts.locator("#deadline")).to_have_text("dinsdag 25 mei 2027, 17:00")
    expect(facts.locator("#places-left")).to_have_text("10")
    expect(facts).to_contain_text(translated(app, "Register by"))
    expect(facts).to_contain_text(translated(app, "Places left"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("button", name=translated(app, "Confirm")).click()
    expect(page.locator("h1")).to_have_text(translated(app, "You are registered"))
    check_accessibility(page)
    expect(page.locator("#places-left")).to_have_text("9")
    assert invitation_of(db, anna, meeting).answer == Answer.YES
