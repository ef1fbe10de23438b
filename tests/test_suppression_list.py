"""The suppression list for organisers (Contacten → Geblokkeerd): its page, search and pages,
lifting an address with a reason that is audited, the rule for complaints, who may lift, and
what a contact's page says about a blocked address."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from service.contacts import suppressions
from service.database import session_scope
from service.models import AuditEntry, Role, Suppression, User
from service.settings import change_settings
from tests.builders import make_campaign, make_contact
from tests.conftest import csrf_token_from, login

EDITOR_EMAIL = "redacteur@example.nl"
EDITOR_PASSWORD = "nog-een-lang-wachtwoord"


def block(db, email: str, kind: str = "hard_bounce", **fields) -> Suppression:
    """An address on the list, as the delivery side puts it there."""
    values = {"reason": "550 5.1.1 user unknown", "source": "smtp"} | fields
    entry = Suppression(email=email, kind=kind, **values)
    db.add(entry)
    db.commit()
    return entry


def blocked_on(html: str) -> list[str]:
    return re.findall(r'<th scope="row" class="suppressed-email">([^<]+)</th>', html)


@pytest.fixture
def english(organiser, db, admin_user):
    """The logged-in admin reads the pages in English (the msgids)."""
    db.get(User, admin_user).language = "en"
    db.commit()
    return organiser


@pytest.fixture
def editor(app, client, db):
    """A client logged in as an editor, reading English."""
    from service.auth.users import create_user

    with session_scope(app) as session:
        create_user(session, EDITOR_EMAIL, EDITOR_PASSWORD, Role.ORGANISER).language = "en"
    assert login(client, EDITOR_EMAIL, EDITOR_PASSWORD).status_code == 302
    return client


def lift(client, entry_id: int, **fields):
    path = f"/contacts/suppressions/{entry_id}/lift"
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token} | fields)


# --- the list ----------------------------------------------------------------------------------


def test_the_pages_need_a_login(client, db):
    entry = block(db, "weg@example.nl")
    for path in ("/contacts/suppressions/", f"/contacts/suppressions/{entry.id}/lift"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    refused = client.post(f"/contacts/suppressions/{entry.id}/lift", data={"reason": "x"})
    assert refused.status_code in (302, 400)
    assert db.scalar(select(Suppression.email)) == "weg@example.nl"


def test_the_list_says_why_how_from_which_campaign_and_when(english, db):
    campaign = make_campaign(db, subject="Terugblik Zwolle")
    block(
        db,
        "weigert@example.nl",
        reason="550 5.1.1 <weigert@example.nl>: Recipient address rejected",
        source="smtp",
        campaign_id=campaign.id,
        created_at=datetime(2025, 6, 3, 8, 15, tzinfo=UTC),
    )
    block(db, "stuit@example.nl", source="mailbox", reason="mailbox full for good")
    block(db, "klaagt@example.nl", kind="complaint", source="postmark", reason="SpamComplaint")
    block(db, "zacht@example.nl", kind="soft_bounce_limit", source="listener", reason="3 in 30")
    block(db, "hand@example.nl", kind="manual", source="beheer@example.nl", reason="Vertrokken")

    html = english.get("/contacts/suppressions/").get_data(as_text=True)
    assert html.count("<h1") == 1 and "Blocked addresses" in html
    assert "5 blocked addresses in total" in html
    assert '<label for="q">Email address</label>' in html and 'type="search"' in html
    for header in ("Email address", "Source", "Reason", "Campaign", "Blocked since"):
        assert f'<th scope="col">{header}</th>' in html
    rows = dict(zip(blocked_on(html), html.split('class="suppressed-email"')[1:], strict=True))
    assert "Relay answer" in rows["weigert@example.nl"]
    assert "reported by the mail server, when the message was handed over" in html
    assert "Recipient address rejected" in rows["weigert@example.nl"]
    report_link = f'<a href="/campaigns/{campaign.id}/report">Terugblik Zwolle</a>'
    assert report_link in rows["weigert@example.nl"]
    assert "Tuesday 3 June 2025, 10:15" in rows["weigert@example.nl"]  # 10:15 in Amsterdam
    assert "Bounce" in rows["stuit@example.nl"] and "the bounce mailbox" in rows["stuit@example.nl"]
    assert "Not known" in rows["stuit@example.nl"]
    assert "Complaint" in rows["klaagt@example.nl"] and "Postmark" in rows["klaagt@example.nl"]
    assert "Soft-bounce limit" in rows["zacht@example.nl"]
    assert "Organiser" in rows["hand@example.nl"] and "beheer@example.nl" in rows["hand@example.nl"]
    # An admin sees a lift link on every row.
    assert html.count("/lift") == 5


def test_the_list_is_reached_from_the_contacts_and_speaks_dutch(organiser, db):
    block(db, "weg@example.nl", created_at=datetime(2025, 6, 3, 8, tzinfo=UTC))
    contacts = organiser.get("/contacts/").get_data(as_text=True)
    assert '<a href="/contacts/suppressions/">Geblokkeerd</a>' in contacts
    html = organiser.get("/contacts/suppressions/").get_data(as_text=True)
    assert "Geblokkeerde adressen" in html and "dinsdag 3 juni 2025" in html
    assert "Antwoord van de mailserver" in html
    assert 'aria-current="page">Geblokkeerd</a>' in html


def test_search_by_part_of_the_address(english, db):
    for email in ("anna@zwolle.nl", "bert@zwolle.nl", "carla@ede.nl", "100%_echt@ede.nl"):
        block(db, email)
    html = english.get("/contacts/suppressions/?q=ZWOLLE").get_data(as_text=True)
    assert sorted(blocked_on(html)) == ["anna@zwolle.nl", "bert@zwolle.nl"]
    assert "2 blocked addresses found" in html and 'value="ZWOLLE"' in html
    # % and _ are letters here, not wildcards.
    html = english.get("/contacts/suppressions/?q=0%25_").get_data(as_text=True)
    assert blocked_on(html) == ["100%_echt@ede.nl"]
    html = english.get("/contacts/suppressions/?q=niemand").get_data(as_text=True)
    assert "0 blocked addresses found" in html and "No blocked address matches" in html
    refused = english.get("/contacts/suppressions/?q=a%00b")
    assert refused.status_code == 400 and "U+0000" in refused.get_data(as_text=True)


def test_pages_keep_the_search_newest_first(english, app, db):
    change_settings(app, CONTACTS_PER_PAGE=2)
    for n in range(5):
        block(db, f"p{n}@zwolle.nl", created_at=datetime(2025, 6, 1 + n, 8, tzinfo=UTC))
    block(db, "elders@ede.nl")
    html = english.get("/contacts/suppressions/?q=zwolle").get_data(as_text=True)
    assert "Page 1 of 3" in html and "5 blocked addresses found" in html
    assert blocked_on(html) == ["p4@zwolle.nl", "p3@zwolle.nl"]
    assert 'href="/contacts/suppressions/?page=2&amp;q=zwolle">Next page</a>' in html
    assert 'href="/contacts/suppressions/?page=3&amp;q=zwolle">Last page</a>' in html
    html = english.get("/contacts/suppressions/?q=zwolle&page=3").get_data(as_text=True)
    assert blocked_on(html) == ["p0@zwolle.nl"] and "Next page" not in html
    assert 'href="/contacts/suppressions/?page=2&amp;q=zwolle">Previous page</a>' in html
    # A page past the end shows the last one.
    html = english.get("/contacts/suppressions/?page=99999999999999999999").get_data(as_text=True)
    assert "Page 3 of 3" in html


def test_an_empty_list_says_so(english):
    html = english.get("/contacts/suppressions/").get_data(as_text=True)
    assert "0 blocked addresses in total" in html and "No address is blocked." in html


# --- lifting -----------------------------------------------------------------------------------


def test_an_admin_lifts_an_address_with_a_reason_which_is_audited(english, db, admin_user):
    campaign = make_campaign(db, subject="Terugblik Zwolle")
    entry = block(
        db,
        "weigert@example.nl",
        campaign_id=campaign.id,
        created_at=datetime(2025, 6, 3, 8, tzinfo=UTC),
    )
    entry_id = entry.id
    block(db, "blijft@example.nl")
    page = english.get(f"/contacts/suppressions/{entry_id}/lift").get_data(as_text=True)
    assert "Lift the block on weigert@example.nl?" in page
    assert '<label for="reason">Reason for lifting</label>' in page
    assert "person_asked" not in page  # only a complaint asks for the confirmation
    assert "Terugblik Zwolle" in page and "550 5.1.1 user unknown" in page

    response = lift(english, entry_id, reason="Typfout\r\nverbeterd door de beheerder")
    assert response.status_code == 302
    assert response.headers["Location"] == "/contacts/suppressions/"
    listed = english.get("/contacts/suppressions/").get_data(as_text=True)
    assert "weigert@example.nl is no longer blocked" in listed
    assert blocked_on(listed) == ["blijft@example.nl"]

    db.expire_all()
    assert db.scalars(select(Suppression.email)).all() == ["blijft@example.nl"]
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "suppression.lift")).one()
    assert audit.user_id == admin_user and audit.object_type == "suppressions"
    assert audit.object_id == entry_id
    assert audit.detail == {
        "email": "weigert@example.nl",
        "kind": "hard_bounce",
        "reason": "550 5.1.1 user unknown",
        "source": "smtp",
        "campaign_id": campaign.id,
        "created_at": "2025-06-03T08:00:00+00:00",
        "lift_reason": "Typfout verbeterd door de beheerder",
        "person_asked": None,
    }


def test_a_reason_is_required(english, db):
    entry = block(db, "weigert@example.nl")
    response = lift(english, entry.id, reason="   ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give a reason: why may mail go to this address again?" in html
    assert 'aria-invalid="true"' in html
    db.expire_all()
    assert db.scalar(select(Suppression.email)) == "weigert@example.nl"
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "suppression.lift")) is None


def test_a_complaint_is_lifted_only_when_the_admin_confirms_the_person_asked(english, db):
    entry = block(db, "klaagt@example.nl", kind="complaint", source="mailgun", reason="spam")
    page = english.get(f"/contacts/suppressions/{entry.id}/lift").get_data(as_text=True)
    assert "complained about our mail" in page
    assert '<label for="person_asked">The person asked for this themselves</label>' in page

    refused = lift(english, entry.id, reason="Zij belde ons")
    assert refused.status_code == 422
    assert (
        "klaagt@example.nl is blocked because its owner complained about our mail. Lift it only "
        "when that person asked for it, and confirm that they did."
    ) in refused.get_data(as_text=True)
    db.expire_all()
    assert db.scalar(select(Suppression.email)) == "klaagt@example.nl"

    lifted = lift(english, entry.id, reason="Zij belde ons", person_asked="y")
    assert lifted.status_code == 302
    db.expire_all()
    assert db.scalar(select(Suppression.id)) is None
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "suppression.lift")).one()
    assert audit.detail["kind"] == "complaint" and audit.detail["person_asked"] is True


def test_an_editor_sees_the_list_but_cannot_lift(editor, db):
    entry = block(db, "weigert@example.nl")
    html = editor.get("/contacts/suppressions/").get_data(as_text=True)
    assert blocked_on(html) == ["weigert@example.nl"]
    assert "/lift" not in html and "Only an admin can lift an address." in html
    path = f"/contacts/suppressions/{entry.id}/lift"
    refused = editor.get(path)
    assert refused.status_code == 403
    assert "Only an admin may lift a blocked address." in refused.get_data(as_text=True)
    token = csrf_token_from(html)  # the language switch's form holds one
    assert editor.post(path, data={"csrf_token": token, "reason": "Ik wil het"}).status_code == 403
    # Not even whether an entry exists is told.
    assert editor.get("/contacts/suppressions/999999/lift").status_code == 403
    db.expire_all()
    assert db.scalar(select(Suppression.email)) == "weigert@example.nl"


def test_lifting_without_the_csrf_token_is_refused(english, db):
    entry = block(db, "weigert@example.nl")
    path = f"/contacts/suppressions/{entry.id}/lift"
    assert english.post(path, data={"reason": "Zonder token"}).status_code == 400
    wrong = english.post(path, data={"reason": "Fout token", "csrf_token": "nep"})
    assert wrong.status_code == 400
    db.expire_all()
    assert db.scalar(select(Suppression.email)) == "weigert@example.nl"


def test_lifting_an_address_no_longer_blocked_is_404(english, db):
    entry = block(db, "weigert@example.nl")
    token = csrf_token_from(english.get(f"/contacts/suppressions/{entry.id}/lift").get_data(True))
    assert lift(english, entry.id, reason="Eerste keer").status_code == 302
    again = english.post(
        f"/contacts/suppressions/{entry.id}/lift", data={"csrf_token": token, "reason": "Nog"}
    )
    assert again.status_code == 404


def test_lift_refuses_who_is_no_admin_in_the_logic_too(db, app):
    from service.auth.users import create_user

    with session_scope(app) as session:
        create_user(session, EDITOR_EMAIL, EDITOR_PASSWORD, Role.ORGANISER)
    editor = db.scalars(select(User)).one()
    entry = block(db, "weigert@example.nl")
    with pytest.raises(suppressions.LiftRefused) as refused:
        suppressions.lift_suppression(db, entry, actor=editor, reason="Mag niet")
    assert list(refused.value.problems) == [None]


# --- a contact's page --------------------------------------------------------------------------


def test_a_contacts_page_says_the_address_is_blocked_and_why(english, db):
    person = make_contact(db, email="weigert@example.nl", name="Wim Weigert")
    free = make_contact(db, email="vrij@example.nl")
    block(
        db,
        "Weigert@Example.nl".lower(),
        kind="complaint",
        source="postmark",
        reason="SpamComplaint",
        created_at=datetime(2025, 6, 3, 8, tzinfo=UTC),
    )
    html = english.get(f"/contacts/{person.id}/edit").get_data(as_text=True)
    assert "No mail goes to weigert@example.nl: the address is blocked." in html
    assert "Complaint, since Tuesday 3 June 2025, 10:00" in html
    assert "(reported by Postmark): SpamComplaint" in html
    assert 'href="/contacts/suppressions/?q=weigert@example.nl"' in html
    assert "is blocked" not in english.get(f"/contacts/{free.id}/edit").get_data(as_text=True)


def test_a_contact_with_a_unicode_domain_finds_its_entry(db):
    # A relay reports the address as it went out (punycode); the contact holds Unicode.
    block(db, "jan@bücher.example")
    assert suppressions.suppression_of(db, "Jan@xn--bcher-kva.example") is not None
    assert suppressions.suppressions_of(db, ["jan@bücher.example", "a@b.nl"]) == {
        "jan@bücher.example": db.scalars(select(Suppression)).one(),
        "a@b.nl": None,
    }
