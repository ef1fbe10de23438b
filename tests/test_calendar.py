"""Calendar pieces of the emails: the MIME shape of an invitation with its iCalendar part, the
Postmark attachment, the "add to calendar" links of the invitation email, and the notice texts."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from config.settings import LANGUAGES
from service.mail.outgoing import CalendarPart, Outgoing
from service.mail.relays import postmark_json
from service.meetings import notices
from service.meetings.calendar import CalendarMeeting, ics_bytes, meeting_calendar, uid_domain
from service.rendering import blocks as b
from service.rendering.notice_mail import notice_text
from service.rendering.render import MeetingFacts, Network, render_campaign
from tests.builders import ZWOLLE
from tests.email_helpers import parse, visible_text

BASE_URL = "https://post.example.nl"
NETWORK = Network(name="Opgavebeweging", email="grenzeloossamenwerken@rijksoverheid.nl")
STARTS = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)
ENDS = datetime(2027, 1, 12, 11, 0, tzinfo=UTC)


def _ics(method: str = "REQUEST") -> bytes:
    meeting = CalendarMeeting(
        id=7,
        **ZWOLLE,
        starts_at=STARTS,
        ends_at=ENDS,
        sequence=2,
    )
    calendar = meeting_calendar(
        meeting,
        method=method,  # type: ignore[arg-type]
        uid_domain="example.nl",
        timezone="Europe/Amsterdam",
        organizer_email=NETWORK.email,
        organizer_name=NETWORK.name,
        attendee_email="anna@example.nl",
        attendee_name="Anna de Vries",
    )
    return ics_bytes(calendar)


def _message(method: str = "REQUEST") -> Outgoing:
    return Outgoing(
        from_name="Opgavebeweging",
        from_email=NETWORK.email,
        to_name="Anna de Vries",
        to_email="anna@example.nl",
        subject="Je bent aangemeld voor de bijeenkomst",
        text="Beste Anna,\n\ntot dan.\n",
        html="<p>Beste Anna,</p><p>tot dan.</p>",
        message_id="<opgavepost.n1.test@rijksoverheid.nl>",
        calendar=CalendarPart(method, _ics(method)),
    )


def _plain() -> Outgoing:
    return Outgoing(
        from_name="x",
        from_email="x@example.nl",
        to_name="",
        to_email="y@example.nl",
        subject="s",
        text="t",
        html="<p>h</p>",
    )


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_the_calendar_is_the_last_alternative_and_an_attachment(method):
    outgoing = _message(method)
    raw = outgoing.as_bytes()
    message = message_from_bytes(raw, policy=policy.default)

    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in alternative.iter_parts()]
    assert types == ["text/plain", "text/html", "text/calendar"]
    calendar_part = list(alternative.iter_parts())[-1]
    assert calendar_part.get_param("method") == method
    assert calendar_part.get_content_charset() == "utf-8"
    data = calendar_part.get_payload(decode=True)
    assert data == outgoing.calendar.data  # byte for byte: CRLF line ends and folding kept
    assert Calendar.from_ical(data)["METHOD"] == method
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_payload(decode=True) == data
    # The text still reads as before.
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text == "Beste Anna,\n\ntot dan.\n"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_a_message_without_calendar_keeps_its_plain_alternative_shape():
    message = message_from_bytes(_plain().as_bytes(), policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"


def test_postmark_carries_the_calendar_as_an_attachment_with_its_method():
    outgoing = _message("REQUEST")
    entry = postmark_json(outgoing, "outbound")

    [attachment] = entry["Attachments"]
    assert attachment["Name"] == "invite.ics"
    assert attachment["ContentType"] == 'text/calendar; charset="utf-8"; method=REQUEST'
    assert base64.b64decode(attachment["Content"]) == outgoing.calendar.data
    json.dumps(entry)  # the batch body is JSON
    assert "Attachments" not in postmark_json(_plain(), "outbound")


@pytest.mark.parametrize(
    ("base_url", "sender", "domain"),
    [
        ("https://post.opgavebeweging.nl", "info@rijksoverheid.nl", "post.opgavebeweging.nl"),
        ("http://127.0.0.1:5000", "info@rijksoverheid.nl", "rijksoverheid.nl"),
        ("http://localhost:5000", "Info@Rijksoverheid.nl", "rijksoverheid.nl"),
    ],
)
def test_the_uid_domain_names_the_installation(base_url, sender, domain):
    assert uid_domain(base_url, sender) == domain


# --- "add to calendar" in the invitation ---------------------------------------------------


def _invitation(language: str, meeting: MeetingFacts):
    content = b.CampaignContent(
        kind=b.Kind.INVITATION, subject="Uitnodiging", blocks=[b.Text("Kom je?")]
    )
    return render_campaign(
        content, language=language, network=NETWORK, base_url=BASE_URL, meeting=meeting
    )


FACTS = MeetingFacts(**ZWOLLE, starts_at=STARTS, ends_at=ENDS, id=7)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_invitation_offers_add_to_calendar_after_the_answer_buttons(language):
    rendered = _invitation(language, FACTS)
    doc = parse(rendered.html)
    labels = {
        "nl": ("Zet in je agenda:", "Google Agenda", "Outlook", ".ics-bestand"),
        "en": ("Add it to your calendar:", "Google Calendar", "Outlook", ".ics file"),
    }[language]
    lead, google, outlook, ics = labels
    page = visible_text(rendered.html)
    assert lead in page
    yes = "Ja, ik kom" if language == "nl" else "Yes, I will come"
    assert page.index(yes) < page.index(lead)

    [google_url] = doc.xpath(f"//a[text()='{google}']/@href")
    query = parse_qs(urlsplit(google_url).query)
    assert urlsplit(google_url).netloc == "calendar.google.com"
    assert query["dates"] == ["20270112T090000Z/20270112T110000Z"]
    assert query["text"] == ["Opgavebeweging bij Gemeente Zwolle"]
    [outlook_url] = doc.xpath(f"//a[text()='{outlook}']/@href")
    assert parse_qs(urlsplit(outlook_url).query)["startdt"] == ["2027-01-12T09:00:00Z"]
    assert doc.xpath(f"//a[text()='{ics}']/@href") == [f"{BASE_URL}/bijeenkomsten/7.ics"]
    assert f"{ics}: {BASE_URL}/bijeenkomsten/7.ics" in rendered.text
    assert f"{google}: https://calendar.google.com/" in rendered.text


def test_without_a_stored_meeting_there_are_no_calendar_links():
    facts = MeetingFacts(starts_at=STARTS, ends_at=ENDS, host_organisation="X", city="Zwolle")
    rendered = _invitation("nl", facts)
    assert "Zet in je agenda" not in rendered.html and "Zet in je agenda" not in rendered.text


# --- notice texts ----------------------------------------------------------------------------

CASES = [
    (notices.ANSWER_YES, {"sequence": 0}, "REQUEST"),
    (notices.ANSWER_WAITING, {"position": 3}, None),
    (notices.ANSWER_NO, {"sequence": 1, "cancel": True}, "CANCEL"),
    (notices.ANSWER_NO, {}, None),
    (notices.PROMOTED, {"sequence": 0}, "REQUEST"),
    (notices.MEETING_UPDATE, {"sequence": 1}, "REQUEST"),
    (notices.MEETING_CANCEL, {"sequence": 2, "cancel": True}, "CANCEL"),
    (notices.MEETING_CANCEL, {}, None),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("kind", "payload", "method"), CASES)
def test_every_notice_has_its_text_in_both_languages(kind, payload, method, language):
    text = notice_text(kind, payload, "De bijeenkomst", language)
    assert text.method == method
    assert text.subject and all(text.paragraphs)
    other = notice_text(kind, payload, "De bijeenkomst", "en" if language == "nl" else "nl")
    assert other.subject != text.subject


def test_the_waiting_notice_names_the_place_in_line():
    assert notice_text(notices.ANSWER_WAITING, {"position": 4}, "X", "nl").subject == (
        "Je staat op de wachtlijst (nummer 4)"
    )


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown kind"):
        notice_text("birthday", {}, "X", "nl")
