"""Text folded for searching: case and accents ignored, the same way on SQLite and PostgreSQL.

SQLite's LIKE ignores the case of A-Z only, and neither database ignores accents without an
extension (PostgreSQL's unaccent needs a superuser to install it). So each contact keeps its
name and organisation folded in `contacts.search_text`, and a search folds what was typed the
same way: "esmee" finds "Esmée", "MAAÏKE" finds "Maaïke", "celik" finds "Çelik". The address is
not in it (addresses are stored lower-case and searched as they are), so the network wall can
search names without revealing anyone's address.
Nothing here imports Flask or the database.
"""

from __future__ import annotations

import unicodedata


def folded(text: str) -> str:
    """`text` without accents and in one case ("Esmée Çelik" -> "esmee celik")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def contact_search_text(name: str | None, organisation: str | None) -> str:
    """What a search by name or organisation looks in: both folded, one line each.

    One line each, so a search never matches across the end of the name and the start of the
    organisation (a search is one line).
    """
    return f"{folded(name or '')}\n{folded(organisation or '')}"
