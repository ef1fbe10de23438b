"""The unsubscribe link of every campaign email: a page that asks, a POST that unsubscribes, and
RFC 8058 one-click from mail clients, against mail really sent by the send loop."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from service.audience.subscriptions import subscribed_mailings
from service.audience.unsubscribe import unsubscribe_token, unsubscribe_url
from service.models import AuditEntry, Campaign, Consent, Contact, Delivery, Mailing
from tests.builders import make_campaign, make_contact
from tests.conftest import Clock
from tests.mail_helpers import drain, message_to, start

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _send(app, db, smtp_server) -> Campaign:
    """Start a campaign for everyone and let the send loop deliver it to the SMTP server."""
    clock = Clock()
    campaign = make_campaign(db)
    start(db, campaign, clock)
    drain(app, smtp_server, clock, batch_size=3)
    return campaign


def _link(message) -> str:
    https, _mailto = [part.strip(" <>") for part in message["List-Unsubscribe"].split(",")]
    return https


def _path(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:5000")


def _consent(db, contact_id: int) -> tuple[Consent, str]:
    db.expire_all()
    contact = db.get(Contact, contact_id)
    return contact.consent, contact.consent_source


def _changed_token(path: str) -> str:
    """The path with one character of the token's signature changed."""
    last = path[-1]
    return path[:-1] + ("A" if last != "A" else "B")


@pytest.fixture
def sent(app, db, smtp_server):
    """Two contacts who each received a campaign; yields (campaign, leaving, staying)."""
    leaving = make_contact(db, name="Maaike Heijnen", email="maaike@example.nl")
    staying = make_contact(db, name="Joris Bakker", email="joris@example.nl")
    campaign = _send(app, db, smtp_server)
    assert len(smtp_server.handler.messages) == 2
    return campaign, leaving, staying


def test_one_click_from_the_list_unsubscribe_header_unsubscribes_and_later_mail_skips_them(
    app, db, smtp_server, sent
):
    campaign, leaving, staying = sent
    message = message_to(smtp_server, leaving.email)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = _link(message)

    # A mail client: no cookies, no CSRF token, the form body RFC 8058 prescribes.
    mail_client = app.test_client()
    response = mail_client.post(_path(link), data=ONE_CLICK)
    assert response.status_code == 200
    # A recap's link leaves the news only: the invitations (and so consent) stay.
    assert _consent(db, leaving.id) == (Consent.GIVEN, "")
    assert subscribed_mailings(db, leaving.id) == [Mailing.INVITATIONS]
    assert _consent(db, staying.id)[0] == Consent.GIVEN
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "contact.unsubscribe"))
    assert (entry.user_id, entry.object_id) == (None, leaving.id)
    assert entry.detail["source"] == f"one-click unsubscribe (RFC 8058), campaign {campaign.id}"

    # Posting again (the person clicks too) is fine and records nothing new.
    assert mail_client.post(_path(link), data=ONE_CLICK).status_code == 200
    assert db.query(AuditEntry).filter_by(action="contact.unsubscribe").count() == 1

    smtp_server.handler.messages.clear()
    next_campaign = _send(app, db, smtp_server)
    assert [rcpts for _f, rcpts, _m in smtp_server.handler.messages] == [[staying.email]]
    addressed = db.scalars(select(Delivery.email).where(Delivery.campaign_id == next_campaign.id))
    assert list(addressed) == [staying.email]


def test_one_click_also_comes_as_multipart(app, db, smtp_server, sent):
    _sent_campaign, leaving, _staying = sent
    link = _link(message_to(smtp_server, leaving.email))
    response = app.test_client().post(
        _path(link), data=ONE_CLICK, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    assert subscribed_mailings(db, leaving.id) == [Mailing.INVITATIONS]


def test_opening_the_link_asks_and_changes_nothing(app, db, smtp_server, sent):
    _sent_campaign, leaving, _staying = sent
    link = _link(message_to(smtp_server, leaving.email))
    client = app.test_client()
    for _ in range(3):  # a mail scanner, a preview, the person
        response = client.get(_path(link), headers={"Accept-Language": "en"})
        assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "m•••@example.nl" in html and "maaike@example.nl" not in html
    assert app.config["NETWORK_NAME"] in html
    assert re.search(r'<form method="post" action="/afmelden/[^"]+">', html)
    assert "Unsubscribe</button>" in html or "Afmelden</button>" in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert _consent(db, leaving.id) == (Consent.GIVEN, "")
    assert db.query(AuditEntry).filter_by(action="contact.unsubscribe").count() == 0


def test_the_footer_link_is_the_same_as_the_header_link(smtp_server, sent):
    _sent_campaign, leaving, _staying = sent
    message = message_to(smtp_server, leaving.email)
    link = _link(message)
    html = message.get_body(("html",)).get_content()
    footer_links = re.findall(r'href="([^"]*/afmelden/[^"]*)"', html)
    assert footer_links and set(footer_links) == {link}


def test_the_form_on_the_page_unsubscribes(app, db, smtp_server, sent):
    campaign, leaving, _staying = sent
    path = _path(_link(message_to(smtp_server, leaving.email)))
    browser = app.test_client()
    page = browser.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)">', page).group(1)
    response = browser.post(action, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    # The contact's language (Dutch) comes before the browser's.
    assert "Je bent afgemeld" in response.get_data(as_text=True)
    # The recap's mailing goes; the contact still gets invitations, so consent stays.
    assert subscribed_mailings(db, leaving.id) == [Mailing.INVITATIONS]
    assert _consent(db, leaving.id) == (Consent.GIVEN, "")
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "contact.unsubscribe"))
    assert entry.detail["source"] == f"unsubscribe link, campaign {campaign.id}"
    # Opening the link again says so instead of asking once more.
    again = browser.get(path, headers={"Accept-Language": "en"})
    assert "Je bent afgemeld" in again.get_data(as_text=True)


def test_the_page_speaks_the_contacts_language(app, db):
    english = make_contact(db, language="en")
    dutch = make_contact(db, language="nl")
    client = app.test_client()
    for contact, word in ((english, "Unsubscribe"), (dutch, "Afmelden")):
        token = unsubscribe_token(contact.id, None, app.config["SECRET_KEY"])
        html = client.get(f"/afmelden/{token}").get_data(as_text=True)
        assert f'<html lang="{contact.language}">' in html
        assert f"{word}</button>" in html


def test_an_altered_token_is_refused_and_changes_nothing(app, db, smtp_server, sent):
    _sent_campaign, leaving, _staying = sent
    altered = _changed_token(_path(_link(message_to(smtp_server, leaving.email))))
    client = app.test_client()
    assert client.get(altered).status_code == 400
    response = client.post(altered, data=ONE_CLICK, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)
    assert client.post("/afmelden/not-a-token", data=ONE_CLICK).status_code == 400
    assert _consent(db, leaving.id) == (Consent.GIVEN, "")


def test_a_token_for_one_contact_cannot_unsubscribe_another(app, db, smtp_server, sent):
    _sent_campaign, leaving, staying = sent
    link = _link(message_to(smtp_server, leaving.email))
    assert app.test_client().post(_path(link), data=ONE_CLICK).status_code == 200
    assert _consent(db, staying.id)[0] == Consent.GIVEN
    # Another salt or key signs nothing we accept, even for the right ids.
    foreign = unsubscribe_token(staying.id, None, "someone-elses-key")
    assert app.test_client().post(f"/afmelden/{foreign}", data=ONE_CLICK).status_code == 400
    assert _consent(db, staying.id)[0] == Consent.GIVEN


def test_a_link_for_a_deleted_contact_says_so(app, db):
    contact = make_contact(db)
    token = unsubscribe_token(contact.id, None, app.config["SECRET_KEY"])
    db.delete(contact)
    db.commit()
    client = app.test_client()
    response = client.get(f"/afmelden/{token}", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "no longer on our list" in response.get_data(as_text=True)
    assert client.post(f"/afmelden/{token}", data=ONE_CLICK).status_code == 404
    assert db.query(AuditEntry).filter_by(action="contact.unsubscribe").count() == 0


def test_a_link_without_a_campaign_names_no_campaign(app, db):
    contact = make_contact(db)
    url = unsubscribe_url(unsubscribe_token(contact.id, None, app.config["SECRET_KEY"]), "/")
    assert app.test_client().post(url, data=ONE_CLICK).status_code == 200
    assert _consent(db, contact.id) == (Consent.WITHDRAWN, "one-click unsubscribe (RFC 8058)")
