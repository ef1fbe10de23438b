"""Rendering a campaign once per version, then filling in each recipient quickly.

`render_campaign` draws the blocks with the templates in `emails/`, inlines the CSS with premailer
(about 20 ms, so once per campaign version and language, never per recipient) and makes the
plain-text part from the blocks. Per-recipient values are `[[name]]` placeholders
(service/rendering/placeholders.py) that survive premailer; `personalise` fills them in with one
join over text that was split at the placeholders when the campaign was rendered.
"""

from __future__ import annotations

import functools
import html
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import cssutils
import jinja2
from babel.dates import format_date
from markupsafe import Markup
from premailer import Premailer

import emails
from emails import palette
from service import dates
from service.meetings.calendar import (
    CalendarMeeting,
    google_calendar_url,
    outlook_calendar_url,
    place_line,
)
from service.models import Meeting
from service.network_name import name_in_sentence
from service.rendering import blocks as b
from service.rendering import placeholders
from service.rendering.plaintext import MeetingRow, blocks_text, wrap
from service.translation import Translator, UnknownLanguage, translator

# __path__ rather than __file__: an editable install may present `emails` as a namespace package.
TEMPLATE_DIR = Path(next(iter(emails.__path__)))
HEADER_DATE_FORMAT = "d MMMM y"
_NEWLINES = re.compile(r"[\r\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")

# cssutils reports every mso-* property as unknown, for every campaign; those are intended.
cssutils.log.setLevel(logging.CRITICAL)


class TemplateError(Exception):
    """An email cannot be rendered; nothing may be sent. The message says what failed."""


class PersonaliseError(ValueError):
    """A recipient's values do not fit the rendered email (missing or malformed)."""


@dataclass(frozen=True)
class Network:
    """Who sends: shown in the footer with the postal address the law asks for."""

    name: str
    email: str
    address: str = ""
    timezone: str = "Europe/Amsterdam"
    # NETWORK_ARTICLE: the name in a sentence is "de Opgavebeweging" (service/network_name.py).
    article: str = "de"

    def in_sentence(self, language: str, *, start: bool = False) -> str:
        """The name as it stands in a sentence of this language, with its article."""
        return name_in_sentence(self.name, self.article, language, start=start)


@dataclass(frozen=True)
class MeetingFacts:
    """A meeting as the emails show it; `starts_at` and `ends_at` are aware UTC datetimes."""

    starts_at: datetime
    host_organisation: str
    city: str
    title: str = ""
    venue: str = ""
    address: str = ""
    ends_at: datetime | None = None
    # With the id (and an end) an invitation offers "add to calendar" links for the meeting.
    id: int | None = None
    description: str = ""
    # Whether answers are still taken (a reminder after the deadline offers no link to change one).
    answers_open: bool = True
    # What invitees need to answer in time: the registration deadline (aware UTC) and the places
    # still free when the email was rendered (None: no limit). Only invitations and reminders
    # fill them in (service.campaigns.store.meeting_facts).
    registration_deadline: datetime | None = None
    places_left: int | None = None
    # Whether the email asks its readers to answer (Yes and No buttons) rather than offering to
    # change an answer: an invitation, and a reminder to those who have not answered.
    asks_answer: bool = False

    def __post_init__(self) -> None:
        for moment in (self.starts_at, self.ends_at, self.registration_deadline):
            if moment is not None and moment.utcoffset() is None:
                raise ValueError("meeting times must be aware datetimes in UTC, not naive ones")


def facts_of(
    meeting: Meeting, *, answers_open: bool = True, calendar_links: bool = False
) -> MeetingFacts:
    """The meeting's facts for an email; with `calendar_links` its id too, for "add to calendar"."""
    return MeetingFacts(
        answers_open=answers_open,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        host_organisation=meeting.host_organisation,
        city=meeting.city,
        title=meeting.title,
        venue=meeting.venue,
        address=meeting.address,
        id=meeting.id if calendar_links else None,
    )


@dataclass(frozen=True)
class RenderedCampaign:
    """One campaign version in one language, ready to personalise for each recipient."""

    subject: str
    html: str
    text: str
    language: str
    preheader: str
    # HTML of each block before inlining, in block order, for lint to point at a block.
    block_html: tuple[str, ...]
    placeholders: frozenset[str]
    _split: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = field(
        repr=False, compare=False
    )
    # Drawn for the composer's preview: each block's rows carry data-block="<index>".
    marked: bool = False

    @property
    def sent_size(self) -> int:
        """The bytes of the HTML as it is sent: without the preview's block marks."""
        return len((_BLOCK_MARK.sub("", self.html) if self.marked else self.html).encode())


# The mark of a block's rows in the preview (`mark_blocks`): organiser text is escaped, so only
# the renderer writes this attribute.
_BLOCK_MARK = re.compile(r' data-block="\d+"')
_TABLE_TAGS = re.compile(r"<(/?)(table|tr)\b", re.IGNORECASE)


def mark_block(fragment: str, index: int) -> str:
    """The block's HTML with data-block="<index>" on each of its own rows (not nested ones)."""
    out: list[str] = []
    depth = 0
    last = 0
    for tag in _TABLE_TAGS.finditer(fragment):
        closing, name = tag.group(1), tag.group(2).lower()
        if name == "table":
            depth += -1 if closing else 1
        elif not closing and depth == 0:
            out.append(fragment[last : tag.end()])
            out.append(f' data-block="{index}"')
            last = tag.end()
    out.append(fragment[last:])
    return "".join(out)


@dataclass(frozen=True)
class DrawnCampaign:
    """What the templates make, before the CSS is inlined (the first half of rendering)."""

    html: str
    text: str
    block_html: tuple[str, ...]
    preheader: str


def draw_campaign(
    content: b.CampaignContent,
    *,
    language: str,
    network: Network,
    base_url: str,
    upcoming: Sequence[MeetingFacts] = (),
    meeting: MeetingFacts | None = None,
    for_web: bool = False,
    links: Mapping[str, str] | None = None,
    mark_blocks: bool = False,
) -> DrawnCampaign:
    """Fill the templates for one language, CSS not yet inlined; raises TemplateError.

    `for_web` draws the web version: one page for everybody, without a link that acts for one
    person (the templates put a line saying where that person finds it instead). `links` maps
    addresses of the content's links (blocks.content_links) to what the email links to instead:
    the counted redirects of service/click_links.py, in the HTML and the text part alike.
    `mark_blocks` (the composer's preview only, never mail) marks each block's rows with
    data-block="<index>", so the composer can scroll to a block and find the block of a click.
    """
    words = _translator(language)
    kind = b.Kind(content.kind)
    for index, block in enumerate(content.blocks):
        if b.BLOCK_TYPES.get(getattr(block, "TYPE", "")) is not type(block):
            raise TemplateError(
                f"block {index} ({type(block).__name__}) is not a content block; "
                f"use one of {', '.join(b.BLOCK_TYPES)}"
            )
    if meeting is not None and kind == b.Kind.INVITATION:
        meeting = replace(meeting, asks_answer=True)  # an invitation always asks for an answer
    env = _environment()
    context = _context(words, network, base_url, upcoming, meeting)
    context.update(
        for_web=for_web,
        subject=content.subject.strip(),
        preheader=content.preheader.strip(),
        links=dict(links or {}),
    )
    try:
        macros = env.get_template("_blocks.html").make_module(context)
        # Jinja sets a template module's macros as attributes its class does not declare.
        block_macro = macros.block  # type: ignore[attr-defined]
        fragments = tuple(str(block_macro(block)) for block in content.blocks)
        opening = opening_length(content.blocks) if kind in _ANSWERED_KINDS else 0
        # The composer's preview marks each block's rows (data-block), counted over all blocks.
        shown = [mark_block(f, n) for n, f in enumerate(fragments)] if mark_blocks else fragments
        page = env.get_template(f"{kind}.html").render(
            context,
            opening_html=[Markup(f) for f in shown[:opening]],
            blocks_html=[Markup(f) for f in shown[opening:]],
        )

        def text_of(part: Sequence[b.Block]) -> str:
            return blocks_text(
                part,
                gettext=words.gettext,
                header_date=context["header_date"],
                meeting_rows=context["meeting_rows"],
                links=context["links"],
            )

        text = env.get_template(f"{kind}.txt").render(
            context,
            opening_text=text_of(content.blocks[:opening]),
            blocks_text=text_of(content.blocks[opening:]),
        )
    except (jinja2.TemplateError, KeyError) as exc:
        raise TemplateError(f"the {kind} email could not be rendered: {exc}") from exc
    # Optional template blocks leave blank lines behind; a terminal reader needs one at most.
    text = _BLANK_LINES.sub("\n\n", text).strip("\n") + "\n"
    return DrawnCampaign(html=page, text=text, block_html=fragments, preheader=context["preheader"])


# The emails people answer: the meeting's facts and the answer buttons follow the opening.
_ANSWERED_KINDS = frozenset({b.Kind.INVITATION, b.Kind.REMINDER})


def opening_length(blocks: Sequence[b.Block]) -> int:
    """How many blocks open an invitation or reminder, before its facts and answer buttons.

    The header (when the email starts with one) and the text right after it, the welcome: so
    the reader meets the invitation, then when and where, then the buttons, then the rest.
    """
    count = 1 if blocks and isinstance(blocks[0], b.Header) else 0
    if len(blocks) > count and isinstance(blocks[count], b.Text):
        count += 1
    return count


def render_campaign(
    content: b.CampaignContent,
    *,
    language: str,
    network: Network,
    base_url: str,
    upcoming: Sequence[MeetingFacts] = (),
    meeting: MeetingFacts | None = None,
    for_web: bool = False,
    links: Mapping[str, str] | None = None,
    mark_blocks: bool = False,
) -> RenderedCampaign:
    """Render subject, inlined HTML and text once; raises TemplateError when that fails.

    `links` replaces the content's link addresses and `mark_blocks` marks the blocks for the
    composer's preview (draw_campaign).
    """
    drawn = draw_campaign(
        content,
        language=language,
        network=network,
        base_url=base_url,
        upcoming=upcoming,
        meeting=meeting,
        for_web=for_web,
        links=links,
        mark_blocks=mark_blocks,
    )
    page = inline_css(drawn.html)
    subject = _NEWLINES.sub(" ", content.subject).strip()
    split = (_split(subject), _split(page), _split(drawn.text))
    names = frozenset(name for parts in split for name in parts[1::2])
    unknown = names - placeholders.ALL_NAMES
    if unknown:
        raise TemplateError(
            "unknown placeholder(s) "
            + ", ".join(f"[[{n}]]" for n in sorted(unknown))
            + "; known are "
            + ", ".join(placeholders.spellings(placeholders.ALL_NAMES))
        )
    return RenderedCampaign(
        subject=subject,
        html=page,
        text=drawn.text,
        language=language,
        preheader=drawn.preheader,
        block_html=drawn.block_html,
        placeholders=names,
        _split=split,
        marked=mark_blocks,
    )


def personalise(rendered: RenderedCampaign, values: Mapping[str, str]) -> tuple[str, str, str]:
    """Subject, HTML and text for one recipient; raises PersonaliseError for a missing value."""
    return filled(rendered, *checked_values(rendered, values))


def filled(
    rendered: RenderedCampaign, plain: Mapping[str, str], escaped: Mapping[str, str]
) -> tuple[str, str, str]:
    """Subject, HTML and text with values from `checked_values` filled in."""
    subject_parts, html_parts, text_parts = rendered._split
    return _fill(subject_parts, plain), _fill(html_parts, escaped), _fill(text_parts, plain)


def checked_values(
    rendered: RenderedCampaign, values: Mapping[str, str], *, check_urls: bool = True
) -> tuple[dict[str, str], dict[str, str]]:
    """The recipient's values for the campaign's placeholders: as text, and escaped for HTML.

    Raises PersonaliseError for a missing value or a URL that is not absolute http(s). The send
    loop passes `check_urls=False`: its links are made from the checked BASE_URL and a URL-safe
    token, and parsing three URLs per recipient would cost more than building the message.
    """
    plain: dict[str, str] = {}
    for name in rendered.placeholders:
        try:
            value = values[name]
        except KeyError:
            raise PersonaliseError(
                f"no value for [[{name}]]; give every placeholder of the campaign a value"
            ) from None
        if check_urls and name in placeholders.URL_NAMES:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
                raise PersonaliseError(f"[[{name}]] must be an absolute http(s) URL, not {value!r}")
        # A line break in a name would break the Subject header.
        plain[name] = _NEWLINES.sub(" ", value)
    escaped = {name: html.escape(value) for name, value in plain.items()}
    return plain, escaped


def template_parts(rendered: RenderedCampaign) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The text and HTML split at their placeholders (even places text, odd places names)."""
    _subject, html_parts, text_parts = rendered._split
    return text_parts, html_parts


def inline_css(page: str) -> str:
    """Move the CSS rules into style attributes; @media rules stay in a <style> block."""
    return Premailer(
        page,
        keep_style_tags=False,
        remove_classes=False,
        # !important must stay on the media-query rules, or they lose to the inlined styles.
        strip_important=False,
        # Our own width attributes (600 for Outlook, pixel widths of images) must stay.
        disable_basic_attributes=["width", "height"],
        disable_validation=True,
        allow_network=False,
        cssutils_logging_level=logging.CRITICAL,
    ).transform()


def _split(text: str) -> tuple[str, ...]:
    # Even positions hold literal text, odd positions placeholder names (Dutch ones in English).
    parts = placeholders.PATTERN.split(text)
    parts[1::2] = [placeholders.canonical(name) for name in parts[1::2]]
    return tuple(parts)


def _fill(parts: tuple[str, ...], values: Mapping[str, str]) -> str:
    if len(parts) == 1:
        return parts[0]
    out = list(parts)
    out[1::2] = [values[name] for name in parts[1::2]]
    return "".join(out)


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        markdown=_markdown_filter,
        inline_markdown=_inline_markdown_filter,
        lines=lambda text: Markup("<br>").join(text.strip().split("\n")),
        link=_link_filter,
        wrap=wrap,
    )
    env.globals.update(mailto_href=_mailto_href)
    return env


# The filters that make the content's links read `links` from the rendering's context, so the
# one cached environment serves campaigns with and without counted links.
@jinja2.pass_context
def _markdown_filter(context: jinja2.runtime.Context, source: str) -> Markup:
    return Markup(b.markdown_html(source, context.get("links")))


@jinja2.pass_context
def _inline_markdown_filter(context: jinja2.runtime.Context, source: str) -> Markup:
    return Markup(b.inline_markdown_html(source, context.get("links")))


@jinja2.pass_context
def _link_filter(context: jinja2.runtime.Context, url: str) -> str:
    href = b.safe_link(url)
    links = context.get("links") or {}
    return links.get(href, href)


def _translator(language: str) -> Translator:
    try:
        return translator(language)
    except UnknownLanguage as exc:
        raise TemplateError(f"no email can be written in {language!r}: {exc}") from exc


def _context(
    words: Translator,
    network: Network,
    base_url: str,
    upcoming: Sequence[MeetingFacts],
    meeting: MeetingFacts | None,
) -> dict[str, Any]:
    language = words.language

    def header_date(header: b.Header) -> str:
        if header.date is None:
            return ""
        return format_date(header.date, HEADER_DATE_FORMAT, locale=language)

    def image_src(src: str) -> str:
        return b.image_url(src, base_url)

    return {
        "language": language,
        "for_web": False,
        "links": {},
        "network": network,
        # The name inside a sentence ("de Opgavebeweging"); a caller's own network object
        # without an article gets the bare name.
        "network_in_sentence": name_in_sentence(
            network.name, getattr(network, "article", ""), language
        ),
        # The templates' words, from the catalogs (service/translation.py).
        "_": words.gettext,
        "gettext": words.gettext,
        "ngettext": words.ngettext,
        "header_date": header_date,
        "meeting_rows": [_meeting_row(m, network.timezone, language) for m in upcoming],
        "meeting": _meeting_facts(meeting, network.timezone, language, base_url)
        if meeting
        else None,
        "web_version_url": placeholders.token(placeholders.WEB_VERSION_URL),
        "unsubscribe_url": placeholders.token(placeholders.UNSUBSCRIBE_URL),
        "answer_yes_url": placeholders.token(placeholders.ANSWER_YES_URL),
        "answer_no_url": placeholders.token(placeholders.ANSWER_NO_URL),
        "answer_url": placeholders.token(placeholders.ANSWER_URL),
        "preferences_url": placeholders.token(placeholders.PREFERENCES_URL),
        "light": palette.LIGHT,
        "dark": palette.DARK,
        "sans": palette.SANS,
        "serif": palette.SERIF,
        "image_src": image_src,
    }


def _meeting_row(meeting: MeetingFacts, timezone: str, language: str) -> MeetingRow:
    day = dates.format_local_date(meeting.starts_at, timezone, language)
    host = meeting.host_organisation
    # "Gemeente Zwolle" already names its city; "Rijkswaterstaat" does not.
    if meeting.city and meeting.city.casefold() not in host.casefold():
        host = f"{host}, {meeting.city}"
    # The date opens a table cell, so it starts with a capital: "Dinsdag 3 juni 2025".
    return MeetingRow(date=day[:1].upper() + day[1:], host=host)


def _meeting_facts(
    meeting: MeetingFacts, timezone: str, language: str, base_url: str = ""
) -> dict[str, Any]:
    when = dates.format_local(meeting.starts_at, timezone, language)
    if meeting.ends_at is not None:
        when += "–" + dates.format_local_time(meeting.ends_at, timezone, language)
    facts: dict[str, Any] = {
        "when": when,
        "where": place_line(meeting.venue, meeting.address, meeting.city),
        "host": meeting.host_organisation,
        "answers_open": meeting.answers_open,
        "asks_answer": meeting.asks_answer,
        "deadline": "",
        "places": "",
    }
    if meeting.registration_deadline is not None:
        facts["deadline"] = dates.format_local(meeting.registration_deadline, timezone, language)
    if meeting.places_left is not None:
        facts["places"] = (
            str(meeting.places_left)
            if meeting.places_left > 0
            else _translator(language).gettext("None: a yes puts you on the waiting list")
        )
    return facts | _calendar_links(meeting, base_url)


def _calendar_links(meeting: MeetingFacts, base_url: str) -> dict[str, str]:
    # The same for every recipient, so made once per rendering; empty without an id or end.
    if meeting.id is None or meeting.ends_at is None or not base_url:
        return {"google_url": "", "outlook_url": "", "ics_url": ""}
    event = CalendarMeeting(
        id=meeting.id,
        title=meeting.title or meeting.host_organisation,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        host_organisation=meeting.host_organisation,
        city=meeting.city,
        venue=meeting.venue,
        address=meeting.address,
        description=meeting.description,
    )
    return {
        "google_url": google_calendar_url(event),
        "outlook_url": outlook_calendar_url(event),
        "ics_url": meeting_ics_url(meeting.id, base_url),
    }


def meeting_ics_url(meeting_id: int, base_url: str) -> str:
    """The public .ics download of a published meeting (service/meetings/public_views.py)."""
    return f"{base_url.rstrip('/')}/bijeenkomsten/{meeting_id}.ics"


def email_environment() -> jinja2.Environment:
    """The Jinja2 environment of the email templates (for emails other than campaigns)."""
    return _environment()


def email_context(
    language: str, network: Network, base_url: str, meeting: MeetingFacts | None = None
) -> dict[str, Any]:
    """The names every email template uses (_, colours, the meeting's facts), for one language."""
    return _context(_translator(language), network, base_url, (), meeting)


def _mailto_href(email: str, subject: str = "") -> str:
    # quote() keeps "@" and turns spaces, "?" and "&" into escapes, so the address cannot smuggle
    # in extra headers such as bcc=.
    href = "mailto:" + quote(email.strip(), safe="@.+-_")
    if subject:
        href += "?subject=" + quote(subject, safe="")
    return href
