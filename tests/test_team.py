"""The organising team in the web app: the password policy, invitations by mail (Beheer →
Organisatoren), one's own account, and a forgotten password reset by mail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.auth.passwords import PasswordRefused, Rule, check_password
from service.auth.users import create_user
from service.models import AccountInvitation, AuditEntry, Delivery, Role, User, utcnow
from service.team import invitations, password_reset
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token_from, login
from tests.mail_helpers import drain, message_to

EN = {"Accept-Language": "en"}
NL = {"Accept-Language": "nl"}
SECRET = "test-secret-key"
GOOD = "rivier-fiets-lantaarn"


# --- the policy --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "name", "email", "rule"),
    [
        ("kort-maar-1", "", "", Rule.LENGTH),  # 11 characters
        ("password1234", "", "", Rule.COMMON),
        ("wachtwoord123", "", "", Rule.COMMON),  # a common word with digits around it
        ("Qwertyuiop12", "", "", Rule.COMMON),
        ("sanne-de-boer-99", "Sanne de Boer", "", Rule.PERSONAL),
        ("ikbenDEBOER2025", "Sanne de Boer", "", Rule.PERSONAL),  # case ignored
        ("mijn-ambtenaar-1", "", "s.ambtenaar@minbzk.nl", Rule.PERSONAL),  # the local part
        ("werk-bij-minbzk", "", "s.ambtenaar@minbzk.nl", Rule.PERSONAL),  # the domain name
    ],
)
def test_the_policy_refuses_short_common_and_personal_passwords(password, name, email, rule):
    with pytest.raises(PasswordRefused) as refused:
        check_password(password, name=name, email=email)
    assert refused.value.rule == rule


def test_the_policy_accepts_long_uncommon_passwords_and_ignores_short_name_parts():
    check_password(GOOD, name="Sanne de Boer", email="sanne@example.nl")
    # "Jan" and "Bo" are too short to look for: they would refuse half of all passwords.
    check_password("ik-ben-jan-bo-en-fiets", name="Jan Bo", email="jb@ede.nl")


def test_each_rule_says_what_to_mend_in_dutch_and_english():
    assert PasswordRefused(Rule.LENGTH).message("nl") == (
        "Het wachtwoord moet minstens 12 tekens lang zijn."
    )
    assert "most common passwords" in PasswordRefused(Rule.COMMON).message("en")
    assert "eigen naam of e-mailadres" in PasswordRefused(Rule.PERSONAL).message("nl")


def test_the_cli_holds_a_new_account_to_the_policy(runner, app, db):
    common = runner.invoke(args=["users", "create", "a@example.nl", "--password", "password1234"])
    assert common.exit_code == 1 and "most common passwords" in common.output
    own = runner.invoke(
        args=[
            "users",
            "create",
            "anna@example.nl",
            "--name",
            "Anna Bijl",
            "--password",
            "anna-bijl-2025",
        ]
    )
    assert own.exit_code == 1 and "own name or email address" in own.output
    assert db.scalars(select(User)).all() == []


# --- invitations ---------------------------------------------------------------------------------


def _invite(admin, email="collega@example.nl", role="viewer", language="nl"):
    page = admin.get("/team/").get_data(as_text=True)
    return admin.post(
        "/team/invite",
        data={
            "email": email,
            "role": role,
            "language": language,
            "csrf_token": csrf_token_from(page),
        },
    )


def _link(smtp_server, email: str, path: str) -> str:
    """The link to `path` in the one mail to `email`, the same in its text and HTML."""
    message = message_to(smtp_server, email)
    text = message.get_body(("plain",)).get_content()
    url = re.search(rf"https?://\S+{path}\S+", text).group(0)
    assert f'href="{url}"' in message.get_body(("html",)).get_content()
    return url.removeprefix("http://127.0.0.1:5000")


def test_an_admin_invites_a_colleague_who_accepts_from_the_mail(app, db, organiser, smtp_server):
    response = _invite(organiser)
    assert response.status_code == 302
    page = organiser.get("/team/", headers=NL).get_data(as_text=True)
    assert "collega@example.nl" in page and "Intrekken" in page

    assert drain(app, smtp_server) == 1
    message = message_to(smtp_server, "collega@example.nl")
    assert message["Subject"].startswith("Je bent uitgenodigd voor het organiserend team van")
    text = message.get_body(("plain",)).get_content()
    assert "Beheerder nodigt je uit" in text and "als meekijker" in text
    assert "72 uur" in text
    assert 'class="block" style="' in message.get_body(("html",)).get_content()  # CSS inlined
    link = _link(smtp_server, "collega@example.nl", "/team/accept/")

    colleague = app.test_client()
    form = colleague.get(link)
    assert form.status_code == 200 and "collega@example.nl" in form.get_data(as_text=True)
    token = csrf_token_from(form.get_data(as_text=True))
    refused = colleague.post(
        link,
        data={
            "name": "Carla Claes",
            "password": "carla-claes-2025",
            "password_again": "carla-claes-2025",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 200
    assert "mag je eigen naam of e-mailadres niet" in refused.get_data(as_text=True)
    assert db.scalar(select(User).where(User.email == "collega@example.nl")) is None

    done = colleague.post(
        link,
        data={"name": "Carla Claes", "password": GOOD, "password_again": GOOD, "csrf_token": token},
    )
    assert done.status_code == 302
    assert colleague.get("/account/").status_code == 200  # signed in
    user = db.scalar(select(User).where(User.email == "collega@example.nl"))
    assert (user.name, user.role) == ("Carla Claes", Role.VIEWER)
    invitation = db.scalars(select(AccountInvitation)).one()
    assert invitation.accepted_at is not None and invitation.user_id == user.id
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert "account.invite" in actions and "account.invitation_accepted" in actions

    # The link works once.
    again = app.test_client().get(link)
    assert again.status_code == 410 and "al aangenomen" in again.get_data(as_text=True)
    assert login(app.test_client(), "collega@example.nl", GOOD).status_code == 302


def test_an_invitation_link_expires_after_72_hours(app, db, admin_user, client):
    admin = db.get(User, admin_user)
    invitation = invitations.invite(db, admin, "laat@example.nl", Role.ORGANISER, language="en")
    db.commit()
    signed = utcnow()
    token = invitations.invitation_token(invitation.id, SECRET, now=signed)
    assert invitations.open_invitation(db, token, secret_key=SECRET, now=signed).id == invitation.id
    later = signed + timedelta(hours=72, seconds=1)
    with pytest.raises(invitations.InvitationClosed) as closed:
        invitations.open_invitation(db, token, secret_key=SECRET, now=later)
    assert closed.value.reason == invitations.Closed.EXPIRED
    # A link signed 73 hours ago, as the page sees it.
    old = invitations.invitation_token(invitation.id, SECRET, now=signed - timedelta(hours=73))
    page = client.get(f"/team/accept/{old}")
    assert page.status_code == 410 and "is verlopen" in page.get_data(as_text=True)
    forged = client.get(f"/team/accept/{token}x")
    assert forged.status_code == 410 and "ongeldig" in forged.get_data(as_text=True)


def test_a_withdrawn_invitation_is_not_sent_and_its_link_says_so(app, db, organiser, smtp_server):
    _invite(organiser, "weg@example.nl")
    invitation = db.scalars(select(AccountInvitation)).one()
    token = invitations.invitation_token(invitation.id, SECRET, now=utcnow())
    page = organiser.get("/team/").get_data(as_text=True)
    withdrawn = organiser.post(
        f"/team/invitations/{invitation.id}/withdraw", data={"csrf_token": csrf_token_from(page)}
    )
    assert withdrawn.status_code == 302
    assert 'id="invitation-' not in organiser.get("/team/").get_data(as_text=True)
    drain(app, smtp_server)
    assert smtp_server.handler.messages == []  # withdrawn before the send loop came to it
    answer = app.test_client().get(f"/team/accept/{token}")
    assert answer.status_code == 410 and "ingetrokken" in answer.get_data(as_text=True)


def test_an_address_with_an_account_cannot_be_invited(app, db, organiser):
    response = _invite(organiser, ADMIN_EMAIL.upper())
    assert response.status_code == 400
    assert db.scalars(select(AccountInvitation)).all() == []
    assert db.scalars(select(Delivery)).all() == []


def test_the_team_page_shows_accounts_and_changes_roles(app, db, organiser):
    create_user(db, "ria@example.nl", GOOD, Role.ORGANISER, "Ria Ros")
    db.commit()
    ria = db.scalar(select(User).where(User.email == "ria@example.nl"))
    page = organiser.get("/team/", headers=NL).get_data(as_text=True)
    assert "Ria Ros" in page and "nooit" in page  # never signed in
    assert "Laatst ingelogd" in page and "Tweestapsverificatie" in page
    token = csrf_token_from(page)
    assert (
        organiser.post(
            f"/team/{ria.id}/role", data={"role": "viewer", "csrf_token": token}
        ).status_code
        == 302
    )
    assert (
        organiser.post(f"/team/{ria.id}/deactivate", data={"csrf_token": token}).status_code == 302
    )
    db.expire_all()
    ria = db.get(User, ria.id)
    assert ria.role == Role.VIEWER and not ria.active
    # The last active admin stays.
    refused = organiser.post(f"/team/{1}/deactivate", data={"csrf_token": token})
    assert refused.status_code == 302
    assert "laatste actieve beheerder" in organiser.get("/team/").get_data(as_text=True)


def test_an_admin_resets_a_colleagues_lost_second_factor_from_the_team_page(db, organiser):
    import pyotp

    from service.auth import two_factor

    ria = create_user(db, "ria@example.nl", GOOD, Role.ORGANISER, "Ria Ros")
    key = two_factor.new_secret()
    two_factor.enable(db, ria, key, pyotp.TOTP(key).now())
    db.commit()
    page = organiser.get("/team/", headers=NL).get_data(as_text=True)
    assert "Tweestapsverificatie wissen" in page
    token = csrf_token_from(page)
    answer = organiser.post(f"/team/{ria.id}/reset-2fa", data={"csrf_token": token}, headers=NL)
    assert answer.status_code == 302
    shown = organiser.get("/team/", headers=NL).get_data(as_text=True)
    assert "De tweestapsverificatie van ria@example.nl is gewist" in shown
    assert "Tweestapsverificatie wissen" not in shown  # nobody else has one to reset
    db.expire_all()
    ria = db.get(User, ria.id)
    assert ria.totp_secret is None and ria.recovery_codes == []
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "account.reset_2fa"))
    assert (entry.user.email, entry.object_id) == (ADMIN_EMAIL, ria.id)


def test_only_admins_open_the_team_page(app, db, client, admin_user):
    create_user(db, "org@example.nl", GOOD, Role.ORGANISER, "Org")
    db.commit()
    assert client.get("/team/").status_code == 302  # to the login page
    assert login(client, "org@example.nl", GOOD).status_code == 302
    assert client.get("/team/").status_code == 403
    assert 'href="/team/"' not in client.get("/").get_data(as_text=True)


# --- one's own account ---------------------------------------------------------------


def test_a_password_change_ends_the_other_sessions_but_not_this_one(app, db, admin_user):
    here, elsewhere = app.test_client(), app.test_client()
    for browser in (here, elsewhere):
        assert login(browser).status_code == 302
    page = here.get("/account/").get_data(as_text=True)
    token = csrf_token_from(page)

    wrong = here.post(
        "/account/password",
        data={
            "current": "niet-het-goede",
            "password": GOOD,
            "password_again": GOOD,
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 400 and "niet je huidige wachtwoord" in wrong.get_data(as_text=True)
    common = here.post(
        "/account/password",
        data={
            "current": ADMIN_PASSWORD,
            "password": "password1234",
            "password_again": "password1234",
            "csrf_token": token,
        },
    )
    assert common.status_code == 400 and "meestgebruikte" in common.get_data(as_text=True)

    changed = here.post(
        "/account/password",
        data={
            "current": ADMIN_PASSWORD,
            "password": GOOD,
            "password_again": GOOD,
            "csrf_token": token,
        },
    )
    assert changed.status_code == 302
    assert here.get("/account/").status_code == 200  # still signed in
    assert elsewhere.get("/account/").status_code == 302  # that session has ended
    assert login(app.test_client(), ADMIN_EMAIL, GOOD).status_code == 302
    assert "account.password_change" in db.scalars(select(AuditEntry.action)).all()


def test_name_and_language_are_ones_own_to_change(app, db, organiser):
    token = csrf_token_from(organiser.get("/account/").get_data(as_text=True))
    response = organiser.post(
        "/account/", data={"name": "Bea Beheer", "language": "en", "csrf_token": token}
    )
    assert response.status_code == 302
    user = db.scalar(select(User).where(User.email == ADMIN_EMAIL))
    assert (user.name, user.language) == ("Bea Beheer", "en")
    assert "My account" in organiser.get("/account/").get_data(as_text=True)


# --- a forgotten password -------------------------------------------------------------


def _forgot(client, email: str):
    page = client.get("/password/forgot").get_data(as_text=True)
    return client.post(
        "/password/forgot",
        data={"email": email, "csrf_token": csrf_token_from(page)},
        follow_redirects=True,
    )


def _without_token(response) -> str:
    html = response.get_data(as_text=True)
    return html.replace(csrf_token_from(html), "")


def test_the_forgot_page_answers_the_same_and_mails_only_a_known_address(
    app, db, admin_user, smtp_server
):
    known = _forgot(app.test_client(), ADMIN_EMAIL)
    unknown = _forgot(app.test_client(), "niemand@example.nl")
    assert known.status_code == unknown.status_code == 200
    assert _without_token(known) == _without_token(unknown)
    assert "Als het adres bij een account hoort" in known.get_data(as_text=True)
    drain(app, smtp_server)
    assert [rcpts for _f, rcpts, _m in smtp_server.handler.messages] == [[ADMIN_EMAIL]]


def test_a_reset_link_works_once_and_ends_every_session(app, db, admin_user, smtp_server):
    signed_in = app.test_client()
    assert login(signed_in).status_code == 302
    _forgot(app.test_client(), ADMIN_EMAIL)
    drain(app, smtp_server)
    message = message_to(smtp_server, ADMIN_EMAIL)
    assert message["Subject"].startswith("Kies een nieuw wachtwoord")  # the account's language
    link = _link(smtp_server, ADMIN_EMAIL, "/password/reset/")

    browser = app.test_client()
    page = browser.get(link)
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    short = browser.post(
        link, data={"password": "kort", "password_again": "kort", "csrf_token": token}
    )
    assert "minstens 12 tekens" in short.get_data(as_text=True)
    done = browser.post(link, data={"password": GOOD, "password_again": GOOD, "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert signed_in.get("/account/").status_code == 302  # every session has ended
    assert login(app.test_client(), ADMIN_EMAIL, GOOD).status_code == 302
    assert "account.password_reset" in db.scalars(select(AuditEntry.action)).all()

    used = app.test_client().get(link)
    assert used.status_code == 410 and "werkt niet" in used.get_data(as_text=True)


def test_a_reset_link_works_for_one_hour(app, db, admin_user):
    user = db.get(User, admin_user)
    signed = utcnow()
    token = password_reset.reset_token(user, SECRET, now=signed)
    hour = timedelta(hours=1)
    assert password_reset.open_reset(db, token, secret_key=SECRET, now=signed + hour) == user
    late = signed + hour + timedelta(seconds=1)
    assert password_reset.open_reset(db, token, secret_key=SECRET, now=late) is None
    old = password_reset.reset_token(user, SECRET, now=signed - timedelta(minutes=61))
    page = app.test_client().get(f"/password/reset/{old}")
    assert page.status_code == 410


def test_a_deactivated_account_gets_no_reset_mail(app, db, admin_user, smtp_server):
    create_user(db, "weg@example.nl", GOOD, Role.ORGANISER, "Weg").active = False
    db.commit()
    _forgot(app.test_client(), "weg@example.nl")
    assert db.scalars(select(Delivery)).all() == []
