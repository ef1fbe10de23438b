"""The public signup with double opt-in, end to end: the form, the confirmation email really
sent by the send loop to an SMTP server on loopback, the link, the confirmed contact."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.audience import signup
from service.audience.subscriptions import subscribed_mailings
from service.audience.views import SIGNUP_LIMIT
from service.models import (
    AuditEntry,
    Consent,
    Contact,
    Delivery,
    Mailing,
    SignupRequest,
)
from tests.builders import count_rows, make_contact
from tests.conftest import csrf_token_from
from tests.mail_helpers import drain, message_to

EN = {"Accept-Language": "en"}


def _form(**fields) -> dict:
    return {
        "name": "Sanne de Boer",
        "email": "Sanne.deBoer@Example.NL",
        "organisation": "Gemeente Deventer",
        "role": "Programmamanager",
        "province": "overijssel",
        "language": "nl",
        "mailings": ["news", "invitations"],
        "website": "",
    } | fields


def _post(client, **fields):
    token = csrf_token_from(client.get("/aanmelden").get_data(as_text=True))
    return client.post("/aanmelden", data=_form(**fields) | {"csrf_token": token}, headers=EN)


def _send_all(app, smtp_server) -> None:
    drain(app, smtp_server, batch_size=10)


def _confirm_link(smtp_server, email: str) -> str:
    message = message_to(smtp_server, email)
    text = message.get_body(("plain",)).get_content()
    url = re.search(r"https?://\S+/aanmelden/bevestigen/\S+", text).group(0)
    html = message.get_body(("html",)).get_content()
    assert f'href="{url}"' in html
    return url.removeprefix("http://127.0.0.1:5000")


def test_double_opt_in_end_to_end(app, db, smtp_server, client):
    response = _post(client, mailings=["invitations"])
    assert response.status_code == 302
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Check your mailbox" in page
    # Nothing is a contact before the confirmation.
    assert count_rows(db, Contact) == 0
    stored = db.scalars(select(SignupRequest)).one()
    assert stored.email == "sanne.deboer@example.nl" and len(stored.token_hash) == 64

    _send_all(app, smtp_server)
    link = _confirm_link(smtp_server, "sanne.deboer@example.nl")
    assert link.split("/")[-1] not in stored.token_hash  # only the hash is stored

    browser = app.test_client()
    for _ in range(2):  # a mail scanner, then the person: opening changes nothing
        opened = browser.get(link, headers=EN)
        assert opened.status_code == 200
    html = opened.get_data(as_text=True)
    assert html.count(f'<form method="post" action="{link}">') == 1, html
    assert "Confirm my signup</button>" in html and "Invitations to meetings" in html
    assert count_rows(db, Contact) == 0

    done = browser.post(link, data={"csrf_token": csrf_token_from(html)}, headers=EN)
    assert done.status_code == 200
    contact = db.scalars(select(Contact)).one()
    assert (contact.email, contact.name, contact.province) == (
        "sanne.deboer@example.nl",
        "Sanne de Boer",
        "overijssel",
    )
    assert contact.consent == Consent.GIVEN and contact.consent_at is not None
    assert contact.consent_source == "aanmeldformulier (dubbele bevestiging)"
    assert subscribed_mailings(db, contact.id) == [Mailing.INVITATIONS]
    assert db.scalars(select(SignupRequest)).one().confirmed_at is not None
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.object_id == contact.id)) == (
        "contact.signup"
    )
    # The link is used: a second confirmation is refused and changes nothing.
    again = browser.post(link, data={"csrf_token": csrf_token_from(html)}, headers=EN)
    assert again.status_code == 404 and "does not work" in again.get_data(as_text=True)


def test_confirming_needs_the_csrf_token(app, db, client):
    request = signup.request_signup(
        db, signup.SignupData(email="a@example.nl", name="A"), secret_key="test-secret-key"
    )
    db.commit()
    token = _token_of(db, request)
    response = client.post(f"/aanmelden/bevestigen/{token}")
    assert response.status_code == 400
    assert count_rows(db, Contact) == 0


def _token_of(db, request: SignupRequest) -> str:
    delivery = db.scalars(select(Delivery).where(Delivery.email == request.email)).one()
    return signup.signup_token(delivery.payload["nonce"], "test-secret-key")


def test_a_second_signup_within_ten_minutes_sends_nothing_and_looks_the_same(app, db, smtp_server):
    first, second = app.test_client(), app.test_client()
    answers = [_post(client) for client in (first, second)]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    pages = [
        c.get(a.headers["Location"]).get_data(as_text=True)
        for c, a in zip((first, second), answers, strict=True)
    ]
    # The same page, apart from each browser's own CSRF token.
    assert _without_csrf(pages[0]) == _without_csrf(pages[1])
    assert count_rows(db, Delivery) == 1 and count_rows(db, SignupRequest) == 1
    _send_all(app, smtp_server)
    assert len(smtp_server.handler.messages) == 1


def _without_csrf(html: str) -> str:
    return re.sub(r'(name="csrf_token"[^>]*?)\s*value="[^"]*"', r"\1", html)


def test_a_known_address_gets_the_same_answer_and_keeps_its_data(app, db, smtp_server):
    known = make_contact(
        db,
        email="bekend@example.nl",
        name="Bekende Naam",
        organisation="",
        subscriptions=[Mailing.NEWS],
    )
    client = app.test_client()
    unknown_page = _post(client, email="nieuw@example.nl")
    known_page = _post(
        app.test_client(), email="bekend@example.nl", organisation="Provincie Gelderland"
    )
    assert unknown_page.headers["Location"] == known_page.headers["Location"]
    _send_all(app, smtp_server)
    link = _confirm_link(smtp_server, "bekend@example.nl")
    browser = app.test_client()
    html = browser.get(link).get_data(as_text=True)
    browser.post(link, data={"csrf_token": csrf_token_from(html)})
    db.expire_all()
    contact = db.get(Contact, known.id)
    # Only empty fields are filled in; the chosen mailings are added to what was held.
    assert contact.name == "Bekende Naam" and contact.organisation == "Provincie Gelderland"
    assert subscribed_mailings(db, known.id) == [Mailing.NEWS, Mailing.INVITATIONS]


def test_a_confirmed_address_is_told_kindly_instead_of_asked_to_confirm_again(app, db, smtp_server):
    known = make_contact(db, email="al.binnen@example.nl", name="Al Binnen", language="nl")
    unknown_page = _post(app.test_client(), email="nieuw@example.nl")
    answers = [_post(app.test_client(), email="Al.Binnen@example.nl") for _ in range(2)]
    # The page says the same as to anyone: whether an address is known stays private.
    assert {a.headers["Location"] for a in answers} == {unknown_page.headers["Location"]}
    # No second confirmation is queued, and no request waits for one; a repeat within ten
    # minutes queues nothing more.
    queued = db.scalars(select(Delivery).where(Delivery.email == "al.binnen@example.nl")).all()
    assert [d.kind for d in queued] == [signup.SIGNUP_KNOWN]
    assert db.scalar(select(SignupRequest).where(SignupRequest.email == known.email)) is None

    _send_all(app, smtp_server)
    message = message_to(smtp_server, "al.binnen@example.nl")
    assert message["Subject"].startswith("Je bent al aangemeld bij")
    assert "Bevestig" not in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "/aanmelden/bevestigen/" not in text
    assert re.search(r"https?://\S+/voorkeuren/\S+", text)
    assert len(smtp_server.handler.messages) == 2  # and the new address its confirmation


def test_a_withdrawn_contact_can_sign_up_again_themselves(app, db, smtp_server):
    person = make_contact(db, email="terug@example.nl", consent=Consent.WITHDRAWN)
    _post(app.test_client(), email="terug@example.nl", mailings=["news"])
    _send_all(app, smtp_server)
    link = _confirm_link(smtp_server, "terug@example.nl")
    browser = app.test_client()
    html = browser.get(link).get_data(as_text=True)
    browser.post(link, data={"csrf_token": csrf_token_from(html)})
    db.expire_all()
    assert db.get(Contact, person.id).consent == Consent.GIVEN
    assert subscribed_mailings(db, person.id) == [Mailing.NEWS]


def test_requests_older_than_seven_days_are_refused_and_cleaned(app, db):
    old = datetime.now(UTC) - timedelta(days=8)
    request = signup.request_signup(
        db,
        signup.SignupData(email="oud@example.nl", name="Oud"),
        secret_key="test-secret-key",
        now=old,
    )
    db.commit()
    token = _token_of(db, request)
    client = app.test_client()
    page = client.get(f"/aanmelden/bevestigen/{token}")
    assert page.status_code == 404
    # Another signup cleans the old request away.
    _post(client, email="ander@example.nl")
    db.expire_all()
    assert [r.email for r in db.scalars(select(SignupRequest))] == ["ander@example.nl"]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"mailings": []}, "Choose at least one."),
        ({"email": "geen-adres"}, "Enter a valid email address."),
        ({"name": ""}, "Enter your name."),
    ],
)
def test_the_form_says_what_is_missing(client, db, fields, message):
    response = _post(client, **fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert (message in html and 'aria-invalid="true"' in html) or message in html
    assert count_rows(db, SignupRequest) == 0


def test_the_form_needs_its_csrf_token_and_ignores_bots(client, db):
    client.get("/aanmelden")
    assert client.post("/aanmelden", data=_form()).status_code == 400
    # A filled honeypot gets the same answer, and nothing is stored or sent.
    response = _post(client, website="https://spam.example")
    assert response.status_code == 302
    assert count_rows(db, SignupRequest) == 0 and count_rows(db, Delivery) == 0


def test_signups_are_rate_limited_per_address(client, db):
    limit = int(SIGNUP_LIMIT.split()[0])
    for n in range(limit):
        assert _post(client, email=f"persoon{n}@example.nl").status_code == 302
    assert _post(client, email="een-te-veel@example.nl").status_code == 429
    assert client.get("/aanmelden").status_code == 200


def test_an_unknown_or_altered_token_changes_nothing(app, db, client):
    request = signup.request_signup(
        db, signup.SignupData(email="b@example.nl", name="B"), secret_key="test-secret-key"
    )
    db.commit()
    token = _token_of(db, request)
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/aanmelden/bevestigen/{altered}").status_code == 404
    assert client.get("/aanmelden/bevestigen/x").status_code == 404
    html = client.get(f"/aanmelden/bevestigen/{token}").get_data(as_text=True)
    response = client.post(
        f"/aanmelden/bevestigen/{altered}", data={"csrf_token": csrf_token_from(html)}
    )
    assert response.status_code == 404
    assert count_rows(db, Contact) == 0


@pytest.mark.parametrize(
    ("typed", "greeted"),
    [
        ("Sanne\r\nde Boer", "Sanne de Boer"),  # a line break, as a phone's autofill leaves
        ("Sanne\tde\u2028Boer ", "Sanne de Boer"),
        ('Boer, Sanne "S." <x@example.org>', 'Boer, Sanne "S." <x@example.org>'),
        ("[[first_name]] 100% 🌷", "[[first_name]] 100% 🌷"),
        ("S" * 200, "S" * 200),
    ],
)
def test_every_name_the_form_takes_gets_its_confirmation(
    app, db, smtp_server, client, typed, greeted
):
    response = _post(client, name=typed)
    assert response.status_code == 302
    assert db.scalars(select(SignupRequest.name)).one() == greeted

    _send_all(app, smtp_server)
    [message] = [m for _f, rcpts, m in smtp_server.handler.messages]
    assert message["To"].addresses[0].display_name == greeted
    assert message["To"].addresses[0].addr_spec == "sanne.deboer@example.nl"
    assert _confirm_link(smtp_server, "sanne.deboer@example.nl")


@pytest.mark.parametrize("character", ["\x00", "\x0b", "\x0c", "\x1c", "\x7f", "\x85"])
def test_a_control_character_is_refused_and_nothing_is_sent(client, db, character):
    response = _post(client, name=f"Sanne{character}de Boer")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"U+{ord(character):04X}" in html and "cannot be stored or sent" in html
    assert count_rows(db, SignupRequest) == 0 and count_rows(db, Delivery) == 0


def test_the_network_takes_its_article_in_sentences_on_pages_and_in_mail(app, db, smtp_server):
    client = app.test_client()
    dutch = client.get("/aanmelden", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "<h1>Aanmelden bij de Opgavebeweging</h1>" in dutch
    english = client.get("/aanmelden", headers=EN).get_data(as_text=True)
    assert "<h1>Sign up for the Opgavebeweging</h1>" in english
    _post(client)
    _send_all(app, smtp_server)
    message = message_to(smtp_server, "sanne.deboer@example.nl")
    assert message["Subject"] == "Bevestig je aanmelding bij de Opgavebeweging"
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert "aangemeld voor de Opgavebeweging." in text
    assert "De Opgavebeweging" not in text and "bij Opgavebeweging" not in text


def test_a_title_that_starts_with_the_name_is_lower_case_inside_a_sentence():
    from service.network_name import name_in_sentence, title_in_sentence

    assert name_in_sentence("Opgavebeweging", "de", "nl") == "de Opgavebeweging"
    assert name_in_sentence("Opgavebeweging", "de", "nl", start=True) == "De Opgavebeweging"
    assert name_in_sentence("Opgavebeweging", "de", "en") == "the Opgavebeweging"
    assert name_in_sentence("Netwerk Noord", "", "nl", start=True) == "Netwerk Noord"
    title = "De Opgavebeweging op bezoek bij Provincie Zuid-Holland"
    assert title_in_sentence(title, "Opgavebeweging", "de", "nl") == (
        "de Opgavebeweging op bezoek bij Provincie Zuid-Holland"
    )
    assert title_in_sentence("Denkdag", "Opgavebeweging", "de", "nl") == "Denkdag"
