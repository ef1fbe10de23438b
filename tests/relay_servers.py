"""Local stand-ins for Mailgun's and Postmark's HTTP APIs, checking requests as their docs say.

Each server runs in a thread on 127.0.0.1 with a free port, keeps what it accepted, counts the
connections it saw (to show a batch reuses one), and can be told to answer with a status code,
to refuse given recipients, or to sleep before answering.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAILGUN_KEY = "key-test-0123456789"
MAILGUN_DOMAIN = "mg.example.nl"
POSTMARK_TOKEN = "server-token-0000"


class FakeProvider:
    """What a fake provider accepted, and how it is told to answer next."""

    def __init__(self):
        self.received: list[Any] = []
        self.connections = 0
        self.requests = 0
        # Status codes for the next requests, one used per request (e.g. [429] then normal).
        self.next_statuses: list[int] = []
        # Recipients a batch answer refuses: address -> (ErrorCode, Message).
        self.refuse: dict[str, tuple[int, str]] = {}
        self.delay = 0.0
        # Sent as Retry-After with a forced 429, when set.
        self.retry_after: str | None = None
        # Postmark: the message streams this server has ("outbound" is every server's
        # transactional stream; "broadcast" one made for newsletters).
        self.streams = {"outbound", "broadcast"}
        self.lock = threading.Lock()
        self.port = 0

    @property
    def base_url(self) -> str:
        """Where the relay should point its base URL."""
        return f"http://127.0.0.1:{self.port}"


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps the connection open between requests, as the real APIs do.
    protocol_version = "HTTP/1.1"
    provider: FakeProvider

    def setup(self) -> None:
        super().setup()
        with self.provider.lock:
            self.provider.connections += 1

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def answer(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if status == 429 and self.provider.retry_after:
                self.send_header("Retry-After", self.provider.retry_after)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The relay gave up waiting (the timeout tests); nobody is left to answer.
            self.close_connection = True

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        with self.provider.lock:
            self.provider.requests += 1
            forced = self.provider.next_statuses.pop(0) if self.provider.next_statuses else None
        if self.provider.delay:
            time.sleep(self.provider.delay)
        if forced:
            self.answer_forced(forced)
            return
        self.handle_api(body)

    def answer_forced(self, status: int) -> None:
        raise NotImplementedError

    def handle_api(self, body: bytes) -> None:
        raise NotImplementedError


class _MailgunHandler(_Handler):
    """POST /v3/<domain>/messages.mime, basic auth api:<key>, multipart form with to + message."""

    def answer_forced(self, status: int) -> None:
        self.answer(status, {"message": f"forced {status}"})

    def handle_api(self, body: bytes) -> None:
        expected = "Basic " + base64.b64encode(f"api:{MAILGUN_KEY}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.answer(401, "Forbidden", "text/plain")
            return
        if self.path != f"/v3/{MAILGUN_DOMAIN}/messages.mime":
            self.answer(404, {"message": "Domain not found"})
            return
        content_type = self.headers.get("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            self.answer(400, {"message": "expected multipart/form-data"})
            return
        form = message_from_bytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body, policy=policy.default
        )
        fields: dict[str, list[Any]] = {}
        for part in form.iter_parts():
            name = part.get_param("name", header="content-disposition")
            value = part.get_payload(decode=True)
            fields.setdefault(str(name), []).append(value)
        if not fields.get("to"):
            self.answer(400, {"message": "'to' parameter is missing"})
            return
        if not fields.get("message"):
            self.answer(400, {"message": "'message' parameter is missing"})
            return
        to = [v.decode() for v in fields["to"]]
        # MIME travels with CRLF line endings; Python's parser would keep the CR in decoded
        # text, where a provider's (and a mail client's) parser ends lines either way.
        wire = fields["message"][0]
        mime = message_from_bytes(wire.replace(b"\r\n", b"\n"), policy=policy.default)
        with self.provider.lock:
            self.provider.received.append((to, mime))
        self.answer(200, {"id": mime["Message-ID"], "message": "Queued. Thank you."})


class _PostmarkHandler(_Handler):
    """POST /email/batch with X-Postmark-Server-Token and a JSON array of at most 500 messages."""

    def answer_forced(self, status: int) -> None:
        self.answer(status, {"ErrorCode": 0 if status >= 500 else status, "Message": "forced"})

    def handle_api(self, body: bytes) -> None:
        if self.headers.get("X-Postmark-Server-Token") != POSTMARK_TOKEN:
            self.answer(
                401,
                {
                    "ErrorCode": 10,
                    "Message": "Request does not contain a valid Server token.",
                },
            )
            return
        if self.path != "/email/batch":
            self.answer(404, {"ErrorCode": 0, "Message": "Not found"})
            return
        if (
            self.headers.get("Accept") != "application/json"
            or self.headers.get("Content-Type") != "application/json"
        ):
            self.answer(415, {"ErrorCode": 0, "Message": "JSON requests only"})
            return
        try:
            messages = json.loads(body)
        except ValueError:
            self.answer(422, {"ErrorCode": 402, "Message": "Received invalid JSON input."})
            return
        if not isinstance(messages, list) or not 1 <= len(messages) <= 500:
            self.answer(422, {"ErrorCode": 300, "Message": "A batch holds 1 to 500 messages."})
            return
        results = []
        for entry in messages:
            results.append(self._one(entry))
        self.answer(200, results)

    def _one(self, entry: Any) -> dict[str, Any]:
        for required in ("From", "To", "Subject"):
            if not isinstance(entry, dict) or not entry.get(required):
                return {"ErrorCode": 300, "Message": f"Invalid email request: no {required}."}
        if not (entry.get("HtmlBody") or entry.get("TextBody")):
            return {"ErrorCode": 300, "Message": "Provide either email TextBody or HtmlBody."}
        headers = entry.get("Headers", [])
        if not all(isinstance(h, dict) and set(h) == {"Name", "Value"} for h in headers):
            return {"ErrorCode": 300, "Message": "Headers must be a list of {Name, Value}."}
        if entry.get("MessageStream", "outbound") not in self.provider.streams:
            # (The error code is this fake's own.)
            return {"ErrorCode": 1235, "Message": "The message stream does not exist."}
        for field in ("From", "To"):
            problem = _postmark_address_problem(entry[field])
            if problem:
                return {"ErrorCode": 300, "Message": f"Error parsing '{field}': {problem}"}
        address = entry["To"].rpartition("<")[2].rstrip(">")
        if address in self.provider.refuse:
            code, message = self.provider.refuse[address]
            return {"ErrorCode": code, "Message": message, "To": entry["To"]}
        with self.provider.lock:
            self.provider.received.append(entry)
        number = len(self.provider.received)
        return {
            "ErrorCode": 0,
            "Message": "OK",
            "MessageID": f"b7bc2f4a-e38e-4336-af7d-{number:012d}",
            "SubmittedAt": "2026-11-28T16:00:00.0000000-05:00",
            "To": entry["To"],
        }


# Postmark's checks of an address (support article "What does Error Code 300 mean?"): the
# mailbox and the domain hold ASCII only, and a name with punctuation must be quoted.
_POSTMARK_MAILBOX = re.compile(r"[a-z0-9.!#$%&'`*+\-/=^_{}|~]+", re.IGNORECASE)
_POSTMARK_DOMAIN = re.compile(r"((\.)?[a-zA-Z0-9\-])+")


def _postmark_address_problem(value: str) -> str:
    """Why Postmark would refuse this From or To value ("Name <address>"), or ""."""
    name, bracket, rest = value.rpartition("<")
    address = rest.rstrip(">") if bracket else value
    name = name.strip()
    if name and not (name.startswith('"') and name.endswith('"')) and "," in name:
        # Postmark reads an unquoted comma as the end of an address.
        first = name.split(",")[0]
        return f"Illegal email address '{first}'. It must contain the '@' symbol."
    mailbox, at, domain = address.rpartition("@")
    if not at or not _POSTMARK_MAILBOX.fullmatch(mailbox) or not _POSTMARK_DOMAIN.fullmatch(domain):
        return f"Illegal email address '{address}'."
    return ""


@contextmanager
def _serve(handler: type[_Handler]) -> Iterator[FakeProvider]:
    provider = FakeProvider()
    bound = type(handler.__name__, (handler,), {"provider": provider})
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    server.daemon_threads = True
    provider.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def mailgun_server() -> Any:
    """A fake Mailgun API on 127.0.0.1; yields its FakeProvider."""
    return _serve(_MailgunHandler)


def postmark_server() -> Any:
    """A fake Postmark API on 127.0.0.1; yields its FakeProvider."""
    return _serve(_PostmarkHandler)


def received_message(entry: tuple[list[str], EmailMessage]) -> EmailMessage:
    """The MIME message of one Mailgun delivery."""
    return entry[1]
