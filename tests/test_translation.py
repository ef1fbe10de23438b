"""One translation pipeline: emails, notices and reminders read the same catalogs as the pages.

If a catalog loses an email's string, or babel.cfg stops extracting emails/, these fail: the
string would otherwise reach Dutch readers as its English msgid.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, time

import pytest
from flask_babel import force_locale
from flask_babel import gettext as flask_gettext

from service.audience.signup import build_confirmation
from service.campaigns.reminders import send_due_reminders
from service.mail.outgoing import Outgoing
from service.meetings import notices
from service.models import Campaign, Meeting, MeetingStatus, Reminder
from service.nominations.introduction import build_introduction
from service.rendering import blocks as b
from service.rendering.notice_mail import NoticeSender, build_notice
from service.rendering.render import MeetingFacts, Network, render_campaign
from service.settings import settings_of
from service.translation import UnknownLanguage, translator
from tests.builders import ZWOLLE, amsterdam, make_contact, make_meeting
from tests.catalog_helpers import babel_cfg_msgids, dutch_catalog, email_msgids
from tests.email_helpers import visible_text
from tests.test_blocks import one_of_each

BASE_URL = "https://post.example.nl"
NETWORK = Network(
    name="Opgavebeweging",
    email="grenzeloossamenwerken@rijksoverheid.nl",
    address="Postbus 20011\n2500 EA Den Haag",
)
SENDER = NoticeSender(
    network=NETWORK,
    base_url=BASE_URL,
    from_name="Opgavebeweging",
    from_email="post@example.nl",
    uid_domain="post.example.nl",
)
STARTS = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)
ENDS = datetime(2027, 1, 12, 11, 0, tzinfo=UTC)
FACTS = MeetingFacts(**ZWOLLE, starts_at=STARTS, ends_at=ENDS, id=7)
NOTICES = [
    (notices.ANSWER_YES, {"sequence": 0}),
    (notices.ANSWER_WAITING, {"position": 3}),
    (notices.ANSWER_NO, {"sequence": 1, "cancel": True}),
    (notices.ANSWER_NO, {}),
    (notices.PROMOTED, {"sequence": 0}),
    (notices.MEETING_UPDATE, {"sequence": 1}),
    (notices.MEETING_CANCEL, {"sequence": 2, "cancel": True}),
    (notices.MEETING_CANCEL, {}),
]


def test_the_catalogs_translate_without_flask():
    dutch, english = translator("nl"), translator("en")
    assert dutch.gettext("View in your browser") == "Bekijk in je browser"
    assert dutch.gettext("Dear %(name)s,", name="Anna") == "Beste Anna,"
    # English is the language of the msgids: it has no catalog and needs none.
    assert english.gettext("Dear %(name)s,", name="Anna") == "Dear Anna,"
    assert dutch.ngettext("%(num)d contact", "%(num)d contacts", 3) == "3 contacten"
    assert dutch.format_date(STARTS, "Europe/Amsterdam") == "dinsdag 12 januari 2027"
    assert dutch.language_name("en") == "Engels"
    assert translator("nl") is dutch  # loaded once


def test_a_language_without_a_catalog_is_refused():
    with pytest.raises(UnknownLanguage, match=r"'de'.*nl, en"):
        translator("de")


def test_babel_cfg_extracts_every_email_string():
    # scripts/i18n extracts as babel.cfg says; an email string it misses would never reach the
    # catalog, and the email would show its English msgid.
    missing = sorted(set(email_msgids()) - babel_cfg_msgids())
    assert not missing, "babel.cfg does not extract:\n" + "\n".join(missing)


def test_every_email_string_has_its_dutch_in_the_compiled_catalog():
    catalog = dutch_catalog()
    dutch = translator("nl")
    wrong = []
    for msgid in sorted(email_msgids()):
        entry = catalog.get(msgid)
        expected = entry.string if entry is not None else ""
        # What the send loop reads is the compiled .mo, not the .po.
        if not expected or dutch.gettext(msgid) != expected:
            wrong.append(msgid)
    assert not wrong, "no Dutch in messages.po/.mo (run scripts/i18n):\n" + "\n".join(wrong)


def test_pages_and_emails_read_the_same_catalog(app):
    dutch = translator("nl")
    with app.test_request_context("/"), force_locale("nl"):
        for msgid in email_msgids():
            assert flask_gettext(msgid) == dutch.gettext(msgid), msgid


def _english_left_in(text: str) -> list[str]:
    """The email strings whose English (some words between placeholders) shows in `text`."""
    catalog = dutch_catalog()
    found = []
    for msgid in email_msgids():
        entry = catalog.get(msgid)
        if entry is None or entry.string == msgid:
            found += [msgid] if entry is None else []
            continue
        for part in re.split(r"%\(\w+\)[sd]", msgid):
            part = part.strip(" ,.:;?")
            if re.search(r"[A-Za-z]{3}", part) and re.search(
                rf"(?<![\w-]){re.escape(part)}(?![\w-])", text
            ):
                found.append(msgid)
                break
    return found


def _dutch_emails() -> dict[str, tuple[str, str, str]]:
    """Subject, visible HTML text and text part of every kind of email, in Dutch."""
    emails: dict[str, tuple[str, str, str]] = {}
    for kind in b.Kind:
        content = b.CampaignContent(kind=kind, subject="Onderwerp", blocks=one_of_each())
        for for_web in (False, True):
            for facts in (FACTS, dataclasses.replace(FACTS, answers_open=False)):
                rendered = render_campaign(
                    content,
                    language="nl",
                    network=NETWORK,
                    base_url=BASE_URL,
                    upcoming=[FACTS],
                    meeting=facts if kind in ("invitation", "reminder") else None,
                    for_web=for_web,
                )
                closed = "" if facts.answers_open else " closed"
                emails[f"{kind}{' web' if for_web else ''}{closed}"] = (
                    rendered.subject,
                    visible_text(rendered.html),
                    rendered.text,
                )
    meeting = Meeting(
        id=7,
        **ZWOLLE,
        starts_at=STARTS,
        ends_at=ENDS,
        address="",
        theme="",
        status=MeetingStatus.PUBLISHED,
        calendar_sequence=0,
    )
    for kind, payload in NOTICES:
        for to_name in ("Anna de Vries", ""):
            message = build_notice(
                SENDER,
                meeting,
                kind=kind,
                payload=payload,
                to_name=to_name,
                to_email="anna@example.nl",
                language="nl",
                answer_url=f"{BASE_URL}/antwoord/x",
                message_id="<n1@post.example.nl>",
                now=STARTS,
            )
            emails[f"{kind} {payload} {to_name or 'no name'}"] = _parts(message)
    for name in ("Anna de Vries", ""):
        confirmation = build_confirmation(
            SENDER,
            {"nonce": "abc", "name": name, "language": "nl"},
            to_email="anna@example.nl",
            message_id="<s1@post.example.nl>",
            secret_key="geheim",
        )
        emails[f"signup {name or 'no name'}"] = _parts(confirmation)
        introduction = build_introduction(
            SENDER,
            {"nominee_name": name, "nominator_name": "Piet", "reason": "Hij kent iedereen."},
            to_email="anna@example.nl",
            message_id="<i1@post.example.nl>",
        )
        emails[f"introduction {name or 'no name'}"] = _parts(introduction)
    return emails


def _parts(message: Outgoing) -> tuple[str, str, str]:
    return message.subject, visible_text(message.html), message.text


def test_no_dutch_email_shows_an_english_email_string():
    emails = _dutch_emails()
    left = {
        name: found
        for name, parts in emails.items()
        if (found := _english_left_in("\n".join(parts)))
    }
    assert not left, f"English msgids in Dutch emails: {left}"


def test_the_check_above_sees_an_english_string():
    # The same check on the English emails must find what the Dutch ones lack.
    english = render_campaign(
        b.CampaignContent(kind=b.Kind.INVITATION, subject="Subject", blocks=one_of_each()),
        language="en",
        network=NETWORK,
        base_url=BASE_URL,
        meeting=FACTS,
    )
    found = _english_left_in(english.text)
    assert {"View in your browser", "Yes, I will come", "Unsubscribe from these emails"} <= set(
        found
    )


def _due_reminders(app, db, settings):
    meeting = make_meeting(db)  # Gemeente Zwolle, dinsdag 3 juni 2025, 10:00
    meeting.reminders.append(Reminder(days_before=7, send_time="09:00", audience="yes"))
    meeting.reminders.append(Reminder(days_before=7, send_time="09:00", audience="unanswered"))
    make_contact(db)
    db.commit()
    now = amsterdam(date(2025, 5, 27), time(9, 0))
    sent = send_due_reminders(db, now=now, settings=settings)
    db.commit()
    campaigns = {
        db.get(Reminder, s.reminder_id).audience: db.get(Campaign, s.campaign_id) for s in sent
    }
    # Each opens with the meeting's header (issue 15), then its words.
    assert all(c.blocks[0]["type"] == "header" for c in campaigns.values())
    return {audience: (c.subject, c.blocks[1]["body"]) for audience, c in campaigns.items()}


def test_reminders_are_written_in_the_default_language_from_the_catalog(app, db):
    texts = _due_reminders(app, db, settings_of(app))
    # Word for word what reminders said when their Dutch was written in the code.
    assert texts == {
        "yes": (
            "Herinnering: Opgavebeweging bij Gemeente Zwolle, dinsdag 3 juni 2025",
            "Beste [[first_name]],\n\nFijn dat je erbij bent op dinsdag 3 juni 2025. Hieronder "
            "staan de gegevens nog eens; kun je toch niet, laat het ons dan weten met de link in "
            "je uitnodiging.",
        ),
        "unanswered": (
            "Kom je ook? Opgavebeweging bij Gemeente Zwolle, dinsdag 3 juni 2025",
            "Beste [[first_name]],\n\nWe hebben nog geen antwoord van je op de uitnodiging voor "
            "dinsdag 3 juni 2025. Laat je weten of je komt?",
        ),
    }


def test_a_network_that_writes_english_first_gets_english_reminders(app, db):
    settings = dataclasses.replace(settings_of(app), LANGUAGES=("en", "nl"))
    subject, body = _due_reminders(app, db, settings)["yes"]
    assert subject == "Reminder: Opgavebeweging bij Gemeente Zwolle, Tuesday 3 June 2025"
    assert body.startswith("Dear [[first_name]],\n\nGood to have you with us on Tuesday 3 June")
