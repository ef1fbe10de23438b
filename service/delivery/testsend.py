""" "Send a test to me": the campaign as its organiser would get it, through the real transport.

The composer calls `send_test_email(session, campaign, organiser, settings)`. The test
uses the organiser as sample recipient, in their language, with "[TEST] " before the subject, and
goes through MAIL_TRANSPORT (the outbox by default, readable at /outbox/). It is made by the
send loop's `MessageFactory`, as every delivery is, and handed to the same transport; only the
values differ: the organiser is on no list, so their personal links are the pages that act for
nobody, no unsubscribe header is added, and its links are the real ones even when the campaign
counts clicks. Nothing here imports Flask.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from config.settings import Settings
from service.delivery.sendloop import MessageFactory
from service.mail.factory import transport_from_config
from service.mail.outgoing import Outgoing
from service.models import Campaign, User, utcnow
from service.rendering import placeholders
from service.translation import language_or_default

TEST_PREFIX = "[TEST] "


def build_test_message(
    session: Session, campaign: Campaign, organiser: User, settings: Settings
) -> Outgoing:
    """The test email for this organiser, built but not sent; raises render.TemplateError."""
    language = language_or_default(organiser.language, settings.LANGUAGES)
    factory = MessageFactory(settings)
    # The organiser sees the real links, also when the campaign counts clicks: a test is no
    # recipient's reading (service/click_links.py).
    mail = factory.campaign_mail(
        session, campaign, now=utcnow(), languages=(language,), count_clicks=False
    )
    name = organiser.name.strip() or organiser.email.split("@")[0]
    sample = placeholders.stand_in_values(factory.base_url, language) | {
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
    session: Session, campaign: Campaign, organiser: User, settings: Settings
) -> Outgoing:
    """Send the campaign to the organiser as a test and return the message sent.

    Raises render.TemplateError (cannot render), transports.TransportConfigError (settings) or
    transports.TemporaryFailure / PermanentFailure (the transport refused it).
    """
    message = build_test_message(session, campaign, organiser, settings)
    transport_from_config(settings).send(message)
    return message
