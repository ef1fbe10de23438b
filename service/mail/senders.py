"""Who an email is from: the From address and name every message carries, from the settings."""

from __future__ import annotations

from email.utils import parseaddr

from config.settings import Settings


def sender_address(settings: Settings) -> str:
    """The From address of every email: MAIL_DEFAULT_SENDER, else NETWORK_EMAIL."""
    return parseaddr(settings.MAIL_DEFAULT_SENDER or "")[1] or settings.NETWORK_EMAIL


def sender_name(settings: Settings) -> str:
    """The From name where nothing else names one (a campaign's own sender name goes first).

    MAIL_DEFAULT_SENDER may carry it, as Flask-Mail allows ("Opgavebeweging <post@example.nl>");
    else it is NETWORK_NAME.
    """
    return parseaddr(settings.MAIL_DEFAULT_SENDER or "")[0] or settings.NETWORK_NAME
