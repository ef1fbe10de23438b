"""Colours and fonts of the emails; every text/background pair passes WCAG AA (4.5:1).

tests/test_render.py computes the contrast of each pair in CONTRAST_PAIRS, so a new colour that
is too faint fails the suite.
"""

from __future__ import annotations

# Fonts every mail client has; Outlook falls back to Times New Roman for anything unknown.
SANS = "Arial, Helvetica, sans-serif"
# Unquoted family names are valid CSS and need no escaping inside a style attribute.
SERIF = "Georgia, Times New Roman, Times, serif"

LIGHT = {
    "page": "#f3f5f7",
    "card": "#ffffff",
    "text": "#1f2933",
    "heading": "#12355b",
    "muted": "#4a5560",
    "link": "#00558c",
    "rule": "#cbd2d9",
    "accent": "#12355b",
    "on_accent": "#ffffff",
    "on_accent_muted": "#d5e3f0",
    "tint": "#eef3f8",
    "button": "#00558c",
    "on_button": "#ffffff",
}

# Applied by the prefers-color-scheme media query in clients that honour it.
DARK = {
    "page": "#111418",
    "card": "#1b1f24",
    "text": "#e6e9ed",
    "heading": "#ffffff",
    "muted": "#b8c0c9",
    "link": "#8cc8ff",
    "rule": "#3a424b",
    "accent": "#0b2440",
    "on_accent": "#ffffff",
    "on_accent_muted": "#c9d8e8",
    "tint": "#242a31",
    "button": "#8cc8ff",
    "on_button": "#0b2440",
}

# (foreground, background) pairs that appear in the templates.
CONTRAST_PAIRS = [
    ("text", "card"),
    ("heading", "card"),
    ("muted", "card"),
    ("link", "card"),
    ("muted", "page"),
    ("link", "page"),
    ("heading", "tint"),
    ("muted", "tint"),
    ("text", "tint"),
    ("on_accent", "accent"),
    ("on_accent_muted", "accent"),
    ("on_button", "button"),
]
