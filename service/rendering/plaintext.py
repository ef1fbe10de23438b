"""The plain-text part of an email, made from the blocks (never scraped from the HTML).

Prose wraps at 72 columns, links are written out as `label (url)`, lists use `- ` and `1. `,
quotes are indented with their attribution, and the meetings table is aligned in columns.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from markdown_it.tree import SyntaxTreeNode

from service.rendering import blocks as b

WIDTH = 72
QUOTE_INDENT = "    "
OPEN_QUOTE, CLOSE_QUOTE = "“", "”"

Translate = Callable[..., str]
# Link addresses and what to write instead (a counted link's redirect, service/click_links.py).
Links = Mapping[str, str]


@dataclass(frozen=True)
class MeetingRow:
    """One line of the upcoming-meetings table, already formatted for the reader."""

    date: str
    host: str


def blocks_text(
    blocks: Sequence[b.Block],
    *,
    gettext: Translate,
    header_date: Callable[[b.Header], str],
    meeting_rows: Sequence[MeetingRow],
    links: Links | None = None,
) -> str:
    """The text of all blocks, separated by blank lines; `links` replaces link addresses."""
    parts = [
        block_text(
            block,
            gettext=gettext,
            header_date=header_date,
            meeting_rows=meeting_rows,
            links=links,
        )
        for block in blocks
    ]
    return "\n\n".join(part for part in parts if part)


def block_text(
    block: b.Block,
    *,
    gettext: Translate,
    header_date: Callable[[b.Header], str],
    meeting_rows: Sequence[MeetingRow],
    links: Links | None = None,
) -> str:
    """The text of one block ("" when it has nothing to show)."""
    match block:
        case b.Header():
            lines = [line for line in (block.title, block.host) if line]
            meta = " | ".join(part for part in (header_date(block), block.place) if part)
            if meta:
                lines.append(meta)
            if block.theme:
                lines.append(gettext("Theme: %(theme)s", theme=block.theme))
            rule = "=" * WIDTH
            return "\n".join([rule, *(wrap(line) for line in lines), rule])
        case b.Text():
            return markdown_text(block.body, links)
        case b.BulletList():
            return "\n".join(hang("- ", inline_text(item, links)) for item in block.items)
        case b.NumberedList():
            return "\n".join(
                hang(f"{n}. ", inline_text(item, links)) for n, item in enumerate(block.items, 1)
            )
        case b.Quote() | b.ClosingQuote():
            return quote_text(block.text, block.name, block.organisation)
        case b.QuoteWall():
            return "\n\n".join(quote_text(q.text, q.name, q.organisation) for q in block.quotes)
        case b.Image():
            lines = [f"[{block.alt}]"] if block.alt else []
            if block.caption:
                lines.append(wrap(block.caption))
            return "\n".join(lines)
        case b.Button():
            return link_text(block.label, block.url, links)
        case b.Mailto():
            label = block.label or gettext("Email %(email)s", email=block.email)
            action = label if block.email in label else f"{label}: {block.email}"
            return "\n\n".join(part for part in (markdown_text(block.text, links), action) if part)
        case b.UpcomingMeetings():
            return meetings_text(block.title, meeting_rows, gettext)
        case b.Divider():
            return "-" * WIDTH
    raise AssertionError(f"no text for block {block!r}")


def wrap(text: str, width: int = WIDTH, indent: str = "") -> str:
    """Wrap prose, keeping line breaks the author made and never splitting a word or URL."""
    return "\n".join(
        textwrap.fill(
            line,
            width=width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        or indent.rstrip()
        for line in text.split("\n")
    )


def hang(marker: str, text: str, width: int = WIDTH) -> str:
    """A list item: the marker, then the text wrapped with a hanging indent."""
    body = wrap(text, width - len(marker)).split("\n")
    pad = " " * len(marker)
    return "\n".join([marker + body[0], *((pad + line).rstrip() for line in body[1:])])


def quote_text(text: str, name: str, organisation: str) -> str:
    """An indented quote between quotation marks, with `— name, organisation` under it."""
    lines = wrap(f"{OPEN_QUOTE}{text.strip()}{CLOSE_QUOTE}", WIDTH, QUOTE_INDENT)
    who = ", ".join(part for part in (name, organisation) if part)
    return f"{lines}\n{QUOTE_INDENT}— {who}" if who else lines


def meetings_text(title: str, rows: Sequence[MeetingRow], gettext: Translate) -> str:
    """The upcoming meetings as aligned columns under an optional title."""
    lines = [title, "-" * min(len(title), WIDTH)] if title else []
    if not rows:
        lines.append(gettext("No meetings have been planned yet."))
        return "\n".join(lines)
    width = max(len(row.date) for row in rows)
    lines.extend(f"  {row.date.ljust(width)}   {row.host}" for row in rows)
    return "\n".join(lines)


def link_text(label: str, url: str, links: Links | None = None) -> str:
    """A link written out: `label (url)`, or just one of them when they say the same.

    A link in `links` is written as `label (its replacement)`, the label being the address when
    the link had no other words: the reader still sees where it leads.
    """
    href = b.safe_link(url)
    if not href:
        return label
    if links and href in links:
        return f"{label or href} ({links[href]})"
    if href.lower().startswith("mailto:"):
        address = unquote(href[len("mailto:") :].split("?", 1)[0])
        return label if not label or address == label else f"{label} ({address})"
    if not label or label == href:
        return href
    return f"{label} ({href})"


def markdown_text(source: str, links: Links | None = None) -> str:
    """Block Markdown as plain text."""
    return "\n\n".join(_blocks(b.markdown_tree(source).children, WIDTH, links))


def inline_text(source: str, links: Links | None = None) -> str:
    """Inline Markdown (a list item) as plain text, unwrapped."""
    tree = b.inline_tree(source)
    return "".join(_inline(node, links) for node in tree.children)


def _blocks(nodes: Sequence[SyntaxTreeNode], width: int, links: Links | None) -> list[str]:
    out: list[str] = []
    for node in nodes:
        if node.type == "paragraph":
            out.append(wrap(_inline(node.children[0], links), width))
        elif node.type == "heading":
            text = _inline(node.children[0], links)
            underline = "=" if node.tag == "h2" else "-"
            out.append(f"{wrap(text, width)}\n{underline * min(len(text), width)}")
        elif node.type in ("bullet_list", "ordered_list"):
            start = int(node.attrs.get("start", 1))
            items = []
            for n, item in enumerate(node.children, start):
                marker = "- " if node.type == "bullet_list" else f"{n}. "
                body = "\n\n".join(_blocks(item.children, width - len(marker), links))
                items.append(_hang_block(marker, body))
            out.append("\n".join(items))
        elif node.type == "blockquote":
            inner = "\n\n".join(_blocks(node.children, width - 2, links))
            out.append("\n".join(f"> {line}".rstrip() for line in inner.split("\n")))
        elif node.type in ("code_block", "fence"):
            out.append("\n".join(f"    {line}" for line in node.content.rstrip("\n").split("\n")))
        elif node.type == "hr":
            out.append("-" * width)
    return out


def _hang_block(marker: str, body: str) -> str:
    lines = body.split("\n")
    pad = " " * len(marker)
    return "\n".join([marker + lines[0], *((pad + line).rstrip() for line in lines[1:])])


def _inline(node: SyntaxTreeNode, links: Links | None) -> str:
    if node.type == "text" or node.type == "code_inline":
        return node.content
    if node.type == "softbreak":
        return " "
    if node.type == "hardbreak":
        return "\n"
    label = "".join(_inline(child, links) for child in node.children)
    if node.type == "link":
        return link_text(label, str(node.attrs.get("href", "")), links)
    return label
