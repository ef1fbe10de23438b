"""The transport MAIL_TRANSPORT names, set up from the settings (the one place that knows them
all: the transports themselves build on service/mail/transports.py)."""

from __future__ import annotations

from config.settings import Settings
from service.mail.relays import relay_from_config
from service.mail.smtp import SmtpTransport
from service.mail.transports import (
    OutboxTransport,
    Transport,
    TransportConfigError,
    outbox_folder,
)


def transport_from_config(config: Settings) -> Transport:
    """The transport MAIL_TRANSPORT names, set up from the other MAIL_* settings."""
    kind = config.MAIL_TRANSPORT
    if kind == "outbox":
        return OutboxTransport(outbox_folder(config))
    if kind == "smtp":
        server = config.MAIL_SERVER
        if not server:
            raise TransportConfigError(
                "MAIL_SERVER is not set; set it or use MAIL_TRANSPORT=outbox"
            )
        use_ssl = config.MAIL_USE_SSL
        port = config.MAIL_PORT or (465 if use_ssl else 25)
        return SmtpTransport(
            server,
            port,
            use_tls=config.MAIL_USE_TLS,
            use_ssl=use_ssl,
            username=config.MAIL_USERNAME or None,
            password=config.MAIL_PASSWORD or None,
            connections=config.MAIL_SMTP_CONNECTIONS,
        )
    if kind in ("mailgun", "postmark"):
        return relay_from_config(kind, config)
    raise TransportConfigError(
        f"MAIL_TRANSPORT={kind!r} is unknown; use outbox, smtp, mailgun or postmark"
    )
