"""Text folded for searching: case and accents ignored, the same way on SQLite and PostgreSQL.

SQLite's LIKE ignores the case of A-Z only, and neither database ignores accents without an
extension (PostgreSQL's unaccent needs a superuser to install it). So each contact keeps its
name, organisation and address folded in `contacts.search_text`, and a search folds what was
typed the same way: "esmee" finds "Esmée", "MAAÏKE" finds "Maaïke", "celik" finds "Çelik".
Nothing here imports Flask or the database.
"""

from __future__ import annotations

import unicodedata


def folded(text: str) -> str:
    """`text` without accents and in one case ("Esmée Çelik" -> "esmee celik")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def contact_search_text(name: str | None, organisation: str | None, email: str | None) -> str:
    """What a contact search looks in: the three fields folded, one line each.

    One line per field, so a search never matches across the end of one and the start of the
    next (a search is one line).
    """
    return "\n".join(folded(part or "") for part in (name, organisation, email))
