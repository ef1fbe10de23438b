"""Counting link clicks, switched on per campaign: the links of mail really sent over SMTP go
through a signed redirect that knows no recipient, and each click adds to a total per link.
Also the unsubscribe counts per campaign (CampaignUnsubscribe), with nobody's name on them."""

from __future__ import annotations

import html
import re
from datetime import date, time

import pytest
from sqlalchemy import select

from service.audience.unsubscribe import unsubscribe_token, unsubscribe_url
from service.campaigns.webversion import web_version_url
from service.click_links import ClickSigner
from service.models import (
    Campaign,
    CampaignLinkClicks,
    CampaignStatus,
    CampaignUnsubscribe,
    Role,
    User,
)
from service.settings import change_settings
from tests.api_helpers import api_client
from tests.builders import amsterdam, make_campaign, make_contact, make_invitation, make_meeting
from tests.conftest import ADMIN_EMAIL, csrf_token_from
from tests.mail_helpers import drain, message_to, start

BASE = "http://127.0.0.1:5000"
REPORT = "https://example.org/verslag?a=1&b=2"
PHOTOS = "https://example.org/fotos"
PROGRAMME = "https://example.org/programma"
# In reading order, each address once: the numbers of the counted links, from 1.
CONTENT_LINKS = [REPORT, PHOTOS, PROGRAMME]
BLOCKS = [
    {
        "type": "text",
        "body": (
            f"Beste [[first_name]], lees [het verslag]({REPORT}) of mail "
            "[het secretariaat](mailto:info@example.org)."
        ),
    },
    {
        "type": "bullet_list",
        "items": [f"De [foto's]({PHOTOS})", f"Nog eens [het verslag]({REPORT})"],
    },
    {"type": "button", "label": "Vul je netwerkkaart in", "url": "[[card_url]]"},
    {"type": "button", "label": "Het programma van 2026", "url": PROGRAMME},
]
COUNTED = re.compile(r"http://127\.0\.0\.1:5000/k/([A-Za-z0-9._-]+)")


def _campaign(db, **fields) -> Campaign:
    return make_campaign(db, blocks=BLOCKS, count_clicks=True, **fields)


def _parts(message) -> tuple[str, str]:
    return (
        html.unescape(message.get_body(("html",)).get_content()),
        message.get_body(("plain",)).get_content(),
    )


def _tokens(part: str) -> list[str]:
    return COUNTED.findall(part)


@pytest.fixture
def sent(app, db, smtp_server, clock):
    """A campaign with counting on, sent over SMTP to two contacts; yields it and the two."""
    first = make_contact(db, name="Maaike Heijnen", email="maaike@example.nl")
    second = make_contact(db, name="Joris Bakker", email="joris@example.nl")
    campaign = _campaign(db)
    start(db, campaign, clock)
    drain(app, smtp_server, clock)
    assert len(smtp_server.handler.messages) == 2
    return campaign, first, second


def test_a_counted_campaign_links_through_one_redirect_per_link_the_same_for_everybody(
    app, db, smtp_server, sent
):
    campaign, first, second = sent
    parts = {c.email: _parts(message_to(smtp_server, c.email)) for c in (first, second)}
    signer = ClickSigner(app.config["SECRET_KEY"])
    expected = {signer.token(campaign.id, n) for n in (1, 2, 3)}
    for email, (html_part, text_part) in parts.items():
        # Every content link goes through /k/: the address itself is in neither part.
        for url in CONTENT_LINKS:
            assert url not in html_part and url not in text_part, (email, url)
        assert set(_tokens(html_part)) == expected
        assert set(_tokens(text_part)) == expected
        # The report's link appears twice and is one link (number 1) both times.
        assert _tokens(html_part).count(signer.token(campaign.id, 1)) == 2
        # The links that act for the recipient, and mailto:, are not counted.
        assert "mailto:info@example.org" in html_part
        assert "/afmelden/" in html_part and "/afmelden/" in text_part
        assert "/netwerkkaart/" in html_part and "/web/" in html_part
    # The very same addresses for both recipients: nothing in them tells who clicked.
    assert _tokens(parts[first.email][0]) == _tokens(parts[second.email][0])
    assert _tokens(parts[first.email][1]) == _tokens(parts[second.email][1])
    for token in expected:
        payload = token.split(".")[0]
        assert re.fullmatch(rf"{campaign.id}-[123]", payload), token
        for contact in (first, second):
            assert contact.email not in token and contact.email.split("@")[0] not in token


def test_clicks_add_up_per_link_and_lead_on_to_the_address(app, db, smtp_server, sent):
    campaign, first, _second = sent
    html_part, _text = _parts(message_to(smtp_server, first.email))
    report, photos, programme = (
        f"/k/{ClickSigner(app.config['SECRET_KEY']).token(campaign.id, n)}" for n in (1, 2, 3)
    )
    assert report[3:] in _tokens(html_part)
    visitor = app.test_client()
    for path, url in ((report, REPORT), (report, REPORT), (programme, PROGRAMME)):
        response = visitor.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == url
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    db.expire_all()
    rows = db.scalars(select(CampaignLinkClicks).order_by(CampaignLinkClicks.link_number))
    assert [(r.campaign_id, r.link_number, r.url, r.clicks) for r in rows] == [
        (campaign.id, 1, REPORT, 2),
        (campaign.id, 3, PROGRAMME, 1),
    ]
    assert photos  # not clicked: no row yet


def test_the_redirect_sets_no_cookie_even_for_a_logged_in_organiser(app, db, organiser, sent):
    campaign, _first, _second = sent
    token = ClickSigner(app.config["SECRET_KEY"]).token(campaign.id, 2)
    response = organiser.get(f"/k/{token}")
    assert response.status_code == 302 and response.headers["Location"] == PHOTOS
    assert "Set-Cookie" not in response.headers
    # The organiser is still logged in: the redirect touched nobody's session.
    assert organiser.get("/campaigns/").status_code == 200


def test_a_changed_or_foreign_token_or_an_unknown_link_is_a_friendly_404_and_counts_nothing(
    app, db, sent
):
    campaign, _first, _second = sent
    signer = ClickSigner(app.config["SECRET_KEY"])
    good = signer.token(campaign.id, 1)
    visitor = app.test_client()
    with visitor.session_transaction() as chosen:
        chosen["lang"] = "en"  # chosen in this browser earlier
    for token in (
        good[:-1] + ("A" if good[-1] != "A" else "B"),  # the signature changed
        f"{campaign.id}-2." + good.split(".")[1],  # another link under link 1's signature
        ClickSigner("someone-elses-key").token(campaign.id, 1),
        signer.token(campaign.id, 4),  # the email has three links
        signer.token(campaign.id + 1000, 1),  # no such campaign
        "not-a-token",
    ):
        response = visitor.get(f"/k/{token}")
        assert response.status_code == 404, token
        page = response.get_data(as_text=True)
        assert "This link leads nowhere" in page
        assert "Set-Cookie" not in response.headers
    dutch = app.test_client().get("/k/not-a-token")
    assert "Deze link leidt nergens heen" in dutch.get_data(as_text=True)
    assert db.scalars(select(CampaignLinkClicks)).all() == []


def test_without_counting_the_links_are_direct_and_a_redirect_counts_nothing(
    app, db, smtp_server, clock
):
    contact = make_contact(db, email="maaike@example.nl")
    campaign = make_campaign(db, blocks=BLOCKS)
    assert campaign.count_clicks is False
    start(db, campaign, clock)
    drain(app, smtp_server, clock)
    html_part, text_part = _parts(message_to(smtp_server, contact.email))
    assert _tokens(html_part) == [] and _tokens(text_part) == []
    for url in CONTENT_LINKS:
        assert f'href="{url}"' in html_part and url in text_part
    # A counted link of this campaign (say, switched off in a copy) still leads on, uncounted.
    token = ClickSigner(app.config["SECRET_KEY"]).token(campaign.id, 3)
    response = app.test_client().get(f"/k/{token}")
    assert response.status_code == 302 and response.headers["Location"] == PROGRAMME
    assert db.scalars(select(CampaignLinkClicks)).all() == []


def test_preview_test_send_and_web_version_show_the_real_links(
    app, db, organiser, smtp_server, sent
):
    campaign, _first, _second = sent
    draft = _campaign(db)
    for shown in (draft, campaign):
        preview = html.unescape(organiser.get(f"/campaigns/{shown.id}/preview").get_data(True))
        web = html.unescape(
            app.test_client()
            .get(web_version_url(shown.id, app.config["SECRET_KEY"], "", "nl"))
            .get_data(True)
        )
        for page in (preview, web):
            assert _tokens(page) == [] and "/k/" not in page
            for url in CONTENT_LINKS:
                assert f'href="{url}"' in page, url
    smtp_server.handler.messages.clear()
    change_settings(app, MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    page = organiser.get(f"/campaigns/{draft.id}").get_data(as_text=True)
    response = organiser.post(
        f"/campaigns/{draft.id}/send-test", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    html_part, text_part = _parts(message_to(smtp_server, ADMIN_EMAIL))
    assert _tokens(html_part) == [] and _tokens(text_part) == []
    for url in CONTENT_LINKS:
        assert f'href="{url}"' in html_part and url in text_part


# ---------------------------------------------------------------------------------------------
# Switching it on: the composer, its autosave, the API


def _composer_values(page: str) -> dict[str, str]:
    """What the composer's form submits: its inputs (checked boxes only), textareas, selects."""
    form = re.search(r'<form method="post" novalidate class="composer-form".*?</form>', page, re.S)
    assert form
    body = re.sub(r"<template.*?</template>", "", form.group(0), flags=re.S)
    values: dict[str, str] = {}
    for tag in re.finditer(r"<input ([^>]*)>", body):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(1)))
        if attrs.get("type") in ("checkbox", "radio") and "checked" not in tag.group(1):
            continue
        if "name" in attrs:
            values[attrs["name"]] = html.unescape(attrs.get("value", ""))
    for area in re.finditer(
        r'<textarea id="[^"]*" name="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S
    ):
        values[area.group(1)] = html.unescape(area.group(2)).lstrip("\n")
    for select_ in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', select_.group(2)) or re.search(
            r'<option value="([^"]*)"', select_.group(2)
        )
        values[select_.group(1)] = html.unescape(chosen.group(1)) if chosen else ""
    return values


@pytest.fixture
def english(db, admin_user):
    db.get(User, admin_user).language = "en"
    db.commit()


def test_the_composer_checkbox_saves_by_form_and_by_autosave(organiser, db, english):
    campaign = make_campaign(db, blocks=BLOCKS)
    url = f"/campaigns/{campaign.id}"
    page = organiser.get(url).get_data(as_text=True)
    box = re.search(r'<input[^>]*name="count_clicks"[^>]*>', page).group(0)
    assert 'type="checkbox"' in box and "checked" not in box
    label = re.search(r'<label for="count_clicks">([^<]*)</label>', page).group(1)
    assert label == "Count how often each link in this email is clicked"
    hint = re.search(r'<p class="hint" id="count_clicks-hint">([^<]*)</p>', page).group(1)
    assert "Only a total per link is counted" in html.unescape(hint)
    assert "Mail scanners" in hint
    assert 'aria-describedby="count_clicks-hint"' in box

    values = _composer_values(page) | {"count_clicks": "y", "action": "save"}
    assert organiser.post(url, data=values).status_code == 302
    db.expire_all()
    assert db.get(Campaign, campaign.id).count_clicks is True
    page = organiser.get(url).get_data(as_text=True)
    assert "checked" in re.search(r'<input[^>]*name="count_clicks"[^>]*>', page).group(0)

    # composer.js posts the whole form; an unticked box is simply not in it.
    values = _composer_values(page)
    assert values["count_clicks"] == "y"
    del values["count_clicks"]
    answer = organiser.post(f"{url}/autosave", data=values)
    assert answer.status_code == 200 and answer.json["changed"]
    db.expire_all()
    assert db.get(Campaign, campaign.id).count_clicks is False
    values["version"] = str(answer.json["version"])
    answer = organiser.post(f"{url}/autosave", data=values | {"count_clicks": "y"})
    assert answer.status_code == 200 and answer.json["changed"]
    db.expire_all()
    assert db.get(Campaign, campaign.id).count_clicks is True


def test_the_composer_speaks_dutch_about_counting(organiser, db):
    campaign = make_campaign(db, blocks=BLOCKS)
    page = html.unescape(organiser.get(f"/campaigns/{campaign.id}").get_data(as_text=True))
    assert "Tel hoe vaak op elke link in deze e-mail wordt geklikt" in page
    assert "Alleen een totaal per link wordt geteld" in page


def test_the_api_reads_creates_and_changes_count_clicks_until_sending_starts(app, db):
    api = api_client(app, Role.ORGANISER)
    created = api.post(
        "/api/v1/campaigns", json={"subject": "Terugblik", "blocks": BLOCKS, "count_clicks": True}
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["count_clicks"] is True
    path = f"/api/v1/campaigns/{body['id']}"
    assert api.get(path).get_json()["count_clicks"] is True
    assert api.post("/api/v1/campaigns", json={"subject": "x"}).get_json()["count_clicks"] is False
    for wrong in ("yes", "true", 1, 0, None):
        refused = api.patch(path, json={"count_clicks": wrong})
        assert refused.status_code == 422, wrong
        assert "count_clicks" in refused.get_json()["errors"]
    changed = api.patch(path, json={"count_clicks": False, "version": 1})
    assert changed.status_code == 200
    assert changed.get_json()["count_clicks"] is False and changed.get_json()["version"] == 2
    listed = api.get("/api/v1/campaigns").get_json()["items"]
    assert {c["id"]: c["count_clicks"] for c in listed}[body["id"]] is False

    # Once it is sent, what it counts is fixed, as its content is.
    campaign = db.get(Campaign, body["id"])
    campaign.status = CampaignStatus.SENT
    db.commit()
    refused = api.patch(path, json={"count_clicks": True})
    assert refused.status_code == 409
    db.expire_all()
    assert db.get(Campaign, body["id"]).count_clicks is False
    spec = api.get("/api/v1/openapi.json").get_json()
    described = spec["components"]["schemas"]["CampaignWrite"]["properties"]["count_clicks"]
    assert described["type"] == "boolean" and "mail scanners" in described["description"]


# ---------------------------------------------------------------------------------------------
# Unsubscribes counted per campaign


ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _leave_link(message) -> str:
    https, _mailto = [part.strip(" <>") for part in message["List-Unsubscribe"].split(",")]
    return https.removeprefix(BASE)


def _left(db) -> list[tuple[int, str]]:
    db.expire_all()
    rows = db.scalars(select(CampaignUnsubscribe).order_by(CampaignUnsubscribe.id))
    return [(row.campaign_id, row.mailing) for row in rows]


def test_leaving_through_a_campaign_counts_once_for_it_by_form_and_one_click(
    app, db, smtp_server, sent
):
    campaign, first, second = sent
    columns = set(CampaignUnsubscribe.__table__.columns.keys())
    assert columns == {"id", "campaign_id", "mailing", "created_at"}  # nobody's name
    browser = app.test_client()
    path = _leave_link(message_to(smtp_server, first.email))
    assert browser.post(path).status_code == 200
    assert browser.post(path).status_code == 200  # saying it twice changes nothing more
    assert _left(db) == [(campaign.id, "news")]

    # A mail client's RFC 8058 one-click POST counts the same way, and once.
    mail_client = app.test_client()
    other = _leave_link(message_to(smtp_server, second.email))
    assert mail_client.post(other, data=ONE_CLICK).status_code == 200
    assert mail_client.post(other, data=ONE_CLICK).status_code == 200
    assert _left(db) == [(campaign.id, "news"), (campaign.id, "news")]

    # Leaving everything afterwards is one more change through the same campaign.
    assert browser.post(path, data={"scope": "all"}).status_code == 200
    assert browser.post(path, data={"scope": "all"}).status_code == 200
    assert _left(db) == [(campaign.id, "news"), (campaign.id, "news"), (campaign.id, "all")]


def test_an_invitation_counts_the_invitations_and_no_campaign_counts_nothing(
    app, db, smtp_server, clock
):
    contact = make_contact(db, email="maaike@example.nl")
    meeting = make_meeting(
        db,
        starts_at=amsterdam(date(2027, 6, 1), time(10, 0)),
        ends_at=amsterdam(date(2027, 6, 1), time(13, 0)),
    )
    invitation = make_invitation(db, meeting)
    start(db, invitation, clock)
    drain(app, smtp_server, clock)
    path = _leave_link(message_to(smtp_server, contact.email))
    assert app.test_client().post(path, data=ONE_CLICK).status_code == 200
    assert _left(db) == [(invitation.id, "invitations")]

    # A link without a campaign (the preferences page's own), or whose campaign is gone.
    someone = make_contact(db, email="joris@example.nl")
    secret = app.config["SECRET_KEY"]
    for campaign_id in (None, invitation.id + 1000):
        url = unsubscribe_url(unsubscribe_token(someone.id, campaign_id, secret), "")
        assert app.test_client().post(url, data=ONE_CLICK).status_code == 200
    assert _left(db) == [(invitation.id, "invitations")]


# ---------------------------------------------------------------------------------------------
# The rewrite itself, for every block that holds links


def test_every_kind_of_content_link_is_numbered_in_reading_order_and_rewritten_in_both_parts():
    from service.click_links import counted_links
    from service.rendering import blocks as b
    from service.rendering.render import Network, render_campaign

    content = b.content_from_dict(
        {
            "kind": "recap",
            "subject": "Terugblik",
            "blocks": [
                {"type": "header", "title": "Terugblik", "host": "Provincie Zuid-Holland"},
                {
                    "type": "text",
                    "body": (
                        "## Zie [de kop](https://a.example/kop)\n\n"
                        "> Een citaat met [een link](https://a.example/citaat)\n\n"
                        "- een lijst met <https://a.example/autolink>\n\n"
                        "Bel [ons](tel:+31701234567) of lees [de kop](https://a.example/kop)."
                    ),
                },
                {"type": "numbered_list", "items": ["Eerst [dit](https://a.example/een)"]},
                {"type": "bullet_list", "items": ["Dan [dat](http://a.example/twee)"]},
                {
                    "type": "mailto",
                    "text": "Vragen? Zie eerst [de veelgestelde](https://a.example/faq).",
                    "email": "info@example.org",
                },
                {"type": "button", "label": "Meedoen", "url": "https://a.example/meedoen"},
                {"type": "button", "label": "Netwerkkaart", "url": "[[card_url]]"},
            ],
        }
    )
    expected = [
        "https://a.example/kop",
        "https://a.example/citaat",
        "https://a.example/autolink",
        "https://a.example/een",
        "http://a.example/twee",
        "https://a.example/faq",
        "https://a.example/meedoen",
    ]
    assert b.content_links(content) == expected
    links = counted_links(7, b.content_links(content), "secret", "https://post.example.nl/")
    assert list(links.values()) == [
        f"https://post.example.nl/k/{ClickSigner('secret').token(7, n)}" for n in range(1, 8)
    ]
    network = Network(name="Opgavebeweging", email="info@example.org", address="Postbus 1")
    for language in ("nl", "en"):
        plain = render_campaign(
            content, language=language, network=network, base_url="https://post.example.nl"
        )
        counted = render_campaign(
            content,
            language=language,
            network=network,
            base_url="https://post.example.nl",
            links=links,
        )
        for url, redirect in links.items():
            assert f'href="{url}"' in plain.html and url in plain.text
            # (An address written as its own link text stays readable as text.)
            assert f'href="{url}"' not in counted.html and f'href="{redirect}"' in counted.html
            assert redirect in counted.text
        # Only the content's links changed: the templates' own links are the same.
        assert "tel:+31701234567" in counted.html and "mailto:info@example.org" in counted.html
        assert counted.placeholders == plain.placeholders
        assert "[[card_url]]" in counted.html and "[[unsubscribe_url]]" in counted.html
        # The text part keeps saying where a link leads, then gives the counted address
        # (wrapped at 72 columns, so read here as one line).
        words = " ".join(counted.text.split())
        assert f"de kop ({links['https://a.example/kop']})" in words
        assert f"https://a.example/autolink ({links['https://a.example/autolink']})" in words
