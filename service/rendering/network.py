"""Who sends: the network's name, address and sender, read from the settings once per use."""

from __future__ import annotations

from config.settings import Settings
from service.rendering.render import Network


def network_from_config(settings: Settings) -> Network:
    """Who sends, from the settings: NETWORK_NAME and its article, NETWORK_EMAIL and TIMEZONE."""
    return Network(
        name=settings.NETWORK_NAME,
        email=settings.NETWORK_EMAIL,
        address=settings.NETWORK_ADDRESS,
        timezone=settings.TIMEZONE,
        article=settings.NETWORK_ARTICLE,
    )
