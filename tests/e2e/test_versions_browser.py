"""The English version of the seed recap, written in a real browser beside the Dutch and sent.

The organiser starts it from a copy of the Dutch, translates the subject and the first text, sees
the English and the Dutch preview, and sends the recap to a Dutch and an English reader: each
gets one whole email in their own language, framing included. At 1280 px the Dutch block and
its English fields stand side by side; at 375 px they stack without a horizontal scroll.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from service.mail.transports import OutboxTransport
from tests.builders import demo_recap_blocks, make_contact, make_demo_recap
from tests.e2e.conftest import DESKTOP, PHONE, check_accessibility, translated, visit
from tests.mail_helpers import run_until_idle, send_loop

pytestmark = pytest.mark.browser

SUBJECT = "Looking back: the Opgavebeweging visits the Province of South Holland"
FIRST_TEXT = (
    "On Tuesday 4 March our colleagues of the Province of South Holland opened the doors of "
    "their sustainable provincial house in The Hague."
)
DUTCH_START = "Op dinsdag 4 maart openen de collega's van Provincie Zuid-Holland"


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _focus_ring_on(page: Page, before: str, target: str) -> None:
    """Reach `target` with Tab from the element before it; its focus ring must show."""
    page.locator(before).focus()
    page.keyboard.press("Tab")
    element = page.locator(target)
    expect(element).to_be_focused()
    assert element.evaluate("el => el.matches(':focus-visible')")
    style = element.evaluate("el => getComputedStyle(el).outlineStyle")
    assert style != "none"


def _received(outbox: Path) -> dict[str, EmailMessage]:
    messages = {}
    for path in outbox.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        messages[str(message["To"]).split("<")[-1].rstrip(">")] = message
    return messages


def _text(message: EmailMessage) -> str:
    """The text part, its lines joined (it wraps long lines)."""
    part = message.get_body(("plain",))
    assert part is not None
    return " ".join(part.get_content().split())


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_write_the_english_version_beside_the_dutch_and_send_it(
    logged_in_page, app, db, tmp_path, viewport
):
    anna = make_contact(db, name="Anna de Vries", email="anna@example.nl", language="nl")
    emma = make_contact(db, name="Emma Smith", email="emma@example.nl", language="en")
    # The seed recap, its two "Klik hier" links (to "#") given an address so it may be sent.
    blocks = [
        block | {"body": block["body"].replace("](#)", "](https://example.org/terugblik)")}
        if block["type"] == "text"
        else block
        for block in demo_recap_blocks()
    ]
    campaign = make_demo_recap(db, blocks=blocks, audience={"emails": [anna.email, emma.email]})
    db.commit()
    page = logged_in_page
    page.set_viewport_size(viewport)

    # The composer says there is no English version yet and leads to it.
    visit(page, f"/campaigns/{campaign.id}")
    english = translated(app, "English version")
    expect(page.locator("#version-en")).to_contain_text(f"{english}: {translated(app, 'none')}")
    page.locator("#version-en").get_by_role(
        "link", name=translated(app, "Write the %(version)s", version=english)
    ).click()
    check_accessibility(page)
    expect(page.locator("#who-gets")).to_have_text(
        translated(
            app,
            "Readers of %(language)s now get the whole email in %(own)s, framing included.",
            language="Engels",
            own="Nederlands",
        )
    )
    _focus_ring_on(page, "#back-to-composer", "#start-version")
    dutch_version = translated(app, "Dutch version")
    expect(page.locator("#start-version")).to_have_text(
        translated(app, "Start from a copy of the %(version)s", version=dutch_version)
    )
    page.keyboard.press("Enter")
    expect(page.locator("#version-form")).to_be_visible()
    check_accessibility(page)
    expect(page.locator(".version-block")).to_have_count(26)  # the email's fields and 25 blocks
    _no_sideways_scroll(page)

    # Each Dutch block beside (or, on a phone, above) its English fields.
    own = page.locator("#block-1 .version-own").bounding_box()
    edit = page.locator("#block-1 .version-edit").bounding_box()
    assert own and edit
    if viewport == DESKTOP:
        assert own["x"] + own["width"] <= edit["x"] and abs(own["y"] - edit["y"]) < 5
    else:
        assert own["y"] + own["height"] <= edit["y"]
    expect(page.locator("#block-1 .version-own")).to_contain_text(DUTCH_START)

    page.locator("#subject").fill(SUBJECT)
    page.locator("#blocks-1-body").fill(FIRST_TEXT)
    page.locator("#save-version").click()
    check_accessibility(page)
    expect(page.locator(".flashes")).to_contain_text(
        translated(app, "The %(version)s is saved.", version=english)
    )
    expect(page.locator("#blocks-1-body")).to_have_value(FIRST_TEXT)
    _no_sideways_scroll(page)
    preview = page.frame_locator("#preview-frame").locator("body")
    expect(preview).to_contain_text(FIRST_TEXT)
    expect(preview).to_contain_text("View in your browser")

    # The composer's language switch shows exactly what each group gets.
    page.locator("#back-to-composer").click()
    check_accessibility(page)
    expect(page.locator("#version-en")).to_contain_text(translated(app, "edit"))
    page.locator("a[data-view=lang][data-value=en]").click()
    check_accessibility(page)
    frame = page.frame_locator("#preview-frame").locator("body")
    expect(frame).to_contain_text(FIRST_TEXT)
    expect(frame).to_contain_text("View in your browser")
    expect(frame).not_to_contain_text(DUTCH_START)
    page.locator("a[data-view=lang][data-value=nl]").click()
    check_accessibility(page)
    frame = page.frame_locator("#preview-frame").locator("body")
    expect(frame).to_contain_text(DUTCH_START)
    expect(frame).to_contain_text("Bekijk in je browser")
    expect(frame).not_to_contain_text(FIRST_TEXT)

    # Send it for real, through the confirmation page and the send loop.
    page.locator("#send-now").click()
    check_accessibility(page)
    expect(page.locator("#recipient-count")).to_have_text("2")
    page.locator("#confirm-send").click()
    check_accessibility(page)
    outbox = tmp_path / "outbox"
    run_until_idle(send_loop(app, OutboxTransport(outbox), batch_size=2))
    received = _received(outbox)
    assert set(received) == {anna.email, emma.email}

    to_emma, to_anna = received[emma.email], received[anna.email]
    assert str(to_emma["Subject"]) == SUBJECT
    text = _text(to_emma)
    assert FIRST_TEXT in text and "View in your browser" in text
    assert DUTCH_START not in text and "Bekijk in je browser" not in text
    assert str(to_anna["Subject"]) == campaign.subject
    text = _text(to_anna)
    assert DUTCH_START in text and "Bekijk in je browser" in text
    assert FIRST_TEXT not in text and "View in your browser" not in text
