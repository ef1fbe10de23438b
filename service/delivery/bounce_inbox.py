"""Where bounces arrive by mail: the bounce listener (SMTP or LMTP) and the bounce mailbox.

`opgavepost bounces listen` runs `BounceListener`: the organisation's mail server forwards mail
for the bounce address (bounces+*@domain) to it. It takes mail only for the bounce address and its
extensions, reads and records each bounce (service/delivery/bounce_mail.py, bounce_log.py) and
answers 250 only after the commit; when recording fails it answers 451, so the mail server keeps
the bounce and tries again. Mail that is no bounce of ours (an auto-reply, a forged or unsigned
bounce) is taken with 250 and dropped with a line in the log: refusing it would only make the
mail server send a bounce of the bounce.

`opgavepost bounces fetch` runs `fetch_bounces`: it reads a POP3 or IMAP mailbox
(BOUNCE_MAILBOX_URL), records every bounce of ours and deletes those messages after the commit.
Messages that are no bounce of ours are left where they are, unread, for a person to look at
(and are read again by the next fetch, which costs little and records nothing). A fetch that
fails halfway loses nothing: what was committed is deleted, and a message read again later is
recognised and not counted twice.

Plain logic, no Flask: both take a session maker and BounceRules.
"""

from __future__ import annotations

import asyncio
import imaplib
import logging
import poplib
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy.orm import Session

from config.settings import MAILBOX_SCHEMES
from service.delivery.bounce_log import BounceRules, Recorded, record_bounce
from service.delivery.bounce_mail import read_bounce
from service.delivery.verp import is_bounce_address
from service.models import utcnow

log = logging.getLogger(__name__)

MAILBOX_TIMEOUT = 30


@dataclass
class Tally:
    """What a listener or a fetch did with the mail it read."""

    read: int = 0
    recorded: int = 0  # new bounces
    duplicates: int = 0  # bounces recorded before
    ignored: int = 0  # messages that are no bounce of ours
    failed: int = 0  # messages that could not be recorded (left for the next try)
    deleted: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the log and the CLI."""
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.kinds.items()))
        return (
            f"messages read: {self.read}, bounces recorded: {self.recorded}"
            f"{f' ({kinds})' if kinds else ''}, already recorded: {self.duplicates}, "
            f"not a bounce of ours: {self.ignored}, failed: {self.failed}, deleted: {self.deleted}"
        )


def record_mail(
    session: Session,
    data: bytes,
    rules: BounceRules,
    *,
    source: str,
    envelope_recipients: Sequence[str] = (),
) -> list[Recorded]:
    """Read one message and record every bounce of ours in it; [] when there is none.

    The caller commits.
    """
    reports = read_bounce(
        data, source=source, envelope_recipients=envelope_recipients, now=utcnow()
    )
    recorded = []
    for report in reports:
        result = record_bounce(session, report, rules)
        if result is not None:
            recorded.append(result)
    return recorded


def _count(tally: Tally, recorded: list[Recorded]) -> None:
    if not recorded:
        tally.ignored += 1
    for result in recorded:
        if result.duplicate:
            tally.duplicates += 1
        else:
            tally.recorded += 1
            tally.kinds[result.bounce.kind] = tally.kinds.get(result.bounce.kind, 0) + 1


# ---------------------------------------------------------------------------------------------
# The listener


class BounceHandler:
    """aiosmtpd handler: takes mail for the bounce address, records it, then answers."""

    def __init__(self, sessions: Callable[[], Session], rules: BounceRules, *, lmtp: bool = False):
        if not rules.bounce_address:
            raise ValueError(
                "MAIL_BOUNCE_ADDRESS is not set; set it (e.g. bounces@example.nl) so campaign "
                "mail carries a return path the listener can read"
            )
        self.sessions = sessions
        self.rules = rules
        self.lmtp = lmtp
        self.tally = Tally()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        """Only the bounce address and its extensions are taken."""
        if not is_bounce_address(address, self.rules.bounce_address):
            return "550 5.1.1 not a bounce address of this service"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        """Record the bounce in a worker thread; 250 after the commit, 451 when it failed."""
        data = envelope.original_content or envelope.content
        recipients = list(envelope.rcpt_tos)
        try:
            answer = await asyncio.to_thread(self._record, data, recipients)
        except Exception:
            log.exception("a bounce could not be recorded; the mail server will try again")
            self.tally.failed += 1
            answer = "451 4.3.0 the bounce could not be recorded now; try again later"
        # LMTP answers once per recipient (RFC 2033); SMTP once per message.
        return "\r\n".join([answer] * len(recipients)) if self.lmtp else answer

    def _record(self, data: bytes, recipients: list[str]) -> str:
        with self.sessions() as session:
            recorded = record_mail(
                session, data, self.rules, source="listener", envelope_recipients=recipients
            )
            session.commit()
        self.tally.read += 1
        _count(self.tally, recorded)
        if not recorded:
            log.info("mail for %s is no bounce of ours; dropped", ", ".join(recipients))
            return "250 2.0.0 not a bounce of ours; dropped"
        for result in recorded:
            bounce = result.bounce
            log.info(
                "%s%s for delivery %s of campaign %s: %s",
                bounce.kind,
                " (again)" if result.duplicate else "",
                bounce.delivery_id,
                bounce.campaign_id,
                bounce.reason,
            )
        return "250 2.0.0 bounce recorded"


class BounceListener:
    """The bounce listener on host:port, SMTP or LMTP, in a thread of its own (aiosmtpd)."""

    def __init__(self, handler: BounceHandler, host: str = "127.0.0.1", port: int = 2525):
        from aiosmtpd.controller import Controller
        from aiosmtpd.lmtp import LMTP
        from aiosmtpd.smtp import SMTP

        server_class = LMTP if handler.lmtp else SMTP

        class _Controller(Controller):
            def factory(self) -> SMTP:
                return server_class(self.handler, **self.SMTP_kwargs)

        self.handler = handler
        # 10 MB: a bounce carries the returned message, and ours are some 30 KB.
        self.controller = _Controller(
            handler, hostname=host, port=port, data_size_limit=10 * 1024 * 1024
        )

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.controller.port)

    def start(self) -> BounceListener:
        """Listen; raises OSError when the port is taken."""
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop listening; a message being recorded is finished first."""
        self.controller.stop()


# ---------------------------------------------------------------------------------------------
# The mailbox


class MailboxError(Exception):
    """The bounce mailbox cannot be read: a bad URL, no connection, a refused login."""


@dataclass(frozen=True)
class MailboxAddress:
    """BOUNCE_MAILBOX_URL taken apart."""

    scheme: str
    host: str
    port: int
    user: str
    password: str
    folder: str

    @property
    def secure(self) -> bool:
        """Whether the connection is TLS from the start (imaps, pop3s)."""
        return self.scheme.endswith("s")

    @property
    def where(self) -> str:
        """scheme://user@host:port, for messages (no password)."""
        return f"{self.scheme}://{self.user}@{self.host}:{self.port}"


DEFAULT_PORTS = {"imap": 143, "imaps": 993, "pop3": 110, "pop3s": 995}


def mailbox_address(url: str) -> MailboxAddress:
    """Take BOUNCE_MAILBOX_URL apart; raises MailboxError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in MAILBOX_SCHEMES:
        raise MailboxError(
            f"BOUNCE_MAILBOX_URL has the scheme {parts.scheme!r}; use one of "
            f"{', '.join(MAILBOX_SCHEMES)} (e.g. imaps://user:password@host/INBOX)"
        )
    if not parts.hostname:
        raise MailboxError("BOUNCE_MAILBOX_URL names no host; use scheme://user:password@host/")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:
        raise MailboxError("BOUNCE_MAILBOX_URL has a port that is no number") from exc
    if not parts.username:
        raise MailboxError("BOUNCE_MAILBOX_URL names no user; use scheme://user:password@host/")
    return MailboxAddress(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.strip("/")) or "INBOX",
    )


class _Mailbox:
    """One open mailbox: its messages, each read and then deleted or left."""

    def messages(self) -> Iterator[tuple[Any, bytes]]:
        raise NotImplementedError

    def delete(self, key: Any) -> None:
        raise NotImplementedError


class _Imap(_Mailbox):
    def __init__(self, client: imaplib.IMAP4):
        self.client = client

    def messages(self) -> Iterator[tuple[Any, bytes]]:
        status, data = self.client.uid("SEARCH", "ALL")
        if status != "OK":
            raise MailboxError(f"the IMAP server did not list the messages: {data!r}")
        for uid in (data[0] or b"").decode("ascii").split():
            # PEEK: a message left in the mailbox stays unread for the person who looks.
            status, parts = self.client.uid("FETCH", uid, "(BODY.PEEK[])")
            body = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if status == "OK" and isinstance(body, bytes):
                yield uid, body

    def delete(self, key: Any) -> None:
        self.client.uid("STORE", key, "+FLAGS", "(\\Deleted)")
        self.client.expunge()


class _Pop3(_Mailbox):
    def __init__(self, client: poplib.POP3):
        self.client = client

    def messages(self) -> Iterator[tuple[Any, bytes]]:
        count, _size = self.client.stat()
        for number in range(1, count + 1):
            _response, lines, _octets = self.client.retr(number)
            yield number, b"\r\n".join(lines) + b"\r\n"

    def delete(self, key: Any) -> None:
        # POP3 deletes the marked messages when the session ends with QUIT.
        self.client.dele(key)


@contextmanager
def open_mailbox(url: str, *, timeout: float = MAILBOX_TIMEOUT) -> Iterator[_Mailbox]:
    """The mailbox BOUNCE_MAILBOX_URL names, logged in; raises MailboxError."""
    address = mailbox_address(url)
    context = ssl.create_default_context()
    try:
        if address.scheme.startswith("imap"):
            with _imap(address, context, timeout) as mailbox:
                yield mailbox
        else:
            with _pop3(address, context, timeout) as mailbox:
                yield mailbox
    except (OSError, EOFError) as exc:
        raise MailboxError(f"could not read the bounce mailbox {address.where}: {exc}") from exc


@contextmanager
def _imap(address: MailboxAddress, context: ssl.SSLContext, timeout: float) -> Iterator[_Mailbox]:
    try:
        if address.secure:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                address.host, address.port, ssl_context=context, timeout=timeout
            )
        else:
            client = imaplib.IMAP4(address.host, address.port, timeout=timeout)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(
            f"could not connect to the bounce mailbox {address.where}: {exc}"
        ) from exc
    try:
        try:
            client.login(address.user, address.password)
        except imaplib.IMAP4.error as exc:
            raise MailboxError(
                f"the IMAP server {address.host} refused the login of {address.user}: "
                f"{_said(exc)}; check the user and password in BOUNCE_MAILBOX_URL"
            ) from exc
        status, data = client.select(_quoted(address.folder))
        if status != "OK":
            raise MailboxError(
                f"the IMAP server {address.host} has no folder {address.folder!r}: "
                f"{_said(data)}; check the path of BOUNCE_MAILBOX_URL"
            )
        yield _Imap(client)
        client.close()
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            client.logout()


@contextmanager
def _pop3(address: MailboxAddress, context: ssl.SSLContext, timeout: float) -> Iterator[_Mailbox]:
    try:
        if address.secure:
            client: poplib.POP3 = poplib.POP3_SSL(
                address.host, address.port, context=context, timeout=timeout
            )
        else:
            client = poplib.POP3(address.host, address.port, timeout=timeout)
    except (OSError, poplib.error_proto) as exc:
        raise MailboxError(
            f"could not connect to the bounce mailbox {address.where}: {exc}"
        ) from exc
    try:
        try:
            client.user(address.user)
            client.pass_(address.password)
        except poplib.error_proto as exc:
            raise MailboxError(
                f"the POP3 server {address.host} refused the login of {address.user}: "
                f"{_said(exc)}; check the user and password in BOUNCE_MAILBOX_URL"
            ) from exc
        yield _Pop3(client)
        client.quit()  # only now are the messages marked for deletion removed
    except BaseException:
        client.close()  # no QUIT: nothing is deleted, everything is read again next time
        raise


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _said(value: Any) -> str:
    if isinstance(value, Exception):
        value = value.args[0] if value.args else value
    if isinstance(value, list | tuple):
        value = b" ".join(v for v in value if isinstance(v, bytes)) or value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def fetch_bounces(
    url: str, sessions: Callable[[], Session], rules: BounceRules, *, timeout: float = 30
) -> Tally:
    """Read the bounce mailbox, record every bounce of ours, delete those after the commit."""
    tally = Tally()
    with open_mailbox(url, timeout=timeout) as mailbox:
        for key, data in mailbox.messages():
            tally.read += 1
            try:
                with sessions() as session:
                    recorded = record_mail(session, data, rules, source="mailbox")
                    session.commit()
            except Exception:
                log.exception("message %s of the bounce mailbox could not be recorded", key)
                tally.failed += 1
                continue
            _count(tally, recorded)
            if recorded:
                mailbox.delete(key)
                tally.deleted += 1
    return tally
