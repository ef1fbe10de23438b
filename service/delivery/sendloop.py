"""The send loop: claim due deliveries, build each message, hand them to the relay, record.

One `SendLoop` runs in `opgavepost worker` (any number of them on PostgreSQL) and one in
`opgavepost serve`. Each round it claims a small batch (service/delivery/queue.py), sends it in
chunks paced by the rate limits, and writes every chunk's outcomes before the next chunk goes,
so a crash repeats at most the chunk in flight and loses nothing.

What an outcome does (Mailman's outgoing runner keeps the same distinctions):
- accepted: the delivery is sent; the campaign's failure streak starts again at 0;
- temporary for this message (a 4xx): tried again later, with a growing pause, until the
  retry deadline (MAIL_RETRY_DAYS after the send began), then failed (service/delivery/retries.py
  holds the waits and the deadline);
- permanent for this message (a 5xx): failed with the relay's words; a refused address is put on
  the suppression list;
- temporary for the whole relay (down, throttling): the campaign waits (retry_at) and goes on by
  itself, the messages keep their place and no attempt is counted;
- permanent for the whole relay (login refused): the campaign pauses with the reason;
- MAIL_PAUSE_AFTER_FAILURES failures in a row also pause it, with the last reason;
- refused before any relay saw it (a message that cannot be built, an address this relay cannot
  carry): failed with the reason, alone; no bounce, and no failure of the relay's.

One bad message never touches the rest of its chunk: building each message is guarded on its
own, transports record outcomes by position and never raise (service/mail/transports.py), and
`_hand_over` still keeps whatever a misbehaving transport did say.

Single messages (campaign_id None: an answer's confirmation with its calendar invitation, a
calendar update or cancel; service/meetings/notices.py) share all of this except what belongs to
a campaign: with no campaign to wait or pause, a relay that is down puts the message itself back
for a while. Each is built by its kind's builder, looked up in the registry the loop is given
(service/delivery/kinds.py, filled in service/message_kinds.py); campaign mail keeps its fast
path.

Nothing here imports Flask; `SendLoop.from_config` takes the Settings and a session maker.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Self
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import Session

from config.settings import Settings
from service.addresses import AddressNotSendable, ascii_domain
from service.audience.unsubscribe import UnsubscribeSigner, unsubscribe_mailto, unsubscribe_url
from service.campaigns.lifecycle import Action, Reason, ReasonCode, move, relay_said
from service.campaigns.store import (
    campaign_meeting_facts,
    meeting_check,
    upcoming_for,
)
from service.campaigns.webversion import web_version_url
from service.click_links import counted_links
from service.contact_links import CARD, PREFERENCES, WALL, ContactSigner
from service.delivery import retries
from service.delivery.kinds import MessageKinds, SingleMessage
from service.delivery.queue import (
    Claimed,
    Result,
    claim_due_deliveries,
    finish_campaigns,
    pause_by_itself,
    record_results,
    sent_since,
)
from service.delivery.suppression import suppress
from service.delivery.verp import install_mark, verp_address
from service.mail.factory import transport_from_config
from service.mail.outgoing import BodyTemplate, Outgoing
from service.mail.senders import sender_address, sender_name
from service.mail.transports import (
    Outcome,
    TemporaryFailure,
    Transport,
    outcome_of,
    unsendable_reason,
)
from service.meetings.answer_links import NO, YES, AnswerSigner, answer_url
from service.meetings.calendar import uid_domain
from service.models import Campaign, DeliveryStatus, utcnow
from service.rendering import placeholders
from service.rendering.blocks import ContentError
from service.rendering.network import network_from_config
from service.rendering.notice_mail import NoticeSender
from service.rendering.render import (
    MeetingFacts,
    RenderedCampaign,
    TemplateError,
    checked_values,
    filled,
    render_campaign,
    template_parts,
)
from service.rendering.versions import Version, campaign_links, version_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendSettings:
    """How the loop paces itself; every value comes from a MAIL_* setting."""

    batch_size: int = 200
    lease: timedelta = timedelta(minutes=5)
    retry_deadline: timedelta = timedelta(days=3)
    pause_after_failures: int = 25
    per_second: float = 0.0
    per_hour: int = 0
    idle_seconds: float = 1.0

    @classmethod
    def from_config(cls, config: Settings) -> SendSettings:
        """The settings MAIL_BATCH_SIZE, MAIL_LEASE_SECONDS, MAIL_RETRY_DAYS, ... name."""
        return cls(
            batch_size=config.MAIL_BATCH_SIZE,
            lease=timedelta(seconds=config.MAIL_LEASE_SECONDS),
            retry_deadline=timedelta(days=config.MAIL_RETRY_DAYS),
            pause_after_failures=config.MAIL_PAUSE_AFTER_FAILURES,
            per_second=float(config.MAIL_RATE_PER_SECOND),
            per_hour=config.MAIL_RATE_PER_HOUR,
        )


# ---------------------------------------------------------------------------------------------
# Building each recipient's message


@dataclass
class CampaignMail:
    """One campaign version, rendered once per language, ready to fill in per recipient."""

    campaign_id: int
    version: int
    meeting_id: int | None
    from_name: str
    from_email: str
    reply_to: str
    list_id: str
    message_id_domain: str
    rendered: dict[str, RenderedCampaign] = field(default_factory=dict)
    # The encoded bodies per language (None where the text cannot be templated).
    bodies: dict[str, BodyTemplate | None] = field(default_factory=dict)
    # The same for every recipient of a language, so signed once per campaign version.
    web_version_urls: dict[str, str] = field(default_factory=dict)


class MessageFactory:
    """Makes each delivery's `Outgoing`; renders a campaign only when its version is new."""

    def __init__(self, config: Settings):
        self.config = config
        self.network = network_from_config(config)
        self.base_url = config.BASE_URL.rstrip("/")
        self.secret_key = config.SECRET_KEY
        # Every campaign is rendered once in each of these; the first is for an unknown one.
        self.languages = config.LANGUAGES
        # Message-IDs carry a mark of this installation, so two installations sending from the
        # same domain never make the same one.
        self.install_mark = install_mark(self.secret_key)
        self._campaigns: dict[int, CampaignMail] = {}
        # The signer of unsubscribe_token, made once: it is used for every recipient.
        self._unsubscribe = UnsubscribeSigner(self.secret_key)
        self._answers = AnswerSigner(self.secret_key)
        # The contact's own links, likewise signed per recipient by signers made once.
        self._preferences = ContactSigner(self.secret_key, PREFERENCES)
        self._card = ContactSigner(self.secret_key, CARD)
        self._wall = ContactSigner(self.secret_key, WALL)
        # Someone without a name is greeted as the web version greets everybody.
        self._readers = {
            language: placeholders.stand_in_values(self.base_url, language)[placeholders.NAME]
            for language in self.languages
        }
        from_email = sender_address(config)
        self.sender_name = sender_name(config)
        self.notice_sender = NoticeSender(
            network=self.network,
            base_url=self.base_url,
            from_name=self.sender_name,
            from_email=from_email,
            uid_domain=uid_domain(self.base_url, from_email),
        )
        self.message_id_domain = message_id_domain(from_email)
        self.bounce_address = config.MAIL_BOUNCE_ADDRESS or ""

    def campaign_mail(
        self,
        session: Session,
        campaign: Campaign,
        *,
        now: datetime | None = None,
        languages: Sequence[str] = (),
        count_clicks: bool | None = None,
    ) -> CampaignMail:
        """The campaign rendered in `languages` (default: all); raises TemplateError when it
        cannot be.

        `now` decides what depends on the clock (whether the meeting still takes answers).
        Its links are counted as the campaign's `count_clicks` says, unless `count_clicks` is
        given (the test send: False). Only a rendering in every language, counted as the
        campaign says, is kept for the next message of the same version.
        """
        languages = tuple(languages) or tuple(self.languages)
        every = languages == tuple(self.languages) and count_clicks is None
        cached = self._campaigns.get(campaign.id)
        if every and cached is not None and cached.version == campaign.version:
            return cached
        mail = self.build_campaign_mail(
            campaign_id=campaign.id,
            version=campaign.version,
            sender_name=campaign.sender_name,
            versions={language: version_for(campaign, language) for language in languages},
            links=campaign_links(campaign),
            upcoming=upcoming_for(session, campaign, now=now),
            meeting_id=campaign.meeting_id,
            meeting=campaign_meeting_facts(campaign, now),
            count_clicks=campaign.count_clicks if count_clicks is None else count_clicks,
        )
        if every:
            self._campaigns[campaign.id] = mail
        return mail

    def build_campaign_mail(
        self,
        *,
        campaign_id: int,
        version: int,
        sender_name: str,
        versions: Mapping[str, Version],
        links: Sequence[str] = (),
        upcoming: Sequence[MeetingFacts] = (),
        meeting_id: int | None = None,
        meeting: MeetingFacts | None = None,
        count_clicks: bool = False,
    ) -> CampaignMail:
        """A campaign version rendered for the readers of each language in `versions` (reader's
        language -> the content and framing they get: versions.version_for); raises
        TemplateError.

        With `count_clicks` the links lead through the counted redirect (service/click_links.py),
        numbered by their place in `links` (versions.campaign_links) and rewritten once here for
        every recipient alike.
        """
        counted = (
            counted_links(campaign_id, links, self.secret_key, self.base_url)
            if count_clicks
            else None
        )
        # Readers of several languages may get the same version: each is rendered once.
        by_version: dict[str, RenderedCampaign] = {}
        for shown in versions.values():
            if shown.language not in by_version:
                by_version[shown.language] = render_campaign(
                    shown.content,
                    language=shown.language,
                    network=self.network,
                    base_url=self.base_url,
                    upcoming=upcoming,
                    meeting=meeting,
                    links=counted,
                )
        rendered = {reader: by_version[shown.language] for reader, shown in versions.items()}
        from_email = sender_address(self.config)
        return CampaignMail(
            campaign_id=campaign_id,
            version=version,
            meeting_id=meeting_id,
            from_name=sender_name or self.sender_name,
            from_email=from_email,
            reply_to=self.network.email,
            list_id=list_id(self.network.name, self.base_url),
            message_id_domain=self.message_id_domain,
            rendered=rendered,
            bodies=_body_templates(rendered),
            web_version_urls={
                reader: web_version_url(campaign_id, self.secret_key, self.base_url, reader)
                for reader in rendered
            },
        )

    def message(self, mail: CampaignMail, delivery: Claimed) -> Outgoing:
        """The message for one delivery; raises ValueError for a value that cannot go."""
        reader = delivery.language if delivery.language in mail.rendered else self.languages[0]
        rendered = mail.rendered[reader]
        token = self._unsubscribe.token(delivery.contact_id or 0, mail.campaign_id)
        leave_url = unsubscribe_url(token, self.base_url)
        values = self.recipient_values(mail, reader, delivery, leave_url)
        # The links are made from the checked BASE_URL and URL-safe tokens (checked_values).
        plain, escaped = checked_values(rendered, values, check_urls=False)
        return self._outgoing(
            mail,
            reader,
            plain,
            escaped,
            to_name=delivery.name.strip(),
            to_email=delivery.email,
            message_id=self.message_id(mail, delivery.id),
            return_path=self.return_path(delivery.id),
            headers=(
                ("List-Id", mail.list_id),
                (
                    "List-Unsubscribe",
                    f"<{leave_url}>, <{unsubscribe_mailto(self.network.email, token)}>",
                ),
                # RFC 8058: mail clients may POST to the https link to unsubscribe at once.
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ("X-Opgavepost-Campaign", str(mail.campaign_id)),
            ),
        )

    def sample_message(
        self,
        mail: CampaignMail,
        *,
        language: str,
        to_name: str,
        to_email: str,
        values: Mapping[str, str],
        subject_prefix: str = "",
    ) -> Outgoing:
        """The campaign filled in with sample values for someone on no list (the test send).

        No List-Id and no unsubscribe headers: the reader takes no mailing. Raises
        PersonaliseError (a TemplateError) for a missing value or a URL that is not absolute.
        """
        plain, escaped = checked_values(mail.rendered[language], values)
        return self._outgoing(
            mail,
            language,
            plain,
            escaped,
            to_name=to_name,
            to_email=to_email,
            headers=(("X-Opgavepost-Campaign", str(mail.campaign_id)),),
            subject_prefix=subject_prefix,
        )

    def _outgoing(
        self,
        mail: CampaignMail,
        reader: str,
        plain: Mapping[str, str],
        escaped: Mapping[str, str],
        *,
        to_name: str,
        to_email: str,
        headers: tuple[tuple[str, str], ...],
        message_id: str = "",
        return_path: str = "",
        subject_prefix: str = "",
    ) -> Outgoing:
        subject, html, text = filled(mail.rendered[reader], plain, escaped)
        template = mail.bodies.get(reader)
        return Outgoing(
            from_name=mail.from_name,
            from_email=mail.from_email,
            to_name=to_name,
            to_email=to_email,
            subject=subject_prefix + subject,
            text=text,
            html=html,
            reply_to=mail.reply_to,
            message_id=message_id,
            return_path=return_path,
            headers=headers,
            body=template.later(plain, escaped) if template is not None else None,
        )

    def recipient_values(
        self, mail: CampaignMail, reader: str, delivery: Claimed, leave_url: str
    ) -> dict[str, str]:
        """The delivery's own value for every placeholder the email for readers of `reader`
        holds."""
        rendered = mail.rendered[reader]
        name = delivery.name.strip()
        anybody = self._readers[rendered.language]
        values = {
            placeholders.FIRST_NAME: name.split()[0] if name else anybody,
            placeholders.NAME: name or anybody,
            placeholders.UNSUBSCRIBE_URL: leave_url,
            placeholders.WEB_VERSION_URL: mail.web_version_urls.get(reader)
            or web_version_url(mail.campaign_id, self.secret_key, self.base_url),
            placeholders.PREFERENCES_URL: self._preferences.url(
                delivery.contact_id or 0, self.base_url
            ),
        }
        if placeholders.CARD_URL in rendered.placeholders:
            values[placeholders.CARD_URL] = self._card.url(delivery.contact_id or 0, self.base_url)
        if placeholders.WALL_URL in rendered.placeholders:
            values[placeholders.WALL_URL] = self._wall.url(delivery.contact_id or 0, self.base_url)
        if mail.meeting_id is not None and rendered.placeholders & placeholders.ANSWER_NAMES:
            values.update(self._answer_links(delivery.contact_id or 0, mail.meeting_id))
        return values

    def _answer_links(self, contact_id: int, meeting_id: int) -> dict[str, str]:
        token = self._answers.token(contact_id, meeting_id)
        return {
            placeholders.ANSWER_YES_URL: answer_url(token, self.base_url, YES),
            placeholders.ANSWER_NO_URL: answer_url(token, self.base_url, NO),
            placeholders.ANSWER_URL: answer_url(token, self.base_url),
        }

    def single(self, session: Session, delivery: Claimed, *, now: datetime) -> SingleMessage:
        """What the builder of a single message (campaign_id None) is given (kinds.py)."""
        return SingleMessage(
            session=session,
            delivery=delivery,
            sender=self.notice_sender,
            secret_key=self.secret_key,
            message_id=self._single_message_id(delivery.id),
            now=now,
        )

    def return_path(self, delivery_id: int) -> str:
        """The delivery's VERP return path (MAIL_BOUNCE_ADDRESS set), else "" (the sender)."""
        if not self.bounce_address:
            return ""
        return verp_address(self.bounce_address, delivery_id, self.secret_key)

    def _single_message_id(self, delivery_id: int) -> str:
        return f"<opgavepost.n{delivery_id}.{self.install_mark}@{self.message_id_domain}>"

    def message_id(self, mail: CampaignMail, delivery_id: int) -> str:
        """The same Message-ID every time this delivery is sent, so a repeat is recognisable."""
        return (
            f"<opgavepost.{mail.campaign_id}.{delivery_id}.{self.install_mark}"
            f"@{mail.message_id_domain}>"
        )


def message_id_domain(sender: str) -> str:
    """The domain in our Message-IDs: the sender's, in IDNA form (a header is ASCII)."""
    return _ascii_host(sender.rpartition("@")[2])


def _ascii_host(host: str) -> str:
    try:
        return ascii_domain(host) or "localhost"
    except AddressNotSendable:
        return "localhost"


def _body_templates(rendered: Mapping[str, RenderedCampaign]) -> dict[str, BodyTemplate | None]:
    """The body template of each reader's email, made once for readers of the same version."""
    made: dict[int, BodyTemplate | None] = {}
    for version in rendered.values():
        if id(version) not in made:
            made[id(version)] = _body_template(version)
    return {reader: made[id(version)] for reader, version in rendered.items()}


def _body_template(rendered: RenderedCampaign) -> BodyTemplate | None:
    try:
        return BodyTemplate(*template_parts(rendered))
    except ValueError:
        return None  # encoded per message instead


def list_id(network_name: str, base_url: str) -> str:
    """The List-Id header (RFC 2919): the network's name and an id under our own host name."""
    slug = re.sub(r"[^a-z0-9]+", "-", network_name.lower()).strip("-") or "nieuwsbrief"
    host = _ascii_host(urlsplit(base_url).hostname or "")
    label = network_name.replace('"', "").replace("\\", "").strip()
    # A non-ASCII label would need encoding; the id alone is enough for filters.
    return f'"{label}" <{slug}.{host}>' if label.isascii() and label else f"<{slug}.{host}>"


def preflight(session: Session, campaign: Campaign, config: Settings) -> None:
    """Render the campaign in every language the way the loop will; raises TemplateError.

    Called before a campaign starts, so a broken template is refused before anything is sent.
    """
    MessageFactory(config).campaign_mail(session, campaign)


# ---------------------------------------------------------------------------------------------
# Pacing


class Pacer:
    """Keeps to MAIL_RATE_PER_SECOND within this process: each message books 1/rate seconds."""

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.per_second = per_second
        self.clock = clock
        self.sleep = sleep
        self._free_at = 0.0

    def chunk_size(self, default: int) -> int:
        """How many messages to hand over at once: about one second's worth when limited."""
        return default if self.per_second <= 0 else max(1, min(default, int(self.per_second)))

    def wait_for(self, count: int) -> None:
        """Sleep until `count` more messages fit in the rate, then book them."""
        if self.per_second <= 0:
            return
        now = self.clock()
        start = max(now, self._free_at)
        if start > now:
            self.sleep(start - now)
        self._free_at = start + count / self.per_second


# ---------------------------------------------------------------------------------------------
# The loop


class SendLoop:
    """Claims, sends and records deliveries; `run` until stopped, `run_once` for one round."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        transport: Transport,
        config: Settings,
        *,
        kinds: MessageKinds,
        settings: SendSettings | None = None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.sessions = sessions
        self.transport = transport
        # Every kind of message: how each is built and whom it may reach (service/message_kinds.py).
        self.kinds = kinds
        self.settings = settings or SendSettings.from_config(config)
        self.factory = MessageFactory(config)
        self.clock = clock
        self.pacer = Pacer(self.settings.per_second)
        # Set by `run`; checked between chunks, so a paced round does not delay a stop.
        self.stopping = threading.Event()

    @classmethod
    def from_config(
        cls, config: Settings, sessions: Callable[[], Session], kinds: MessageKinds
    ) -> Self:
        """A loop of this class with the transport MAIL_TRANSPORT names."""
        return cls(sessions, transport_from_config(config), config, kinds=kinds)

    def run(self, stop: threading.Event) -> None:
        """Send until `stop` is set; sleep a moment whenever nothing is due."""
        self.stopping = stop
        try:
            while not stop.is_set():
                try:
                    handled = self.run_once()
                except Exception:  # the loop must outlive one bad round
                    log.exception("the send loop failed a round; it tries again shortly")
                    handled = 0
                if not handled:
                    stop.wait(self.settings.idle_seconds)
        finally:
            self.transport.close()

    def run_once(self) -> int:
        """One round: claim a batch and send it; returns how many deliveries it handled."""
        with self.sessions() as session:
            limit = self._hourly_room(session, self.settings.batch_size)
            if limit <= 0:
                return 0
            claimed = claim_due_deliveries(
                session,
                now=self.clock(),
                limit=limit,
                lease=self.settings.lease,
                kinds=self.kinds,
            )
            if not claimed:
                return 0
            chunks = list(_chunks(claimed, self.pacer.chunk_size(len(claimed))))
            for index, chunk in enumerate(chunks):
                if self.stopping.is_set():
                    # Stopping: what was not sent goes back to the queue at once, untried,
                    # rather than waiting out the lease (platforms allow 10 to 30 s to stop).
                    rest = [d for later in chunks[index:] for d in later]
                    record_results(session, [_released(d) for d in rest], now=self.clock())
                    session.commit()
                    return len(claimed) - len(rest)
                self._send_chunk(session, chunk)
            return len(claimed)

    def _hourly_room(self, session: Session, wanted: int) -> int:
        if self.settings.per_hour <= 0:
            return wanted
        used = sent_since(session, self.clock() - timedelta(hours=1))
        session.rollback()
        return min(wanted, self.settings.per_hour - used)

    def _send_chunk(self, session: Session, chunk: Sequence[Claimed]) -> None:
        results: list[Result] = []
        ready: list[tuple[Claimed, Outgoing]] = []
        for campaign_id, deliveries in _by_campaign(chunk):
            if campaign_id is None:
                ready.extend(self._single_messages(session, deliveries, results))
                continue
            campaign = session.get(Campaign, campaign_id)
            mail = self._campaign_mail(session, campaign, deliveries, results)
            if mail is None:
                continue
            for delivery in deliveries:
                if delivery.skip:
                    results.append(_skipped(delivery))
                    continue
                try:
                    ready.append((delivery, self.factory.message(mail, delivery)))
                except Exception as exc:  # one message that cannot be built fails alone
                    results.append(_not_built(delivery, exc))
        if ready:
            self.pacer.wait_for(len(ready))
            outcomes = self._hand_over([message for _delivery, message in ready])
            self._judge(session, ready, outcomes, results)
        now = self.clock()
        record_results(session, results, now=now)
        finish_campaigns(session, {d.campaign_id for d in chunk}, now=now)
        session.commit()

    def _single_messages(
        self, session: Session, deliveries: list[Claimed], results: list[Result]
    ) -> list[tuple[Claimed, Outgoing]]:
        ready: list[tuple[Claimed, Outgoing]] = []
        now = self.clock()
        for delivery in deliveries:
            if delivery.skip:
                results.append(_skipped(delivery))
                continue
            try:
                single = self.factory.single(session, delivery, now=now)
                ready.append((delivery, self.kinds.build(single)))
            except TemplateError as exc:
                # Our template is broken: it may be mended, so the message waits and retries.
                results.append(self._retry_or_fail(delivery, str(exc), now))
            except Exception as exc:  # one message that cannot be built fails alone
                results.append(_not_built(delivery, exc))
        return ready

    def _hand_over(self, messages: list[Outgoing]) -> list[Outcome]:
        """One outcome per message, whatever the transport does.

        Transports never raise and answer every message (service/mail/transports.py); this
        keeps that true for one that does not. What it answered stays (an accepted message is
        recorded as sent); a message it said nothing about may or may not have gone, so it is
        tried again later as a failure of its own, never counted as sent.
        """
        try:
            answered = self.transport.send_batch(messages).outcomes
        except Exception as exc:
            log.exception("the %s transport raised instead of answering", self.transport.name)
            answered, why = [], f"the relay gave no answer for this message ({exc!r})"
        else:
            why = "the relay gave no answer for this message"
        by_message = {id(outcome.message): outcome for outcome in answered}
        failure = TemporaryFailure(f"{why}; it is tried again later")
        return [by_message.get(id(message)) or outcome_of(message, failure) for message in messages]

    def _campaign_mail(
        self,
        session: Session,
        campaign: Campaign | None,
        deliveries: list[Claimed],
        results: list[Result],
    ) -> CampaignMail | None:
        if campaign is None:
            return None
        now = self.clock()
        # An invitation whose meeting was cancelled (or closed) while it was sending or paused
        # would ask the rest to answer what can no longer be answered.
        closed = meeting_check(campaign, now)
        if closed:
            reason = Reason(ReasonCode.MEETING_CLOSED, {"check": closed[0].code})
            pause_by_itself(session, campaign.id, reason)
            results.extend(_released(d) for d in deliveries)
            return None
        try:
            return self.factory.campaign_mail(session, campaign, now=now)
        except Exception as exc:
            if not isinstance(exc, TemplateError | ContentError):
                log.exception("campaign %s could not be rendered", campaign.id)
            # Nothing of a campaign that cannot render may go; the organiser mends and resumes.
            broken = Reason(ReasonCode.RENDER_FAILED, {"error": str(exc)})
            pause_by_itself(session, campaign.id, broken)
            results.extend(_released(d) for d in deliveries)
            return None

    def _judge(
        self,
        session: Session,
        ready: list[tuple[Claimed, Outgoing]],
        outcomes: list[Outcome],
        results: list[Result],
    ) -> None:
        now = self.clock()
        # Single messages (campaign None) share one streak that no campaign keeps.
        streaks: dict[int | None, _Streak] = {}
        for (delivery, _message), outcome in zip(ready, outcomes, strict=True):
            streak = streaks.setdefault(delivery.campaign_id, _Streak())
            if outcome.status == "accepted":
                results.append(
                    Result(delivery.id, DeliveryStatus.SENT, provider_id=outcome.provider_id)
                )
                streak.accepted()
            elif outcome.unsendable:
                # Refused before the relay saw it: about this message alone, not the relay.
                results.append(Result(delivery.id, DeliveryStatus.FAILED, outcome.reason))
            elif outcome.relay_wide and delivery.campaign_id is None:
                # No campaign waits for the relay on its behalf: the message itself waits.
                results.append(self._held_back(delivery, outcome, now))
            elif outcome.relay_wide:
                results.append(_released(delivery))
                streak.relay_failed(outcome)
            elif outcome.status == "temporary":
                results.append(self._retry_or_fail(delivery, outcome.reason, now))
                streak.failed(outcome.reason)
            else:
                results.append(Result(delivery.id, DeliveryStatus.FAILED, outcome.reason))
                if outcome.bounce:
                    suppress(
                        session,
                        delivery.email,
                        "hard_bounce",
                        outcome.reason,
                        "relay",
                        campaign_id=delivery.campaign_id,
                    )
                streak.failed(outcome.reason)
        for campaign_id, streak in streaks.items():
            if campaign_id is not None:
                self._apply_streak(session, campaign_id, streak, now)

    def _retry_or_fail(self, delivery: Claimed, reason: str, now: datetime) -> Result:
        attempts = delivery.attempts + 1
        pause = retries.message_wait(attempts)
        if retries.gives_up(delivery.created_at, now + pause, self.settings.retry_deadline):
            days = self.settings.retry_deadline.days
            return Result(
                delivery.id,
                DeliveryStatus.FAILED,
                f"still failing after {attempts} tries over {days} days: {reason}",
            )
        return Result(delivery.id, DeliveryStatus.QUEUED, reason, next_attempt_at=now + pause)

    def _held_back(self, delivery: Claimed, outcome: Outcome, now: datetime) -> Result:
        # Not an attempt (the relay did not try it); the deadline still counts from its creation.
        wait = retries.held_back_wait(outcome.status == "permanent", outcome.retry_after)
        if retries.gives_up(delivery.created_at, now + wait, self.settings.retry_deadline):
            return Result(delivery.id, DeliveryStatus.FAILED, outcome.reason)
        return Result(
            delivery.id,
            DeliveryStatus.QUEUED,
            outcome.reason,
            next_attempt_at=now + wait,
            attempted=False,
        )

    def _apply_streak(
        self, session: Session, campaign_id: int, streak: _Streak, now: datetime
    ) -> None:
        # A number after an accepted message, else an increment of the stored streak in SQL.
        failures: int | ColumnElement[int]
        if streak.reset:
            failures = streak.count
        elif streak.count:
            failures = Campaign.failure_streak + streak.count
        else:
            return
        row = session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(failure_streak=failures)
            .returning(Campaign.failure_streak, Campaign.status_reason_code)
            .execution_options(synchronize_session=False)
        ).first()
        count, noted = (row[0], row[1]) if row else (0, "")
        last_words = relay_said(streak.last_reason) if streak.last_reason else None
        if last_words is not None or noted:
            # The relay's last words while it sends (none after an accepted message); only
            # while it sends: a campaign paused meanwhile keeps the reason it paused for.
            move(session, campaign_id, Action.NOTE, reason=last_words)
        if streak.relay_outcome is not None:
            if streak.relay_outcome.status == "permanent":
                pause_by_itself(session, campaign_id, relay_said(streak.relay_outcome.reason))
                return
            wait = retries.relay_wait(count, streak.relay_outcome.retry_after)
            session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id)
                .values(retry_at=now + wait)
                .execution_options(synchronize_session=False)
            )
        if count >= self.settings.pause_after_failures:
            reason = Reason(
                ReasonCode.FAILURES_IN_A_ROW, {"count": count, "reply": streak.last_reason[:2000]}
            )
            pause_by_itself(session, campaign_id, reason)


@dataclass
class _Streak:
    """Failures in a row within one chunk of one campaign."""

    count: int = 0
    reset: bool = False
    last_reason: str = ""
    relay_outcome: Outcome | None = None

    def accepted(self) -> None:
        self.count, self.reset, self.last_reason = 0, True, ""

    def failed(self, reason: str) -> None:
        self.count += 1
        self.last_reason = reason

    def relay_failed(self, outcome: Outcome) -> None:
        # The relay failing counts once per chunk: the other messages were never tried.
        if self.relay_outcome is None:
            self.count += 1
            self.last_reason = outcome.reason
            self.relay_outcome = outcome


def _not_built(delivery: Claimed, error: Exception) -> Result:
    return Result(delivery.id, DeliveryStatus.FAILED, unsendable_reason(error))


def _skipped(delivery: Claimed) -> Result:
    return Result(delivery.id, DeliveryStatus.SKIPPED, delivery.skip, attempted=False)


def _released(delivery: Claimed) -> Result:
    # Back to the queue as it was: the message was not tried.
    return Result(delivery.id, DeliveryStatus.QUEUED, attempted=False)


def _by_campaign(chunk: Sequence[Claimed]) -> Iterator[tuple[int | None, list[Claimed]]]:
    groups: dict[int | None, list[Claimed]] = {}
    for delivery in chunk:
        groups.setdefault(delivery.campaign_id, []).append(delivery)
    yield from groups.items()


def _chunks(items: Sequence[Claimed], size: int) -> Iterator[Sequence[Claimed]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
