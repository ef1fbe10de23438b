""" "Send a test": the campaign as its organiser would get it, through the real transport.

The composer calls `send_test_email(session, campaign, organiser, settings, to=...)`, with up to
MAX_TEST_ADDRESSES addresses (`parse_test_addresses` reads them from the field; by default the
organiser's own). Every copy is the organiser's sample, only the envelope differs. The test
uses the organiser as sample recipient, in their language, with "[TEST] " before the subject, and
goes through MAIL_TRANSPORT (the outbox by default, readable at /outbox/). It is made by the
send loop's `MessageFactory`, as every delivery is, and handed to the same transport; only the
values differ: the organiser is on no list, so their personal links are the pages that act for
nobody, no unsubscribe header is added, and its links are the real ones even when the campaign
counts clicks. Nothing here imports Flask.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from sqlalchemy.orm import Session

from config.settings import Settings
from service.addresses import normalise_email
from service.delivery.sendloop import MessageFactory
from service.mail.factory import transport_from_config
from service.mail.outgoing import Outgoing
from service.models import Campaign, User, utcnow
from service.rendering import placeholders
from service.translation import language_or_default

TEST_PREFIX = "[TEST] "
MAX_TEST_ADDRESSES = 5
_SEPARATORS = re.compile(r"[\s,;]+")


class BadTestAddresses(ValueError):
    """The test addresses cannot be used: too many (`address` empty) or one is not an address."""

    def __init__(self, address: str = ""):
        super().__init__(f"not an email address: {address}" if address else "too many addresses")
        self.address = address


def parse_test_addresses(text: str, own: str) -> list[str]:
    """The addresses of the test field (commas, semicolons or spaces between), each once.

    Empty: the organiser's own address. Raises BadTestAddresses for more than
    MAX_TEST_ADDRESSES or for a value that is not an email address (the first one named).
    """
    chosen: list[str] = []
    for value in _SEPARATORS.split(text or ""):
        if not value:
            continue
        try:
            address = normalise_email(value)
        except ValueError:
            raise BadTestAddresses(value) from None
        if address not in chosen:
            chosen.append(address)
    if len(chosen) > MAX_TEST_ADDRESSES:
        raise BadTestAddresses()
    return chosen or [own]


def build_test_message(
    session: Session,
    campaign: Campaign,
    organiser: User,
    settings: Settings,
    *,
    readers: str | None = None,
) -> Outgoing:
    """The test email for this organiser, built but not sent; raises render.TemplateError.

    It is the email readers of `readers` get (the language shown in the composer's preview;
    default the organiser's own): their version, or the campaign's language when it has none.
    """
    language = language_or_default(readers or organiser.language, settings.LANGUAGES)
    factory = MessageFactory(settings)
    # The organiser sees the real links, also when the campaign counts clicks: a test is no
    # recipient's reading (service/click_links.py).
    mail = factory.campaign_mail(
        session, campaign, now=utcnow(), languages=(language,), count_clicks=False
    )
    name = organiser.name.strip() or organiser.email.split("@")[0]
    written_in = mail.rendered[language].language
    sample = placeholders.stand_in_values(factory.base_url, written_in) | {
        placeholders.FIRST_NAME: name.split()[0],
        placeholders.NAME: name,
        placeholders.WEB_VERSION_URL: mail.web_version_urls[language],
    }
    return factory.sample_message(
        mail,
        language=language,
        to_name=organiser.name,
        to_email=organiser.email,
        values=sample,
        subject_prefix=TEST_PREFIX,
    )


def send_test_email(
    session: Session,
    campaign: Campaign,
    organiser: User,
    settings: Settings,
    to: Sequence[str] = (),
    *,
    readers: str | None = None,
) -> list[Outgoing]:
    """Send the campaign as a test to `to` (default: the organiser); return the messages sent.

    Each address gets the organiser's sample (their name), as readers of `readers` get it
    (default: the organiser's language). Raises
    render.TemplateError (cannot render), transports.TransportConfigError (settings) or
    transports.TemporaryFailure / PermanentFailure (the transport refused one; those before it
    went).
    """
    if len(to) > MAX_TEST_ADDRESSES:
        raise BadTestAddresses()
    message = build_test_message(session, campaign, organiser, settings, readers=readers)
    transport = transport_from_config(settings)
    sent = []
    for address in to or [organiser.email]:
        own = address.lower() == organiser.email.lower()
        copy = dataclasses.replace(message, to_email=address, to_name=organiser.name if own else "")
        transport.send(copy)
        sent.append(copy)
    return sent
