"""Every single message goes out in its reader's language, framing and all.

The walk takes its kinds from the registry (service/message_kinds.py), so a new kind of message
fails here until it has a scene below. Each scene makes the message the way the app does (an
answer, a change of the meeting, a signup, an account invitation, a reset) for a reader of English
and one of Dutch; the real send loop sends both to a real SMTP server, and the two that arrive
are compared: each in its own language, and no sentence of one in the other.

Campaign mail (invitations, recaps and the meetings' reminders, which are campaigns) is rendered
per campaign and language by service/rendering/render.py, not by a single-message builder; it is
tested with the campaigns' two languages, so its kind is left out of this walk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from service.audience.signup import SIGNUP_CONFIRM, SIGNUP_KNOWN, SignupData, request_signup
from service.auth.users import create_user
from service.delivery.kinds import CAMPAIGN
from service.meetings import notices
from service.meetings.answering import answer_and_notify
from service.message_kinds import MESSAGE_KINDS
from service.models import Consent, Contact, Meeting, MeetingStatus, Nomination, Role
from service.nominations.introduction import INTRODUCTION, queue_introduction
from service.settings import settings_of
from service.team.invitations import ACCOUNT_INVITATION, invite
from service.team.password_reset import PASSWORD_RESET, request_reset
from service.translation import translator
from tests.builders import make_contact
from tests.conftest import ADMIN_PASSWORD, Clock
from tests.mail_helpers import drain
from tests.test_notices import _change, invited, winter_meeting

LANGUAGES = ("en", "nl")
# The kinds whose reader's language nothing tells: the nominee of an introduction is no contact
# and chose no language yet (service/nominations/introduction.py), so it is in the default one.
NO_LANGUAGE_KNOWN = {INTRODUCTION: "nl"}
# The one name every reader has, so the names in both messages are the same content.
READER = "Anna de Vries"


@dataclass
class Scene:
    """What a scene needs to make its messages: the database, the clock, and the send loop."""

    app: object
    db: object
    clock: Clock
    smtp_server: object

    def send(self) -> None:
        """Deliver what is queued now (so a later step does not replace it while it waits)."""
        drain(self.app, self.smtp_server, self.clock)

    def reader(self, kind: str, variant: str, language: str, **fields) -> Contact:
        """A contact who reads `language`, at an address of this kind, variant and language."""
        return make_contact(
            self.db,
            email=address(kind, variant, language),
            name=READER,
            language=language,
            **fields,
        )

    def answer(self, meeting: Meeting, contact: Contact, *, coming: bool) -> None:
        """Answer as the public answer page does: the answer and its notices, one commit."""
        answer_and_notify(
            self.db, invited(self.db, meeting, contact), coming=coming, now=self.clock()
        )
        self.db.commit()


def address(kind: str, variant: str, language: str) -> str:
    return f"{kind}.{variant}.{language}@example.nl"


# A scene makes the messages of one kind for a reader of `language` and returns the variants it
# made (a no after a yes takes the meeting out of the calendar; a plain no does not).
SceneFn = Callable[[Scene, str], tuple[str, ...]]


def _answer_yes(scene: Scene, language: str) -> tuple[str, ...]:
    scene.answer(
        winter_meeting(scene.db), scene.reader(notices.ANSWER_YES, "yes", language), coming=True
    )
    return ("yes",)


def _answer_waiting(scene: Scene, language: str) -> tuple[str, ...]:
    meeting = winter_meeting(scene.db, capacity=1)
    scene.answer(meeting, make_contact(scene.db), coming=True)
    scene.answer(meeting, scene.reader(notices.ANSWER_WAITING, "full", language), coming=True)
    return ("full",)


def _answer_no(scene: Scene, language: str) -> tuple[str, ...]:
    meeting = winter_meeting(scene.db)
    scene.answer(meeting, scene.reader(notices.ANSWER_NO, "plain", language), coming=False)
    after_yes = scene.reader(notices.ANSWER_NO, "after-yes", language)
    scene.answer(meeting, after_yes, coming=True)
    scene.send()
    answer_and_notify(
        scene.db, invited(scene.db, meeting, after_yes), coming=False, now=scene.clock()
    )
    scene.db.commit()
    return ("plain", "after-yes")


def _promoted(scene: Scene, language: str) -> tuple[str, ...]:
    meeting = winter_meeting(scene.db, capacity=1)
    first = make_contact(scene.db)
    scene.answer(meeting, first, coming=True)
    scene.answer(meeting, scene.reader(notices.PROMOTED, "next", language), coming=True)
    scene.send()
    answer_and_notify(scene.db, invited(scene.db, meeting, first), coming=False, now=scene.clock())
    scene.db.commit()
    return ("next",)


def _meeting_update(scene: Scene, language: str) -> tuple[str, ...]:
    meeting = winter_meeting(scene.db)
    scene.answer(meeting, scene.reader(notices.MEETING_UPDATE, "moved", language), coming=True)
    scene.send()
    _change(scene.db, meeting, scene.clock, venue="Grote zaal")
    return ("moved",)


def _meeting_cancel(scene: Scene, language: str) -> tuple[str, ...]:
    meeting = winter_meeting(scene.db, capacity=1)
    scene.answer(meeting, scene.reader(notices.MEETING_CANCEL, "yes", language), coming=True)
    scene.answer(meeting, scene.reader(notices.MEETING_CANCEL, "waiting", language), coming=True)
    scene.send()
    _change(scene.db, meeting, scene.clock, status=MeetingStatus.CANCELLED.value)
    return ("yes", "waiting")


def _signup_confirm(scene: Scene, language: str) -> tuple[str, ...]:
    data = SignupData(
        email=address(SIGNUP_CONFIRM, "new", language), name=READER, language=language
    )
    request_signup(scene.db, data, secret_key="test-secret-key", now=scene.clock())
    scene.db.commit()
    return ("new",)


def _signup_known(scene: Scene, language: str) -> tuple[str, ...]:
    contact = scene.reader(SIGNUP_KNOWN, "again", language, consent=Consent.GIVEN)
    # Signing up again on the page: the language typed there is the other one, the contact's own
    # stays what it chose.
    other = "nl" if language == "en" else "en"
    data = SignupData(email=contact.email, name=READER, language=other)
    request_signup(scene.db, data, secret_key="test-secret-key", now=scene.clock())
    scene.db.commit()
    return ("again",)


def _introduction(scene: Scene, language: str) -> tuple[str, ...]:
    nomination = Nomination(
        nominator_name="Bram Jansen",
        nominator_email="bram@example.nl",
        nominee_name=READER,
        nominee_email=address(INTRODUCTION, "nominee", language),
    )
    scene.db.add(nomination)
    scene.db.flush()
    queue_introduction(scene.db, nomination, now=scene.clock())
    scene.db.commit()
    return ("nominee",)


def _account_invitation(scene: Scene, language: str) -> tuple[str, ...]:
    inviter = create_user(
        scene.db, f"beheer.{language}@example.nl", ADMIN_PASSWORD, Role.ADMIN, "Bram Jansen"
    )
    email = address(ACCOUNT_INVITATION, "colleague", language)
    invite(scene.db, inviter, email, Role.ORGANISER, language=language, now=scene.clock())
    scene.db.commit()
    return ("colleague",)


def _password_reset(scene: Scene, language: str) -> tuple[str, ...]:
    email = address(PASSWORD_RESET, "forgot", language)
    create_user(scene.db, email, ADMIN_PASSWORD, Role.ORGANISER, READER, language=language)
    request_reset(scene.db, email, now=scene.clock())
    scene.db.commit()
    return ("forgot",)


SCENES: dict[str, SceneFn] = {
    notices.ANSWER_YES: _answer_yes,
    notices.ANSWER_WAITING: _answer_waiting,
    notices.ANSWER_NO: _answer_no,
    notices.PROMOTED: _promoted,
    notices.MEETING_UPDATE: _meeting_update,
    notices.MEETING_CANCEL: _meeting_cancel,
    SIGNUP_CONFIRM: _signup_confirm,
    SIGNUP_KNOWN: _signup_known,
    INTRODUCTION: _introduction,
    ACCOUNT_INVITATION: _account_invitation,
    PASSWORD_RESET: _password_reset,
}

# Every kind the send loop builds one by one; campaign mail (build None) is rendered per campaign.
SINGLE_KINDS = [kind.name for kind in MESSAGE_KINDS if kind.build is not None]


def test_the_walk_leaves_out_campaign_mail_only():
    assert CAMPAIGN not in SINGLE_KINDS
    assert {kind.name for kind in MESSAGE_KINDS} - set(SINGLE_KINDS) == {CAMPAIGN}


class _Words(HTMLParser):
    """The text a reader sees in an HTML email: its pieces between tags, outside head and style."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("head", "style", "script"):
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in ("head", "style", "script"):
            self._hidden -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._hidden:
            self.pieces.append(text)


@dataclass(frozen=True)
class Read:
    """One message as its reader takes it in."""

    subject: str
    # Each sentence of the text and the HTML part, links left out.
    sentences: tuple[str, ...]
    html_language: str

    @property
    def everything(self) -> str:
        return "\n".join((self.subject, *self.sentences))


# A link differs per reader (its token), so it is read as a mark without words: framing around a
# link is then the same in two messages when its words are.
_ANY_URL = re.compile(r"(https?://|mailto:)\S+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(paragraph: str) -> list[str]:
    """The sentences of a paragraph, its whitespace made single spaces."""
    one_line = " ".join(_ANY_URL.sub("<>", paragraph).split())
    return [sentence for sentence in _SENTENCE_END.split(one_line) if sentence]


def read(message: EmailMessage) -> Read:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    words = _Words()
    words.feed(html)
    # The text part wraps its paragraphs at 72 characters: a sentence is read across its lines.
    paragraphs = [*re.split(r"\n\s*\n", text), *words.pieces]
    language = re.search(r'<html lang="([^"]+)"', html)
    return Read(
        subject=str(message["Subject"]),
        sentences=tuple(s for paragraph in paragraphs for s in sentences(paragraph)),
        html_language=language.group(1) if language else "",
    )


def content(app, db) -> list[str]:
    """What is the same in every language: the network's name, address and mailbox, and the
    meetings' names, hosts and places; longest first, so a longer name is taken out whole."""
    settings = settings_of(app)
    parts = [settings.NETWORK_NAME, settings.NETWORK_ADDRESS, settings.NETWORK_EMAIL]
    for meeting in db.scalars(select(Meeting)):
        parts += [meeting.title, meeting.host_organisation, meeting.venue, meeting.address]
    return sorted({part for part in parts if part}, key=len, reverse=True)


def framing_in_both(app, db, first: Read, second: Read) -> set[str]:
    """Sentences with words that both messages hold, once content without a language is out."""
    names = content(app, db)

    def has_words(sentence: str) -> bool:
        for name in names:
            sentence = sentence.replace(name, "")
        return re.search(r"[^\W\d_]{2}", sentence) is not None

    shared = set(first.sentences) & set(second.sentences)
    return {sentence for sentence in shared if has_words(sentence)}


def greetings(language: str) -> set[str]:
    """How a single message greets its reader (named Anna, or without a name) in `language`."""
    _ = translator(language).gettext
    return {_("Dear %(name)s,", name="Anna"), _("Hello,")}


@pytest.mark.parametrize("kind", SINGLE_KINDS)
def test_every_single_message_is_in_its_readers_language(app, db, smtp_server, clock, kind):
    assert kind in SCENES, (
        f"the message kind {kind!r} has no scene in tests/test_notice_languages.py; add one that "
        "makes it for a reader of English and one of Dutch"
    )
    scene = Scene(app, db, clock, smtp_server)
    variants = {language: SCENES[kind](scene, language) for language in LANGUAGES}
    scene.send()

    got: dict[str, list[EmailMessage]] = {}
    for _from, rcpts, message in smtp_server.handler.messages:
        for rcpt in rcpts:
            got.setdefault(rcpt, []).append(message)

    def arrived(variant: str, language: str) -> Read:
        messages = [
            message
            for message in got.get(address(kind, variant, language), [])
            if message["X-Opgavepost-Notice"] == kind
        ]
        assert messages, f"no {kind} message ({variant}) reached the {language} reader"
        return read(messages[-1])

    for variant in variants["en"]:
        english, dutch = arrived(variant, "en"), arrived(variant, "nl")
        if kind in NO_LANGUAGE_KNOWN:
            # Nothing tells this reader's language: both get the default language.
            expected = NO_LANGUAGE_KNOWN[kind]
            assert english.html_language == dutch.html_language == expected
            assert english.subject == dutch.subject
            continue
        assert english.html_language == "en" and dutch.html_language == "nl"
        assert english.subject != dutch.subject
        # Neither holds the other's subject line, nor its greeting.
        assert dutch.subject not in english.everything
        assert english.subject not in dutch.everything
        assert greetings("en") & set(english.sentences) and greetings("nl") & set(dutch.sentences)
        assert not greetings("nl") & set(english.sentences)
        assert not greetings("en") & set(dutch.sentences)
        # No sentence of the framing is the same in both: each was said in its reader's language.
        assert framing_in_both(app, db, english, dutch) == set(), (kind, variant)
