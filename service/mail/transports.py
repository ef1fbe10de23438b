"""Transports: where a built message goes. Chosen by MAIL_TRANSPORT (default `outbox`).

Shaped after django-anymail's backends: one base class, thin subclasses, one tree of typed
errors. A transport raises; it never returns `(False, message)`. `TemporaryFailure` means "try
again later" (a 4xx answer, a connection that failed), `PermanentFailure` means "this message
will never go" (a 5xx answer). The delivery loop of a later issue builds on these.

- `outbox` writes each message as an .eml file into `instance/outbox/`, for the embedded demo and
  for reading mail in the browser at /outbox/ without any mail server.
- `smtp` hands messages to an SMTP server (MAIL_SERVER, MAIL_PORT, ...).
- `mailgun` and `postmark` post them to a provider's HTTP API (service/mail/relays.py).
"""

from __future__ import annotations

import os
import secrets
import smtplib
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

SMTP_TIMEOUT = 30


class TransportError(Exception):
    """A message could not be handed over; subclasses say whether trying again may help."""


class TemporaryFailure(TransportError):
    """The server or connection failed for now (4xx, timeout); the same message may go later."""


class PermanentFailure(TransportError):
    """The message was refused for good (5xx); sending it again will not help."""


class TransportConfigError(ValueError):
    """The transport settings are incomplete; the message names the setting to mend."""


class Transport:
    """A place to hand messages to. Subclasses implement `send`; it raises on failure."""

    name = "base"

    def send(self, message: EmailMessage) -> None:
        """Hand over one message, or raise TemporaryFailure / PermanentFailure."""
        raise NotImplementedError

    def send_many(self, messages: list[EmailMessage]) -> None:
        """Hand over several messages; stops at the first failure (which is raised)."""
        for message in messages:
            self.send(message)


class OutboxTransport(Transport):
    """Writes each message as an .eml file into a folder (instance/outbox by default)."""

    name = "outbox"

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def send(self, message: EmailMessage) -> None:
        """Write the message to `<UTC time>-<random>.eml`, atomically."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            name = f"{stamp}-{secrets.token_hex(4)}.eml"
            # Written under a hidden name first and renamed, so the outbox reader never sees half
            # a message.
            draft = self.folder / f".{name}.part"
            draft.write_bytes(message.as_bytes())
            os.replace(draft, self.folder / name)
        except OSError as exc:
            raise TemporaryFailure(
                f"the outbox folder {self.folder} is not writable: {exc}"
            ) from exc


class SmtpTransport(Transport):
    """Hands messages to an SMTP server; one connection per `send_many` call."""

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        use_tls: bool = False,
        use_ssl: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = SMTP_TIMEOUT,
    ):
        if use_tls and use_ssl:
            raise TransportConfigError(
                "MAIL_USE_TLS and MAIL_USE_SSL are both on; choose one (SSL for port 465)"
            )
        self.host = host
        self.port = port
        self.use_tls = use_tls
        self.use_ssl = use_ssl
        self.username = username
        self.password = password
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        """Send one message over a new connection."""
        self.send_many([message])

    def send_many(self, messages: list[EmailMessage]) -> None:
        """Send the messages over one connection; raises on the first refused message."""
        try:
            with self._connect() as smtp:
                for message in messages:
                    smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            raise _failure(min(codes) if codes else 550, str(exc.recipients)) from exc
        except smtplib.SMTPResponseException as exc:
            text = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise _failure(exc.smtp_code, text) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(
                f"could not talk to the SMTP server {self.host}:{self.port}: {exc}"
            ) from exc

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.use_ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.use_tls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _failure(code: int, text: str) -> TransportError:
    detail = f"the SMTP server answered {code}: {text}"
    if 400 <= code < 500:
        return TemporaryFailure(detail)
    if 500 <= code < 600:
        return PermanentFailure(detail)
    # Anything else (e.g. -1 for a closed connection) is worth another try.
    return TemporaryFailure(detail)


def outbox_folder(config: Mapping[str, Any]) -> Path:
    """The folder the outbox transport writes to: instance/outbox (MAIL_OUTBOX_PATH)."""
    return Path(config["MAIL_OUTBOX_PATH"])


def transport_from_config(config: Mapping[str, Any]) -> Transport:
    """The transport MAIL_TRANSPORT names, set up from the other MAIL_* settings."""
    kind = config.get("MAIL_TRANSPORT", "outbox")
    if kind == "outbox":
        return OutboxTransport(outbox_folder(config))
    if kind == "smtp":
        server = config.get("MAIL_SERVER")
        if not server:
            raise TransportConfigError(
                "MAIL_SERVER is not set; set it or use MAIL_TRANSPORT=outbox"
            )
        use_ssl = bool(config.get("MAIL_USE_SSL"))
        port = config.get("MAIL_PORT") or (465 if use_ssl else 25)
        return SmtpTransport(
            server,
            int(port),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=use_ssl,
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
        )
    if kind in ("mailgun", "postmark"):
        # Imported here: relays.py builds on this module's base class.
        from service.mail.relays import relay_from_config

        return relay_from_config(kind, config)
    raise TransportConfigError(
        f"MAIL_TRANSPORT={kind!r} is unknown; use outbox, smtp, mailgun or postmark"
    )
