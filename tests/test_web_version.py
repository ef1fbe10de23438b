"""The web version behind "bekijk in je browser" and the public archive of sent recaps."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from email import message_from_bytes, policy

import pytest

from service.campaigns import store
from service.campaigns.webversion import web_version_token, web_version_url
from service.delivery.testsend import build_test_message
from service.meetings.invitations import invite_contacts
from service.models import Campaign, CampaignKind, CampaignStatus, Role, User
from service.settings import settings_of
from tests.api_helpers import api_client
from tests.builders import (
    PZH_MEETING,
    amsterdam,
    demo_recap_blocks,
    make_contact,
    make_demo_recap,
    make_meeting,
)
from tests.email_helpers import squeeze, visible_text
from tests.mail_helpers import drain, start


def _campaign_with_status(db, *, status=CampaignStatus.DRAFT, sent_at=None, **fields):
    """The demo recap and a personal goodbye, stored with this status and time of sending."""
    goodbye = {"type": "text", "body": "Tot ziens, [[first_name]]!"}
    campaign = make_demo_recap(db, **({"blocks": [*demo_recap_blocks(), goodbye]} | fields))
    campaign.status = status
    campaign.sent_at = sent_at
    db.commit()
    return campaign


def _path(app, campaign_id: int) -> str:
    return web_version_url(campaign_id, app.config["SECRET_KEY"], "")


def test_signed_link_opens_the_web_version_without_personal_values(app, client, db):
    campaign = _campaign_with_status(db)
    response = client.get(_path(app, campaign.id))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'lang="nl"' in page
    assert "Provincie Zuid-Holland" in page
    assert "Met de Opgavebeweging hadden we zomaar een hele grote denktank in huis!" in page
    # A neutral name and no placeholder left over.
    assert "Tot ziens, lezer!" in page
    assert page.count("<main>") == 1 and page.count("</main>") == 1
    assert "[[" not in page
    # No personal unsubscribe link: no link to an unsubscribe page, no sentinel left over.
    assert ".invalid" not in page
    assert "unsubscribe" not in page.lower().replace("unsubscribe link", "")
    # "View in your browser" became a link to the archive (at BASE_URL, like every link).
    assert 'href="http://127.0.0.1:5000/archief"' in page
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_a_token_for_another_campaign_or_an_altered_one_is_refused(app, client, db):
    first = _campaign_with_status(db)
    second = _campaign_with_status(db)
    other = web_version_token(first.id, app.config["SECRET_KEY"])
    for path in (
        f"/web/{second.id}?token={other}",
        f"/web/{first.id}?token={other[:-2]}xx",
        f"/web/{first.id}",
        f"/web/{first.id}?token=" + web_version_token(first.id, "another-secret"),
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        page = response.get_data(as_text=True)
        assert "<h1>" in page and 'href="/archief"' in page
        assert "Provincie Zuid-Holland" not in page


def test_archive_lists_sent_recaps_newest_first_and_opens_them_without_token(client, db):
    older = _campaign_with_status(
        db,
        subject="Terugblik maart",
        status=CampaignStatus.SENT,
        sent_at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC),
    )
    newer = _campaign_with_status(
        db,
        subject="Terugblik juni",
        status=CampaignStatus.SENT,
        sent_at=datetime(2025, 6, 10, 9, 0, tzinfo=UTC),
    )
    draft = _campaign_with_status(db, subject="Terugblik concept")
    invitation = _campaign_with_status(
        db,
        kind="invitation",
        subject="Uitnodiging september",
        status=CampaignStatus.SENT,
        sent_at=datetime(2025, 8, 1, 9, 0, tzinfo=UTC),
    )
    page = client.get("/archief").get_data(as_text=True)
    assert page.index("Terugblik juni") < page.index("Terugblik maart")
    assert "Terugblik concept" not in page and "Uitnodiging september" not in page
    assert page.count("<h1>") == 1
    assert f'href="/archief/{newer.id}"' in page

    opened = client.get(f"/archief/{older.id}")
    assert opened.status_code == 200
    assert "Provincie Zuid-Holland" in opened.get_data(as_text=True)
    assert client.get(f"/archief/{draft.id}").status_code == 404
    assert client.get(f"/archief/{invitation.id}").status_code == 404
    assert client.get("/archief/999999").status_code == 404


def test_the_archive_dates_a_recap_by_its_meeting_not_by_its_sending(client, db):
    meeting = make_meeting(db, **PZH_MEETING)
    _campaign_with_status(
        db,
        subject="Terugblik Zuid-Holland",
        meeting_id=meeting.id,
        status=CampaignStatus.SENT,
        sent_at=datetime(2025, 6, 10, 9, 0, tzinfo=UTC),
    )
    _campaign_with_status(
        db,
        subject="Terugblik zonder bijeenkomst",
        status=CampaignStatus.SENT,
        sent_at=datetime(2025, 5, 20, 9, 0, tzinfo=UTC),
    )
    page = client.get("/archief", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    with_meeting, without = page.split("Terugblik zonder bijeenkomst")
    assert "bijeenkomst van <time" in with_meeting and "dinsdag 4 maart 2025" in with_meeting
    assert "10 juni 2025" not in page
    assert "verstuurd op <time" in without and "dinsdag 20 mei 2025" in without


def test_web_version_of_a_deleted_campaign_is_404(app, client, db):
    campaign = _campaign_with_status(db)
    path = _path(app, campaign.id)
    store.delete_campaign(db, campaign, actor=None)
    db.commit()
    assert client.get(path).status_code == 404


# ---------------------------------------------------------------------------------------------
# The web version of every kind, opened from the link in a really sent email and in a test email

BASE_URL = "http://127.0.0.1:5000"
# Addresses that act for one person: none may be on a page that anyone with the link can open.
PERSONAL_LINKS = re.compile(r"/(antwoord|afmelden|voorkeuren|netwerkkaart|netwerkmuur)/")
NEUTRAL_ANSWER_LINE = {
    "nl": "Antwoorden kan met de knoppen in je eigen e-mail.",
    "en": "Answer with the buttons in your own email.",
}


def _every_placeholder_campaign(db, kind: str, meeting_id: int, email: str) -> Campaign:
    """A campaign of the kind that uses every placeholder an organiser may type."""
    campaign = store.create_campaign(
        db,
        kind=kind,
        subject=f"{kind} voor [[first_name]]",
        preheader="Voor [[name]]",
        sender_name="Opgavebeweging",
        meeting_id=meeting_id,
        blocks=[
            {
                "type": "text",
                "body": "Beste [[first_name]] ([[name]]), [je voorkeuren]([[preferences_url]]).",
            },
            {"type": "button", "label": "Vul je netwerkkaart in", "url": "[[card_url]]"},
        ],
        audience={"emails": [email]},
        # Readers of English get their own version (service/rendering/versions.py).
        translations={
            "en": {
                "subject": f"{kind} for [[first_name]]",
                "preheader": "For [[name]]",
                "blocks": [
                    {
                        "type": "text",
                        "body": "Dear [[first_name]] ([[name]]), [choices]([[preferences_url]]).",
                    },
                    {"type": "button", "label": "Fill in your network card", "url": "[[card_url]]"},
                ],
            }
        },
        actor=None,
    )
    db.commit()
    return campaign


def _web_link(message) -> str:
    """The web-version path in an email's text part."""
    text = message.get_body(("plain",)).get_content()
    [link] = re.findall(r"http://127\.0\.0\.1:5000(/web/\d+\?\S+)", text)
    return link


def _assert_web_page_for_nobody(response, language: str, kind: str) -> None:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    page = response.get_data(as_text=True)
    assert f'lang="{language}"' in page
    assert "[[" not in page and ".invalid" not in page
    assert not PERSONAL_LINKS.search(page), PERSONAL_LINKS.search(page)
    assert ("lezer" if language == "nl" else "reader") in page
    visible = squeeze(visible_text(page))
    if kind == "invitation":
        assert NEUTRAL_ANSWER_LINE[language] in visible
        assert "Ja, ik kom" not in visible and "Yes, I will come" not in visible


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("kind", [k.value for k in CampaignKind])
def test_web_version_of_every_kind_opens_from_the_sent_email_and_the_test_email(
    app, client, db, smtp_server, kind, language
):
    meeting = make_meeting(
        db,
        starts_at=amsterdam(date(2027, 6, 1), time(10, 0)),
        ends_at=amsterdam(date(2027, 6, 1), time(13, 0)),
    )
    contact = make_contact(db, language=language, name="Maaïke Heijnen")
    if kind == "reminder":
        invite_contacts(db, meeting, [contact.id])
        db.commit()
    campaign = _every_placeholder_campaign(db, kind, meeting.id, contact.email)
    start(db, campaign)
    drain(app, smtp_server, batch_size=10)
    [(_from, _to, message)] = smtp_server.handler.messages

    _assert_web_page_for_nobody(client.get(_web_link(message)), language, kind)

    organiser = User(
        email=f"organiser-{language}@example.nl",
        password_hash="x",
        name="Organiser",
        language=language,
    )
    db.add(organiser)
    db.commit()
    test_mail = message_from_bytes(
        build_test_message(db, campaign, organiser, settings_of(app)).as_bytes(),
        policy=policy.default,
    )
    _assert_web_page_for_nobody(client.get(_web_link(test_mail)), language, kind)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_archived_recap_opens_in_the_chosen_language(client, db, language):
    recap = _campaign_with_status(
        db,
        status=CampaignStatus.SENT,
        sent_at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC),
        blocks=[{"type": "text", "body": "Tot ziens, [[first_name]]! [Kaart]([[card_url]])"}],
        translations={
            "en": {
                "blocks": [
                    {"type": "text", "body": "Goodbye, [[first_name]]! [Card]([[card_url]])"}
                ]
            }
        },
    )
    page = client.get(f"/archief/{recap.id}?lang={language}")
    _assert_web_page_for_nobody(page, language, "recap")
    assert ("Goodbye" if language == "en" else "Tot ziens") in page.get_data(as_text=True)


def test_the_archive_of_a_recap_without_an_english_version_is_all_dutch(client, db):
    recap = _campaign_with_status(
        db, status=CampaignStatus.SENT, sent_at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    )
    _assert_web_page_for_nobody(client.get(f"/archief/{recap.id}?lang=en"), "nl", "recap")


def test_a_campaign_stored_before_a_rule_tightened_is_marked_not_a_500(app, db, organiser):
    # A header date of 1850 was taken before dates outside 1900-2200 were refused.
    campaign = _campaign_with_status(
        db,
        status=CampaignStatus.SENT,
        sent_at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC),
        blocks=[{"type": "header", "title": "Terugblik", "date": "2025-03-04"}],
    )
    campaign.blocks = [{"type": "header", "title": "Terugblik", "date": "1850-03-04"}]
    draft = _campaign_with_status(db, subject="Concept", blocks=[])
    draft.blocks = list(campaign.blocks)
    db.commit()

    for path in (_path(app, campaign.id), f"/archief/{campaign.id}"):
        shown = organiser.get(path)
        assert shown.status_code == 503, path
        assert "Deze e-mail kan nu niet worden getoond" in shown.get_data(as_text=True)

    # The organiser opens the draft and finds the value that is no longer taken at its field.
    composer = organiser.get(f"/campaigns/{draft.id}")
    assert composer.status_code == 200
    page = composer.get_data(as_text=True)
    assert "Sommige waarden van deze campagne worden niet meer geaccepteerd" in page
    assert "1900-01-01" in page and "2200-12-31" in page
    assert organiser.get(f"/campaigns/{draft.id}/preview").status_code == 422

    api = api_client(app, Role.ORGANISER, language="en")
    preview = api.get(f"/api/v1/campaigns/{draft.id}/preview")
    assert preview.status_code == 422
    assert "does not pass today's checks" in preview.get_json()["message"]
    refused = api.post(f"/api/v1/campaigns/{draft.id}/send")
    assert refused.status_code in (409, 422)
    assert db.get(Campaign, draft.id).status == CampaignStatus.DRAFT
