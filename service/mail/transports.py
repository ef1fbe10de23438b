"""Transports: where a built message goes. Chosen by MAIL_TRANSPORT (default `outbox`).

Shaped after django-anymail's backends: one base class, thin subclasses, one tree of typed
errors. `send` raises; `send_batch` returns one `Outcome` per message, made from the same
errors, because one batch can hold accepted and refused messages alike. `TemporaryFailure` means
"try again later" (a 4xx answer, a connection that failed), `PermanentFailure` means "this message
will never go" (a 5xx answer). The send loop (service/delivery/sendloop.py) records each outcome.

`send_batch` never raises. A transport writes each outcome into `Outcomes` by position as soon
as it is known, so whatever goes wrong later in the batch (a dropped connection, a garbled reply,
an unexpected exception) cannot take back what the relay already accepted: one bad message never
costs the others their outcome, and nobody gets the same message twice because a later one
failed. A message that cannot be built or whose address this relay cannot carry is refused
here, before any relay sees it, as that message's own outcome (`unsendable`).

- `outbox` writes each message as an .eml file into `instance/outbox/`, for the embedded demo and
  for reading mail in the browser at /outbox/ without any mail server.
- `smtp` hands messages to an SMTP server (MAIL_SERVER, MAIL_PORT, ...; service/mail/smtp.py).
- `mailgun` and `postmark` post them to a provider's HTTP API (service/mail/relays.py).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from config.settings import Settings
from service.addresses import AddressNotSendable
from service.mail.outgoing import Outgoing

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 30


class TransportError(Exception):
    """A message could not be handed over; subclasses say whether trying again may help.

    `bounce` marks a refusal of the recipient's address itself (a 550 5.1.1 "no such user"), which
    puts the address on the suppression list. `relay_wide` marks a failure of the relay rather
    than of this message (connection refused, login refused, HTTP 5xx or 429): every other
    message would fail the same way, so the send loop waits or pauses instead of trying each.
    """

    def __init__(self, message: str, *, bounce: bool = False, relay_wide: bool = False):
        super().__init__(message)
        self.bounce = bounce
        self.relay_wide = relay_wide


class TemporaryFailure(TransportError):
    """The server or connection failed for now (4xx, timeout); the same message may go later."""


class PermanentFailure(TransportError):
    """The message was refused for good (5xx); sending it again will not help."""


class RateLimited(TemporaryFailure):
    """The provider throttles us (HTTP 429); `retry_after` is the pause it asked for, if any."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message, relay_wide=True)
        self.retry_after = retry_after


class TransportConfigError(ValueError):
    """The transport settings are incomplete; the message names the setting to mend."""


Status = Literal["accepted", "temporary", "permanent"]


@dataclass(frozen=True)
class Outcome:
    """What became of one message of a batch: accepted, or failed with the relay's reason.

    `message` is the `Outgoing` as it was given.
    """

    message: Any
    status: Status
    reason: str = ""
    provider_id: str = ""
    # Seconds the provider asked us to wait (Retry-After of a 429), for the send loop's backoff.
    retry_after: float | None = None
    bounce: bool = False
    relay_wide: bool = False
    # Refused here before any relay saw it (an address this relay cannot carry, a message that
    # could not be built): that delivery fails alone, it is no bounce and says nothing about
    # the relay's health.
    unsendable: bool = False


def outcome_of(message: Any, error: TransportError) -> Outcome:
    """The outcome a raised failure stands for."""
    status: Status = "permanent" if isinstance(error, PermanentFailure) else "temporary"
    return Outcome(
        message,
        status,
        str(error),
        retry_after=getattr(error, "retry_after", None),
        bounce=error.bounce,
        relay_wide=error.relay_wide,
    )


def unsendable_outcome(message: Any, error: Exception) -> Outcome:
    """The outcome of a message refused before the relay saw it: failed for good, alone."""
    return Outcome(message, "permanent", unsendable_reason(error), unsendable=True)


def unsendable_reason(error: Exception) -> str:
    """Why a message could not be built or addressed, for the organiser's progress page."""
    if isinstance(error, AddressNotSendable):
        return error.reason
    if isinstance(error, ValueError):
        # Our own refusals (a header value, a placeholder's value) say what is wrong.
        return f"The message could not be built: {error}"
    # Anything else is a fault in our code or data, logged for whoever mends it.
    log.error("a message could not be built", exc_info=error)
    return f"The message could not be built: {type(error).__name__}: {error}"


@dataclass
class BatchResult:
    """The outcome of every message handed to `send_batch`, in the order they were given."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def accepted(self) -> list[Any]:
        """The messages the relay accepted."""
        return [o.message for o in self.outcomes if o.status == "accepted"]

    @property
    def temporary(self) -> list[Outcome]:
        """The messages that failed for now and may be tried again later."""
        return [o for o in self.outcomes if o.status == "temporary"]

    @property
    def permanent(self) -> list[Outcome]:
        """The messages refused for good; trying again will not help."""
        return [o for o in self.outcomes if o.status == "permanent"]


class Outcomes:
    """One place per message of a batch, filled by position as each outcome becomes known.

    Transports that work in threads (SMTP's connections) each fill their own positions.
    """

    def __init__(self, messages: Sequence[Outgoing]):
        self.messages = list(messages)
        self._known: list[Outcome | None] = [None] * len(self.messages)

    def set(self, index: int, outcome: Outcome) -> None:
        """Record the outcome of message `index`."""
        self._known[index] = outcome

    def accepted(self, index: int, provider_id: str = "") -> None:
        """The relay accepted message `index`."""
        self._known[index] = Outcome(self.messages[index], "accepted", provider_id=provider_id)

    def failed(self, index: int, error: TransportError) -> None:
        """Message `index` failed the way `error` says."""
        self._known[index] = outcome_of(self.messages[index], error)

    def refused_here(self, index: int, error: Exception) -> None:
        """Message `index` could not be built or addressed for this relay."""
        self._known[index] = unsendable_outcome(self.messages[index], error)

    def unknown(self, indices: Sequence[int] | None = None) -> list[int]:
        """The positions (of `indices`, or of the whole batch) still without an outcome."""
        candidates = range(len(self._known)) if indices is None else indices
        return [index for index in candidates if self._known[index] is None]

    def fail_unknown(self, error: TransportError, indices: Sequence[int] | None = None) -> None:
        """Give every message still without an outcome this failure."""
        for index in self.unknown(indices):
            self.failed(index, error)

    def result(self) -> BatchResult:
        """The outcomes in the order of the messages; every position must be known."""
        return BatchResult([outcome for outcome in self._known if outcome is not None])


class Transport:
    """A place to hand messages to. Subclasses implement `hand_over`.

    The send loop keeps one transport for its whole life, so a subclass may keep connections
    open between batches; `close` ends them.
    """

    name = "base"

    def send_batch(self, messages: Sequence[Outgoing]) -> BatchResult:
        """Hand over the messages; the result says per message what became of it. Never raises.

        An outcome a transport recorded stays whatever happens after it. When the transport
        fails unexpectedly, the messages without an outcome may or may not have gone: they are
        tried again later (with the same Message-ID), as a failure of their own rather than of
        the relay, so a fault that recurs ends at the retry deadline instead of looping.
        """
        outcomes = Outcomes(messages)
        try:
            self.hand_over(outcomes)
        except Exception as exc:
            log.exception("the %s transport failed in the middle of a batch", self.name)
            outcomes.fail_unknown(
                TemporaryFailure(
                    f"sending stopped on an unexpected error ({exc!r}); it is tried again"
                )
            )
        # A transport that left a message without an answer: it cannot be known to have gone.
        outcomes.fail_unknown(TemporaryFailure(f"the {self.name} transport gave no outcome"))
        return outcomes.result()

    def hand_over(self, outcomes: Outcomes) -> None:
        """Hand over `outcomes.messages`, recording each outcome by position as it is known."""
        raise NotImplementedError

    def send_many(self, messages: Sequence[Outgoing]) -> BatchResult:
        """`send_batch` for one-off sends (the test send): connections are closed afterwards."""
        try:
            return self.send_batch(messages)
        finally:
            self.close()

    def send(self, message: Outgoing) -> None:
        """Hand over one message, or raise TemporaryFailure / PermanentFailure."""
        outcome = self.send_many([message]).outcomes[0]
        if outcome.status == "accepted":
            return
        if outcome.retry_after is not None:
            raise RateLimited(outcome.reason, outcome.retry_after)
        kind = TemporaryFailure if outcome.status == "temporary" else PermanentFailure
        raise kind(outcome.reason, bounce=outcome.bounce, relay_wide=outcome.relay_wide)

    def close(self) -> None:
        """Close connections kept open between batches (none by default)."""


class OutboxTransport(Transport):
    """Writes each message as an .eml file into a folder (instance/outbox by default)."""

    name = "outbox"

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def hand_over(self, outcomes: Outcomes) -> None:
        """Write each message to `<UTC time>-<random>.eml`, atomically."""
        for index, message in enumerate(outcomes.messages):
            try:
                # A file holds UTF-8 headers as well as a mail client does (RFC 6532).
                data = message.as_bytes(smtputf8=True)
            except Exception as exc:
                outcomes.refused_here(index, exc)
                continue
            try:
                # Files on disk get the local line ending; the wire's CRLF is for SMTP.
                self._write(data.replace(b"\r\n", b"\n"))
            except OSError as exc:
                failure = TemporaryFailure(
                    f"the outbox folder {self.folder} is not writable: {exc}", relay_wide=True
                )
                outcomes.failed(index, failure)
            else:
                outcomes.accepted(index)

    def _write(self, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{secrets.token_hex(4)}.eml"
        # Written under a hidden name first and renamed, so the outbox reader never sees half
        # a message.
        draft = self.folder / f".{name}.part"
        draft.write_bytes(data)
        os.replace(draft, self.folder / name)


def outbox_folder(config: Settings) -> Path:
    """The folder the outbox transport writes to: instance/outbox (MAIL_OUTBOX_PATH)."""
    return Path(config.MAIL_OUTBOX_PATH)
