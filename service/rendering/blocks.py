"""Content blocks of a campaign: plain dataclasses, to and from JSON dicts, validated per field.

Blocks hold what organisers type; nothing here is trusted. Plain fields are escaped by the
templates, Markdown fields go through markdown-it-py (CommonMark, raw HTML off) and then nh3 with
a short list of tags, and link fields may only use http, https, mailto or tel. Validation is about
shape and safety; whether a draft is ready to send (alt text, empty links, "klik hier") is the
business of service/campaigns/lint.py, so an unfinished draft can still be saved. The intake rules
of service/text.py hold here too, for the composer and the API alike: a one-line block field
read from a dict gets its whitespace runs as one space, and a control character in any text
field is refused ("control-character").
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from service import text
from service.dates import EARLIEST_DAY, LATEST_DAY, day_supported
from service.ids import whole_number
from service.messages import N_
from service.rendering import placeholders
from service.translation import SOURCE_LANGUAGE, translator


class Kind(enum.StrEnum):
    """The kind of email; each has its own template in emails/."""

    RECAP = "recap"
    INVITATION = "invitation"
    REMINDER = "reminder"
    ANNOUNCEMENT = "announcement"


MAX_LINE = 300
MAX_PLAIN = 2_000
MAX_MARKDOWN = 20_000
MAX_ITEMS = 50
MAX_QUOTES = 24
MAX_URL = 2_000
MAX_EMAIL = 254
MAX_WIDTH = 600  # the content column of the email layout
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
IMAGE_SCHEMES = frozenset({"http", "https"})


def _spec(kind: str, **options: Any) -> dict[str, Any]:
    return {"kind": kind, **options}


@dataclass
class ImageRef:
    """An image inside another block (the header's logo)."""

    src: str = field(default="", metadata=_spec("image_src"))
    alt: str = field(default="", metadata=_spec("line"))
    width: int = field(default=200, metadata=_spec("width"))


@dataclass
class WallQuote:
    """One short quote on a quote wall; the attribution is optional."""

    text: str = field(default="", metadata=_spec("plain"))
    name: str = field(default="", metadata=_spec("line"))
    organisation: str = field(default="", metadata=_spec("line"))


@dataclass
class Header:
    """Title, host, date and place line, theme, optional logo."""

    TYPE: ClassVar[str] = "header"
    title: str = field(default="", metadata=_spec("line"))
    host: str = field(default="", metadata=_spec("line"))
    date: date | None = field(default=None, metadata=_spec("date"))
    place: str = field(default="", metadata=_spec("line"))
    theme: str = field(default="", metadata=_spec("line"))
    logo: ImageRef | None = field(default=None, metadata=_spec("image"))


@dataclass
class Text:
    """Markdown: headings, bold, italics, links, paragraphs, lists."""

    TYPE: ClassVar[str] = "text"
    body: str = field(default="", metadata=_spec("markdown"))


@dataclass
class BulletList:
    """A bullet list; each item is short inline Markdown."""

    TYPE: ClassVar[str] = "bullet_list"
    items: list[str] = field(default_factory=list, metadata=_spec("items"))


@dataclass
class NumberedList:
    """A numbered list; each item is short inline Markdown."""

    TYPE: ClassVar[str] = "numbered_list"
    items: list[str] = field(default_factory=list, metadata=_spec("items"))


@dataclass
class Quote:
    """A single quote with the name and organisation of who said it."""

    TYPE: ClassVar[str] = "quote"
    text: str = field(default="", metadata=_spec("plain"))
    name: str = field(default="", metadata=_spec("line"))
    organisation: str = field(default="", metadata=_spec("line"))


@dataclass
class QuoteWall:
    """Several short quotes side by side."""

    TYPE: ClassVar[str] = "quote_wall"
    quotes: list[WallQuote] = field(default_factory=list, metadata=_spec("quotes"))


@dataclass
class Image:
    """An image with alt text, optional caption and its width in pixels (at most 600)."""

    TYPE: ClassVar[str] = "image"
    src: str = field(default="", metadata=_spec("image_src"))
    alt: str = field(default="", metadata=_spec("line"))
    caption: str = field(default="", metadata=_spec("line"))
    width: int = field(default=MAX_WIDTH, metadata=_spec("width"))


@dataclass
class Button:
    """A button-shaped link."""

    TYPE: ClassVar[str] = "button"
    label: str = field(default="", metadata=_spec("line"))
    url: str = field(default="", metadata=_spec("link"))


@dataclass
class Mailto:
    """A call to action: Markdown text and a button that opens a mail to an address."""

    TYPE: ClassVar[str] = "mailto"
    text: str = field(default="", metadata=_spec("markdown"))
    email: str = field(default="", metadata=_spec("email"))
    subject: str = field(default="", metadata=_spec("line"))
    # Empty means "Mail naar <address>", which tells where the link goes.
    label: str = field(default="", metadata=_spec("line"))


@dataclass
class UpcomingMeetings:
    """The table of the next meetings; the rows come from the caller of the renderer."""

    TYPE: ClassVar[str] = "upcoming_meetings"
    title: str = field(default="", metadata=_spec("line"))


@dataclass
class ClosingQuote:
    """The quote that ends a recap, with name and organisation."""

    TYPE: ClassVar[str] = "closing_quote"
    text: str = field(default="", metadata=_spec("plain"))
    name: str = field(default="", metadata=_spec("line"))
    organisation: str = field(default="", metadata=_spec("line"))


@dataclass
class Divider:
    """A horizontal rule between sections."""

    TYPE: ClassVar[str] = "divider"


Block = (
    Header
    | Text
    | BulletList
    | NumberedList
    | Quote
    | QuoteWall
    | Image
    | Button
    | Mailto
    | UpcomingMeetings
    | ClosingQuote
    | Divider
)

BLOCK_TYPES: dict[str, type[Block]] = {
    cls.TYPE: cls
    for cls in (
        Header,
        Text,
        BulletList,
        NumberedList,
        Quote,
        QuoteWall,
        Image,
        Button,
        Mailto,
        UpcomingMeetings,
        ClosingQuote,
        Divider,
    )
}


@dataclass
class CampaignContent:
    """What the renderer needs of a campaign: its kind, subject, preheader and blocks."""

    kind: Kind = Kind.RECAP
    subject: str = ""
    preheader: str = ""
    blocks: list[Block] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Errors

# Each code's words: an English msgid, translated from the catalogs when shown.
MESSAGES: dict[str, str] = {
    "not-an-object": N_("must be an object"),
    "unknown-type": N_("unknown block type %(value)s; use one of %(choices)s"),
    "unknown-kind": N_("unknown kind of email %(value)s; use one of %(choices)s"),
    "unknown-field": N_("unknown field; this block has %(choices)s"),
    "not-text": N_("must be text"),
    "not-a-list": N_("must be a list"),
    "too-long": N_("is %(length)s characters long; shorten it to at most %(max)s"),
    "too-many": N_("has %(count)s entries; keep at most %(max)s"),
    "single-line": N_("must fit on one line"),
    "not-a-number": N_("must be a whole number of pixels"),
    "out-of-range": N_("must be between %(min)s and %(max)s"),
    "not-a-date": N_("must be a date written as YYYY-MM-DD"),
    "unsafe-url": N_("links may only start with http, https, mailto or tel, not %(scheme)s:"),
    "unsafe-image-url": N_(
        "an image address must start with https:// or / (an upload), not %(scheme)s:"
    ),
    "unknown-placeholder": N_("[[%(name)s]] is not a personal field; you can use %(choices)s"),
    "control-character": N_(
        "holds an invisible control character (%(codes)s) that cannot be stored or sent; "
        "remove it or type the text again"
    ),
    "placeholder-in-address": N_("a personal field like [[%(name)s]] cannot be part of an address"),
}


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; `path` is like `blocks[3].items[2]`."""

    path: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, language: str = SOURCE_LANGUAGE) -> str:
        """The problem in words, in the reader's language (English by default, as logs read it)."""
        return translator(language).gettext(MESSAGES[self.code], **self.params)

    def to_dict(self, language: str = SOURCE_LANGUAGE) -> dict[str, str]:
        """A JSON-ready form for the API and the composer."""
        return {"path": self.path, "code": self.code, "message": self.message(language)}


class ContentError(ValueError):
    """Blocks or content that cannot be used; `errors` lists every problem per field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.path or 'content'}: {e.message()}" for e in errors))


def add_errors(errors: dict[str, Any], found: list[FieldError], where: str = "") -> None:
    """Each problem into `errors` (field path -> list of FieldError), its path under `where`
    ("translations.en"); a problem of the whole content goes under `where`, else "blocks"."""
    for error in found:
        path = f"{where}.{error.path}" if where and error.path else error.path or where or "blocks"
        problems = errors.setdefault(path, [])
        if isinstance(problems, list):
            problems.append(error)


# ---------------------------------------------------------------------------------------------
# URLs

_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
# Browsers drop these inside a URL, so "java\tscript:" is still javascript:.
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]+")


def url_scheme(url: str) -> str | None:
    """The scheme the browser would see (lower case), or None for a relative address."""
    match = _SCHEME.match(_IGNORED_IN_URL.sub("", url).lower())
    return match.group(1) if match else None


def safe_link(url: str) -> str:
    """The URL when a mail client may follow it, otherwise "" (lint then reports an empty link)."""
    url = url.strip()
    scheme = url_scheme(url)
    if scheme is None:
        # Relative addresses lead nowhere in an email, but are harmless; lint reports them.
        return "" if url.lower().startswith(("//", "\\")) else url
    return url if scheme in LINK_SCHEMES else ""


def image_url(src: str, base_url: str) -> str:
    """The absolute address of an image: uploads (/path) live under BASE_URL; unsafe gives ""."""
    src = src.strip()
    if src.startswith("/") and not src.startswith("//"):
        return base_url.rstrip("/") + src
    return src if url_scheme(src) in IMAGE_SCHEMES else ""


# ---------------------------------------------------------------------------------------------
# Markdown and sanitising

_LINK_TOKENS = placeholders.LINK_TOKENS


class _Markdown(MarkdownIt):
    def normalizeLink(self, url: str) -> str:
        # "[Vul je netwerkkaart in]([[card_url]])": the contact's own link, filled in per
        # recipient. The placeholder stays as written; percent-encoded it would not be found.
        return url if url in _LINK_TOKENS else super().normalizeLink(url)


_markdown = _Markdown("commonmark", {"html": False, "linkify": False, "typographer": False})
# Images belong in an image block, where width and alt text are checked.
_markdown.disable("image")

_BLOCK_TAGS = {"p", "br", "strong", "em", "a", "code", "pre", "h2", "h3", "h4"}
_BLOCK_TAGS |= {"ul", "ol", "li", "blockquote", "hr"}
_INLINE_TAGS = {"br", "strong", "em", "a", "code"}
_CLEANER_OPTIONS: dict[str, Any] = {
    "attributes": {"a": {"href", "title"}, "ol": {"start"}},
    "url_schemes": set(LINK_SCHEMES),
    "link_rel": "noopener",
    "strip_comments": True,
    "clean_content_tags": {"script", "style"},
}
_clean_block = nh3.Cleaner(tags=_BLOCK_TAGS, **_CLEANER_OPTIONS)
_clean_inline = nh3.Cleaner(tags=_INLINE_TAGS, **_CLEANER_OPTIONS)


def markdown_tokens(source: str) -> list[Token]:
    """The parsed Markdown, headings moved to h2-h4 (the email's h1 is the header block)."""
    tokens = _markdown.parse(source)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(max(int(token.tag[1]), 2), 4)
            token.tag = f"h{level}"
    return tokens


def markdown_tree(source: str) -> SyntaxTreeNode:
    """The parsed block Markdown as a tree, for the plain-text part."""
    return SyntaxTreeNode(markdown_tokens(source))


def inline_tree(source: str) -> SyntaxTreeNode:
    """Short inline Markdown (a list item) as a tree: emphasis, links, code, no blocks."""
    return SyntaxTreeNode(_markdown.parseInline(source))


def markdown_html(source: str, links: Mapping[str, str] | None = None) -> str:
    """Sanitised HTML of block Markdown; `links` replaces link addresses (counted clicks)."""
    tokens = _relinked(markdown_tokens(source), links)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return _clean_block.clean(html)


def inline_markdown_html(source: str, links: Mapping[str, str] | None = None) -> str:
    """Sanitised HTML of short inline Markdown; `links` as for markdown_html."""
    tokens = _relinked(_markdown.parseInline(source), links)
    return _clean_inline.clean(_markdown.renderer.render(tokens, _markdown.options, {}))


def markdown_links(source: str, *, inline: bool = False) -> list[str]:
    """The link addresses of Markdown in reading order, as the HTML's href holds them."""
    tokens = _markdown.parseInline(source) if inline else markdown_tokens(source)
    return [str(link.attrs["href"]) for link in _link_tokens(tokens) if "href" in link.attrs]


def _link_tokens(tokens: list[Token]) -> list[Token]:
    return [
        child
        for token in tokens
        if token.type == "inline"
        for child in token.children or ()
        if child.type == "link_open"
    ]


def _relinked(tokens: list[Token], links: Mapping[str, str] | None) -> list[Token]:
    # The tokens are the parse of this one call, so changing them in place is safe.
    if links:
        for link in _link_tokens(tokens):
            href = link.attrs.get("href")
            if isinstance(href, str) and href in links:
                link.attrs["href"] = links[href]
    return tokens


# ---------------------------------------------------------------------------------------------
# The content's own links


def content_links(content: CampaignContent) -> list[str]:
    """Every web (http, https) address the blocks link to, in reading order, each once.

    The links organisers wrote (Markdown links, buttons), as the rendered href holds them; not
    mailto: or tel:, not a contact's own [[card_url]], and none of the links the templates add
    (web version, unsubscribe, preferences, answers, calendar). A counted link's number is its
    place in this list, from 1 (service/click_links.py), so it must not change for stored content.
    """
    found: list[str] = []
    for block in content.blocks:
        match block:
            case Text():
                found.extend(markdown_links(block.body))
            case BulletList() | NumberedList():
                for item in block.items:
                    found.extend(markdown_links(item, inline=True))
            case Button():
                found.append(safe_link(block.url))
            case Mailto():
                found.extend(markdown_links(block.text))
    web = (url for url in found if url_scheme(url) in ("http", "https"))
    return list(dict.fromkeys(web))


# ---------------------------------------------------------------------------------------------
# Checking


def check_block(block: Block, path: str = "") -> list[FieldError]:
    """Every problem of a block built in code (types are trusted, values are not)."""
    errors: list[FieldError] = []
    for f in dataclasses.fields(block):
        _check_value(getattr(block, f.name), f.metadata["kind"], _join(path, f.name), errors)
    return errors


def check_content(content: CampaignContent) -> list[FieldError]:
    """Every problem of subject, preheader and blocks."""
    errors: list[FieldError] = []
    _check_value(content.subject, "line", "subject", errors)
    _check_value(content.preheader, "line", "preheader", errors)
    for index, block in enumerate(content.blocks):
        errors.extend(check_block(block, f"blocks[{index}]"))
    return errors


def _check_value(value: Any, kind: str, path: str, errors: list[FieldError]) -> None:
    if kind == "line":
        _check_text(value, path, MAX_LINE, errors)
        if "\n" in value or "\r" in value:
            errors.append(FieldError(path, "single-line"))
    elif kind == "plain":
        _check_text(value, path, MAX_PLAIN, errors)
    elif kind == "markdown":
        _check_text(value, path, MAX_MARKDOWN, errors)
    elif kind == "items":
        _check_count(value, path, MAX_ITEMS, errors)
        for i, item in enumerate(value):
            _check_text(item, f"{path}[{i}]", MAX_PLAIN, errors)
    elif kind == "quotes":
        _check_count(value, path, MAX_QUOTES, errors)
        for i, quote in enumerate(value):
            errors.extend(check_block(quote, f"{path}[{i}]"))
    elif kind == "image":
        if value is not None:
            errors.extend(check_block(value, path))
    elif kind == "link":
        if value.strip() in _LINK_TOKENS:
            return  # "[[kaart_url]]", "[[card_url]]", "[[muur_url]]": the contact's own page
        _check_address(value, path, MAX_URL, errors)
        scheme = url_scheme(value)
        if scheme is not None and scheme not in LINK_SCHEMES:
            errors.append(FieldError(path, "unsafe-url", {"scheme": scheme}))
    elif kind == "image_src":
        _check_address(value, path, MAX_URL, errors)
        scheme = url_scheme(value)
        if scheme is not None and scheme not in IMAGE_SCHEMES:
            errors.append(FieldError(path, "unsafe-image-url", {"scheme": scheme}))
    elif kind == "email":
        _check_address(value, path, MAX_EMAIL, errors)
    elif kind == "width":
        if not 1 <= value <= MAX_WIDTH:
            errors.append(FieldError(path, "out-of-range", {"min": 1, "max": MAX_WIDTH}))
    elif kind != "date":
        raise AssertionError(f"no check for field kind {kind}")


def _check_characters(value: str, path: str, errors: list[FieldError]) -> None:
    found = text.forbidden_characters(value)
    if found:
        errors.append(FieldError(path, "control-character", {"codes": text.code_points(found)}))


def _check_text(value: str, path: str, limit: int, errors: list[FieldError]) -> None:
    if len(value) > limit:
        errors.append(FieldError(path, "too-long", {"length": len(value), "max": limit}))
    _check_characters(value, path, errors)
    allowed = placeholders.spellings(placeholders.TEXT_NAMES | placeholders.LINK_NAMES)
    for name in placeholders.names_in(value):
        if name not in allowed:
            choices = ", ".join(f"[[{n}]]" for n in allowed)
            errors.append(
                FieldError(path, "unknown-placeholder", {"name": name, "choices": choices})
            )


def _check_address(value: str, path: str, limit: int, errors: list[FieldError]) -> None:
    if len(value) > limit:
        errors.append(FieldError(path, "too-long", {"length": len(value), "max": limit}))
    _check_characters(value, path, errors)
    if "\n" in value or "\r" in value:
        errors.append(FieldError(path, "single-line"))
    for name in placeholders.names_in(value):
        errors.append(FieldError(path, "placeholder-in-address", {"name": name}))


def _check_count(value: list[Any], path: str, limit: int, errors: list[FieldError]) -> None:
    if len(value) > limit:
        errors.append(FieldError(path, "too-many", {"count": len(value), "max": limit}))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# ---------------------------------------------------------------------------------------------
# Dicts (JSON) in and out


def block_to_dict(block: Block) -> dict[str, Any]:
    """The block as a JSON-ready dict with a "type" key."""
    return {"type": block.TYPE, **_fields_to_dict(block)}


def content_to_dict(content: CampaignContent) -> dict[str, Any]:
    """The content as a JSON-ready dict."""
    return {
        "kind": str(content.kind),
        "subject": content.subject,
        "preheader": content.preheader,
        "blocks": [block_to_dict(b) for b in content.blocks],
    }


def block_from_dict(data: Any) -> Block:
    """A checked block from a dict; raises ContentError listing every problem."""
    errors: list[FieldError] = []
    block = _block_from(data, "", errors)
    if block is not None:
        errors.extend(check_block(block))
    if errors or block is None:
        raise ContentError(errors)
    return block


def content_from_dict(data: Any) -> CampaignContent:
    """Checked content from a dict; raises ContentError listing every problem."""
    errors: list[FieldError] = []
    if not isinstance(data, dict):
        raise ContentError([FieldError("", "not-an-object")])
    for key in sorted(set(data) - {"kind", "subject", "preheader", "blocks"}):
        errors.append(
            FieldError(key, "unknown-field", {"choices": "kind, subject, preheader, blocks"})
        )
    kind = Kind.RECAP
    raw_kind = data.get("kind", "recap")
    if raw_kind in set(Kind):
        kind = Kind(raw_kind)
    else:
        choices = ", ".join(k.value for k in Kind)
        errors.append(
            FieldError("kind", "unknown-kind", {"value": repr(raw_kind), "choices": choices})
        )
    subject = _text_from(data.get("subject"), "subject", errors)
    preheader = _text_from(data.get("preheader"), "preheader", errors)
    raw_blocks = data.get("blocks", [])
    blocks: list[Block] = []
    if not isinstance(raw_blocks, list):
        errors.append(FieldError("blocks", "not-a-list"))
    else:
        for index, raw in enumerate(raw_blocks):
            block = _block_from(raw, f"blocks[{index}]", errors)
            if block is not None:
                blocks.append(block)
    content = CampaignContent(kind=kind, subject=subject, preheader=preheader, blocks=blocks)
    if not errors:
        errors.extend(check_content(content))
    if errors:
        raise ContentError(errors)
    return content


def _fields_to_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, date):
            value = value.isoformat()
        elif dataclasses.is_dataclass(value):
            value = _fields_to_dict(value)
        elif isinstance(value, list):
            value = [_fields_to_dict(v) if dataclasses.is_dataclass(v) else v for v in value]
        out[f.name] = value
    return out


def _block_from(data: Any, path: str, errors: list[FieldError]) -> Block | None:
    if not isinstance(data, dict):
        errors.append(FieldError(path, "not-an-object"))
        return None
    # Any JSON value may stand there; a list or an object would break the look-up.
    kind = data.get("type")
    cls = BLOCK_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        choices = ", ".join(BLOCK_TYPES)
        errors.append(
            FieldError(
                _join(path, "type"),
                "unknown-type",
                {"value": repr(kind), "choices": choices},
            )
        )
        return None
    fields = {k: v for k, v in data.items() if k != "type"}
    return _object_from(cls, fields, path, errors)


def _object_from(cls: type, data: dict[str, Any], path: str, errors: list[FieldError]) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    for key in sorted(set(data) - set(known)):
        choices = ", ".join(known) or "-"
        errors.append(FieldError(_join(path, str(key)), "unknown-field", {"choices": choices}))
    values: dict[str, Any] = {}
    for name, f in known.items():
        if name not in data:
            continue
        values[name] = _value_from(data[name], f.metadata["kind"], _join(path, name), errors)
    return cls(**values)


def _value_from(raw: Any, kind: str, path: str, errors: list[FieldError]) -> Any:
    if kind == "line":
        # A title or a name pasted with a line break in it is still one line.
        return text.one_line(_text_from(raw, path, errors))
    if kind in ("plain", "markdown"):
        return text.line_ends(_text_from(raw, path, errors))
    if kind in ("link", "image_src", "email"):
        return _text_from(raw, path, errors)
    if kind == "items":
        if not isinstance(raw, list):
            errors.append(FieldError(path, "not-a-list"))
            return []
        return [_text_from(item, f"{path}[{i}]", errors) for i, item in enumerate(raw)]
    if kind == "quotes":
        if not isinstance(raw, list):
            errors.append(FieldError(path, "not-a-list"))
            return []
        quotes = []
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                errors.append(FieldError(f"{path}[{i}]", "not-an-object"))
                continue
            quote = _object_from(WallQuote, item, f"{path}[{i}]", errors)
            if quote is not None:
                quotes.append(quote)
        return quotes
    if kind == "image":
        if raw is None:
            return None
        if not isinstance(raw, dict):
            errors.append(FieldError(path, "not-an-object"))
            return None
        return _object_from(ImageRef, raw, path, errors)
    if kind == "width":
        if _refused(raw, path, errors):
            return MAX_WIDTH
        # Text from the composer's form, an int from the API; "²" passes isdigit() but not int().
        width = whole_number(raw)
        if width is None:
            errors.append(FieldError(path, "not-a-number"))
            return MAX_WIDTH
        return width
    if kind == "date":
        if raw is None or raw == "" or _refused(raw, path, errors):
            return None
        if isinstance(raw, date):
            return raw
        try:
            day = date.fromisoformat(raw)
        except (TypeError, ValueError):
            errors.append(FieldError(path, "not-a-date"))
            return None
        if not day_supported(day):
            errors.append(
                FieldError(
                    path,
                    "out-of-range",
                    {"min": EARLIEST_DAY.isoformat(), "max": LATEST_DAY.isoformat()},
                )
            )
        return day
    raise AssertionError(f"no conversion for field kind {kind}")


def _text_from(raw: Any, path: str, errors: list[FieldError]) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        errors.append(FieldError(path, "not-text"))
        return ""
    if _refused(raw, path, errors):
        return ""
    return raw


def _refused(raw: Any, path: str, errors: list[FieldError]) -> bool:
    # Whatever the field (a date, a width too), a control character is named as such.
    if not isinstance(raw, str):
        return False
    found = len(errors)
    _check_characters(raw, path, errors)
    return len(errors) > found
