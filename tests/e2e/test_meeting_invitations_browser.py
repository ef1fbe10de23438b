"""A meeting's invitations and reminders in a real browser: counts, list, reminders section, and
attendance recorded with the keyboard alone. Every page shown is checked with axe-core."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from service.meetings import invitations
from service.models import Invitation, Reminder
from tests.builders import amsterdam, make_contact, make_meeting
from tests.e2e.conftest import PHONE, check_accessibility, translated, visit

pytestmark = pytest.mark.browser

BEFORE = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)  # a month before the Zwolle meeting


def _meeting_with_answers(db) -> tuple[int, dict[str, int]]:
    """The Zwolle meeting of 3 June 2025 (over by now), two places, four people who answered."""
    meeting = make_meeting(db, capacity=2)
    meeting.reminders.append(Reminder(days_before=7, send_time="09:00", audience="yes"))
    meeting.reminders.append(Reminder(days_before=1, send_time="09:00", audience="yes"))
    db.commit()
    ids = {}
    for name, coming in (
        ("Anna de Vries", True),
        ("Bram Jansen", True),
        ("Cees Bakker", True),
        ("Dirk Smit", False),
    ):
        contact = make_contact(db, name=name)
        invitations.invite_contacts(db, meeting, [contact.id])
        invitation = db.scalars(select(Invitation).where(Invitation.contact_id == contact.id)).one()
        invitations.answer_invitation(db, invitation, coming=coming, now=BEFORE)
        db.commit()
        ids[name] = invitation.id
    return meeting.id, ids


def _cards(page: Page) -> list[str]:
    """The answers' cards as shown: "label number", the whitespace between them made one space."""
    return [
        " ".join(text.split())
        for text in page.locator("#invitation-counts .stat").all_inner_texts()
    ]


def test_organiser_reads_answers_and_marks_attendance_by_keyboard(logged_in_page: Page, app, db):
    page = logged_in_page
    meeting_id, ids = _meeting_with_answers(db)

    visit(page, f"/meetings/{meeting_id}/invitations")
    expect(page.locator("h1")).to_contain_text(translated(app, "Invitations"))
    expect(page.locator('[data-count="yes"]')).to_have_text("2")
    expect(page.locator('[data-count="waiting"]')).to_have_text("1")
    expect(page.locator('[data-count="no"]')).to_have_text("1")
    expect(page.locator('[data-count="capacity"]')).to_have_text("2")
    expect(page.locator("#invitation-list tbody tr")).to_have_count(4)
    # Every figure is a card: its label over its number, read together.
    assert _cards(page) == [
        f"{translated(app, 'Invited')} 4",
        f"{translated(app, 'Registered')} 2",
        f"{translated(app, 'Declined')} 1",
        f"{translated(app, 'Waiting list')} 1",
        f"{translated(app, 'No answer yet')} 0",
        f"{translated(app, 'Places')} 2",
        f"{translated(app, 'Places left')} 0",
    ]

    # Tick Anna and Cees with the keyboard: Tab between the boxes, Space to tick, Enter to save.
    anna = page.locator(f"#attended-{ids['Anna de Vries']}")
    anna.focus()
    page.keyboard.press("Space")
    expect(anna).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator(f"#attended-{ids['Bram Jansen']}")).to_be_focused()
    page.keyboard.press("Tab")
    cees = page.locator(f"#attended-{ids['Cees Bakker']}")
    expect(cees).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    save = page.get_by_role("button", name=translated(app, "Save attendance"))
    expect(save).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".notice-success")).to_contain_text(translated(app, "Attendance is saved."))
    check_accessibility(page)
    expect(page.locator(f"#attended-{ids['Anna de Vries']}")).to_be_checked()
    expect(page.locator(f"#attended-{ids['Bram Jansen']}")).not_to_be_checked()

    db.expire_all()
    attended = {
        name: db.get(Invitation, invitation_id).attended for name, invitation_id in ids.items()
    }
    assert attended == {
        "Anna de Vries": True,
        "Bram Jansen": False,
        "Cees Bakker": True,
        "Dirk Smit": False,
    }

    # On to the meeting page and its reminders section.
    page.get_by_role("link", name=translated(app, "Edit the meeting and its reminders")).click()
    check_accessibility(page)
    reminders = page.locator("section.reminders")
    expect(reminders.locator("h2")).to_have_text(translated(app, "Reminders"))
    expect(reminders.locator("tr.reminder-row")).to_have_count(2)
    expect(reminders.locator("tr.reminder-row").first).to_contain_text("27 mei 2025, 09:00")

    # On a phone the wide tables scroll inside themselves; the pages stay phone-wide.
    for path in (
        f"/meetings/{meeting_id}/invitations",
        f"/meetings/{meeting_id}/edit",
        "/meetings/",
    ):
        page.set_viewport_size(PHONE)
        visit(page, path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    # On the phone the cards stand one under the other, each whole inside the screen.
    visit(page, f"/meetings/{meeting_id}/invitations")
    boxes = [card.bounding_box() for card in page.locator("#invitation-counts .stat").all()]
    assert len(boxes) == 7
    assert all(
        box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        for box in boxes
    )
    assert len({box["x"] for box in boxes if box is not None}) == 1
    assert _cards(page)[1] == f"{translated(app, 'Registered')} 2"


def test_organiser_adds_and_removes_a_reminder(logged_in_page: Page, app, db):
    page = logged_in_page
    meeting = make_meeting(db)
    meeting.reminders.append(Reminder(days_before=7, send_time="09:00", audience="yes"))
    db.commit()

    visit(page, f"/meetings/{meeting.id}/edit")
    page.locator("#days_before").fill("7")
    page.locator("#send_time").fill("10:00")
    page.locator("#add-reminder ~ form button[type=submit]").click()
    # The duplicate is refused with a message tied to the field, not an error page.
    expect(page.locator("#days_before-error-1")).to_be_visible()
    check_accessibility(page)

    page.locator("#days_before").fill("2")
    page.locator("#audience").select_option("unanswered")
    page.locator("#add-reminder ~ form button[type=submit]").click()
    expect(page.locator("tr.reminder-row")).to_have_count(2)
    check_accessibility(page)

    page.locator("tr.reminder-row").first.get_by_role("button").click()
    expect(page.locator("tr.reminder-row")).to_have_count(1)
    expect(page.locator("tr.reminder-row")).to_contain_text("1 juni 2025, 10:00")
    check_accessibility(page)


def test_organiser_invites_a_contact_by_hand(logged_in_page: Page, app, db):
    page = logged_in_page
    later = (datetime.now(UTC) + timedelta(days=30)).date()
    meeting = make_meeting(
        db, starts_at=amsterdam(later, time(10)), ends_at=amsterdam(later, time(13))
    )
    make_contact(db, email="anna@example.nl", name="Anna de Vries")

    visit(page, f"/meetings/{meeting.id}/invitations")
    page.get_by_label(translated(app, "Email addresses")).fill("anna@example.nl")
    page.get_by_label(translated(app, "They have already said yes (for example by phone)")).check()
    page.get_by_role("button", name=translated(app, "Invite"), exact=True).click()
    expect(page.locator('[data-count="yes"]')).to_have_text("1")
    check_accessibility(page)
    expect(page.locator("#invitation-list tbody tr")).to_have_count(1)
    expect(page.locator("#invitation-list")).to_contain_text("Anna de Vries")
