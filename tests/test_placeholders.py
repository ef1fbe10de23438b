"""Placeholders by their Dutch names: `[[voornaam]]` reads as `[[first_name]]`, and
`[[muur_url]]` gives each member their own link to the network wall."""

from __future__ import annotations

import re

from service.campaigns import store
from service.contact_links import WALL, ContactSigner
from service.rendering import placeholders
from service.rendering.blocks import CampaignContent, Text, check_content, content_from_dict
from service.rendering.network import network_from_config
from service.rendering.render import personalise, render_campaign
from service.settings import settings_of
from tests.builders import make_campaign, make_contact, make_demo_recap
from tests.mail_helpers import drain, message_to, start
from tests.test_wall import make_card, names_on

DUTCH = (
    "Beste [[voornaam]] ([[naam]]), [je kaart]([[kaart_url]]), [de muur]([[muur_url]]) "
    "en [je voorkeuren]([[voorkeuren_url]])."
)
ENGLISH = (
    "Beste [[first_name]] ([[name]]), [je kaart]([[card_url]]), [de muur]([[wall_url]]) "
    "en [je voorkeuren]([[preferences_url]])."
)


def _line(text: str, mark: str) -> str:
    """The words between `mark` and the next "EINDE" in the plain text."""
    start = text.index(mark) + len(mark)
    return " ".join(text[start : text.index("EINDE", start)].split())


def test_dutch_and_english_names_render_alike(app):
    network = network_from_config(settings_of(app))

    def rendered(body: str):
        blocks = [{"type": "text", "body": body}]
        content = content_from_dict({"subject": "Hallo [[voornaam]]", "blocks": blocks})
        assert check_content(content) == []
        return render_campaign(
            content, language="nl", network=network, base_url=app.config["BASE_URL"]
        )

    dutch, english = rendered(DUTCH), rendered(ENGLISH)
    # The Dutch names are read as the English ones: the same email, the same values asked for.
    assert dutch.placeholders == english.placeholders
    values = store.sample_values(app.config["BASE_URL"], language="nl")
    assert personalise(dutch, values) == personalise(english, values)
    assert placeholders.WALL_URL in dutch.placeholders


def test_a_sent_campaign_fills_dutch_names_as_it_fills_english_ones(app, db, smtp_server, clock):
    anna = make_contact(db, name="Anna de Vries", email="anna@example.nl")
    bram = make_contact(db, name="Bram Jansen", email="bram@example.nl")
    for contact in (anna, bram):
        make_card(db, contact, on_wall=True)
    campaign = make_campaign(
        db,
        subject="Terugblik voor [[voornaam]]",
        preheader="Kort",
        blocks=[
            {"type": "text", "body": "NL: " + DUTCH + " EINDE"},
            {"type": "text", "body": "EN: " + ENGLISH + " EINDE"},
            {"type": "button", "label": "Bekijk de netwerkmuur", "url": "[[muur_url]]"},
        ],
    )
    start(db, campaign, clock)
    assert drain(app, smtp_server, clock) == 2
    base = app.config["BASE_URL"]
    signer = ContactSigner(app.config["SECRET_KEY"], WALL)
    client = app.test_client()
    for contact, first in ((anna, "Anna"), (bram, "Bram")):
        message = message_to(smtp_server, contact.email)
        assert message["Subject"] == f"Terugblik voor {first}"
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert "[[" not in html + text
        # The Dutch paragraph reads exactly as the English one, in both parts.
        assert _line(text, "NL:") == _line(text, "EN:")
        assert f"Beste {first} ({contact.name})" in _line(text, "NL:")
        html_nl = re.search(r"NL: (.*?)</p>", html, re.S)
        html_en = re.search(r"EN: (.*?)</p>", html, re.S)
        assert html_nl and html_en and html_nl.group(1) == html_en.group(1)
        # The recipient's own wall link: in the text, the links and the button; it opens the wall.
        wall = f"{base}/netwerkmuur/{signer.token(contact.id)}"
        assert html.count(f'href="{wall}"') == 3
        assert f"de muur ({wall})" in " ".join(text.split())
        assert sorted(names_on(client.get(wall.removeprefix(base)))) == [
            "Anna de Vries",
            "Bram Jansen",
        ]
    anna_html = message_to(smtp_server, anna.email).get_body(("html",)).get_content()
    assert signer.token(bram.id) not in anna_html


def test_an_unknown_name_lists_the_dutch_names_first(app):
    content = CampaignContent(subject="x", blocks=[Text("Beste [[achternaam]]")])
    [error] = check_content(content)
    assert error.code == "unknown-placeholder"
    choices = error.params["choices"]
    assert choices.index("[[voornaam]]") < choices.index("[[first_name]]")
    assert "[[muur_url]]" in choices and "[[wall_url]]" in choices


def test_the_seed_recap_links_to_the_wall_and_its_preview_shows_a_sample(app, db):
    campaign = make_demo_recap(db)
    assert any("[[muur_url]]" in block.get("body", "") for block in campaign.blocks)
    preview = store.preview_campaign(
        db,
        campaign,
        language="nl",
        network=network_from_config(settings_of(app)),
        base_url=app.config["BASE_URL"],
    )
    assert "/sample/network-wall" in preview.html
    # The wall link is no finding; the two other "Klik hier" links to "#" still are.
    wall = [f for f in preview.lint if f.params.get("href") == "[[muur_url]]"]
    assert [f.level for f in wall] == ["warning"]  # only "Klik hier" says nothing on its own
    assert sum(f.code == "link-to-anchor" for f in preview.lint) == 2
