"""HTTP API relays (Mailgun, Postmark): ready messages handed to a provider's web API.

Shaped after django-anymail's `base_requests.py`: a base class sends in fixed steps (build the
payload, post it, parse the status), thin subclasses per provider fill in the steps. One
`requests.Session` serves a whole batch, so its connection is reused; every request has an
explicit (connect, read) timeout, so a hanging provider cannot stall the send loop.

The answer decides the failure: 2xx is accepted, 429 and 5xx and connection errors or timeouts are
temporary (try again later), any other 4xx is permanent with the provider's own message.

`send` raises for its one message. `send_many` returns a `BatchResult` that says per message
whether it was accepted or failed (temporarily or permanently, with the reason), because a batch
answer can refuse one recipient and accept the others, and the send loop records each.

Each message is made into its part of a request on its own first, so one that cannot be (an
address the provider cannot carry, a broken value) fails alone and the request goes with the
others. Addresses follow service/addresses.py: a non-ASCII domain goes in IDNA form; a non-ASCII
local part goes only where the provider documents SMTPUTF8 support (Mailgun's HTTP API does;
Postmark's address check allows ASCII only).
"""

from __future__ import annotations

import base64
import json
import re
from email.utils import getaddresses
from typing import Any

import requests

from config.settings import Settings
from service.addresses import wire_address
from service.mail.outgoing import Outgoing
from service.mail.transports import (
    BatchResult,
    Outcome,
    Outcomes,
    PermanentFailure,
    RateLimited,
    Status,
    TemporaryFailure,
    Transport,
    TransportConfigError,
    TransportError,
)

__all__ = ["BatchResult", "MailgunRelay", "Outcome", "PostmarkRelay", "RateLimited"]

# Seconds to open a connection, and to wait for the answer once the request is sent.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0


class HttpRelay(Transport):
    """A provider's HTTP API; subclasses say how to build a request and read its answer."""

    name = "http"

    def __init__(self, *, timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT)):
        self.timeout = timeout

    def hand_over(self, outcomes: Outcomes) -> None:
        """Hand over the messages over one Session, recording what became of each."""
        with requests.Session() as session:
            for chunk in self.chunks(list(range(len(outcomes.messages)))):
                indices, parts = self._prepared(outcomes, chunk)
                if not indices:
                    continue
                try:
                    answers = self.send_chunk(
                        session, [outcomes.messages[i] for i in indices], parts
                    )
                except TransportError as exc:
                    if exc.relay_wide:
                        # The provider is down, throttling or refuses our credentials: the rest
                        # of the batch would fail the same way, so it is left for the next round
                        # instead of hammering it.
                        outcomes.fail_unknown(exc)
                        return
                    for index in indices:
                        outcomes.failed(index, exc)
                    continue
                for index, outcome in zip(indices, answers, strict=True):
                    outcomes.set(index, outcome)

    def _prepared(self, outcomes: Outcomes, chunk: list[int]) -> tuple[list[int], list[Any]]:
        # Each message's part of the request is made on its own: one that cannot be fails alone.
        indices, parts = [], []
        for index in chunk:
            try:
                parts.append(self.prepare(outcomes.messages[index]))
            except Exception as exc:
                outcomes.refused_here(index, exc)
                continue
            indices.append(index)
        return indices, parts

    def chunks(self, indices: list[int]) -> list[list[int]]:
        """The positions grouped the way one request can carry them (one each by default)."""
        return [[index] for index in indices]

    def send_chunk(
        self, session: requests.Session, chunk: list[Outgoing], parts: list[Any]
    ) -> list[Outcome]:
        """Post one request for the chunk; raises when the whole request failed."""
        request = self.build_request(parts)
        response = self.post(session, request)
        self.raise_for_status(response)
        return self.parse_answer(response, chunk)

    def prepare(self, message: Outgoing) -> Any:
        """The message's own part of a request; raises when the message cannot go this way."""
        raise NotImplementedError

    def build_request(self, parts: list[Any]) -> dict[str, Any]:
        """Keyword arguments for `Session.request` that send these prepared messages."""
        raise NotImplementedError

    def post(self, session: requests.Session, request: dict[str, Any]) -> requests.Response:
        """Send the request with explicit timeouts; network trouble is a temporary failure."""
        try:
            return session.request("POST", timeout=self.timeout, **request)
        except requests.Timeout as exc:
            raise TemporaryFailure(
                f"{self.name} did not answer in time: {exc}", relay_wide=True
            ) from exc
        except requests.RequestException as exc:
            raise TemporaryFailure(f"could not reach {self.name}: {exc}", relay_wide=True) from exc

    def raise_for_status(self, response: requests.Response) -> None:
        """Raise the failure an HTTP status stands for; 2xx passes."""
        code = response.status_code
        if 200 <= code < 300:
            return
        detail = f"{self.name} answered {code}: {self.error_text(response)}"
        if code == 429:
            raise RateLimited(detail, _seconds(response.headers.get("Retry-After")))
        if code >= 500:
            raise TemporaryFailure(detail, relay_wide=True)
        if code in (401, 403):
            raise PermanentFailure(detail + "; check the API key or token", relay_wide=True)
        raise PermanentFailure(detail)

    def error_text(self, response: requests.Response) -> str:
        """The provider's own explanation in an error answer."""
        return response.text.strip()[:500] or response.reason

    def parse_answer(self, response: requests.Response, chunk: list[Outgoing]) -> list[Outcome]:
        """One outcome per message of the chunk, from a 2xx answer."""
        raise NotImplementedError


def _seconds(value: str | None) -> float | None:
    # Retry-After may also be an HTTP date; the providers send seconds, and a date is rare
    # enough that the send loop's own backoff serves.
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


MAILGUN_REGIONS = {"eu": "https://api.eu.mailgun.net", "us": "https://api.mailgun.net"}


class MailgunRelay(HttpRelay):
    """Mailgun's API: each ready MIME message is posted to /v3/<domain>/messages.mime.

    Mailgun's batch sending personalises one template with recipient-variables on /messages; our
    messages are already personalised MIME (each with its own Message-ID and unsubscribe link), so
    a batch is one POST per message over the one reused Session.
    """

    name = "Mailgun"

    def __init__(
        self,
        api_key: str,
        domain: str,
        *,
        region: str = "eu",
        base_url: str | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
    ):
        super().__init__(timeout=timeout)
        if region not in MAILGUN_REGIONS:
            raise TransportConfigError(f"MAILGUN_REGION={region!r} is unknown; use eu or us")
        self.api_key = api_key
        self.domain = domain
        self.base_url = (base_url or MAILGUN_REGIONS[region]).rstrip("/")

    def prepare(self, message: Outgoing) -> tuple[str, bytes]:
        """The recipient and the MIME bytes.

        Mailgun documents SMTPUTF8 for its HTTP sending API, so a non-ASCII local part goes,
        with UTF-8 headers (RFC 6532); whether the recipient's own server takes it, Mailgun's
        bounce tells.
        """
        recipient = wire_address(message.to_email, smtputf8=True)
        return recipient, message.as_bytes(smtputf8=True)

    def build_request(self, parts: list[tuple[str, bytes]]) -> dict[str, Any]:
        """A multipart form with the recipients (`to`) and the MIME file (`message`)."""
        ((recipient, data),) = parts
        return {
            "url": f"{self.base_url}/v3/{self.domain}/messages.mime",
            "auth": ("api", self.api_key),
            "data": {"to": [recipient]},
            "files": {"message": ("message.mime", data)},
        }

    def error_text(self, response: requests.Response) -> str:
        """Mailgun explains itself in {"message": ...}, or in plain text (401 "Forbidden")."""
        try:
            return str(response.json()["message"])
        except (ValueError, KeyError, TypeError):
            return super().error_text(response)

    def parse_answer(self, response: requests.Response, chunk: list[Outgoing]) -> list[Outcome]:
        """Mailgun queued the message: {"id": "<...>", "message": "Queued. Thank you."}."""
        try:
            provider_id = str(response.json().get("id", ""))
        except (ValueError, AttributeError):
            provider_id = ""
        return [Outcome(chunk[0], "accepted", provider_id=provider_id)]


# Postmark takes at most 500 messages per batch call.
POSTMARK_BATCH_SIZE = 500
# Per-message ErrorCodes of Postmark's API that may clear up by themselves: 100 maintenance,
# 405 out of credits, 429 rate limited. Every other non-zero code means this message never goes
# (300 invalid email, 406 inactive recipient, ...).
POSTMARK_TEMPORARY_CODES = {100, 405, 429}
# 300 invalid email address, 406 inactive recipient (it bounced or complained before).
POSTMARK_BOUNCE_CODES = {300, 406}
# Headers Postmark sets from its own JSON fields, or from the MIME structure it builds.
_POSTMARK_OWN_HEADERS = {
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "reply-to",
    "date",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


def postmark_json(message: Outgoing, stream: str) -> dict[str, Any]:
    """Our message as one entry of Postmark's /email/batch array, custom headers kept.

    Raises AddressNotSendable for an address Postmark cannot carry (a non-ASCII local part).
    """
    entry: dict[str, Any] = {
        "From": postmark_address(message.from_name, _postmark_email(message.from_email)),
        "To": postmark_address(message.to_name, _postmark_email(message.to_email)),
        "Subject": message.subject,
        "MessageStream": stream,
        "TextBody": message.text,
        "HtmlBody": message.html,
    }
    if message.reply_to:
        entry["ReplyTo"] = ", ".join(
            postmark_address(name, _postmark_email(email))
            for name, email in getaddresses([message.reply_to])
        )
    entry["Headers"] = [
        {"Name": name, "Value": value}
        for name, value in message.header_lines()
        if name.lower() not in _POSTMARK_OWN_HEADERS
    ]
    if message.calendar is not None:
        # Postmark builds the MIME itself; the calendar invitation travels as an attachment
        # whose content type carries the iTIP method, which calendars read.
        entry["Attachments"] = [
            {
                "Name": message.calendar.filename,
                "Content": base64.b64encode(message.calendar.data).decode("ascii"),
                "ContentType": message.calendar.content_type,
            }
        ]
    return entry


# RFC 5322 "specials": a display name holding one is quoted, which Postmark asks for names
# with punctuation ("Joe Receiver, jr" <receiver@example.com>).
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


def postmark_address(name: str, email: str) -> str:
    """An address as Postmark's JSON takes it: `Name <address>`, the name as it is (not RFC 2047
    encoded), quoted when it holds punctuation."""
    if not name:
        return email
    if _SPECIALS.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{email}>"


def _postmark_email(address: str) -> str:
    # Postmark checks a mailbox against ASCII characters only: no SMTPUTF8.
    return wire_address(address, smtputf8=False)


class PostmarkRelay(HttpRelay):
    """Postmark's API: up to 500 messages per POST /email/batch, answered per message.

    Campaigns go on the broadcast stream (`message_stream`), single messages (an answer's
    confirmation, a calendar update, a signup confirmation) on the transactional one, as
    Postmark asks: it keeps the two apart for deliverability and unsubscribe handling.
    """

    name = "Postmark"

    def __init__(
        self,
        server_token: str,
        *,
        base_url: str = "https://api.postmarkapp.com",
        message_stream: str = "broadcast",
        transactional_stream: str = "outbound",
        batch_size: int = POSTMARK_BATCH_SIZE,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
    ):
        super().__init__(timeout=timeout)
        self.server_token = server_token
        self.base_url = base_url.rstrip("/")
        self.message_stream = message_stream
        self.transactional_stream = transactional_stream
        self.batch_size = min(batch_size, POSTMARK_BATCH_SIZE)

    def chunks(self, indices: list[int]) -> list[list[int]]:
        """Groups of at most 500 messages, Postmark's limit per batch call."""
        size = self.batch_size
        return [indices[i : i + size] for i in range(0, len(indices), size)]

    def prepare(self, message: Outgoing) -> dict[str, Any]:
        """The message's entry of the batch array, on the stream its kind belongs to."""
        stream = self.transactional_stream if message.transactional else self.message_stream
        return postmark_json(message, stream)

    def build_request(self, parts: list[dict[str, Any]]) -> dict[str, Any]:
        """A JSON array of messages, with the server token in its header."""
        return {
            "url": f"{self.base_url}/email/batch",
            "headers": {
                "Accept": "application/json",
                "Content-Type": "application/json",
                "X-Postmark-Server-Token": self.server_token,
            },
            "data": json.dumps(parts).encode(),
        }

    def error_text(self, response: requests.Response) -> str:
        """Postmark explains itself in {"ErrorCode": n, "Message": ...}."""
        try:
            answer = response.json()
            return f"{answer['Message']} (ErrorCode {answer['ErrorCode']})"
        except (ValueError, KeyError, TypeError):
            return super().error_text(response)

    def parse_answer(self, response: requests.Response, chunk: list[Outgoing]) -> list[Outcome]:
        """Postmark answers a JSON array in the order of the messages, each with its ErrorCode."""
        try:
            answers = response.json()
        except ValueError as exc:
            raise TemporaryFailure(f"Postmark answered something that is not JSON: {exc}") from exc
        if not isinstance(answers, list) or len(answers) != len(chunk):
            # Without one answer per message nobody can tell which went; trying again is safer
            # than marking any as sent, and the stable Message-ID lets a repeat be recognised.
            raise TemporaryFailure(
                f"Postmark answered {len(answers) if isinstance(answers, list) else 'no'} "
                f"results for {len(chunk)} messages"
            )
        outcomes = []
        for message, answer in zip(chunk, answers, strict=True):
            if not isinstance(answer, dict):
                reason = f"Postmark answered {str(answer)[:200]!r} for this message"
                outcomes.append(Outcome(message, "temporary", reason))
                continue
            code = int(answer.get("ErrorCode", 0))
            if code == 0:
                outcomes.append(
                    Outcome(message, "accepted", provider_id=str(answer.get("MessageID", "")))
                )
                continue
            status: Status = "temporary" if code in POSTMARK_TEMPORARY_CODES else "permanent"
            reason = f"Postmark refused {answer.get('To', '')}: {answer.get('Message', '')} "
            reason += f"(ErrorCode {code})"
            outcomes.append(Outcome(message, status, reason, bounce=code in POSTMARK_BOUNCE_CODES))
        return outcomes


def _required(config: Settings, name: str, kind: str) -> str:
    value = getattr(config, name)
    if not value:
        raise TransportConfigError(
            f"{name} is not set; set it for MAIL_TRANSPORT={kind} or use MAIL_TRANSPORT=outbox"
        )
    return str(value)


def relay_from_config(kind: str, config: Settings) -> HttpRelay:
    """The Mailgun or Postmark relay, set up from the MAILGUN_* or POSTMARK_* settings."""
    if kind == "mailgun":
        return MailgunRelay(
            _required(config, "MAILGUN_API_KEY", kind),
            _required(config, "MAILGUN_DOMAIN", kind),
            region=config.MAILGUN_REGION,
            base_url=config.MAILGUN_BASE_URL or None,
        )
    if kind == "postmark":
        return PostmarkRelay(
            _required(config, "POSTMARK_SERVER_TOKEN", kind),
            base_url=config.POSTMARK_BASE_URL,
            message_stream=config.POSTMARK_MESSAGE_STREAM,
            transactional_stream=config.POSTMARK_TRANSACTIONAL_STREAM,
        )
    raise TransportConfigError(f"MAIL_TRANSPORT={kind!r} is not an HTTP API relay")
