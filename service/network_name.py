"""The one rule for the network's name in a sentence.

NETWORK_NAME is the bare name ("Opgavebeweging"): page titles, the brand, the sender name.
In a sentence the name takes its article (NETWORK_ARTICLE, "de"), lower case inside a sentence
and a capital only where the sentence starts with it: "Aanmelden bij de Opgavebeweging",
"De Opgavebeweging is een netwerk ...". English sentences read "the Opgavebeweging" the same
way. Messages take the name in a sentence as %(network)s and never add an article of their own.

Nothing here imports Flask.
"""

from __future__ import annotations

# The articles a Dutch name can take ("" for a name that takes none, e.g. "Netwerk X").
ARTICLES = ("", "de", "het")


def name_in_sentence(name: str, article: str, language: str, *, start: bool = False) -> str:
    """The network's name as it stands in a sentence of this language, with its article."""
    if not article:
        words = name
    elif language == "nl":
        words = f"{article} {name}"
    else:
        words = f"the {name}"
    return words[:1].upper() + words[1:] if start else words


def title_in_sentence(title: str, name: str, article: str, language: str) -> str:
    """A title that starts with the name and its article ("De Opgavebeweging op bezoek bij
    ...") as it stands inside a sentence: "Terugblik op de Opgavebeweging op bezoek bij ..."."""
    at_start = name_in_sentence(name, article, language, start=True)
    if article and title.startswith(at_start + " "):
        return name_in_sentence(name, article, language) + title[len(at_start) :]
    return title
