"""Helpers for the email tests: reading rendered HTML the way a mail client or a reader would."""

from __future__ import annotations

import re

import lxml.html

UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")
ACTIVE_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "form", "input", "base"}


def parse(html: str) -> lxml.html.HtmlElement:
    """The document (or fragment, wrapped in a div) as an lxml tree."""
    if html.lstrip().lower().startswith(("<!doctype", "<html")):
        return lxml.html.document_fromstring(html)
    return lxml.html.fragment_fromstring(f"<table>{html}</table>", create_parent="div")


def unsafe_parts(html: str) -> list[str]:
    """Everything in the HTML that could run code: active elements, on* handlers, bad schemes."""
    found = []
    for element in parse(html).iter():
        if not isinstance(element.tag, str):
            continue  # comments
        if element.tag in ACTIVE_TAGS:
            found.append(f"<{element.tag}>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"{element.tag}@{name}")
            squeezed = re.sub(r"[\x00-\x20]+", "", value).lower()
            if name in ("href", "src", "action", "background") and squeezed.startswith(
                UNSAFE_SCHEMES
            ):
                found.append(f"{element.tag}@{name}={value}")
    return found


def visible_text(html: str) -> str:
    """The text a reader sees, whitespace collapsed; a <br> counts as a space."""
    tree = parse(html)
    for hidden in tree.xpath("//head|//style|//*[contains(@class, 'preheader')]"):
        hidden.drop_tree()
    return text_of(tree)


def text_of(element: lxml.html.HtmlElement) -> str:
    """The text of one element, whitespace collapsed; a <br> counts as a space."""
    for br in element.iter("br"):
        br.tail = " " + (br.tail or "")
    return squeeze(element.text_content())


def squeeze(text: str) -> str:
    """Whitespace collapsed to single spaces, so wrapped lines compare equal to the original."""
    return re.sub(r"\s+", " ", text).strip()
