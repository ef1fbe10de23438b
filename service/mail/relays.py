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
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

import requests

from service.mail.outgoing import Outgoing
from service.mail.transports import (
    BatchResult,
    Outcome,
    PermanentFailure,
    RateLimited,
    Status,
    TemporaryFailure,
    Transport,
    TransportConfigError,
    outcome_of,
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

    def send_batch(self, messages: Sequence[Outgoing]) -> BatchResult:
        """Hand over the messages over one Session; the result says what became of each."""
        result = BatchResult()
        with requests.Session() as session:
            for chunk in self.chunks(messages):
                try:
                    outcomes = self.send_chunk(session, chunk)
                except TemporaryFailure as exc:
                    # The provider is down or throttling: the rest of the batch would fail the
                    # same way, so it is left for the next round instead of hammering it.
                    done = len(result.outcomes)
                    result.outcomes.extend(outcome_of(m, exc) for m in messages[done:])
                    return result
                except PermanentFailure as exc:
                    if exc.relay_wide:
                        # Refused credentials refuse every message alike; none was tried.
                        done = len(result.outcomes)
                        result.outcomes.extend(outcome_of(m, exc) for m in messages[done:])
                        return result
                    outcomes = [outcome_of(m, exc) for m in chunk]
                result.outcomes.extend(outcomes)
        return result

    def chunks(self, messages: list[Outgoing]) -> list[list[Outgoing]]:
        """The messages grouped the way one request can carry them (one each by default)."""
        return [[message] for message in messages]

    def send_chunk(self, session: requests.Session, chunk: list[Outgoing]) -> list[Outcome]:
        """Post one request for the chunk; raises when the whole request failed."""
        request = self.build_request(chunk)
        response = self.post(session, request)
        self.raise_for_status(response)
        return self.parse_answer(response, chunk)

    def build_request(self, chunk: list[Outgoing]) -> dict[str, Any]:
        """Keyword arguments for `Session.request` that send the chunk."""
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

    def build_request(self, chunk: list[Outgoing]) -> dict[str, Any]:
        """A multipart form with the recipients (`to`) and the MIME file (`message`)."""
        (message,) = chunk
        return {
            "url": f"{self.base_url}/v3/{self.domain}/messages.mime",
            "auth": ("api", self.api_key),
            "data": {"to": [message.to_email]},
            "files": {"message": ("message.mime", message.as_bytes())},
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
    """Our message as one entry of Postmark's /email/batch array, custom headers kept."""
    entry: dict[str, Any] = {
        "From": message.from_header,
        "To": message.to_header,
        "Subject": message.subject,
        "MessageStream": stream,
        "TextBody": message.text,
        "HtmlBody": message.html,
    }
    if message.reply_to:
        entry["ReplyTo"] = message.reply_to
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


class PostmarkRelay(HttpRelay):
    """Postmark's API: up to 500 messages per POST /email/batch, answered per message."""

    name = "Postmark"

    def __init__(
        self,
        server_token: str,
        *,
        base_url: str = "https://api.postmarkapp.com",
        message_stream: str = "broadcast",
        batch_size: int = POSTMARK_BATCH_SIZE,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
    ):
        super().__init__(timeout=timeout)
        self.server_token = server_token
        self.base_url = base_url.rstrip("/")
        self.message_stream = message_stream
        self.batch_size = min(batch_size, POSTMARK_BATCH_SIZE)

    def chunks(self, messages: list[Outgoing]) -> list[list[Outgoing]]:
        """Groups of at most 500 messages, Postmark's limit per batch call."""
        size = self.batch_size
        return [messages[i : i + size] for i in range(0, len(messages), size)]

    def build_request(self, chunk: list[Outgoing]) -> dict[str, Any]:
        """A JSON array of messages, with the server token in its header."""
        body = [postmark_json(message, self.message_stream) for message in chunk]
        return {
            "url": f"{self.base_url}/email/batch",
            "headers": {
                "Accept": "application/json",
                "Content-Type": "application/json",
                "X-Postmark-Server-Token": self.server_token,
            },
            "data": json.dumps(body).encode(),
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


def _required(config: Mapping[str, Any], name: str, kind: str) -> str:
    value = config.get(name)
    if not value:
        raise TransportConfigError(
            f"{name} is not set; set it for MAIL_TRANSPORT={kind} or use MAIL_TRANSPORT=outbox"
        )
    return str(value)


def relay_from_config(kind: str, config: Mapping[str, Any]) -> HttpRelay:
    """The Mailgun or Postmark relay, set up from the MAILGUN_* or POSTMARK_* settings."""
    if kind == "mailgun":
        return MailgunRelay(
            _required(config, "MAILGUN_API_KEY", kind),
            _required(config, "MAILGUN_DOMAIN", kind),
            region=config.get("MAILGUN_REGION") or "eu",
            base_url=config.get("MAILGUN_BASE_URL") or None,
        )
    if kind == "postmark":
        return PostmarkRelay(
            _required(config, "POSTMARK_SERVER_TOKEN", kind),
            base_url=config.get("POSTMARK_BASE_URL") or "https://api.postmarkapp.com",
            message_stream=config.get("POSTMARK_MESSAGE_STREAM") or "broadcast",
        )
    raise TransportConfigError(f"MAIL_TRANSPORT={kind!r} is not an HTTP API relay")
