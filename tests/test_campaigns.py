"""Campaign pages: list, new recap for a meeting, the composer as a plain form, preview, delete."""

from __future__ import annotations

import html
import re
from datetime import date, time

import pytest
from sqlalchemy import select

from service.campaigns.lint import MAX_SUBJECT
from service.models import AuditEntry, Campaign, CampaignStatus, User
from service.rendering.blocks import block_to_dict
from service.settings import change_settings
from tests.builders import PZH_MEETING, amsterdam, demo_recap_blocks, make_campaign, make_meeting
from tests.conftest import ADMIN_EMAIL, csrf_token_from, login


@pytest.fixture(autouse=True)
def english(db, admin_user):
    """The organiser reads English, so the tests can quote the msgids whatever the catalog holds."""
    db.get(User, admin_user).language = "en"
    db.commit()


def _pzh(db):
    held = make_meeting(db, **PZH_MEETING, theme="wat als alles een opgave is?")
    # Gemeente Zwolle, ahead of today (the upcoming table lists the meetings after the send).
    make_meeting(
        db,
        starts_at=amsterdam(date(2099, 6, 2), time(10, 0)),
        ends_at=amsterdam(date(2099, 6, 2), time(13, 0)),
    )
    return held


def _form_of(html: str) -> dict[str, str]:
    """The values the composer's form would submit (text fields, textareas, selected options)."""
    form = re.search(r'<form method="post" novalidate class="composer-form".*?</form>', html, re.S)
    assert form
    body = re.sub(r"<template.*?</template>", "", form.group(0), flags=re.S)
    values: dict[str, str] = {}
    for tag in re.finditer(r"<input ([^>]*)>", body):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(1)))
        if attrs.get("type") in ("checkbox", "radio") and "checked" not in tag.group(1):
            continue
        if "name" in attrs:
            values[attrs["name"]] = _unescape(attrs.get("value", ""))
    for area in re.finditer(
        r'<textarea id="[^"]*" name="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S
    ):
        values[area.group(1)] = _unescape(area.group(2))
    for select_ in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', select_.group(2)) or re.search(
            r'<option value="([^"]*)"', select_.group(2)
        )
        values[select_.group(1)] = _unescape(chosen.group(1)) if chosen else ""
    return values


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_a_recap_for_a_meeting_starts_with_its_header_and_the_upcoming_meetings(organiser, db):
    held = _pzh(db)
    page = organiser.get("/campaigns/new")
    assert page.status_code == 200
    response = organiser.post(
        "/campaigns/new",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "kind": "recap",
            "meeting_id": str(held.id),
        },
    )
    assert response.status_code == 302
    campaign = db.scalars(select(Campaign)).one()
    assert [b["type"] for b in campaign.blocks] == ["header", "text", "upcoming_meetings"]
    assert campaign.blocks[0]["host"] == "Provincie Zuid-Holland"
    assert campaign.blocks[0]["date"] == "2025-03-04"
    composer = organiser.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="Provincie Zuid-Holland"' in composer
    assert "<iframe" in composer and 'title="' in composer
    preview = organiser.get(f"/campaigns/{campaign.id}/preview")
    assert "Gemeente Zwolle" in preview.get_data(as_text=True)
    assert "script-src" not in preview.headers["Content-Security-Policy"]
    assert "default-src 'none'" in preview.headers["Content-Security-Policy"]
    listing = organiser.get("/campaigns/").get_data(as_text=True)
    assert "Provincie Zuid-Holland" in listing
    assert "Recap: De Opgavebeweging" in organiser.get("/campaigns/?status=draft").get_data(
        as_text=True
    )
    sent = organiser.get("/campaigns/?status=sent").get_data(as_text=True)
    assert "Recap: De Opgavebeweging" not in sent and "No campaigns have this status." in sent


def _draft(db, **fields) -> Campaign:
    """A draft recap "Terugblik" without blocks unless the test gives some."""
    values = {"subject": "Terugblik", "preheader": "Kort", "sender_name": "", "blocks": []}
    return make_campaign(db, **(values | fields))


def test_buttons_move_remove_and_add_blocks_and_save_typed_text(organiser, db):
    campaign = _draft(
        db,
        blocks=[
            {"type": "text", "body": "Eerste"},
            {"type": "quote", "text": "Tweede", "name": "An", "organisation": "PZH"},
        ],
    )
    url = f"/campaigns/{campaign.id}"
    values = _form_of(organiser.get(url).get_data(as_text=True))
    values["blocks-0-body"] = "Eerste, aangepast"
    response = organiser.post(url, data={**values, "action": "down-0"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#block-1")
    db.expire_all()
    stored = db.get(Campaign, campaign.id)
    assert [b["type"] for b in stored.blocks] == ["quote", "text"]
    assert stored.blocks[1]["body"] == "Eerste, aangepast"
    assert stored.version == 2

    values = _form_of(organiser.get(url).get_data(as_text=True))
    response = organiser.post(url, data={**values, "action": "add", "add_type": "quote_wall"})
    assert response.headers["Location"].endswith("#block-2")
    values = _form_of(organiser.get(url).get_data(as_text=True))
    values["blocks-2-quotes"] = "Blijdorp\r\nRotterdam\r\n\r\nSamen sterk\r\n— Maaïke Heijnen, PZH"
    organiser.post(url, data={**values, "action": "remove-0"})
    db.expire_all()
    stored = db.get(Campaign, campaign.id)
    assert [b["type"] for b in stored.blocks] == ["text", "quote_wall"]
    assert stored.blocks[1]["quotes"] == [
        {"text": "Blijdorp\nRotterdam", "name": "", "organisation": ""},
        {"text": "Samen sterk", "name": "Maaïke Heijnen", "organisation": "PZH"},
    ]
    page = organiser.get(url).get_data(as_text=True)
    assert "Samen sterk\n— Maaïke Heijnen, PZH" in page


def test_a_validation_error_keeps_everything_typed_and_names_the_field(organiser, db):
    campaign = _draft(db, blocks=[{"type": "button", "label": "Foto's", "url": "https://a.nl"}])
    url = f"/campaigns/{campaign.id}"
    values = _form_of(organiser.get(url).get_data(as_text=True))
    values["subject"] = "Nieuw onderwerp"
    values["blocks-0-label"] = "Bekijk de foto's"
    values["blocks-0-url"] = "javascript:alert(1)"
    response = organiser.post(url, data={**values, "action": "save"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Nieuw onderwerp"' in html
    assert 'value="Bekijk de foto&#39;s"' in html or 'value="Bekijk de foto\'s"' in html
    assert 'value="javascript:alert(1)"' in html
    assert re.search(r'id="blocks-0-url-error">[^<]*javascript', html)
    assert 'aria-invalid="true"' in html
    db.expire_all()
    assert db.get(Campaign, campaign.id).subject == "Terugblik"


def test_autosave_answers_json_and_refuses_an_old_version(organiser, db):
    campaign = _draft(db, blocks=[{"type": "text", "body": "Hallo"}])
    url = f"/campaigns/{campaign.id}"
    values = _form_of(organiser.get(url).get_data(as_text=True))
    values["blocks-0-body"] = "Hallo allemaal, [klik hier](#)"
    answer = organiser.post(f"{url}/autosave", data=values)
    assert answer.status_code == 200
    assert answer.json["saved"] and answer.json["version"] == 2
    assert "klik hier" in answer.json["lint_html"]
    assert "Hallo allemaal" in answer.json["text"]
    # A second editor still on version 1 is told, not saved over.
    values["blocks-0-body"] = "Andere tekst"
    conflict = organiser.post(f"{url}/autosave", data=values)
    assert conflict.status_code == 409 and conflict.json["conflict"]
    db.expire_all()
    assert db.get(Campaign, campaign.id).blocks[0]["body"] == "Hallo allemaal, [klik hier](#)"
    values["version"] = "2"
    values["blocks-0-body"] = "x" * 30_000
    invalid = organiser.post(f"{url}/autosave", data=values)
    assert invalid.status_code == 422
    assert "blocks-0-body" in invalid.json["errors"]


def test_dark_preview_turns_on_the_dark_rules_and_lint_points_at_blocks(organiser, db):
    campaign = _draft(db, blocks=demo_recap_blocks())
    light = organiser.get(f"/campaigns/{campaign.id}/preview").get_data(as_text=True)
    dark = organiser.get(f"/campaigns/{campaign.id}/preview?scheme=dark").get_data(as_text=True)
    assert "prefers-color-scheme: dark" in light.replace("(prefers-color-scheme:dark)", "")
    assert "@media all" in dark and "prefers-color-scheme: dark)" not in dark
    # The organiser reads English, the campaign is Dutch without an English version: the
    # preview shows what readers of English get, the whole email in Dutch.
    assert "Bekijk in je browser" in light and "View in your browser" not in light
    dutch = organiser.get(f"/campaigns/{campaign.id}/preview?lang=nl").get_data(as_text=True)
    assert "Bekijk in je browser" in dutch and "4 maart 2025" in dutch
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'href="#block-2"' in page  # the "Klik hier" link to "#" in the third block
    text = organiser.get(f"/campaigns/{campaign.id}?part=text").get_data(as_text=True)
    assert "Maaïke Heijnen" in text


def test_the_subject_hint_and_the_check_name_one_length(organiser, db):
    longest = "Terugblik: " + "x" * (MAX_SUBJECT - len("Terugblik: "))
    campaign = _draft(db, blocks=demo_recap_blocks(), subject=longest)
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert f"keep it to {MAX_SUBJECT} characters at most" in page
    assert "characters long; inboxes show" not in page  # exactly the limit: no warning

    campaign.subject = longest + "!"
    db.commit()
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert f"The subject is {MAX_SUBJECT + 1} characters long" in page
    assert f"the first 40 to {MAX_SUBJECT}," in page


def test_sent_campaigns_cannot_be_edited_or_deleted_but_can_be_duplicated(organiser, db):
    campaign = _draft(db, blocks=[{"type": "text", "body": "Verstuurd"}])
    campaign.status = CampaignStatus.SENT
    db.commit()
    url = f"/campaigns/{campaign.id}"
    page = organiser.get(url).get_data(as_text=True)
    values = _form_of(page)
    response = organiser.post(url, data={**values, "action": "save"})
    assert response.status_code == 302
    assert "can no longer be changed" in organiser.get(url).get_data(as_text=True)
    token = csrf_token_from(page)
    copy = organiser.post(f"{url}/duplicate", data={"csrf_token": token})
    assert copy.status_code == 302
    db.expire_all()
    assert len(list(db.scalars(select(Campaign)))) == 2
    response = organiser.post(f"{url}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.get(Campaign, campaign.id) is not None
    shown = html.unescape(organiser.get(response.location).get_data(as_text=True))
    assert 'Only drafts can be deleted; this campaign has the status "Sent".' in shown


def test_delete_a_draft_after_confirmation(organiser, db):
    campaign_id = _draft(db).id
    url = f"/campaigns/{campaign_id}/delete"
    confirm = organiser.get(url)
    assert "Yes, delete this draft" in confirm.get_data(as_text=True)
    response = organiser.post(
        url, data={"csrf_token": csrf_token_from(confirm.get_data(as_text=True))}
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.scalars(select(Campaign)).first() is None
    actions = [e.action for e in db.scalars(select(AuditEntry))]
    assert "campaign.delete" in actions


def test_send_a_test_to_me_arrives_at_the_smtp_server(organiser, db, app, smtp_server):
    change_settings(app, MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    campaign = _draft(db, blocks=[{"type": "text", "body": "Beste [[first_name]], welkom."}])
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    response = organiser.post(
        f"/campaigns/{campaign.id}/send-test", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    [(_sender, recipients, message)] = smtp_server.handler.messages
    assert recipients == [ADMIN_EMAIL]
    assert "Terugblik" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "Beste Beheerder, welkom." in text
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert f"A test email was sent to {ADMIN_EMAIL}." in page


def test_a_test_to_an_address_the_server_cannot_carry_says_why_in_the_readers_language(
    organiser, db, app, smtp_server
):
    change_settings(app, MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    me = db.scalars(select(User).where(User.email == ADMIN_EMAIL)).one()
    me.email, me.language = "jöran.dijkstra@example.nl", "nl"
    db.commit()
    campaign = _draft(db)
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    organiser.post(
        f"/campaigns/{campaign.id}/send-test", data={"csrf_token": csrf_token_from(page)}
    )
    shown = html.unescape(organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True))
    assert "Het deel vóór de @ bevat tekens buiten ASCII" in shown
    assert smtp_server.handler.messages == []


def test_every_seed_block_survives_the_form_encoding_unchanged():
    from service.campaigns.forms import block_from_raw, raw_from_block
    from service.rendering.blocks import block_from_dict

    blocks = demo_recap_blocks()
    blocks.append(
        {
            **blocks[0],
            "logo": {"src": "https://example.org/logo.png", "alt": "Logo PZH", "width": 120},
        }
    )
    for block in blocks:
        # The form sends strings; checking the block turns "120" back into a number.
        assert block_to_dict(block_from_dict(block_from_raw(raw_from_block(block)))) == block


def test_an_expired_form_shows_the_typed_text_again(organiser, db):
    campaign = _draft(db, blocks=[{"type": "text", "body": "Oud"}])
    url = f"/campaigns/{campaign.id}"
    values = _form_of(organiser.get(url).get_data(as_text=True))
    values["csrf_token"] = "expired"
    values["blocks-0-body"] = "Nieuw en lang getypt"
    response = organiser.post(url, data={**values, "action": "save"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nieuw en lang getypt</textarea>" in html
    assert "press “Save draft” again" in html
    db.expire_all()
    assert db.get(Campaign, campaign.id).blocks[0]["body"] == "Oud"

    answer = organiser.post(f"{url}/autosave", data=values)
    assert answer.status_code == 400 and answer.json["saved"] is False


def test_autosave_and_upload_after_the_session_ended_say_so_and_save_after_a_new_login(
    organiser, db
):
    campaign = _draft(db, blocks=[{"type": "text", "body": "Hallo"}])
    url = f"/campaigns/{campaign.id}"
    page = organiser.get(url).get_data(as_text=True)
    values = _form_of(page)
    # Logged out in another tab (or idle longer than SESSION_HOURS); the composer stays open.
    organiser.post("/logout", data={"csrf_token": csrf_token_from(page)})
    values["blocks-0-body"] = "Hallo allemaal"
    json = {"Accept": "application/json"}
    refused = organiser.post(f"{url}/autosave", data=values, headers=json)
    assert refused.status_code == 401
    # Nobody is logged in any more, so the answer is in the default language.
    assert not refused.json["saved"] and "je bent uitgelogd" in refused.json["message"]
    token = {"X-CSRFToken": values["csrf_token"]}  # as composer.js sends it
    upload = organiser.post("/media/upload", data={}, headers=json | token)
    assert upload.status_code == 401 and "je bent uitgelogd" in upload.json["error"]
    # A page still goes to the login page.
    assert organiser.get(url).status_code == 302
    # Logged in again (another tab): the next change is saved.
    login(organiser)
    values["csrf_token"] = csrf_token_from(organiser.get(url).get_data(as_text=True))
    assert organiser.post(f"{url}/autosave", data=values, headers=json).json["saved"]


def test_a_long_recap_shows_its_blocks_folded_with_their_first_words_and_the_help_once(
    organiser, db
):
    campaign = _draft(db, blocks=demo_recap_blocks())
    page = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    folds = re.findall(r'<details class="block-details"( open)?>', page.split("<template")[0])
    assert len(folds) == len(demo_recap_blocks()) and not any(folds)
    summary = re.search(r'id="block-1".*?class="block-summary">(.*?)</summary>', page, re.S)
    assert summary and "Text" in summary.group(1) and "Op dinsdag 4 maart" in summary.group(1)
    # The Markdown help is told once, not under every text block.
    assert page.count("an empty line between paragraphs") == 1
    # The block a button was about (here: asked for by number) comes back unfolded.
    page = organiser.get(f"/campaigns/{campaign.id}?open=18").get_data(as_text=True)
    assert re.search(r'id="block-18"[^>]*>\s*<details class="block-details" open>', page)
    assert len(re.findall(r'<details class="block-details" open>', page.split("<template")[0])) == 1
    # A short email shows its blocks open.
    short = _draft(db, blocks=[{"type": "text", "body": "Kort"}])
    page = organiser.get(f"/campaigns/{short.id}").get_data(as_text=True)
    assert '<details class="block-details" open>' in page.split("<template")[0]


def test_the_preview_marks_each_blocks_part_and_sent_mail_does_not(organiser, db, app):
    from service.campaigns.store import campaign_content
    from service.delivery.testsend import build_test_message
    from service.rendering.network import network_from_config
    from service.rendering.render import render_campaign
    from service.settings import settings_of

    campaign = _draft(db, blocks=demo_recap_blocks())
    preview = organiser.get(f"/campaigns/{campaign.id}/preview").get_data(as_text=True)
    marks = {int(n) for n in re.findall(r'<tr[^>]* data-block="(\d+)"', preview)}
    assert marks == set(range(len(demo_recap_blocks())))
    # Only each block's own rows: the table of a quote wall's columns stays unmarked inside.
    assert preview.count('data-block="') < preview.count("<tr")
    me = db.scalars(select(User).where(User.email == ADMIN_EMAIL)).one()
    mail = build_test_message(db, campaign, me, settings_of(app))
    assert "data-block" not in mail.html and "Provincie Zuid-Holland" in mail.html
    # The size check counts the bytes as sent, marks left out.
    settings = settings_of(app)
    content = campaign_content(campaign)
    kwargs = {"language": "nl", "network": network_from_config(settings), "base_url": "https://x"}
    plain = render_campaign(content, **kwargs)
    marked = render_campaign(content, mark_blocks=True, **kwargs)
    assert "data-block" in marked.html and "data-block" not in plain.html
    assert marked.sent_size == len(plain.html.encode())


def test_a_test_goes_to_up_to_five_addresses_and_a_bad_one_is_refused_clearly(
    organiser, db, app, smtp_server
):
    change_settings(app, MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    campaign = _draft(db, blocks=demo_recap_blocks())
    url = f"/campaigns/{campaign.id}"
    page = organiser.get(url).get_data(as_text=True)
    # The bar at the top: the checks' counts, the test field (the organiser's own address by
    # default) and "Send…", before the blocks.
    bar = page[page.index('id="composer-bar"') : page.index('id="blocks"')]
    assert re.search(r'id="checks-errors"[^>]*>\d+ errors?<', bar)
    assert f'id="test-to" name="to" type="text" autocomplete="email" value="{ADMIN_EMAIL}"' in bar
    assert "Send…" in bar and 'href="#lint-heading"' in bar
    token = csrf_token_from(page)

    colleagues = "ans@example.nl, Bert@Example.nl;  ans@example.nl"
    organiser.post(f"{url}/send-test", data={"csrf_token": token, "to": colleagues})
    delivered = smtp_server.handler.messages
    assert sorted(r for _s, recipients, _m in delivered for r in recipients) == [
        "ans@example.nl",
        "bert@example.nl",
    ]
    assert all("data-block" not in m.get_body(("html",)).get_content() for *_r, m in delivered)
    shown = html.unescape(organiser.get(url).get_data(as_text=True))
    result = re.search(r'<p class="notice notice-success test-result"[^>]*>(.*?)</p>', shown)
    assert result and result.group(1) == "A test email was sent to ans@example.nl, bert@example.nl."
    assert shown.index("test-result") < shown.index('id="blocks"')  # next to the button

    six = ", ".join(f"lid{n}@example.nl" for n in range(6))
    organiser.post(f"{url}/send-test", data={"csrf_token": token, "to": six})
    shown = html.unescape(organiser.get(url).get_data(as_text=True))
    assert "A test goes to at most 5 addresses." in shown
    assert f'value="{six}"' in shown and 'aria-invalid="true"' in shown  # typed text kept

    organiser.post(f"{url}/send-test", data={"csrf_token": token, "to": "ans@example.nl, bert"})
    shown = html.unescape(organiser.get(url).get_data(as_text=True))
    assert "“bert” is not an email address." in shown
    assert len(smtp_server.handler.messages) == 2  # nothing more went out
    five = ", ".join(f"lid{n}@example.nl" for n in range(5))
    organiser.post(f"{url}/send-test", data={"csrf_token": token, "to": five})
    assert len(smtp_server.handler.messages) == 7
