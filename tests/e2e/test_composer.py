"""Composing a recap in a real browser: blocks added, typed, reordered, autosaved and previewed."""

from __future__ import annotations

import io
import re
from datetime import date, time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from service.campaigns import store
from service.models import Campaign
from tests.builders import PZH_MEETING, amsterdam, make_demo_recap, make_meeting
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token_from
from tests.e2e.conftest import DESKTOP, PHONE, check_accessibility, translated, visit

pytestmark = pytest.mark.browser


def _meetings(db) -> int:
    held = make_meeting(db, **PZH_MEETING)
    # Gemeente Zwolle, ahead of today: the upcoming-meetings table (after the send) lists it.
    make_meeting(
        db,
        starts_at=amsterdam(date(2099, 6, 2), time(10, 0)),
        ends_at=amsterdam(date(2099, 6, 2), time(13, 0)),
    )
    return held.id


def _saved(page: Page, version: int) -> None:
    """Wait until autosave has stored the given version."""
    expect(page.locator("input[name=version]")).to_have_value(str(version), timeout=20_000)


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (21, 66, 115)).save(out, format="PNG")
    return out.getvalue()


def _email_text(page: Page) -> str:
    return page.frame_locator("#preview-frame").locator("body").inner_text()


def test_compose_a_recap_reorder_blocks_and_keep_everything_after_reload(logged_in_page, app, db):
    meeting_id = _meetings(db)
    page = logged_in_page
    visit(page, "/campaigns/")
    page.locator("main").get_by_role("link", name=translated(app, "New campaign")).click()
    check_accessibility(page)
    page.locator("#kind").select_option("recap")
    page.locator("#meeting_id").select_option(str(meeting_id))
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#blocks > li")).to_have_count(3)  # header, text, upcoming meetings
    check_accessibility(page)
    expect(page.frame_locator("#preview-frame").locator("body")).to_contain_text("Gemeente Zwolle")

    # A text block, added without a reload: focus lands in its field.
    page.locator("#add_type").select_option("text")
    page.locator("button[name=action][value=add]").click()
    expect(page.locator("#blocks > li")).to_have_count(4)
    expect(page.locator("#blocks-3-body")).to_be_focused()
    page.keyboard.type("We tekenden onze provincieschat.")

    page.locator("#add_type").select_option("quote")
    page.locator("button[name=action][value=add]").click()
    expect(page.locator("#blocks-4-text")).to_be_focused()
    page.keyboard.type("Alles is een opgave.")
    page.locator("#blocks-4-name").fill("Maaïke Heijnen")
    page.locator("#blocks-4-organisation").fill("Provincie Zuid-Holland")
    _saved(page, 2)
    preview = page.frame_locator("#preview-frame").locator("body")
    expect(preview).to_contain_text("Alles is een opgave.")
    expect(preview).to_contain_text("We tekenden onze provincieschat.")
    text = _email_text(page)
    assert text.index("provincieschat") < text.index("Alles is een opgave")
    check_accessibility(page)

    # Move the quote up twice with the buttons; focus follows the moved block.
    page.locator("#block-4 button[data-move=up]").click()
    expect(page.locator("#block-3 button[data-move=up]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#block-2 button[data-move=up]")).to_be_focused()
    expect(page.locator("#block-2")).to_have_attribute("data-type", "quote")
    expect(page.locator("#blocks-2-text")).to_have_value("Alles is een opgave.")
    _saved(page, 3)
    expect(page.locator("#composer-status")).not_to_be_empty()
    page.wait_for_function(
        """() => {
          // While the preview reloads its document has no body yet: wait, do not fail.
          const doc = document.getElementById("preview-frame").contentDocument;
          if (!doc || !doc.body) return false;
          const text = doc.body.innerText;
          return text.indexOf("Alles is een opgave") < text.indexOf("provincieschat");
        }""",
        timeout=20_000,
    )
    check_accessibility(page)

    # After a reload the typed text and the new order come from the database.
    page.reload()
    check_accessibility(page)
    types = page.locator("#blocks > li").evaluate_all("els => els.map(e => e.dataset.type)")
    assert types == ["header", "text", "quote", "upcoming_meetings", "text"]
    expect(page.locator("#blocks-2-name")).to_have_value("Maaïke Heijnen")
    expect(page.locator("#blocks-4-body")).to_have_value("We tekenden onze provincieschat.")

    # Remove the empty text block: focus moves to the block that took its place.
    page.locator("#block-1 button[data-move=remove]").click()
    expect(page.locator("#blocks > li")).to_have_count(4)
    expect(page.locator("#block-1")).to_be_focused()
    _saved(page, 4)

    # An image block: the upload fills in the address (and a width that fits the column).
    page.locator("#add_type").select_option("image")
    page.locator("button[name=action][value=add]").click()
    page.locator("#blocks-4-upload").set_input_files(
        files=[{"name": "schat.png", "mimeType": "image/png", "buffer": _png(900, 300)}]
    )
    expect(page.locator("#blocks-4-src")).to_have_value(re.compile(r"/media/\w+\.png$"))
    expect(page.locator("#blocks-4-width")).to_have_value("600")
    page.locator("#blocks-4-alt").fill("Tekening van een provincie met een schat erin")
    _saved(page, 5)
    image = page.frame_locator("#preview-frame").locator("img[alt^=Tekening]")
    expect(image).to_have_count(1)
    # The preview shows the upload itself, loaded from this server (BASE_URL), not a broken image.
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 900

    # "Send a test to me" right after typing: the change is saved first and is in the test mail.
    page.locator("#subject").fill("Terugblik op de provincieschat")
    page.locator("form[action$=send-test] button").click()
    expect(page.locator(".notice-success")).to_contain_text(ADMIN_EMAIL)
    check_accessibility(page)
    expect(page.locator("#subject")).to_have_value("Terugblik op de provincieschat")
    [sent] = [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in Path(app.config["MAIL_OUTBOX_PATH"]).glob("*.eml")
    ]
    assert "Terugblik op de provincieschat" in sent["Subject"]
    assert sent["To"].addresses[0].addr_spec == ADMIN_EMAIL

    # Dark: the email's own dark-mode rules apply in the frame.
    light = page.locator("#preview-frame").evaluate(
        "f => getComputedStyle(f.contentDocument.body).backgroundColor"
    )
    page.locator("a[data-view=scheme][data-value=dark]").click()
    page.wait_for_function(
        """light => {
          const frame = document.getElementById("preview-frame");
          const doc = frame.contentDocument;
          return frame.src.includes("scheme=dark") && doc && doc.body
            && getComputedStyle(doc.body).backgroundColor !== light;
        }""",
        arg=light,
    )

    # The email as English-speaking contacts get it: without an English version, all of it
    # in Dutch, and the page says so.
    page.locator("a[data-view=lang][data-value=en]").click()
    expect(page).to_have_url(re.compile(r"lang=en"))
    check_accessibility(page)
    expect(page.frame_locator("#preview-frame").locator("body")).to_contain_text(
        "Bekijk in je browser"
    )
    expect(page.locator("#preview-version-note")).to_have_text(
        translated(
            app,
            "Readers of %(reads)s get the whole email in %(gets)s: it has no version in %(reads)s.",
            reads="Engels",
            gets="Nederlands",
        )
    )

    # The phone preview: the frame is a 375 px viewport for the email (its @media rules apply
    # there), and the email has no horizontal scroll in it.
    page.locator("a[data-view=width][data-value=mobile]").click()
    width = page.locator("#preview-frame").evaluate("f => f.clientWidth")
    assert width == 375
    scroll = page.locator("#preview-frame").evaluate(
        "f => f.contentDocument.documentElement.scrollWidth"
    )
    assert scroll <= 375
    check_accessibility(page)

    # The list shows the draft; its delete page asks for confirmation.
    visit(page, "/campaigns/?status=draft")
    expect(page.locator("main table tbody tr")).to_have_count(1)
    expect(page.locator("main table")).to_contain_text("Terugblik op de provincieschat")
    campaign_url = page.locator("main table a").get_attribute("href")
    visit(page, f"{campaign_url}/delete")


def test_a_composer_whose_session_ended_says_so_and_saves_after_a_new_login(
    logged_in_page, app, db
):
    campaign = store.create_campaign(
        db,
        kind="announcement",
        subject="Nieuws",
        blocks=[{"type": "text", "body": "Hallo"}],
        actor=None,
    )
    db.commit()
    page = logged_in_page
    visit(page, f"/campaigns/{campaign.id}")
    # Logged out in another tab of the same browser (its requests share the cookies).
    browser = page.context.request
    token = page.locator("input[name=csrf_token]").first.input_value()
    assert browser.post("/logout", form={"csrf_token": token}).ok

    page.locator("#blocks-0-body").fill("Hallo allemaal")
    status = page.locator("#composer-status")
    expect(status).to_contain_text(
        translated(
            app,
            "Not saved: you are logged out. Log in again in another tab; your text is still "
            "here and is saved with the next change.",
        )
    )
    expect(page.locator("#blocks-0-body")).to_have_value("Hallo allemaal")

    login_page = browser.get("/login").text()
    assert browser.post(
        "/login",
        form={
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
            "csrf_token": csrf_token_from(login_page),
        },
    ).ok
    page.locator("#blocks-0-body").fill("Hallo allemaal, tot ziens")
    _saved(page, 2)
    expect(status).to_contain_text(translated(app, "Draft saved."))
    db.expire_all()
    assert db.get(Campaign, campaign.id).blocks[0]["body"] == "Hallo allemaal, tot ziens"


def _preview_scroll(page: Page) -> int:
    return page.locator("#preview-frame").evaluate("f => f.contentWindow.scrollY")


def _part_is_in_view(page: Page, index: int) -> bool:
    """Whether the preview's rows of block `index` start within the frame's visible height."""
    return page.locator("#preview-frame").evaluate(
        """(f, n) => {
          const row = f.contentDocument.querySelector(`[data-block="${n}"]`);
          if (!row) return false;
          const top = row.getBoundingClientRect().top;
          return top >= 0 && top < f.clientHeight;
        }""",
        index,
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_a_long_recap_folds_its_blocks_and_the_preview_follows_the_open_one(
    logged_in_page, app, db, viewport
):
    campaign = make_demo_recap(db)
    db.commit()
    page = logged_in_page
    page.set_viewport_size(viewport)
    visit(page, f"/campaigns/{campaign.id}")
    blocks = page.locator("#blocks > li")
    expect(blocks).to_have_count(25)
    # Every block is one line: its number, its kind and its first words.
    expect(page.locator("#blocks .block-details[open]")).to_have_count(0)
    expect(page.locator("#block-18 summary")).to_contain_text(translated(app, "Text"))
    expect(page.locator("#blocks-18-body")).to_be_hidden()
    # The Markdown help is there once, behind its own disclosure.
    expect(page.locator("#markdown-help")).to_have_count(1)

    # Open block 19 by keyboard: the preview scrolls to its part of the email and marks it.
    page.locator("#block-18 summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#blocks-18-body")).to_be_visible()
    page.wait_for_function(
        """() => {
          const doc = document.getElementById("preview-frame").contentDocument;
          const cell = doc && doc.querySelector('[data-block="18"] > td');
          return cell && cell.hasAttribute("data-block-current") && doc.defaultView.scrollY > 0;
        }"""
    )
    assert _part_is_in_view(page, 18)
    check_accessibility(page)

    # Clicking a part of the preview opens its block and puts the focus in it.
    frame = page.frame_locator("#preview-frame")
    frame.locator('[data-block="3"] td').first.click(position={"x": 5, "y": 5})
    expect(page.locator("#block-3 .block-details")).to_have_attribute("open", "")
    expect(page.locator("#blocks-3-body")).to_be_focused()

    # "Collapse all" and "Expand all".
    page.get_by_role("button", name=translated(app, "Collapse all")).click()
    expect(page.locator("#blocks .block-details[open]")).to_have_count(0)
    page.get_by_role("button", name=translated(app, "Expand all")).click()
    expect(page.locator("#blocks .block-details[open]")).to_have_count(25)
    page.get_by_role("button", name=translated(app, "Collapse all")).click()

    # Moving a block up to the top keeps the focus off "Omlaag": a second Enter does not move it
    # back; the live region says where it went.
    page.locator("#block-1 button[data-move=up]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#block-0")).to_have_attribute("data-type", "text")
    expect(page.locator("#block-0 summary")).to_be_focused()
    expect(page.locator("#composer-status")).to_contain_text(
        translated(app, "Block moved to position %(number)s.", number=1)
    )
    page.keyboard.press("Enter")  # opens the block; it does not move
    expect(page.locator("#block-0")).to_have_attribute("data-type", "text")
    expect(page.locator("#block-1")).to_have_attribute("data-type", "header")
    check_accessibility(page)

    # The bar at the top: the checks' counts lead to the findings; a test goes to two addresses
    # and says so next to its button.
    bar = page.locator("#composer-bar")
    expect(bar.locator("#checks-errors")).to_be_visible()
    bar.locator("#checks-errors").click()
    expect(page.locator("#lint-heading")).to_be_in_viewport()
    bar.locator("#test-to").fill("ans@example.nl, bert@example.nl")
    bar.get_by_role("button", name=translated(app, "Send a test")).click()
    expect(page.locator("#composer-bar #test-result")).to_contain_text(
        "ans@example.nl, bert@example.nl"
    )
    check_accessibility(page)
    sent = [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in Path(app.config["MAIL_OUTBOX_PATH"]).glob("*.eml")
    ]
    assert sorted(m["To"].addresses[0].addr_spec for m in sent) == [
        "ans@example.nl",
        "bert@example.nl",
    ]
    expect(bar.get_by_role("link", name=translated(app, "Send…"))).to_be_visible()
