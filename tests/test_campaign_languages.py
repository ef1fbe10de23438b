"""Both languages: every reader gets one whole email, never English framing around Dutch text.

A campaign is written in its language (Dutch by default) and may carry an English version. A
reader of English gets the English version when there is one, and otherwise the whole email in
the campaign's language, framing included; reminders carry a version in every language. Sent
through the real send loop to a real SMTP server.
"""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from service.campaigns import store
from service.campaigns.reminders import send_due_reminders
from service.meetings.invitations import invite_contacts
from service.models import Campaign, Reminder
from service.rendering.versions import campaign_links, out_of_step, version_for
from service.settings import change_settings, settings_of
from tests.builders import amsterdam, make_campaign, make_contact, make_meeting
from tests.conftest import Clock, csrf_token_from
from tests.mail_helpers import drain, message_to, start

ENGLISH = {
    "subject": "Looking back, [[first_name]]",
    "preheader": "What we did",
    "blocks": [
        {
            "type": "text",
            "body": "Dear [[first_name]], thank you for coming. [The photos](https://a.example/photos).",
        }
    ],
}


def _bodies(smtp_server, email: str) -> tuple[str, str, str]:
    message = message_to(smtp_server, email)
    return (
        str(message["Subject"]),
        message.get_body(("html",)).get_content(),
        message.get_body(("plain",)).get_content(),
    )


def _readers(db):
    return (
        make_contact(db, name="Anna de Vries", email="anna@example.nl", language="nl"),
        make_contact(db, name="Emma Smith", email="emma@example.nl", language="en"),
    )


def test_without_an_english_version_an_english_reader_gets_the_whole_email_in_dutch(
    app, db, smtp_server
):
    anna, emma = _readers(db)
    campaign = make_campaign(db, audience={"emails": [anna.email, emma.email]})
    start(db, campaign, Clock())
    drain(app, smtp_server, Clock())

    for person in (anna, emma):
        subject, html, text = _bodies(smtp_server, person.email)
        first_name = person.name.split()[0]
        assert subject == f"Terugblik voor {first_name}"
        assert f"Beste {first_name}, dank voor je komst." in text
        # The framing is Dutch too: no "View in your browser" around Dutch text.
        assert "Bekijk in je browser" in text and "View in your browser" not in text
        assert 'lang="nl"' in html and 'lang="en"' not in html


def test_with_an_english_version_each_reader_gets_their_own_language(app, db, smtp_server):
    anna, emma = _readers(db)
    campaign = make_campaign(
        db, audience={"emails": [anna.email, emma.email]}, translations={"en": ENGLISH}
    )
    start(db, campaign, Clock())
    drain(app, smtp_server, Clock())

    subject, html, text = _bodies(smtp_server, emma.email)
    assert subject == "Looking back, Emma"
    assert "Dear Emma, thank you for coming." in text
    assert "View in your browser" in text and "Bekijk in je browser" not in text
    assert "dank voor je komst" not in text
    assert 'lang="en"' in html
    subject, _html, text = _bodies(smtp_server, anna.email)
    assert subject == "Terugblik voor Anna"
    assert "Bekijk in je browser" in text and "thank you" not in text


def test_a_campaign_written_in_english_goes_to_dutch_readers_in_english_without_a_dutch_version(
    app, db, smtp_server
):
    anna, _emma = _readers(db)
    campaign = make_campaign(
        db, audience={"emails": [anna.email]}, language="en", **ENGLISH, translations={}
    )
    start(db, campaign, Clock())
    drain(app, smtp_server, Clock())
    subject, _html, text = _bodies(smtp_server, anna.email)
    assert subject == "Looking back, Anna"
    assert "View in your browser" in text and "Bekijk in je browser" not in text


def test_the_web_version_and_the_preview_show_what_each_group_gets(app, db, organiser):
    campaign = make_campaign(db, translations={"en": ENGLISH})
    bare = make_campaign(db)
    preview = organiser.get(f"/campaigns/{campaign.id}/preview?lang=en").get_data(as_text=True)
    assert "thank you for coming" in preview and "dank voor je komst" not in preview
    # Without an English version, the English preview is the Dutch email, framing included.
    preview = organiser.get(f"/campaigns/{bare.id}/preview?lang=en").get_data(as_text=True)
    assert "dank voor je komst" in preview and "Bekijk in je browser" in preview
    assert "View in your browser" not in preview


def test_a_version_is_checked_like_the_campaign_and_named_by_its_path(db):
    with pytest.raises(store.CampaignValidationError) as caught:
        make_campaign(db, translations={"en": {"blocks": [{"type": "vlog"}]}})
    assert set(caught.value.errors) == {"translations.en.blocks[0].type"}
    # The campaign's own language cannot also be a version, nor can a language we do not write.
    for language, translations in (("nl", {"nl": ENGLISH}), ("nl", {"de": ENGLISH})):
        with pytest.raises(store.CampaignValidationError) as caught:
            make_campaign(db, language=language, translations=translations)
        assert list(caught.value.errors) == [f"translations.{next(iter(translations))}"]
    with pytest.raises(store.CampaignValidationError) as caught:
        make_campaign(db, language="fr")
    assert list(caught.value.errors) == ["language"]


def test_links_only_the_english_version_has_are_counted_after_the_dutch_ones(db):
    campaign = make_campaign(
        db,
        blocks=[{"type": "button", "label": "Foto's", "url": "https://a.example/fotos"}],
        translations={"en": ENGLISH},
        count_clicks=True,
    )
    assert campaign_links(campaign) == ["https://a.example/fotos", "https://a.example/photos"]


def test_a_version_that_no_longer_follows_the_dutch_blocks_is_told(db):
    campaign = make_campaign(db, translations={"en": ENGLISH})
    assert not out_of_step(campaign, "en")
    store.update_campaign(
        db,
        campaign,
        expected_version=campaign.version,
        blocks=[*campaign.blocks, {"type": "bullet_list", "items": ["Een"]}],
    )
    assert out_of_step(campaign, "en")
    assert version_for(campaign, "en").content.blocks[0].body.startswith("Dear")


def test_reminders_go_out_in_each_readers_language(app, db, smtp_server):
    clock = Clock()  # 12 May 2026, 09:00 UTC: the reminder of 19 May is due
    meeting = make_meeting(
        db,
        title="De Opgavebeweging op bezoek bij Gemeente Zwolle",
        starts_at=amsterdam(date(2026, 5, 19), time(10, 0)),
        ends_at=amsterdam(date(2026, 5, 19), time(13, 0)),
    )
    anna, emma = _readers(db)
    invite_contacts(db, meeting, [anna.id, emma.id])
    meeting.reminders.append(Reminder(days_before=7, send_time="09:00", audience="unanswered"))
    db.commit()
    send_due_reminders(db, now=clock(), settings=settings_of(app))
    db.commit()
    drain(app, smtp_server, clock)

    subject, html, text = _bodies(smtp_server, emma.email)
    assert subject.startswith("Will you come too?") and "Tuesday 19 May 2026" in subject
    assert "Dear Emma," in text and "We have no answer from you yet" in text
    assert "Yes, I will come" in html and "Ja, ik kom" not in html
    subject, html, text = _bodies(smtp_server, anna.email)
    assert subject.startswith("Kom je ook?") and "dinsdag 19 mei 2026" in subject
    assert "Beste Anna," in text and "Ja, ik kom" in html and "Yes, I will come" not in html
    [reminder] = db.scalars(select(Campaign)).all()
    assert (reminder.language, list(reminder.translations)) == ("nl", ["en"])


def test_the_send_page_says_how_many_get_which_language(db, organiser):
    _readers(db)
    make_contact(db, name="Bert Bos", email="bert@example.nl", language="nl")
    campaign = make_campaign(db)
    page = organiser.get(f"/campaigns/{campaign.id}/send").get_data(as_text=True)
    assert "2 lezers die Nederlands lezen krijgen de e-mail in het Nederlands." in page
    assert (
        "1 lezer die Engels leest krijgt de hele e-mail in het Nederlands: er is geen versie in "
        "het Engels." in page
    )
    store.update_campaign(db, campaign, expected_version=None, translations={"en": ENGLISH})
    db.commit()
    page = organiser.get(f"/campaigns/{campaign.id}/send").get_data(as_text=True)
    assert "1 lezer die Engels leest krijgt de e-mail in het Engels." in page


def test_a_test_send_is_the_email_of_the_readers_the_preview_shows(app, db, organiser, smtp_server):
    change_settings(app, MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    campaign = make_campaign(db, translations={"en": ENGLISH})
    page = organiser.get(f"/campaigns/{campaign.id}?lang=en").get_data(as_text=True)
    sent = organiser.post(
        f"/campaigns/{campaign.id}/send-test",
        data={"csrf_token": csrf_token_from(page), "to": "ans@example.nl", "lang": "en"},
    )
    assert sent.status_code == 302 and "lang=en" in sent.headers["Location"]
    [(_sender, _recipients, message)] = smtp_server.handler.messages
    assert "Looking back" in str(message["Subject"])
    assert "View in your browser" in message.get_body(("plain",)).get_content()
