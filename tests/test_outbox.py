""" "Send a test to me" through the configured transport, and reading the outbox in the browser."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from service.campaigns import store
from service.campaigns.webversion import token_opens
from service.delivery.testsend import send_test_email
from service.mail.transports import PermanentFailure, TemporaryFailure
from service.models import Campaign, User
from service.settings import change_settings, settings_of
from tests.builders import make_demo_recap


def _organiser(db, language: str = "nl") -> User:
    user = User(
        email=f"maaike-{language}@example.nl",
        password_hash="x",
        name="Maaïke Heijnen",
        language=language,
    )
    db.add(user)
    db.commit()
    return user


def _outbox_files(app) -> list[Path]:
    folder = Path(app.config["MAIL_OUTBOX_PATH"])
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def test_test_email_goes_to_the_organiser_through_the_outbox(app, db):
    campaign = make_demo_recap(db, blocks=[{"type": "text", "body": "Beste [[first_name]],"}])
    organiser = _organiser(db)
    send_test_email(db, campaign, organiser, settings_of(app))
    (file,) = _outbox_files(app)
    message = message_from_bytes(file.read_bytes(), policy=policy.default)
    assert message["Subject"] == (
        "[TEST] Terugblik: de Opgavebeweging op bezoek bij Provincie Zuid-Holland"
    )
    assert message["To"] == "Maaïke Heijnen <maaike-nl@example.nl>"
    assert message["From"] == "Opgavebeweging <grenzeloossamenwerken@rijksoverheid.nl>"
    text = message.get_body(("plain",)).get_content()
    assert "Beste Maaïke," in text
    html = message.get_body(("html",)).get_content()
    assert 'lang="nl"' in html
    # The "view in your browser" link is the campaign's real, signed web version.
    web = f"http://127.0.0.1:5000/web/{campaign.id}?token="
    assert web in html
    token, language = html.split(web, 1)[1].split('"', 1)[0].split("&amp;lang=")
    assert token_opens(token, campaign.id, app.config["SECRET_KEY"])
    assert language == "nl"  # the page opens in the language of the email


def test_test_email_is_what_readers_of_the_organisers_language_get(app, db):
    organiser = _organiser(db, "en")
    # No English version: readers of English get the whole email in Dutch, and so does the test.
    send_test_email(db, make_demo_recap(db), organiser, settings_of(app))
    # With one, they get it in English.
    english = {"subject": "Looking back", "blocks": [{"type": "text", "body": "Dear all,"}]}
    send_test_email(
        db, make_demo_recap(db, translations={"en": english}), organiser, settings_of(app)
    )
    messages = [
        message_from_bytes(file.read_bytes(), policy=policy.default) for file in _outbox_files(app)
    ]
    html = sorted(m.get_body(("html",)).get_content() for m in messages)
    assert sorted('lang="en"' in page for page in html) == [False, True]
    subjects = sorted(str(m["Subject"]) for m in messages)
    assert subjects == [
        "[TEST] Looking back",
        "[TEST] Terugblik: de Opgavebeweging op bezoek bij Provincie Zuid-Holland",
    ]


def test_test_email_through_smtp_reaches_the_server(app, db, smtp_server):
    change_settings(app, MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    campaign = make_demo_recap(db)
    send_test_email(db, campaign, _organiser(db), settings_of(app))
    (received,) = smtp_server.handler.messages
    assert received[1] == ["maaike-nl@example.nl"]
    assert received[2]["Subject"].startswith("[TEST] Terugblik")
    assert "Hogeschool van Amsterdam" not in received[2].get_body(("plain",)).get_content()
    assert _outbox_files(app) == []


def test_test_email_reaches_an_organiser_with_an_internationalised_address(
    app, db, smtputf8_server
):
    change_settings(
        app, MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtputf8_server.port
    )
    organiser = _organiser(db)
    organiser.email = "jöran@bücher.example"
    db.commit()
    send_test_email(db, make_demo_recap(db), organiser, settings_of(app))
    (received,) = smtputf8_server.handler.messages
    assert received[1] == ["jöran@xn--bcher-kva.example"]
    assert received[2]["To"].addresses[0].addr_spec == "jöran@xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("answer", "error"),
    [("451 4.3.0 Later", TemporaryFailure), ("554 5.7.1 Refused", PermanentFailure)],
)
def test_refused_test_email_raises_a_typed_failure(app, db, smtp_server, answer, error):
    change_settings(app, MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    smtp_server.handler.answer = answer
    campaign = make_demo_recap(db)
    with pytest.raises(error):
        send_test_email(db, campaign, _organiser(db), settings_of(app))
    assert db.scalar(select(Campaign.status).where(Campaign.id == campaign.id)) == "draft"


def test_outbox_page_needs_a_login(client):
    response = client.get("/outbox/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_outbox_lists_caught_messages_newest_first_and_shows_one(app, db, organiser):
    campaign = make_demo_recap(db, subject="Eerste")
    organiser_user = db.scalar(select(User))
    send_test_email(db, campaign, organiser_user, settings_of(app))
    store.update_campaign(db, campaign, expected_version=None, subject="Tweede")
    db.commit()
    send_test_email(db, campaign, organiser_user, settings_of(app))

    page = organiser.get("/outbox/").get_data(as_text=True)
    assert page.index("[TEST] Tweede") < page.index("[TEST] Eerste")
    assert '<th scope="col">' in page
    assert "beheer@example.nl" in page

    newest = _outbox_files(app)[-1].name
    shown = organiser.get(f"/outbox/{newest}").get_data(as_text=True)
    assert "<h1>[TEST] Tweede</h1>" in shown
    assert "Message-ID" in shown
    assert f'src="/outbox/{newest}/html"' in shown
    assert 'sandbox=""' in shown
    # The text part is shown as text: the seed's heading, no HTML tags.
    assert "Provincie Zuid-Holland" in shown

    frame = organiser.get(f"/outbox/{newest}/html")
    assert frame.status_code == 200
    csp = frame.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp
    assert "script-src" not in csp
    assert "<html" in frame.get_data(as_text=True)


def test_outbox_speaks_the_organisers_language(app, db, organiser):
    db.scalar(select(User)).language = "nl"
    db.commit()
    campaign = make_demo_recap(db, subject="Proef")
    send_test_email(db, campaign, db.scalar(select(User)), settings_of(app))
    page = organiser.get("/outbox/").get_data(as_text=True)
    assert "MAIL_TRANSPORT" not in page and "Niemand heeft deze e-mails ontvangen." in page
    shown = organiser.get(f"/outbox/{_outbox_files(app)[-1].name}").get_data(as_text=True)
    for label in ("Van", "Aan", "Onderwerp", "Datum", "Berichtnummer"):
        assert f"<dt>{label} <span" in shown, label
    assert "Zo ziet de e-mail eruit" in shown and "HTML" not in shown.split("<main", 1)[1]


def test_outbox_opens_only_names_the_transport_made(app, organiser):
    folder = Path(app.config["MAIL_OUTBOX_PATH"])
    folder.mkdir(parents=True)
    (folder / "geheim.eml").write_text("Subject: nee\n\nnee")
    assert organiser.get("/outbox/geheim.eml").status_code == 404
    assert organiser.get("/outbox/..%2Fsecret_key").status_code == 404
    assert organiser.get("/outbox/20250101T000000000000Z-0000abcd.eml").status_code == 404
    # The stray file is not listed: the page has no table of messages.
    assert "<table" not in organiser.get("/outbox/").get_data(as_text=True)
