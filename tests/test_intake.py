"""Intake cleans or refuses: every form of the app, every API operation with a string, the CSV
import and the CLI treat line breaks in one-line fields and control characters the same way
(service/text.py), so nothing is stored that can never be sent and no input gives a 500.

The form walk finds the forms the way a person (or a bot) does: it opens every page of the app
that a GET reaches, reads each <form> in it, and posts it back with one text field changed at a
time. A new page, form or field is walked without changing this file; a new POST route that no
page links a form to fails `test_the_walk_reaches_every_form`.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, time
from time import time as time_now
from urllib.parse import urlencode, urljoin, urlsplit

import lxml.html
import pyotp
import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import JSON, String, Text, select
from werkzeug.datastructures import MultiDict

from service import text
from service.audience.unsubscribe import unsubscribe_token
from service.auth import two_factor
from service.auth.users import create_user, new_api_token
from service.campaigns import store
from service.campaigns import templates as campaign_templates
from service.contact_links import CARD, PREFERENCES, WALL, ContactSigner
from service.database import session_scope
from service.forms import AppForm
from service.meetings.answer_links import AnswerSigner
from service.meetings.invitations import invite_contacts
from service.models import (
    ApiToken,
    Base,
    Contact,
    HostProposal,
    MediaFile,
    Nomination,
    Reminder,
    Role,
    Suppression,
    User,
    utcnow,
)
from service.rendering import versions
from service.rendering.blocks import BLOCK_TYPES, block_to_dict
from service.team.invitations import invitation_token
from service.team.invitations import invite as invite_colleague
from service.team.password_reset import reset_token
from tests.builders import amsterdam, make_contact, make_meeting
from tests.conftest import csrf_token_from, login

SECRET = "test-secret-key"
# NUL gives PostgreSQL's "cannot contain NUL" (a 500 before); VT went raw into mail headers.
HOSTILE = "Jan\x00Jansen\x0bde Vries"
# What Excel's Alt+Enter, a Windows browser and a pasted Word line leave in a one-line field.
BROKEN_LINE = "Jan\r\nJansen\tde\u2028Vries"
_ips = (f"10.1.{n // 250}.{n % 250 + 1}" for n in itertools.count())

# POST routes that are not web forms: the API (walked below), webhooks (signed by a relay) and
# the composer's autosave (posted by composer.js with the composer's own fields; walked with it).
NOT_FORMS = ("api_", "webhooks.", "campaigns.autosave")
SECOND_FACTOR_EMAIL = "tweestap@example.nl"
# Forms that hold only a CSRF token and buttons, shown in states the walk's world is not in
# (a campaign that is sending, scheduled; a meeting that is over; a pending signup).
BUTTONS_ONLY = {
    "audience.confirm",
    "campaigns.cancel",
    "campaigns.pause",
    "campaigns.resume",
    "campaigns.unschedule",
    "meetings.mark_attendance",
    "audience.unsubscribe",
}
TEXT_INPUTS = {
    "text",
    "email",
    "search",
    "url",
    "tel",
    "password",
    "number",
    "date",
    "time",
    "datetime-local",
}


# Blocks filled in so the draft passes its checks: the send and schedule forms show then.
READY = {
    "header": {"title": "Terugblik", "host": "Gemeente Zwolle", "place": "Stadhuis"},
    "text": {"body": "Beste [[first_name]], hier is het nieuws."},
    "bullet_list": {"items": ["Een"]},
    "numbered_list": {"items": ["Een"]},
    "quote": {"text": "Mooi", "name": "Anna", "organisation": "Gemeente Ede"},
    "quote_wall": {"quotes": [{"text": "Mooi", "name": "Bert", "organisation": "Ede"}]},
    "image": {"src": "https://example.org/foto.png", "alt": "Een zaal vol mensen"},
    "button": {"label": "Lees de terugblik", "url": "https://example.org/terugblik"},
    "mailto": {"text": "Vragen?", "email": "info@example.org", "subject": "Vraag"},
    "upcoming_meetings": {"title": "Volgende bijeenkomsten"},
    "closing_quote": {"text": "Tot ziens", "name": "Carla", "organisation": "Ede"},
}


@dataclass(frozen=True)
class Form:
    """A <form> found on a page: where it posts, with what, and which fields a person types in."""

    page: str
    method: str
    action: str
    values: tuple[tuple[str, str], ...]
    text_fields: tuple[tuple[str, str], ...]  # (name, input type or "textarea")
    public: bool
    # The client whose state shows the form, when it is neither the organiser nor a visitor
    # (the pages of two-factor sign-in: see _second_factor_clients).
    client: object = field(default=None, compare=False)


@dataclass
class World:
    contact_id: int
    meeting_id: int
    campaign_id: int
    nomination_id: int
    proposal_id: int
    reminder_id: int
    suppression_id: int
    token_id: int
    template_id: int
    tokens: dict[str, str]
    second_factor_key: str


@pytest.fixture
def world(app, db, admin_user) -> World:
    """A contact with a card and an invitation, a future meeting with a reminder, a draft with a
    block of every type, a new nomination and host proposal, a complaint on the suppression list:
    every form has something to show."""
    person = make_contact(db, email="anna.bijl@example.nl", name="Anna Bijl")
    meeting = make_meeting(
        db,
        starts_at=amsterdam(date(2030, 6, 4), time(10, 0)),
        ends_at=amsterdam(date(2030, 6, 4), time(13, 0)),
    )
    invite_contacts(db, meeting, [person.id])
    reminder = Reminder(meeting_id=meeting.id, days_before=7)
    db.add(reminder)
    campaign = store.create_campaign(
        db,
        kind="announcement",
        subject="Nieuws",
        sender_name="Opgavebeweging",
        meeting_id=meeting.id,
        blocks=[block_to_dict(cls()) | READY.get(kind, {}) for kind, cls in BLOCK_TYPES.items()],
        audience={"emails": [person.email]},
    )
    # An English version, so the version page shows its form with a field of every block.
    campaign.translations = {"en": versions.copy_of_own(campaign)}
    nomination = Nomination(
        nominator_name="Piet Puk",
        nominator_email="piet@example.nl",
        nominee_name="Bert Bos",
        nominee_email="bert@example.nl",
        reason="Weet alles van water",
    )
    proposal = HostProposal(
        organisation="Gemeente Ede",
        city="Ede",
        contact_name="Carla Claes",
        contact_email="carla@example.nl",
    )
    # A complaint, so the lift form shows its confirmation as well as the reason.
    blocked = Suppression(email="klacht@example.nl", kind="complaint", source="mailgun")
    db.add_all([nomination, proposal, blocked])
    # A template, so its rename, delete and use forms show.
    template = campaign_templates.save_campaign_as(db, campaign, "Terugblik-sjabloon")
    # An API token of the admin, so the revoke forms show.
    api_token, _secret = new_api_token(db, db.get(User, admin_user), "koppeling")
    # An account with two-factor sign-in, for the pages that only such an account sees.
    colleague = create_user(db, SECOND_FACTOR_EMAIL, "een-lang-wachtwoord", Role.VIEWER)
    key = two_factor.new_secret()
    two_factor.enable(db, colleague, key, pyotp.TOTP(key).now())
    # A deactivated colleague (the reactivate form) and a pending invitation (withdraw, accept).
    admin = db.get(User, admin_user)
    create_user(db, "oud@example.nl", "rivier-fiets-lantaarn", Role.ORGANISER).active = False
    invitation = invite_colleague(db, admin, "collega@example.nl", Role.VIEWER, language="nl")
    db.commit()
    now = utcnow()
    return World(
        contact_id=person.id,
        meeting_id=meeting.id,
        campaign_id=campaign.id,
        nomination_id=nomination.id,
        proposal_id=proposal.id,
        reminder_id=reminder.id,
        suppression_id=blocked.id,
        token_id=api_token.id,
        template_id=template.id,
        tokens={
            "/netwerkkaart/": ContactSigner(SECRET, CARD).token(person.id),
            "/netwerkmuur/": ContactSigner(SECRET, WALL).token(person.id),
            "/voorkeuren/": ContactSigner(SECRET, PREFERENCES).token(person.id),
            "/afmelden/": unsubscribe_token(person.id, None, SECRET),
            "/antwoord/": AnswerSigner(SECRET).token(person.id, meeting.id),
            "/team/accept/": invitation_token(invitation.id, SECRET, now=now),
            "/password/reset/": reset_token(admin, SECRET, now=now),
        },
        second_factor_key=key,
    )


# --- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Jan\r\nJansen", "Jan Jansen"),  # Windows, and Excel's Alt+Enter in a CSV
        ("Jan\nJansen\r", "Jan Jansen"),
        ("  Jan \t\t Jansen  ", "Jan Jansen"),
        ("Jan\u2028Jansen\u2029", "Jan Jansen"),  # Word's line and paragraph separators
        ("Esmée Çelik\u00a0🌷", "Esmée Çelik\u00a0🌷"),  # letters, a no-break space, an emoji
    ],
)
def test_one_line_puts_whitespace_runs_as_one_space(typed, stored):
    assert text.one_line(typed) == stored
    assert text.clean_line(typed) == stored


def test_multi_line_text_keeps_its_lines_as_lf():
    assert (
        text.clean_lines(" Een\r\ntwee\rdrie\u2028vier\n\tvijf \n")
        == "Een\ntwee\ndrie\nvier\n\tvijf"
    )


def test_control_characters_are_named_and_refused_whitespace_and_letters_are_not():
    refused = [
        chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
    ]
    for char in [*refused, "\ud800", "\udfff"]:
        with pytest.raises(text.ForbiddenCharacters) as caught:
            text.clean_line(f"a{char}b")
        assert f"U+{ord(char):04X}" in str(caught.value)
    for fine in ["\t", "\n", "\r", " ", "\u00a0", "\u200d", "é", "€", "🌷", "\u2028"]:
        assert text.forbidden_characters(f"a{fine}b") == []
    assert text.forbidden_characters("a\x00b\x0bc\x00") == ["\x00", "\x0b"]
    assert str(text.forbidden_message(["\x00", "\x0b"])).startswith(
        "This holds invisible control characters (U+0000, U+000B)"
    )


def test_mending_stored_text_keeps_old_line_breaks_as_breaks():
    assert text.mend_line("Adviseur\x0bwonen\x01 ") == "Adviseur wonen"
    assert text.mend_lines("Een\x0btwee\r\ndrie\x00") == "Een\ntwee\ndrie"


# --- siblings outside the forms ----------------------------------------------------------------


@pytest.mark.parametrize("target", ["/contacts/\r\nSet-Cookie: x=1", "/contacts/\x00", "/\x0b"])
def test_a_next_address_with_a_control_character_goes_to_the_dashboard(client, admin_user, target):
    # The Location header cannot carry a line break (a 500 before) and must not carry the rest.
    response = client.post(
        "/login?" + urlencode({"next": target}),
        data={"email": "beheer@example.nl", "password": "een-lang-wachtwoord"}
        | {"csrf_token": _token(client, "/login")},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    switched = client.post(
        "/language",
        data={"language": "en", "next": target, "csrf_token": _token(client, "/contacts/")},
    )
    assert switched.status_code == 302 and switched.headers["Location"] == "/"


def test_an_upload_whose_name_holds_a_control_character_is_refused(organiser, app):
    token = _token(organiser, "/media/upload")
    response = organiser.post(
        "/media/upload",
        data={"file": (io.BytesIO(_png()), "foto\x0b.png"), "csrf_token": token},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400 and "U+000B" in response.get_json()["error"]
    named = organiser.post(
        "/media/upload",
        data={"file": (io.BytesIO(_png()), "zaal\tvol.png"), "csrf_token": token},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert named.status_code in (200, 201), named.get_json()
    with session_scope(app) as session:
        assert session.scalars(select(MediaFile.original_name)).all() == ["zaal vol.png"]


def test_the_cli_puts_an_organiser_name_on_one_line_and_refuses_control_characters(runner, app):
    made = runner.invoke(args=["users", "create", "a@example.nl", "--name", "Anna\nBijl"])
    assert made.exit_code == 0, made.output
    refused = runner.invoke(args=["users", "create", "b@example.nl", "--name", "Bert\x0bBos"])
    assert refused.exit_code == 1
    assert "--name: This holds an invisible control character (U+000B)" in refused.output
    token = runner.invoke(args=["tokens", "create", "a@example.nl", "--name", "script\x1c"])
    assert token.exit_code == 1 and "U+001C" in token.output
    with session_scope(app) as session:
        assert session.scalars(select(User.name)).all() == ["Anna Bijl"]
        assert session.scalars(select(ApiToken)).all() == []


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _token(client, path: str) -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


# --- finding the forms ---------------------------------------------------------------------


def _get_paths(app: Flask, world: World) -> Iterator[str]:
    """Every GET route of the people-facing app, with the world's ids and tokens filled in."""
    ids = {
        "contact_id": world.contact_id,
        "meeting_id": world.meeting_id,
        "campaign_id": world.campaign_id,
        "nomination_id": world.nomination_id,
        "proposal_id": world.proposal_id,
        "reminder_id": world.reminder_id,
        "suppression_id": world.suppression_id,
        "token_id": world.token_id,
        "template_id": world.template_id,
        # The campaign's version in the other language (it is written in Dutch).
        "language": "en",
    }
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static", "/webhooks")):
            continue
        values = {}
        for argument in rule.arguments:
            if argument in ids:
                values[argument] = ids[argument]
            elif argument == "token":
                prefix = next((p for p in world.tokens if rule.rule.startswith(p)), None)
                if prefix is None:
                    break
                values[argument] = world.tokens[prefix]
            else:
                break  # a file name or the like: no form behind it
        else:
            path = rule.build(values)[1]
            yield path + ("?antwoord=ja" if path.startswith("/antwoord/") else "")


def _forms_on(html: str, page: str, public: bool) -> list[Form]:
    try:
        document = lxml.html.fromstring(html)
    except Exception:  # a download (CSV, JSON, calendar): no forms
        return []
    for template in document.xpath("//template"):
        template.drop_tree()  # what scripts copy in later; a browser does not send it
    found = []
    for form in document.forms:
        fields = []
        for element in form.inputs:
            kind = "textarea" if element.tag == "textarea" else (element.get("type") or "text")
            if element.tag in ("textarea", "input") and kind.lower() in TEXT_INPUTS | {"textarea"}:
                fields.append((element.name, kind.lower()))
        found.append(
            Form(
                page=page,
                method=(form.method or "GET").upper(),
                action=urljoin(page, form.get("action") or page),
                values=tuple(form.form_values()),
                text_fields=tuple(fields),
                public=public,
            )
        )
    return found


def _all_forms(app: Flask, world: World, organiser, anonymous) -> list[Form]:
    forms: dict[tuple, Form] = {}
    for path in _get_paths(app, world):
        page = anonymous.get(path)
        public = not (page.status_code == 302 and "/login" in page.headers.get("Location", ""))
        if not public:
            page = organiser.get(path)
        if page.status_code >= 500 or page.mimetype != "text/html":
            continue  # a redirect, a download
        for form in _forms_on(page.get_data(as_text=True), path, public):
            key = (form.method, urlsplit(form.action).path, form.text_fields, form.public)
            forms.setdefault(key, form)
    # What the organiser (without a second factor) is sent away from, opened by a client in the
    # state that shows it.
    for client in _second_factor_clients(app, world):
        for path in _get_paths(app, world):
            page = client.get(path)
            if page.status_code != 200 or page.mimetype != "text/html":
                continue
            for form in _forms_on(page.get_data(as_text=True), path, False):
                key = (form.method, urlsplit(form.action).path, form.text_fields, form.public)
                if key not in forms:
                    forms[key] = replace(form, client=client)
    return list(forms.values())


def _second_factor_clients(app: Flask, world: World) -> list:
    """A colleague with two-factor sign-in: signed in, and halfway (password given, no code)."""
    signed_in, halfway = app.test_client(), app.test_client()
    for client in (signed_in, halfway):
        assert login(client, SECOND_FACTOR_EMAIL, "een-lang-wachtwoord").status_code == 302
    page = signed_in.get("/login/two-factor").get_data(as_text=True)
    code = pyotp.TOTP(world.second_factor_key).at(time_now() + 30)
    done = signed_in.post(
        "/login/two-factor", data={"code": code, "csrf_token": csrf_token_from(page)}
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    return [signed_in, halfway]


def _endpoint(app: Flask, form: Form) -> str:
    adapter = app.url_map.bind("localhost")
    endpoint = adapter.match(urlsplit(form.action).path, method=form.method)[0]
    return _canonical(app, endpoint)


def _canonical(app: Flask, endpoint: str) -> str:
    # One view under two addresses (/media/ and /media/upload) is one form.
    view = app.view_functions[endpoint]
    return min(name for name, other in app.view_functions.items() if other is view)


# --- posting -------------------------------------------------------------------------------

_DEFAULTS = {
    "email": lambda n: f"nieuw{n}@example.nl",
    "date": lambda n: "2030-09-01",
    "time": lambda n: "10:00",
    "number": lambda n: "3",
    "url": lambda n: "https://example.org/",
}


def _filled(form: Form) -> MultiDict:
    """The form as a person would send it: what the page holds, empty text fields filled in."""
    data = MultiDict(form.values)
    for n, (name, kind) in enumerate(form.text_fields):
        if name == "website" or data.get(name):
            continue  # the honeypot stays empty, as people leave it
        if name.endswith(("end_time", "deadline_time")):
            value = "12:00"
        elif name.endswith(("src", "url")):
            value = "https://example.org/beeld.png"
        elif name.endswith(("emails", "addresses")):
            value = "anna.bijl@example.nl"
        else:
            value = _DEFAULTS.get(kind, lambda n: "Iets")(n)
        data.setlist(name, [value])
    return data


def _post(client, form: Form, data: MultiDict, action: str | None = None):
    # Public forms allow 5 posts an hour per address; each post comes from its own address.
    return client.post(action or form.action, data=data, environ_base={"REMOTE_ADDR": next(_ips)})


def _snapshot(app: Flask) -> dict[str, list[str]]:
    """Every row of every table, to tell that a refused post stored nothing."""
    with app.extensions["db_engine"].connect() as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            for table in Base.metadata.sorted_tables
        }


def _clients(app, client):
    organiser = app.test_client()
    assert login(organiser).status_code == 302
    return organiser, client


# --- the walks -----------------------------------------------------------------------------


def test_every_form_of_the_app_derives_from_app_form(app):
    from flask_wtf import FlaskForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    forms = [cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("service.")]
    assert len(forms) > 20
    assert [cls for cls in forms if not issubclass(cls, AppForm)] == []


def test_the_walk_reaches_every_form(app, client, world):
    organiser, anonymous = _clients(app, client)
    reached = {_endpoint(app, form) for form in _all_forms(app, world, organiser, anonymous)}
    posts = {
        _canonical(app, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.endpoint.startswith(NOT_FORMS)
    }
    assert posts - reached - BUTTONS_ONLY == set()
    # The forms that had a 500 on a NUL before, public ones first.
    assert {"audience.signup_page", "nominate.nominate", "nominate.host", "cards.card_page"} <= (
        reached
    )


def test_a_control_character_in_any_text_field_is_refused_with_its_name(app, client, world):
    organiser, anonymous = _clients(app, client)
    walked = 0
    for form in _all_forms(app, world, organiser, anonymous):
        if form.method != "POST":
            continue
        who = form.client or (anonymous if form.public else organiser)
        actions = [form.action]
        if _endpoint(app, form) == "campaigns.edit":
            actions.append(form.action.rstrip("/") + "/autosave")
        for (name, _kind), action in itertools.product(form.text_fields, actions):
            data = _filled(form)
            data.setlist(name, [HOSTILE])
            before = _snapshot(app)
            response = _post(who, form, data, action)
            where = f"{name} of the form on {form.page} posted to {action}"
            assert 400 <= response.status_code < 500 or response.status_code == 200, where
            if name != "website":  # the hidden honeypot: only bots fill it, they learn nothing
                assert "U+0000, U+000B" in response.get_data(as_text=True), where
            assert _snapshot(app) == before, where
            walked += 1
    assert walked > 60


def test_a_control_character_in_a_search_is_refused_and_searches_nothing(app, client, world):
    organiser, anonymous = _clients(app, client)
    searches = [
        form
        for form in _all_forms(app, world, organiser, anonymous)
        if form.method == "GET" and form.text_fields
    ]
    assert {urlsplit(form.action).path for form in searches} >= {"/contacts/", "/cards/wall"}
    for form in searches:
        who = form.client or (anonymous if form.public else organiser)
        for name, _kind in form.text_fields:
            data = MultiDict(form.values)
            data.setlist(name, [HOSTILE])
            response = who.get(form.action, query_string=data)
            assert response.status_code == 400, (form.action, name)
            assert "U+0000, U+000B" in response.get_data(as_text=True), (form.action, name)


def test_a_line_break_in_any_one_line_field_is_stored_as_one_space(app, client, world):
    organiser, anonymous = _clients(app, client)
    for form in _all_forms(app, world, organiser, anonymous):
        if form.method != "POST":
            continue
        who = form.client or (anonymous if form.public else organiser)
        for name, kind in form.text_fields:
            if name == "website":
                continue
            data = _filled(form)
            data.setlist(
                name, [f"{data.get(name)}{BROKEN_LINE}" if kind == "textarea" else BROKEN_LINE]
            )
            response = _post(who, form, data)
            assert response.status_code < 500, (name, form.page)
    assert _one_line_values_with_breaks(app) == []
    # Multi-line fields keep their lines, as LF.
    with session_scope(app) as session:
        notes = session.scalars(select(Contact.notes).where(Contact.notes != "")).all()
        assert notes and all("\r" not in note and "\n" in note for note in notes)


def _one_line_values_with_breaks(app) -> list[tuple[str, str, str]]:
    """Values of one-line columns (every String, and names in JSON payloads) that hold a line
    break, a tab or a control character."""
    bad = re.compile(r"[\t\r\n\u2028\u2029]|[\x00-\x1f\x7f-\x9f]")
    found = []
    with app.extensions["db_engine"].connect() as connection:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, JSON) and table.name == "deliveries":
                    for payload in connection.execute(select(column)).scalars():
                        for key, value in (payload or {}).items():
                            if key.endswith("name") and bad.search(str(value)):
                                found.append((table.name, key, value))
                elif isinstance(column.type, String) and not isinstance(column.type, Text):
                    for value in connection.execute(select(column)).scalars():
                        if isinstance(value, str) and bad.search(value):
                            found.append((table.name, column.name, value))
    return found
