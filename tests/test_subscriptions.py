"""Mailings and subscriptions: who gets which campaign, unsubscribing per mailing, and the rule
that only the person can undo their own withdrawal, against mail really sent by the send loop."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from service.audience.subscriptions import subscribe, subscribed_mailings
from service.contacts import csvio
from service.delivery.queue import count_recipients, start_sending
from service.models import (
    AuditEntry,
    Campaign,
    CampaignKind,
    Consent,
    Contact,
    Delivery,
    DeliveryStatus,
    Mailing,
    User,
)
from tests.api_helpers import api_client
from tests.builders import amsterdam, make_campaign, make_contact, make_invitation, make_meeting
from tests.conftest import csrf_token_from
from tests.mail_helpers import addresses_received, drain, message_to, start

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
CLOCK = datetime(2026, 5, 12, 9, 0, tzinfo=UTC)


def _send(app, db, smtp_server, campaign: Campaign) -> list[str]:
    """Start the campaign, let the send loop deliver it; the addresses that got it."""
    start(db, campaign, lambda: CLOCK)
    drain(app, smtp_server, lambda: CLOCK, batch_size=5)
    return sorted(addresses_received(smtp_server.handler))


def _unsubscribe_link(smtp_server, email: str) -> str:
    message = message_to(smtp_server, email)
    https = message["List-Unsubscribe"].split(",")[0].strip(" <>")
    return https.removeprefix(re.match(r"https?://[^/]+", https).group(0))


def _fresh(db, contact_id: int) -> Contact:
    db.expire_all()
    return db.get(Contact, contact_id)


def test_an_invitation_skips_a_contact_subscribed_only_to_news(app, db, smtp_server):
    # After CLOCK: a meeting that can still be answered.
    starts = amsterdam(date(2026, 6, 2), time(10, 0))
    meeting = make_meeting(db, starts_at=starts, ends_at=starts + timedelta(hours=3))
    both = make_contact(db, email="beide@example.nl")
    news_only = make_contact(db, email="nieuws@example.nl", subscriptions=[Mailing.NEWS])
    invitations_only = make_contact(
        db, email="uitnodiging@example.nl", subscriptions=[Mailing.INVITATIONS]
    )
    invitation = make_invitation(db, meeting)
    assert count_recipients(db, {}, Mailing.INVITATIONS) == 2

    assert _send(app, db, smtp_server, invitation) == sorted([both.email, invitations_only.email])
    smtp_server.handler.messages.clear()
    recap = make_campaign(db, kind="recap")
    assert _send(app, db, smtp_server, recap) == sorted([both.email, news_only.email])


def test_consent_without_any_subscription_receives_no_campaign(db):
    # Only campaigns look at subscriptions: the audience rule needs a mailing, a notice has none.
    contact = make_contact(db, subscriptions=[])
    assert subscribed_mailings(db, contact.id) == []
    assert count_recipients(db, {"all": True}, Mailing.NEWS) == 0


def test_one_click_from_a_recap_removes_the_news_only(app, db, smtp_server):
    person = make_contact(db, email="lid@example.nl")
    _send(app, db, smtp_server, make_campaign(db, kind="recap"))
    link = _unsubscribe_link(smtp_server, person.email)

    response = app.test_client().post(link, data=ONE_CLICK)
    assert response.status_code == 200
    contact = _fresh(db, person.id)
    assert subscribed_mailings(db, person.id) == [Mailing.INVITATIONS]
    assert contact.consent == Consent.GIVEN
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "contact.unsubscribe")).one()
    assert entry.detail["mailing"] == "news"


def test_everything_withdraws_consent(app, db, smtp_server):
    person = make_contact(db, email="weg@example.nl")
    _send(app, db, smtp_server, make_campaign(db, kind="recap"))
    link = _unsubscribe_link(smtp_server, person.email)
    client = app.test_client()
    page = client.get(link, headers={"Accept-Language": "en"}).get_data(as_text=True)
    # The contact's language (Dutch) comes before the browser's.
    assert 'name="scope" value="all"' in page and "Terugblikken en nieuws" in page

    client.post(link, data={"scope": "all"})
    contact = _fresh(db, person.id)
    assert subscribed_mailings(db, person.id) == []
    assert contact.consent == Consent.WITHDRAWN
    assert contact.consent_source.startswith("unsubscribe link, campaign")


def test_leaving_the_last_mailing_withdraws_consent(app, db, smtp_server):
    person = make_contact(db, email="laatste@example.nl", subscriptions=[Mailing.NEWS])
    _send(app, db, smtp_server, make_campaign(db, kind="recap"))
    app.test_client().post(_unsubscribe_link(smtp_server, person.email), data=ONE_CLICK)
    assert _fresh(db, person.id).consent == Consent.WITHDRAWN


def test_leaving_a_mailing_during_its_send_skips_what_is_still_queued(app, db, smtp_server):
    person = make_contact(db, email="midden@example.nl")
    other = make_contact(db, email="blijft@example.nl")
    first = make_campaign(db, kind="recap")
    _send(app, db, smtp_server, first)
    link = _unsubscribe_link(smtp_server, person.email)
    second = make_campaign(db, kind="announcement")
    start_sending(db, second, actor=None, now=CLOCK)  # queued, not yet sent
    db.commit()
    app.test_client().post(link, data=ONE_CLICK)
    db.expire_all()
    rows = {
        d.email: d.status
        for d in db.scalars(select(Delivery).where(Delivery.campaign_id == second.id))
    }
    assert rows == {person.email: DeliveryStatus.SKIPPED, other.email: DeliveryStatus.QUEUED}


@pytest.fixture
def english(organiser, db, admin_user):
    db.get(User, admin_user).language = "en"
    db.commit()
    return organiser


def _edit_form(contact: Contact, **fields) -> dict[str, str]:
    return {
        "email": contact.email,
        "name": contact.name,
        "organisation": contact.organisation,
        "role": contact.role,
        "province": contact.province or "",
        "language": contact.language,
        "consent": contact.consent.value,
        "tags": "",
        "notes": "",
    } | fields


def test_an_organiser_cannot_set_consent_back_to_given(english, app, db):
    person = make_contact(db, consent=Consent.WITHDRAWN, consent_source="unsubscribe link")
    path = f"/contacts/{person.id}/edit"
    token = csrf_token_from(english.get(path).get_data(as_text=True))
    response = english.post(path, data=_edit_form(person, consent="given", csrf_token=token))
    assert response.status_code == 422
    assert "withdrew their consent" in response.get_data(as_text=True)
    contact = _fresh(db, person.id)
    assert contact.consent == Consent.WITHDRAWN
    assert subscribed_mailings(db, person.id) == []

    # Other changes of the contact still save.
    response = english.post(path, data=_edit_form(person, name="Nieuwe Naam", csrf_token=token))
    assert response.status_code == 302
    assert _fresh(db, person.id).name == "Nieuwe Naam"


def test_neither_the_api_nor_an_import_sets_withdrawn_consent_back(app, db):
    person = make_contact(db, email="nee@example.nl", consent=Consent.WITHDRAWN)
    api = api_client(app)
    response = api.patch(f"/api/v1/contacts/{person.id}", json={"consent": "given"})
    assert response.status_code == 422
    report = csvio.import_contacts(db, b"e-mail;toestemming\nnee@example.nl;ja\n", "x.csv")
    db.commit()
    assert report.rejected
    assert _fresh(db, person.id).consent == Consent.WITHDRAWN
    assert subscribed_mailings(db, person.id) == []


def test_contacts_created_with_consent_get_both_mailings(app, db):
    api = api_client(app)
    given = api.post("/api/v1/contacts", json={"email": "ja@example.nl", "consent": "given"})
    unknown = api.post("/api/v1/contacts", json={"email": "weet@example.nl"})
    assert subscribed_mailings(db, given.get_json()["id"]) == [Mailing.NEWS, Mailing.INVITATIONS]
    assert subscribed_mailings(db, unknown.get_json()["id"]) == []
    csvio.import_contacts(db, b"e-mail;toestemming\nimport@example.nl;ja\n", "y.csv")
    db.commit()
    imported = db.scalars(select(Contact).where(Contact.email == "import@example.nl")).one()
    assert subscribed_mailings(db, imported.id) == [Mailing.NEWS, Mailing.INVITATIONS]


def test_every_kind_of_campaign_has_a_mailing():
    from service.audience.subscriptions import mailing_of

    assert {kind: mailing_of(kind) for kind in CampaignKind} == {
        CampaignKind.RECAP: Mailing.NEWS,
        CampaignKind.ANNOUNCEMENT: Mailing.NEWS,
        CampaignKind.INVITATION: Mailing.INVITATIONS,
        CampaignKind.REMINDER: Mailing.INVITATIONS,
    }


def test_organisers_see_who_left_when_and_how(english, db):
    make_contact(db, name="Blijft Hier")
    left = make_contact(
        db,
        name="Ging Weg",
        consent=Consent.WITHDRAWN,
        consent_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
        consent_source="one-click unsubscribe (RFC 8058), campaign 4",
    )
    assert 'href="/contacts/withdrawn"' in english.get("/contacts/").get_data(as_text=True)
    html = english.get("/contacts/withdrawn").get_data(as_text=True)
    assert "Ging Weg" in html and "Blijft Hier" not in html
    assert "one-click unsubscribe (RFC 8058), campaign 4" in html and "2026" in html
    page = english.get(f"/contacts/{left.id}/edit").get_data(as_text=True)
    assert "organisers cannot subscribe them again" in page


def test_organisers_see_who_left_one_mailing_and_which(english, app, db, smtp_server):
    news_left = make_contact(db, name="Alleen Uitnodigingen", email="uitnodigingen@example.nl")
    back_again = make_contact(db, name="Toch Weer Nieuws", email="terug@example.nl")
    make_contact(db, name="Nooit Nieuws Gehad", subscriptions=[Mailing.INVITATIONS])
    gone = make_contact(db, name="Helemaal Weg", email="weg@example.nl")
    _send(app, db, smtp_server, make_campaign(db, kind="recap"))
    browser = app.test_client()
    for person in (news_left, back_again):
        browser.post(_unsubscribe_link(smtp_server, person.email), data=ONE_CLICK)
    # Taken again on the preferences page: no longer listed.
    subscribe(db, _fresh(db, back_again.id), [Mailing.NEWS], source="voorkeurenpagina")
    db.commit()
    browser.post(_unsubscribe_link(smtp_server, gone.email), data={"scope": "all"})
    assert _fresh(db, gone.id).consent == Consent.WITHDRAWN

    html = english.get("/contacts/withdrawn").get_data(as_text=True)
    everything, partly = html.split('id="partly-heading"')
    assert "Helemaal Weg" in everything and "Alleen Uitnodigingen" not in everything
    rows = re.findall(r"<tr>.*?</tr>", partly, re.S)[1:]
    assert len(rows) == 1, partly
    assert "Alleen Uitnodigingen" in rows[0] and "Recaps and news" in rows[0]
    assert "Invitations to meetings" not in rows[0]
    assert "Toch Weer Nieuws" not in partly and "Nooit Nieuws Gehad" not in partly


def test_how_someone_left_is_shown_in_the_organisers_language(organiser, db):
    make_contact(
        db,
        name="Ging Weg",
        consent=Consent.WITHDRAWN,
        consent_source="one-click unsubscribe (RFC 8058), campaign 4",
    )
    html = organiser.get("/contacts/withdrawn", headers={"Accept-Language": "nl"}).get_data(
        as_text=True
    )
    assert "afmelden met één klik (RFC 8058), campagne 4" in html


def test_the_contact_page_shows_the_subscriptions(english, db):
    person = make_contact(db, subscriptions=[Mailing.INVITATIONS])
    html = english.get(f"/contacts/{person.id}/edit").get_data(as_text=True)
    assert "Invitations to meetings, since" in html and "test builder" in html
    assert "Recaps and news" not in html


def test_the_unsubscribed_list_needs_a_login(client):
    response = client.get("/contacts/withdrawn")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_withdrawn_cannot_be_laundered_through_unknown(app, db):
    person = make_contact(db, email="omweg@example.nl", consent=Consent.WITHDRAWN)
    api = api_client(app)
    response = api.patch(f"/api/v1/contacts/{person.id}", json={"consent": "unknown"})
    assert response.status_code == 422
    assert _fresh(db, person.id).consent == Consent.WITHDRAWN


def test_the_demo_contacts_are_subscribed_to_both_mailings(db):
    from sqlalchemy import func

    from service.demo.seed import load_demo
    from service.models import Subscription

    result = load_demo(db)
    db.commit()
    assert db.scalar(select(func.count()).select_from(Subscription)) == 2 * result.contacts
    assert count_recipients(db, {}, Mailing.NEWS) == result.contacts
