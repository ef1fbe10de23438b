""" "Send a test to me": the campaign as its organiser would get it, through the real transport.

The composer calls `send_test_email(session, campaign, organiser, settings)`. The test
uses the organiser as sample recipient, in their language, with "[TEST] " before the subject, and
goes through MAIL_TRANSPORT (the outbox by default, readable at /outbox/). Nothing here imports
Flask.
"""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy.orm import Session

from config.settings import Settings
from service.campaigns.store import preview_campaign
from service.campaigns.webversion import web_version_url
from service.mail.message import build_message
from service.mail.transports import transport_from_config
from service.models import Campaign, User
from service.rendering import placeholders
from service.rendering.network import network_from_config, sender_address, sender_name
from service.translation import language_or_default

TEST_PREFIX = "[TEST] "


def build_test_message(
    session: Session, campaign: Campaign, organiser: User, settings: Settings
) -> EmailMessage:
    """The test email for this organiser, built but not sent; raises render.TemplateError."""
    language = language_or_default(organiser.language, settings.LANGUAGES)
    base_url = settings.BASE_URL
    name = organiser.name.strip() or organiser.email.split("@")[0]
    # The organiser is no subscriber: their personal links are the pages that act for nobody.
    sample = placeholders.stand_in_values(base_url, language) | {
        placeholders.FIRST_NAME: name.split()[0],
        placeholders.NAME: name,
        placeholders.WEB_VERSION_URL: web_version_url(
            campaign.id, settings.SECRET_KEY, base_url, language
        ),
    }
    preview = preview_campaign(
        session,
        campaign,
        language=language,
        network=network_from_config(settings),
        base_url=base_url,
        sample=sample,
    )
    return build_message(
        subject=TEST_PREFIX + preview.subject,
        html=preview.html,
        text=preview.text,
        to_name=organiser.name,
        to_email=organiser.email,
        from_name=campaign.sender_name or sender_name(settings),
        from_email=sender_address(settings),
        reply_to=settings.NETWORK_EMAIL,
        headers={"X-Opgavepost-Campaign": str(campaign.id)},
    )


def send_test_email(
    session: Session, campaign: Campaign, organiser: User, settings: Settings
) -> EmailMessage:
    """Send the campaign to the organiser as a test and return the message sent.

    Raises render.TemplateError (cannot render), transports.TransportConfigError (settings) or
    transports.TemporaryFailure / PermanentFailure (the transport refused it).
    """
    message = build_test_message(session, campaign, organiser, settings)
    transport_from_config(settings).send(message)
    return message
