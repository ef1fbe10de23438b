"""Checks before sending: errors stop a send, warnings are shown to the organiser.

Errors (the email would be broken for someone): an empty subject, an image without alt text or
without an address, a link that is empty or points to "#", a mailto or web address that does not
parse, and any field that fails validation (service/rendering/blocks.py).

An invitation or reminder whose meeting cannot be answered (cancelled, over, a draft, or past its
registration deadline) is an error too: every answer link in it would be refused.

Warnings (the email works but could be better): link text that says nothing on its own ("klik
hier", "lees meer"), a missing preheader, a subject over 78 characters (RFC 5322's advised line
length; phones show fewer, desktop inboxes about that many), and HTML at 90% of Gmail's 102 KB or
more (Gmail then hides the rest behind "View entire message", footer and unsubscribe link too).

Links and images are read from each block's own HTML (RenderedCampaign.block_html), so every
finding names the block to mend.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from email_validator import EmailNotValidError, validate_email

from config.settings import DEFAULT_LANGUAGE
from service.meetings.invitations import Closed
from service.messages import N_
from service.rendering import placeholders
from service.rendering.blocks import CampaignContent, FieldError, check_content
from service.rendering.render import RenderedCampaign
from service.translation import translator

# The one length for a subject: the composer's hint names it and the check warns above it.
MAX_SUBJECT = 78
GMAIL_CLIP_BYTES = 102 * 1024
NEAR_CLIP_BYTES = int(GMAIL_CLIP_BYTES * 0.9)

# Link texts that say nothing without the sentence around them (compared lower case, without
# surrounding punctuation).
VAGUE_LINK_TEXTS = frozenset(
    {
        "klik hier",
        "klik",
        "hier",
        "lees meer",
        "lees verder",
        "meer",
        "meer info",
        "meer informatie",
        "link",
        "deze link",
        "click here",
        "click",
        "here",
        "read more",
        "more",
        "more info",
        "this link",
    }
)

# Each code's words: an English msgid, translated from the catalogs when shown.
MESSAGES: dict[str, str] = {
    "empty-subject": N_("The subject is empty; write what the email is about."),
    "long-subject": N_(
        "The subject is %(length)s characters long; inboxes show about the first 40 to "
        "%(max)s, so put the point first or shorten it."
    ),
    "missing-preheader": N_(
        "There is no preheader; the inbox then shows the first words of the email "
        "instead. Add a one-line summary."
    ),
    "html-near-clip": N_("The email is %(kb)s KB; Gmail cuts off emails above 102 KB. Shorten it."),
    "html-clipped": N_(
        "The email is %(kb)s KB; Gmail cuts it off at 102 KB and hides the rest, the "
        "unsubscribe link included. Shorten it or split it in two."
    ),
    "image-no-alt": N_(
        "An image has no alt text; describe what it shows for people who cannot see it."
    ),
    "image-no-src": N_("An image has no address; upload it or enter its https address."),
    "empty-link": N_("The link “%(text)s” leads nowhere; enter the full address."),
    "link-to-anchor": N_(
        "The link “%(text)s” points to “%(href)s”, which leads nowhere in an email; enter "
        "the full address."
    ),
    "empty-link-text": N_("A link to %(href)s has no text; say where it leads."),
    "vague-link-text": N_(
        "The link text “%(text)s” says nothing on its own; describe where it leads, for "
        "example “see the photos of the day”."
    ),
    "bad-mailto": N_("“%(href)s” does not hold a valid email address."),
    "bad-url": N_("“%(href)s” is not a complete web address; it must start with https://."),
    "invalid-field": N_("%(path)s: %(message)s"),
    "meeting-missing": N_("Choose the meeting this email is about; without it nobody can answer."),
    "meeting-cancelled": N_(
        "The meeting has been cancelled; no invitation or reminder can go out for it."
    ),
    "meeting-over": N_(
        "The meeting has already taken place; no invitation or reminder can go out for it."
    ),
    "meeting-not-published": N_(
        "The meeting is still a draft and cannot be answered; publish it first."
    ),
    "meeting-deadline": N_(
        "Registration for the meeting has closed, so nobody can answer this email. Move "
        "the registration deadline on the meeting page, or send a reminder only to those who "
        "said yes."
    ),
}

# The kinds of email that ask their recipients to answer for a meeting.
ANSWERED_KINDS = frozenset({"invitation", "reminder"})
_CLOSED_CODES = {
    Closed.CANCELLED: "meeting-cancelled",
    Closed.OVER: "meeting-over",
    Closed.NOT_PUBLISHED: "meeting-not-published",
    Closed.DEADLINE: "meeting-deadline",
}


@dataclass(frozen=True)
class Finding:
    """One lint result; `block` is the index of the block to mend, None for the whole email."""

    level: Literal["error", "warning"]
    code: str
    block: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The finding in words, in the reader's language (a field's problem in it too)."""
        params = {
            name: value.message(language) if isinstance(value, FieldError) else value
            for name, value in self.params.items()
        }
        return translator(language).gettext(MESSAGES[self.code], **params)

    def to_dict(self, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        """A JSON-ready form for the API preview and the composer."""
        return {
            "level": self.level,
            "code": self.code,
            "block": self.block,
            "message": self.message(language),
        }


def has_errors(findings: list[Finding]) -> bool:
    """Whether any finding stops the send."""
    return any(f.level == "error" for f in findings)


def lint(
    content: CampaignContent, rendered: RenderedCampaign, *, also: Sequence[Finding] = ()
) -> list[Finding]:
    """Every finding for this content, its rendering and `also`: errors first, then by block."""
    findings: list[Finding] = list(also)
    subject = content.subject.strip()
    if not subject:
        findings.append(Finding("error", "empty-subject"))
    elif len(subject) > MAX_SUBJECT:
        findings.append(
            Finding("warning", "long-subject", params={"length": len(subject), "max": MAX_SUBJECT})
        )
    if not content.preheader.strip():
        findings.append(Finding("warning", "missing-preheader"))
    size = rendered.sent_size
    if size > GMAIL_CLIP_BYTES:
        findings.append(Finding("warning", "html-clipped", params={"kb": round(size / 1024)}))
    elif size > NEAR_CLIP_BYTES:
        findings.append(Finding("warning", "html-near-clip", params={"kb": round(size / 1024)}))
    for error in check_content(content):
        findings.append(
            Finding(
                "error",
                "invalid-field",
                _block_of(error.path),
                {"path": error.path, "message": error},
            )
        )
    for index, fragment in enumerate(rendered.block_html):
        findings.extend(_lint_fragment(fragment, index))
    return sorted(findings, key=lambda f: (f.level != "error", -1 if f.block is None else f.block))


def meeting_findings(
    kind: str, *, has_meeting: bool, closed: Closed | None, reaches_unanswered: bool
) -> list[Finding]:
    """The errors of an invitation or reminder whose meeting cannot be answered (any more).

    Every "Ja, ik kom" in such an email would be refused. After the registration deadline a
    reminder may still go to those who answered (the day-before reminder of those coming); it
    then shows no link to change the answer (emails/reminder.html).
    """
    if kind not in ANSWERED_KINDS:
        return []
    if not has_meeting:
        return [Finding("error", "meeting-missing")]
    if closed is None:
        return []
    if closed == Closed.DEADLINE and kind == "reminder" and not reaches_unanswered:
        return []
    return [Finding("error", _CLOSED_CODES[closed])]


def _lint_fragment(fragment: str, index: int) -> list[Finding]:
    parser = _Collector()
    parser.feed(fragment)
    parser.close()
    findings: list[Finding] = []
    for image in parser.images:
        if not image.get("alt", "").strip():
            findings.append(Finding("error", "image-no-alt", index))
        if not image.get("src", "").strip():
            findings.append(Finding("error", "image-no-src", index))
    for href, text in parser.links:
        params = {"href": href, "text": text}
        if not text:
            findings.append(Finding("error", "empty-link-text", index, params))
        elif _normalise(text) in VAGUE_LINK_TEXTS:
            findings.append(Finding("warning", "vague-link-text", index, params))
        problem = _href_problem(href)
        if problem:
            findings.append(Finding("error", problem, index, params))
    return findings


def _href_problem(href: str) -> str | None:
    if not href:
        return "empty-link"
    if href.startswith("#"):
        return "link-to-anchor"
    if href in placeholders.LINK_TOKENS:
        return None  # the contact's own page ([[muur_url]]), filled in per recipient
    try:
        parts = urlsplit(href)
    except ValueError:
        return "bad-url"
    scheme = parts.scheme.lower()
    if scheme == "mailto":
        address = unquote(parts.path)
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            return "bad-mailto"
        return None
    if scheme == "tel":
        return None
    if scheme not in ("http", "https") or not parts.hostname or " " in href:
        return "bad-url"
    if "." not in parts.hostname and parts.hostname != "localhost":
        return "bad-url"
    return None


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" .,:;!?…»›→>-").lower()


_BLOCK_INDEX = re.compile(r"^blocks\[(\d+)\]")


def _block_of(path: str) -> int | None:
    match = _BLOCK_INDEX.match(path)
    return int(match.group(1)) if match else None


class _Collector(HTMLParser):
    """The links (href, text) and images (attributes) of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.images: list[dict[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a":
            self._href = values.get("href", "").strip()
            self._text = []
        elif tag == "img":
            self.images.append(values)
            if self._href is not None and values.get("alt"):
                self._text.append(values["alt"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            text = re.sub(r"\s+", " ", "".join(self._text)).strip()
            self.links.append((self._href, text))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)
