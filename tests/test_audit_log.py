"""The audit log page for admins (/audit/): who did what, when, newest first; filtered by person
and kind, paged; actions in words, objects linked while they exist, details as short lines."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.auth.users import create_user
from service.database import session_scope
from service.models import AuditEntry, Role, User
from tests.builders import make_campaign, make_contact
from tests.conftest import login

ORGANISER_EMAIL = "organisator@example.nl"
PASSWORD = "nog-een-lang-wachtwoord"
START = datetime(2025, 6, 3, 8, 0, tzinfo=UTC)


def rows(html: str) -> list[str]:
    return re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", html, re.S)


def add(db, user_id: int | None, action: str, minutes: int, **fields) -> AuditEntry:
    entry = AuditEntry(
        user_id=user_id, action=action, at=START + timedelta(minutes=minutes), **fields
    )
    db.add(entry)
    db.commit()
    return entry


def organiser_account(app) -> int:
    with session_scope(app) as session:
        return create_user(session, ORGANISER_EMAIL, PASSWORD, Role.ORGANISER, "Olga").id


def test_only_admins_open_the_audit_log(app, client, admin_user):
    response = client.get("/audit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    organiser_account(app)
    assert login(client, ORGANISER_EMAIL, PASSWORD).status_code == 302
    assert client.get("/audit/").status_code == 403
    assert "/audit/" not in client.get("/").get_data(as_text=True)


def test_newest_first_with_actions_in_words_objects_linked_and_details(
    app, organiser, db, admin_user
):
    contact = make_contact(db, email="jan@gemeente.nl", name="Jan Jansen")
    campaign = make_campaign(db, subject="Terugblik Zwolle")
    add(db, admin_user, "contact.create", 1, object_type="contacts", object_id=contact.id)
    add(
        db,
        admin_user,
        "campaign.send",
        2,
        object_type="campaigns",
        object_id=campaign.id,
        detail={"recipients": 12},
    )
    add(
        db,
        admin_user,
        "campaign.delete",
        3,
        object_type="campaigns",
        object_id=campaign.id + 99,
        detail={"subject": "Weg", "fields": ["subject", "blocks"], "person_asked": True},
    )
    add(db, None, "contact.unsubscribe", 4, object_type="contacts", object_id=contact.id)
    add(db, admin_user, "something.new", 5)

    html = organiser.get("/audit/").get_data(as_text=True)
    listed = rows(html)

    def row(code: str) -> tuple[int, str]:
        return next((i, r) for i, r in enumerate(listed) if f"<code>{code}</code>" in r)

    (at_login, login_row) = row("login")
    (at_new, new_row) = row("something.new")
    (at_unsubscribe, unsubscribe_row) = row("contact.unsubscribe")
    (at_delete, delete_row) = row("campaign.delete")
    (at_send, send_row) = row("campaign.send")
    (at_create, create_row) = row("contact.create")
    # Newest first: the fixture's login happened now, the others in 2025 one minute apart.
    assert at_login < at_new < at_unsubscribe < at_delete < at_send < at_create
    assert "Ingelogd" in login_row and "Beheerder" in login_row
    assert "Afgemeld" in unsubscribe_row and "een contact of het systeem" in unsubscribe_row
    assert "something.new" in new_row and "<br>" not in new_row  # no words for it: its code
    assert "Campagne verwijderd" in delete_row and "bestaat niet meer" in delete_row
    assert "subject, blocks" in delete_row and "person_asked:</span> ja" in delete_row
    assert "Campagne verzonden" in send_row and "recipients:</span> 12" in send_row
    assert f'href="/campaigns/{campaign.id}"' in send_row and "Terugblik Zwolle" in send_row
    assert "Contact toegevoegd" in create_row
    assert f'href="/contacts/{contact.id}/edit"' in create_row
    # A contact is named by number only: the log shows what organisers did, not who people are.
    assert f"Contact {contact.id}" in create_row and "Jan Jansen" not in html
    assert "dinsdag 3 juni 2025, 10:01" in create_row and "Beheerder" in create_row


def test_filter_by_person_and_kind(app, organiser, db, admin_user):
    olga = organiser_account(app)
    add(db, olga, "contact.update", 1)
    add(db, olga, "campaign.create", 2)
    add(db, admin_user, "contact.delete", 3)
    add(db, admin_user, "token.revoke", 4)
    add(db, None, "contact.signup", 5)

    def actions(**query) -> list[str]:
        response = organiser.get("/audit/", query_string=query)
        assert response.status_code == 200
        return re.findall(r"<code>([a-z_.]+)</code>", response.get_data(as_text=True))

    assert actions(person=olga) == ["campaign.create", "contact.update"]
    assert actions(person=olga, kind="contact") == ["contact.update"]
    assert actions(kind="contact") == ["contact.signup", "contact.delete", "contact.update"]
    assert actions(kind="token") == ["token.revoke"] == actions(kind="token.")
    assert actions(kind="account") == ["login"]
    assert actions(person="none") == ["contact.signup"]
    assert actions(kind="nothing-such") == actions()
    page = organiser.get("/audit/", query_string={"person": olga}).get_data(as_text=True)
    assert re.search(rf'<option selected value="{olga}">Olga \({ORGANISER_EMAIL}\)</option>', page)
    assert "2 regels" in page


def test_the_log_is_paged(app, organiser, db, admin_user):
    for minute in range(120):
        add(db, admin_user, "contact.update", minute, detail={"n": minute})
    first = organiser.get("/audit/", query_string={"kind": "contact"}).get_data(as_text=True)
    assert "120 regels" in first and "Pagina 1 van 3" in first
    assert len(rows(first)) == 50 and "n:</span> 119" in rows(first)[0]
    assert 'href="/audit/?page=2&amp;kind=contact"' in first
    last = organiser.get("/audit/", query_string={"kind": "contact", "page": 3}).get_data(
        as_text=True
    )
    assert len(rows(last)) == 20 and "n:</span> 0<" in rows(last)[-1].replace("\n", "")
    beyond = organiser.get("/audit/", query_string={"kind": "contact", "page": 9}).get_data(
        as_text=True
    )
    assert "Pagina 3 van 3" in beyond


def test_admins_see_the_administration_links(organiser):
    html = organiser.get("/").get_data(as_text=True)
    assert "Beheer" in html and 'href="/audit/"' in html and 'href="/tokens/"' in html
    # Everyone's own tokens are on their account page.
    assert 'href="/account/tokens"' in organiser.get("/account/").get_data(as_text=True)


def test_an_admins_token_actions_reach_the_log(app, organiser, db, admin_user):
    from service.auth.tokens import create_token

    owner = db.get(User, admin_user)
    create_token(db, owner, owner, "koppeling")
    db.commit()
    html = organiser.get("/audit/", query_string={"kind": "token"}).get_data(as_text=True)
    assert "API-token gemaakt" in html and "koppeling" in html
    assert 'href="/tokens/"' in html
    assert (
        db.scalar(select(AuditEntry.object_type).where(AuditEntry.action == "token.create"))
        == "api_tokens"
    )
