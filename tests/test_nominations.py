"""Putting someone forward: the public form, its guards, and the organisers' queue.

The introduction email goes through the real send loop to the SMTP server on loopback.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from service.models import (
    AuditEntry,
    Contact,
    Delivery,
    DeliveryStatus,
    Nomination,
    NominationStatus,
    Subscription,
)
from service.nominations.views import PUBLIC_FORM_LIMIT
from tests.builders import count_rows
from tests.conftest import csrf_token_from
from tests.mail_helpers import drain

ENGLISH = {"Accept-Language": "en"}


def _form(**overrides) -> dict[str, str]:
    return {
        "nominator_name": "Fatima Bakker",
        "nominator_email": "fatima@example.nl",
        "nominee_name": "Joost de Vries",
        "nominee_email": "joost@gemeente.example.nl",
        "nominee_organisation": "Gemeente Zwolle",
        "reason": "Joost verbindt wijkteams en provincie als geen ander.",
        "reason_shared": "y",
        "website": "",
    } | overrides


def _post(client, path="/aandragen", **overrides):
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data=_form(csrf_token=token, **overrides), headers=ENGLISH)


@pytest.mark.parametrize(
    ("accept", "heading"),
    [
        ("nl-NL, en;q=0.5", "Iemand aandragen"),  # a Dutch browser that also reads English
        ("en-GB, nl;q=0.5", "Put someone forward"),
        ("de-DE", "Iemand aandragen"),  # neither language asked for: Dutch first
    ],
)
def test_the_public_form_speaks_the_browsers_first_language(client, accept, heading):
    html = client.get("/aandragen", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in html


def test_the_form_is_public_and_a_nomination_is_stored(client, db):
    page = client.get("/aandragen", headers=ENGLISH)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Put someone forward" in html
    assert 'aria-hidden="true"' in html and 'tabindex="-1"' in html  # the honeypot

    response = _post(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/aandragen/bedankt")
    thanks = client.get(response.headers["Location"], headers=ENGLISH)
    assert "Thank you!" in thanks.get_data(as_text=True)

    nomination = db.scalars(select(Nomination)).one()
    assert nomination.nominee_email == "joost@gemeente.example.nl"
    assert nomination.nominator_name == "Fatima Bakker"
    assert nomination.reason_shared is True
    assert nomination.status == NominationStatus.NEW


def test_a_filled_honeypot_stores_nothing_but_looks_the_same(client, db):
    human = _post(client)
    bot = _post(client, website="http://spam.example", nominee_email="bot@example.com")
    assert bot.status_code == human.status_code == 302
    assert bot.headers["Location"] == human.headers["Location"]
    assert [n.nominee_email for n in db.scalars(select(Nomination))] == [
        "joost@gemeente.example.nl"
    ]


def test_each_field_says_what_is_wrong(client, db):
    response = _post(
        client,
        nominator_email="geen-adres",
        nominee_name="",
        reason="x" * 4001,
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter an email address like name@example.nl." in html
    assert "Enter the name of the person you put forward." in html
    assert "Use at most 4000 characters (now 4001)." in html
    assert 'aria-invalid="true"' in html
    assert count_rows(db, Nomination) == 0


def test_the_form_needs_its_csrf_token(client, db):
    client.get("/aandragen")
    response = client.post("/aandragen", data=_form())
    assert response.status_code == 400
    assert count_rows(db, Nomination) == 0


def test_posts_are_rate_limited_per_address(client, db):
    limit = int(PUBLIC_FORM_LIMIT.split()[0])
    for _ in range(limit):
        assert _post(client).status_code == 302
    assert _post(client).status_code == 429
    assert count_rows(db, Nomination) == limit
    # Reading the form is not limited.
    assert client.get("/aandragen").status_code == 200


def test_organiser_pages_need_a_login(client, db):
    _post(client)
    nomination_id = db.scalars(select(Nomination.id)).one()
    for path in ("/nominations/", "/nominations/hosts"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    token = csrf_token_from(client.get("/aandragen").get_data(as_text=True))
    response = client.post(f"/nominations/{nomination_id}/accept", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert count_rows(db, Delivery) == 0


def _queue_token(organiser) -> str:
    return csrf_token_from(organiser.get("/nominations/").get_data(as_text=True))


def _accept(organiser, db) -> Nomination:
    nomination = db.scalars(select(Nomination)).one()
    response = organiser.post(
        f"/nominations/{nomination.id}/accept", data={"csrf_token": _queue_token(organiser)}
    )
    assert response.status_code == 302
    db.rollback()
    return nomination


def _send_all(app, smtp_server) -> None:
    drain(app, smtp_server, batch_size=10)


def test_the_queue_shows_new_nominations_first(organiser, client, db):
    _post(client, nominee_name="Eerste Persoon", nominee_email="eerste@example.nl")
    _post(client, nominee_name="Tweede Persoon", nominee_email="tweede@example.nl")
    first = db.scalars(select(Nomination).filter_by(nominee_name="Eerste Persoon")).one()
    organiser.post(
        f"/nominations/{first.id}/decline",
        data={"csrf_token": _queue_token(organiser), "reason": "Past niet"},
    )
    html = organiser.get("/nominations/").get_data(as_text=True)
    headings = re.findall(r'<h2 id="nomination-\d+">([^<]+)', html)
    assert [h.strip() for h in headings] == ["Tweede Persoon", "Eerste Persoon"]
    assert "Past niet" in html
    assert "fatima@example.nl" in html


def test_accepting_sends_one_introduction_with_the_shared_reason(
    app, organiser, client, db, smtp_server
):
    _post(client)
    nomination = _accept(organiser, db)

    delivery = db.scalars(select(Delivery)).one()
    assert (delivery.campaign_id, delivery.contact_id, delivery.kind) == (
        None,
        None,
        "introduction",
    )
    assert delivery.email == "joost@gemeente.example.nl"
    assert nomination.status == NominationStatus.ACCEPTED
    assert nomination.decided_at is not None and nomination.decided_by_id is not None
    assert db.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "nominations")
    ).all() == ["nomination.accept"]

    _send_all(app, smtp_server)
    [(_sender, recipients, message)] = smtp_server.handler.messages
    assert recipients == ["joost@gemeente.example.nl"]
    # The name in a sentence takes its article; a sentence that starts with it, a capital.
    assert message["Subject"] == "Fatima Bakker heeft je aangedragen voor de Opgavebeweging"
    assert message["Reply-To"] == app.config["NETWORK_EMAIL"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    signup = app.config["BASE_URL"].rstrip("/") + "/aanmelden"
    assert signup in text and f'href="{signup}"' in html
    assert "Beste Joost," in text
    assert "De Opgavebeweging is een netwerk" in text
    assert "aangedragen voor de Opgavebeweging." in " ".join(text.split())
    assert "verbindt wijkteams en provincie" in text and "verbindt wijkteams" in html
    assert "fatima@example.nl" not in text + html  # the nominator's address stays with us
    assert "List-Unsubscribe" not in message  # not a list: one email only
    db.rollback()
    assert db.get(Delivery, delivery.id).status == DeliveryStatus.SENT
    # The nominee decides about joining: no contact, no subscription.
    assert count_rows(db, Contact) == 0
    assert count_rows(db, Subscription) == 0


def test_the_reason_stays_out_when_the_nominator_did_not_agree(
    app, organiser, client, db, smtp_server
):
    form = _form()
    token = csrf_token_from(client.get("/aandragen").get_data(as_text=True))
    del form["reason_shared"]  # an unticked checkbox is not sent at all
    assert client.post("/aandragen", data={**form, "csrf_token": token}).status_code == 302
    _accept(organiser, db)
    _send_all(app, smtp_server)
    [(_sender, _recipients, message)] = smtp_server.handler.messages
    body = message.get_body(("plain",)).get_content() + message.get_body(("html",)).get_content()
    assert "Fatima Bakker" in body
    assert "wijkteams" not in body
    assert count_rows(db, Contact) == 0


def test_accepting_twice_queues_one_introduction(organiser, client, db):
    _post(client)
    nomination = _accept(organiser, db)
    again = organiser.post(
        f"/nominations/{nomination.id}/accept", data={"csrf_token": _queue_token(organiser)}
    )
    assert again.status_code == 302
    assert count_rows(db, Delivery) == 1


def test_accepting_needs_the_csrf_token(organiser, client, db):
    _post(client)
    nomination = db.scalars(select(Nomination)).one()
    response = organiser.post(f"/nominations/{nomination.id}/accept")
    assert response.status_code == 400
    assert count_rows(db, Delivery) == 0


def test_declining_needs_a_reason_and_records_who_and_when(organiser, client, db):
    _post(client)
    nomination = db.scalars(select(Nomination)).one()
    path = f"/nominations/{nomination.id}/decline"

    refused = organiser.post(path, data={"csrf_token": _queue_token(organiser), "reason": "  "})
    assert refused.status_code == 400
    assert "Give a reason for declining." in refused.get_data(as_text=True) or (
        "Geef een reden" in refused.get_data(as_text=True)
    )
    db.rollback()
    assert db.get(Nomination, nomination.id).status == NominationStatus.NEW

    response = organiser.post(
        path,
        data={"csrf_token": _queue_token(organiser), "reason": "Werkt niet in de publieke sector"},
    )
    assert response.status_code == 302
    db.rollback()
    declined = db.get(Nomination, nomination.id)
    assert declined.status == NominationStatus.DECLINED
    assert declined.decline_reason == "Werkt niet in de publieke sector"
    assert declined.decided_at is not None and declined.decided_by_id is not None
    assert count_rows(db, Delivery) == 0
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "nomination.decline")).one()
    assert entry.detail == {"reason": "Werkt niet in de publieke sector"}


def test_a_suppressed_address_gets_no_introduction(app, organiser, client, db, smtp_server):
    from service.delivery.suppression import suppress

    suppress(db, "joost@gemeente.example.nl", "complaint", "marked as spam", "relay")
    db.commit()
    _post(client)
    _accept(organiser, db)
    _send_all(app, smtp_server)
    assert smtp_server.handler.messages == []
    db.rollback()
    delivery = db.scalars(select(Delivery)).one()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.SKIPPED, "suppressed")


def test_the_introduction_reads_well_as_plain_text(app, organiser, client, db, smtp_server):
    _post(client)
    _accept(organiser, db)
    _send_all(app, smtp_server)
    [(_sender, _recipients, message)] = smtp_server.handler.messages
    text = message.get_body(("plain",)).get_content()
    assert "Zin in een eerste gesprek? Beantwoord deze e-mail" in text
    assert "Je adres staat op geen enkele verzendlijst." in text
    assert "{{" not in text and "{%" not in text
