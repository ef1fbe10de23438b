""" "Send a test to me" through the configured transport, and reading the outbox in the browser."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from service.campaigns import store
from service.campaigns.blocks import block_to_dict
from service.campaigns.seed_recap import seed_recap
from service.campaigns.testsend import send_test_email
from service.mail.transports import PermanentFailure, TemporaryFailure
from service.models import Campaign, User
from service.public.webversion import token_opens


def _campaign(db, **fields) -> Campaign:
    values = {
        "kind": "recap",
        "subject": "Terugblik: de Opgavebeweging op bezoek bij Provincie Zuid-Holland",
        "preheader": "Wat als alles een opgave is?",
        "sender_name": "Opgavebeweging",
        "blocks": [block_to_dict(block) for block in seed_recap().blocks],
    } | fields
    campaign = store.create_campaign(db, **values)
    db.commit()
    return campaign


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
    campaign = _campaign(db, blocks=[{"type": "text", "body": "Beste [[first_name]],"}])
    organiser = _organiser(db)
    send_test_email(db, campaign, organiser, app.config)
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
    token = html.split(web, 1)[1].split('"', 1)[0]
    assert token_opens(token, campaign.id, app.config["SECRET_KEY"])


def test_test_email_is_in_the_organisers_language(app, db):
    campaign = _campaign(db)
    send_test_email(db, campaign, _organiser(db, "en"), app.config)
    (file,) = _outbox_files(app)
    message = message_from_bytes(file.read_bytes(), policy=policy.default)
    assert 'lang="en"' in message.get_body(("html",)).get_content()


def test_test_email_through_smtp_reaches_the_server(app, db, smtp_server):
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    campaign = _campaign(db)
    send_test_email(db, campaign, _organiser(db), app.config)
    (received,) = smtp_server.handler.messages
    assert received[1] == ["maaike-nl@example.nl"]
    assert received[2]["Subject"].startswith("[TEST] Terugblik")
    assert "Hogeschool van Amsterdam" not in received[2].get_body(("plain",)).get_content()
    assert _outbox_files(app) == []


@pytest.mark.parametrize(
    ("answer", "error"),
    [("451 4.3.0 Later", TemporaryFailure), ("554 5.7.1 Refused", PermanentFailure)],
)
def test_refused_test_email_raises_a_typed_failure(app, db, smtp_server, answer, error):
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    smtp_server.handler.answer = answer
    campaign = _campaign(db)
    with pytest.raises(error):
        send_test_email(db, campaign, _organiser(db), app.config)
    assert db.scalar(select(Campaign.status).where(Campaign.id == campaign.id)) == "draft"
