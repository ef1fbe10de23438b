"""The contact's own preference page: mailings and language, the data download, and erasure
that leaves no personal data in any table."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import JSON, String, Text, select

from service.audience.subscriptions import subscribed_mailings
from service.campaigns.lifecycle import reason_columns, relay_said
from service.cards.photos import store_photo
from service.contact_links import CARD, PREFERENCES, WALL, ContactSigner
from service.models import (
    Answer,
    AuditEntry,
    Base,
    Bounce,
    Campaign,
    CampaignStatus,
    CardPhoto,
    Consent,
    Contact,
    Delivery,
    DeliveryStatus,
    Invitation,
    Mailing,
    NetworkCard,
    Nomination,
    NominationStatus,
    SignupRequest,
    Subscription,
    record_audit,
)
from service.nominations.introduction import introduction_payload
from service.settings import settings_of
from tests.builders import make_campaign, make_contact, make_meeting
from tests.conftest import csrf_token_from
from tests.mail_helpers import smtp_loop, start

EN = {"Accept-Language": "en"}
SECRET = "test-secret-key"


def _path(contact: Contact, purpose: str = PREFERENCES) -> str:
    return ContactSigner(SECRET, purpose).url(contact.id, "")


def _token_from(client, path: str) -> str:
    return csrf_token_from(client.get(path, headers=EN).get_data(as_text=True))


def test_the_page_shows_the_mailings_and_the_card_link(app, db, client):
    person = make_contact(db, subscriptions=[Mailing.NEWS], language="en")
    response = client.get(_path(person))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="mailings-news" value="news" checked' in html
    assert 'id="mailings-invitations" value="invitations">' in html
    assert f'href="{_path(person, CARD)}"' in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_changes_are_stored(app, db, client):
    person = make_contact(db)
    path = _path(person)
    token = _token_from(client, path)
    response = client.post(
        path, data={"csrf_token": token, "mailings": ["invitations"], "language": "en"}
    )
    assert response.status_code == 200
    assert "Your preferences were saved." in response.get_data(as_text=True)
    db.expire_all()
    assert subscribed_mailings(db, person.id) == [Mailing.INVITATIONS]
    assert db.get(Contact, person.id).language == "en"
    assert db.get(Contact, person.id).consent == Consent.GIVEN

    # Nothing chosen: no email at all, consent withdrawn by the person.
    client.post(path, data={"csrf_token": token, "language": "en"})
    db.expire_all()
    contact = db.get(Contact, person.id)
    assert subscribed_mailings(db, person.id) == []
    assert (contact.consent, contact.consent_source) == (Consent.WITHDRAWN, "voorkeurenpagina")

    # The person may choose again themselves: consent given anew.
    client.post(path, data={"csrf_token": token, "mailings": ["news"], "language": "nl"})
    db.expire_all()
    assert db.get(Contact, person.id).consent == Consent.GIVEN
    assert subscribed_mailings(db, person.id) == [Mailing.NEWS]


def test_every_post_needs_the_csrf_token(app, db, client):
    person = make_contact(db)
    path = _path(person)
    client.get(path)
    assert client.post(path, data={"mailings": [], "language": "nl"}).status_code == 400
    assert client.post(f"{path}/gegevens").status_code == 400
    assert client.post(f"{path}/verwijderen").status_code == 400
    db.expire_all()
    assert subscribed_mailings(db, person.id) == [Mailing.NEWS, Mailing.INVITATIONS]
    assert db.get(Contact, person.id) is not None


def test_altered_and_other_purpose_tokens_are_refused(app, db, client):
    person = make_contact(db)
    path = _path(person)
    altered = path[:-1] + ("A" if path[-1] != "A" else "B")
    assert client.get(altered).status_code == 400
    for purpose in (CARD, WALL):
        token = ContactSigner(SECRET, purpose).token(person.id)
        assert client.get(f"/voorkeuren/{token}").status_code == 400
        assert client.post(f"/voorkeuren/{token}/verwijderen").status_code == 400
    foreign = ContactSigner("another-key", PREFERENCES).token(person.id)
    assert client.get(f"/voorkeuren/{foreign}").status_code == 400
    db.expire_all()
    assert db.get(Contact, person.id) is not None


def _rich_contact(app, db) -> Contact:
    """A contact with something in every table that can hold them."""
    person = make_contact(
        db, email="anna.bijl@example.nl", name="Anna Bijl", notes="Kent de wethouder"
    )
    meeting = make_meeting(db)
    campaign = Campaign(kind="recap", subject="Terugblik Zwolle", blocks=[], audience={})
    db.add(campaign)
    db.flush()
    db.add(
        Invitation(
            meeting_id=meeting.id,
            contact_id=person.id,
            answer=Answer.YES,
            remark="Anna eet vegetarisch",
        )
    )
    delivery = Delivery(
        campaign_id=campaign.id,
        contact_id=person.id,
        email=person.email,
        status=DeliveryStatus.SENT,
        sent_at=datetime(2026, 5, 1, tzinfo=UTC),
    )
    db.add(delivery)
    db.flush()
    # A mailbox-full bounce that came back later, quoting the address.
    db.add(
        Bounce(
            delivery_id=delivery.id,
            campaign_id=campaign.id,
            email=person.email,
            kind="soft_bounce",
            reason=f"452 4.2.2 <{person.email}>: Mailbox full",
            source="listener",
        )
    )
    photo = store_photo(db, b"\xff\xd8\xff fake jpeg")
    db.add(
        NetworkCard(
            contact_id=person.id,
            treasure="De Sallandse Heuvelrug",
            brings="Anna's kennis van wonen",
            seeks="Collega's",
            photo=photo,
            photo_alt="Anna Bijl lacht",
            on_wall=True,
        )
    )
    db.add(
        SignupRequest(
            email=person.email,
            name="Anna Bijl",
            mailings=["news"],
            token_hash="0" * 64,
            confirmed_at=datetime(2026, 4, 1, tzinfo=UTC),
        )
    )
    db.commit()
    return person


def _in_json_columns(db, person: Contact) -> None:
    """Where the person is held in JSON columns and in text written about them."""
    # A draft for her and a colleague, chosen by address.
    db.add(
        Campaign(
            kind="announcement",
            subject="Voor twee",
            blocks=[],
            audience={"provinces": [], "tags": [], "emails": [person.email, "ander@example.nl"]},
        )
    )
    # A send that paused on the relay's refusal, which quotes the address.
    db.add(
        Campaign(
            kind="announcement",
            subject="Gepauzeerd",
            blocks=[],
            audience={"all": True},
            status=CampaignStatus.PAUSED,
            **reason_columns(relay_said(f"550 5.1.1 <{person.email}>: mailbox disabled")),
        )
    )
    # A campaign mail that bounced: the relay's answer quotes the address.
    db.add(
        Delivery(
            campaign_id=None,
            kind="answer_yes",
            contact_id=person.id,
            email=person.email,
            status=DeliveryStatus.FAILED,
            last_error=f"550 5.1.1 <{person.email}>: Recipient address rejected",
        )
    )
    # She put a colleague forward; the introduction to him names her.
    nomination = Nomination(
        nominator_name="Anna Bijl",
        nominator_email=person.email,
        nominee_name="Bert Bos",
        nominee_email="bert.bos@example.nl",
        reason="Bert weet alles van water",
        status=NominationStatus.ACCEPTED,
    )
    db.add(nomination)
    db.flush()
    db.add(
        Delivery(
            campaign_id=None,
            kind="introduction",
            email="bert.bos@example.nl",
            payload=introduction_payload(nomination),
            status=DeliveryStatus.SENT,
        )
    )
    # Someone put her forward before she signed up; an organiser declined it, naming her.
    declined = Nomination(
        nominator_name="Carla Claes",
        nominator_email="carla@example.nl",
        nominee_name="Anna Bijl",
        nominee_email=person.email,
        reason="Anna is vegetarisch en slim",
        status=NominationStatus.DECLINED,
        decline_reason="Anna Bijl is al lid",
    )
    db.add(declined)
    db.flush()
    record_audit(db, None, "nomination.decline", declined, reason=declined.decline_reason)
    record_audit(db, None, "campaign.note", None, about=person.email)


def test_the_download_holds_everything(app, db, client):
    person = _rich_contact(app, db)
    path = _path(person)
    response = client.post(f"{path}/gegevens", data={"csrf_token": _token_from(client, path)})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["contact"]["email"] == "anna.bijl@example.nl"
    assert data["contact"]["notes"] == "Kent de wethouder"
    assert data["consent"]["state"] == "given"
    assert {s["mailing"] for s in data["subscriptions"]} == {"news", "invitations"}
    [invitation] = data["invitations"]
    assert (invitation["answer"], invitation["remark"]) == ("yes", "Anna eet vegetarisch")
    [delivery] = data["deliveries"]
    assert (delivery["campaign_subject"], delivery["status"]) == ("Terugblik Zwolle", "sent")
    assert delivery["sent_at"].startswith("2026-05-01")
    card = data["network_card"]
    assert card["treasure"] == "De Sallandse Heuvelrug" and card["on_wall"] is True
    assert card["photo_url"].endswith("/foto") and "photo" not in card
    [request] = data["signup_requests"]
    assert request["mailings"] == ["news"]


def _text_columns():
    """Every column that can hold text: strings, and JSON (lists and objects of strings)."""
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON):
                yield table, column


def test_delete_leaves_no_personal_data_anywhere(app, db, client):
    person = _rich_contact(app, db)
    _in_json_columns(db, person)
    db.commit()
    person_id = person.id
    photo = db.get(NetworkCard, person_id).photo
    assert db.get(CardPhoto, photo) is not None
    path = _path(person)
    token = _token_from(client, f"{path}/verwijderen")
    response = client.post(f"{path}/verwijderen", data={"csrf_token": token}, headers=EN)
    assert response.status_code == 200
    # The contact's language (Dutch) comes before the browser's.
    assert "Je gegevens zijn gewist" in response.get_data(as_text=True)

    db.expire_all()
    assert db.get(Contact, person_id) is None
    for model in (Subscription, NetworkCard, Invitation):
        assert db.scalars(select(model)).all() == []
    assert db.scalars(select(CardPhoto)).all() == []
    # The delivery stays for the campaign's counts, without the person.
    delivery = db.scalars(select(Delivery).where(Delivery.campaign_id.is_not(None))).one()
    assert delivery.contact_id is None and delivery.status == DeliveryStatus.SENT
    # So does the bounce, counted for the campaign, with the erased mark for the address.
    bounce = db.scalars(select(Bounce)).one()
    assert (bounce.delivery_id, bounce.campaign_id) == (delivery.id, delivery.campaign_id)
    assert bounce.email == delivery.email and bounce.email.startswith("erased-")
    assert bounce.reason == f"452 4.2.2 <{delivery.email}>: Mailbox full"
    # Search every text and JSON column of every table for the address and the name.
    connection = db.connection()
    searched = set()
    for table, column in _text_columns():
        searched.add(f"{table.name}.{column.name}")
        for value in connection.execute(select(column)).scalars():
            text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
            for needle in ("anna.bijl@example.nl", "Anna Bijl", "vegetarisch"):
                assert needle.lower() not in (text or "").lower(), (table.name, column.name)
    assert {"campaigns.audience", "deliveries.payload", "audit_log.detail"} <= searched
    assert {"bounces.email", "bounces.reason"} <= searched
    # What is not hers stays: the colleague in the audience, the nomination of Bert.
    chosen = db.scalars(select(Campaign).where(Campaign.subject == "Voor twee")).one().audience
    assert "ander@example.nl" in chosen["emails"] and len(chosen["emails"]) == 2
    assert db.scalars(select(Nomination.nominee_name)).all().count("Bert Bos") == 1
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "contact.erase_self")).one()
    assert "anna" not in json.dumps(entry.detail).lower()
    # The link now says there is nothing any more.
    assert client.get(path).status_code == 404


def test_delete_asks_first(app, db, client):
    person = make_contact(db)
    page = client.get(f"{_path(person)}/verwijderen", headers=EN)
    assert page.status_code == 200
    assert "Ja, verwijder alles over mij" in page.get_data(as_text=True)
    db.expire_all()
    assert db.get(Contact, person.id) is not None


def test_campaign_emails_carry_the_preferences_link_and_the_card_url(app, db, smtp_server, clock):
    person = make_contact(db, email="kaart@example.nl")
    campaign = make_campaign(
        db,
        subject="Terugblik",
        preheader="Kort",
        blocks=[
            {"type": "text", "body": "Je kaart: [[card_url]] of [vul hem in]([[card_url]])"},
            {"type": "button", "label": "Vul je netwerkkaart in", "url": "[[card_url]]"},
        ],
    )
    start(db, campaign, clock)
    loop = smtp_loop(app, smtp_server, clock, batch_size=5)
    loop.run_once()
    loop.transport.close()
    [(_from, _rcpts, message)] = smtp_server.handler.messages
    base = app.config["BASE_URL"]
    preferences = base + _path(person)
    card = base + _path(person, CARD)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert f'href="{preferences}"' in html and preferences in text
    # The button and the Markdown link both lead to the contact's own card.
    assert html.count(f'href="{card}"') == 2 and f"Je kaart: {card}" in text
    assert f"vul hem in ({card})" in text
    assert "[[" not in html + text
    # The footer link opens the contact's own page.
    assert app.test_client().get(preferences.removeprefix(base)).status_code == 200


def test_a_web_version_and_preview_have_no_personal_links(app, db, organiser):
    from service.campaigns import store

    campaign = make_campaign(
        db,
        subject="Terugblik",
        preheader="Kort",
        blocks=[{"type": "button", "label": "Vul je netwerkkaart in", "url": "[[card_url]]"}],
    )
    preview = store.preview_campaign(
        db,
        campaign,
        language="nl",
        network=_network(app),
        base_url=app.config["BASE_URL"],
    )
    assert "/sample/network-card" in preview.html and "/sample/preferences" in preview.html
    assert "/voorkeuren/" not in preview.html and "/netwerkkaart/" not in preview.html


def _network(app):
    from service.rendering.network import network_from_config

    return network_from_config(settings_of(app))
