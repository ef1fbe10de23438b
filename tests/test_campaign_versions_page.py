"""The page to write a campaign's English version beside its Dutch one.

Without a version it says who gets what today and offers a copy of the Dutch to start from; with
one it shows each Dutch block read-only beside the English fields to fill in, keeps what was
typed when a field is refused, brings a version whose blocks fell out of step back in line, and
removes it on request. Organisers write it; viewers may not.
"""

from __future__ import annotations

import re

import lxml.html
import pytest

from service.auth.users import create_user
from service.models import Campaign, CampaignStatus, Role
from service.rendering.versions import copy_of_own, out_of_step
from tests.builders import make_campaign
from tests.conftest import csrf_token_from, login

BUTTON = {"type": "button", "label": "Bekijk de foto's", "url": "https://example.org/fotos"}
TEXT = {"type": "text", "body": "Beste [[first_name]], dank voor je komst."}
ENGLISH = {
    "subject": "Looking back, [[first_name]]",
    "preheader": "What we did",
    "blocks": [
        {"type": "text", "body": "Dear [[first_name]], thank you for coming."},
        {"type": "button", "label": "See the photos", "url": "https://example.org/photos"},
    ],
}


def _page(client, campaign_id: int, language: str = "en") -> str:
    response = client.get(f"/campaigns/{campaign_id}/versions/{language}")
    assert response.status_code == 200, response.status
    return response.get_data(as_text=True)


def _stored(db, campaign_id: int) -> Campaign:
    db.expire_all()
    campaign = db.get(Campaign, campaign_id)
    assert campaign is not None
    return campaign


def _form(html: str) -> dict[str, str]:
    """The version form's fields as the page fills them in (what a browser would send)."""
    form = lxml.html.fromstring(html).get_element_by_id("version-form")
    return dict(form.form_values())


def test_without_a_version_the_page_says_who_gets_what_and_starts_from_a_copy(organiser, db):
    campaign = make_campaign(db, blocks=[TEXT, BUTTON])
    html = _page(organiser, campaign.id)
    assert "Wie Engels leest, krijgt nu de hele e-mail in het Nederlands" in html
    assert "Begin met een kopie van de Nederlandse versie" in html
    assert 'id="version-form"' not in html

    response = organiser.post(
        f"/campaigns/{campaign.id}/versions/en",
        data={"csrf_token": csrf_token_from(html), "version": "1", "action": "start"},
    )
    assert response.status_code == 302
    stored = _stored(db, campaign.id)
    assert stored.translations == {"en": copy_of_own(stored)}
    html = organiser.get(response.headers["Location"]).get_data(as_text=True)
    assert "De Engelse versie is gemaakt" in html
    assert "Wie Engels leest, krijgt deze versie" in html
    # The Dutch block read-only on the left, its copy to translate on the right.
    assert "Bekijk de foto&#39;s" in html.split('id="version-form"', 1)[1]
    assert _form(html)["blocks-1-label"] == "Bekijk de foto's"


def test_saving_the_english_version_stores_what_was_typed(organiser, db):
    campaign = make_campaign(db, blocks=[TEXT, BUTTON], translations={"en": ENGLISH})
    html = _page(organiser, campaign.id)
    # Each Dutch block is shown beside the English fields.
    assert "dank voor je komst." in html and "thank you for coming." in html
    fields = _form(html) | {
        "subject": "Looking back, together",
        "blocks-0-body": "Dear [[first_name]], thanks\r\nfor coming.",
    }
    response = organiser.post(f"/campaigns/{campaign.id}/versions/en", data=fields)
    assert response.status_code == 302
    english = _stored(db, campaign.id).translations["en"]
    assert english["subject"] == "Looking back, together"
    assert english["blocks"][0]["body"] == "Dear [[first_name]], thanks\nfor coming."
    assert english["blocks"][1]["label"] == "See the photos"
    assert _stored(db, campaign.id).blocks == [TEXT, BUTTON]  # the Dutch is untouched
    # The composer links to it, and the English preview shows it.
    composer = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Engelse versie:" in composer and "bewerken" in composer
    preview = organiser.get(f"/campaigns/{campaign.id}/preview?lang=en").get_data(as_text=True)
    assert "thanks" in preview and "View in your browser" in preview


def test_a_refused_field_is_marked_and_everything_typed_stays(organiser, db):
    campaign = make_campaign(db, blocks=[TEXT, BUTTON], translations={"en": ENGLISH})
    fields = _form(_page(organiser, campaign.id)) | {
        "subject": "Typed subject",
        "blocks-0-body": "Typed body text",
        "blocks-1-url": "javascript:alert(1)",
    }
    response = organiser.post(f"/campaigns/{campaign.id}/versions/en", data=fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="blocks-1-url"' in html
    marked = re.search(r'<input id="blocks-1-url"[^>]*>', html)
    assert marked and 'aria-invalid="true"' in marked.group(0)
    error = re.search(r'id="blocks-1-url-error">([^<]+)<', html)
    assert error and "javascript" in error.group(1)
    assert _form(html)["subject"] == "Typed subject"
    assert _form(html)["blocks-0-body"] == "Typed body text"
    assert _stored(db, campaign.id).translations["en"] == ENGLISH


def test_the_checks_before_sending_of_the_version_point_at_its_blocks(organiser, db):
    broken = {"type": "text", "body": "See [the photos](#)."}
    campaign = make_campaign(
        db, blocks=[TEXT, BUTTON], translations={"en": ENGLISH | {"blocks": [broken, BUTTON]}}
    )
    html = _page(organiser, campaign.id)
    lint = lxml.html.fromstring(html).get_element_by_id("lint")
    assert "the photos" in lint.text_content()
    assert lint.xpath(".//a/@href") == ["#block-0"]


def test_a_version_saved_elsewhere_meanwhile_is_not_overwritten(organiser, db):
    campaign = make_campaign(db, blocks=[TEXT, BUTTON], translations={"en": ENGLISH})
    fields = _form(_page(organiser, campaign.id)) | {"version": "0", "subject": "Mine"}
    response = organiser.post(f"/campaigns/{campaign.id}/versions/en", data=fields)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Deze campagne is intussen ergens anders opgeslagen (versie 1" in html
    assert _form(html)["subject"] == "Mine"
    assert _stored(db, campaign.id).translations["en"] == ENGLISH


def test_blocks_added_in_the_dutch_are_copied_in_so_saving_brings_the_version_in_step(
    organiser, db
):
    campaign = make_campaign(db, blocks=[TEXT, BUTTON], translations={"en": ENGLISH})
    # The Dutch gets a quote at the top and a divider; the English does not follow yet.
    quote = {"type": "quote", "text": "Eerst dit nieuws.", "name": "Anna", "organisation": ""}
    campaign.blocks = [quote, TEXT, {"type": "divider"}, BUTTON]
    db.commit()
    assert out_of_step(campaign, "en")
    composer = organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'id="version-en-out-of-step"' in composer

    html = _page(organiser, campaign.id)
    assert 'id="out-of-step"' in html
    fields = _form(html)
    # The new blocks start as copies of the Dutch ones; the translations stay by their blocks.
    assert fields["blocks-0-text"] == "Eerst dit nieuws."
    assert fields["blocks-1-body"] == "Dear [[first_name]], thank you for coming."
    assert fields["blocks-2-type"] == "divider"
    assert fields["blocks-3-label"] == "See the photos"
    assert html.count("(gekopieerd, nog niet vertaald)") == 2

    fields["blocks-0-text"] = "First this news."
    response = organiser.post(f"/campaigns/{campaign.id}/versions/en", data=fields)
    assert response.status_code == 302
    stored = _stored(db, campaign.id)
    assert not out_of_step(stored, "en")
    blocks = stored.translations["en"]["blocks"]
    assert blocks[0]["text"] == "First this news."
    assert blocks[1]["body"] == "Dear [[first_name]], thank you for coming."
    assert blocks[3]["label"] == "See the photos"


def test_a_block_of_another_type_is_replaced_by_a_copy_of_the_dutch_one(organiser, db):
    campaign = make_campaign(db, blocks=[TEXT, BUTTON], translations={"en": ENGLISH})
    quote = {"type": "quote", "text": "Mooi", "name": "Anna", "organisation": "Gemeente Ede"}
    campaign.blocks = [TEXT, quote]
    db.commit()
    fields = _form(_page(organiser, campaign.id))
    assert fields["blocks-1-type"] == "quote" and fields["blocks-1-text"] == "Mooi"
    assert "blocks-1-label" not in fields


def test_removing_the_english_version_asks_first(organiser, db):
    campaign = make_campaign(db, blocks=[TEXT, BUTTON], translations={"en": ENGLISH})
    html = _page(organiser, campaign.id)
    assert "Verwijder de Engelse versie" in html
    question = organiser.get(f"/campaigns/{campaign.id}/versions/en/delete")
    assert question.status_code == 200
    text = question.get_data(as_text=True)
    assert "Wie Engels leest, krijgt dan de hele e-mail in het Nederlands" in text
    assert _stored(db, campaign.id).translations == {"en": ENGLISH}  # asking removes nothing
    response = organiser.post(
        f"/campaigns/{campaign.id}/versions/en/delete",
        data={"csrf_token": csrf_token_from(text)},
    )
    assert response.status_code == 302
    assert _stored(db, campaign.id).translations == {}
    html = organiser.get(response.headers["Location"]).get_data(as_text=True)
    assert "De Engelse versie is verwijderd." in html
    assert "Begin met een kopie van de Nederlandse versie" in html


@pytest.mark.parametrize("language", ["nl", "de", "xx"])
def test_only_a_language_other_than_the_campaigns_own_has_a_version_page(organiser, db, language):
    campaign = make_campaign(db)
    assert organiser.get(f"/campaigns/{campaign.id}/versions/{language}").status_code == 404
    assert organiser.post(f"/campaigns/{campaign.id}/versions/{language}").status_code == 404


def test_a_campaign_written_in_english_gets_a_dutch_version(organiser, db):
    campaign = make_campaign(db, language="en", **ENGLISH, translations={})
    assert organiser.get(f"/campaigns/{campaign.id}/versions/en").status_code == 404
    html = _page(organiser, campaign.id, "nl")
    assert "Begin met een kopie van de Engelse versie" in html
    assert "Wie Nederlands leest, krijgt nu de hele e-mail in het Engels" in html


def test_a_sent_campaign_shows_its_version_read_only(organiser, db):
    campaign = make_campaign(db, blocks=[TEXT, BUTTON], translations={"en": ENGLISH})
    campaign.status = CampaignStatus.SENT
    db.commit()
    html = _page(organiser, campaign.id)
    assert 'id="read-only"' in html
    assert 'id="save-version"' not in html and 'id="delete-version"' not in html
    assert '<fieldset class="version-edit" disabled>' in html
    fields = _form(html) | {"subject": "Too late"}
    response = organiser.post(f"/campaigns/{campaign.id}/versions/en", data=fields)
    assert response.status_code == 302
    assert _stored(db, campaign.id).translations["en"] == ENGLISH


def test_a_viewer_reads_nothing_here_and_cannot_change_a_version(app, db, organiser):
    campaign = make_campaign(db, blocks=[TEXT, BUTTON], translations={"en": ENGLISH})
    fields = _form(_page(organiser, campaign.id)) | {"subject": "Not mine to change"}
    create_user(db, "kijker@example.nl", "een-lang-wachtwoord", Role.VIEWER, "Kijker")
    db.commit()
    viewer = app.test_client()
    assert login(viewer, "kijker@example.nl", "een-lang-wachtwoord").status_code == 302
    fields["csrf_token"] = csrf_token_from(viewer.get("/").get_data(as_text=True))
    assert viewer.get(f"/campaigns/{campaign.id}/versions/en").status_code == 403
    assert viewer.post(f"/campaigns/{campaign.id}/versions/en", data=fields).status_code == 403
    delete = f"/campaigns/{campaign.id}/versions/en/delete"
    assert viewer.post(delete, data={"csrf_token": fields["csrf_token"]}).status_code == 403
    assert _stored(db, campaign.id).translations["en"] == ENGLISH
