"""The twelve Dutch provinces plus "landelijk" (national), with codes stored in the database."""

from __future__ import annotations

import unicodedata

# code -> display name; the order is the one people know from the map, north to south.
PROVINCES: dict[str, str] = {
    "groningen": "Groningen",
    "friesland": "Friesland",
    "drenthe": "Drenthe",
    "noord-holland": "Noord-Holland",
    "flevoland": "Flevoland",
    "overijssel": "Overijssel",
    "gelderland": "Gelderland",
    "utrecht": "Utrecht",
    "zuid-holland": "Zuid-Holland",
    "zeeland": "Zeeland",
    "noord-brabant": "Noord-Brabant",
    "limburg": "Limburg",
}
NATIONAL = "landelijk"
CHOICES: dict[str, str] = {**PROVINCES, NATIONAL: "Landelijk"}

# Other names people type in spreadsheets for the same province.
_ALIASES = {
    "fryslan": "friesland",
    "frysland": "friesland",
    "brabant": "noord-brabant",
    "nationaal": NATIONAL,
    "national": NATIONAL,
    "rijk": NATIONAL,
    "rijksoverheid": NATIONAL,
}


def _fold(value: str) -> str:
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    value = value.strip().lower().replace(" ", "-").replace("_", "-")
    if value.startswith("provincie-"):
        value = value.removeprefix("provincie-")
    return value


def parse_province(value: str | None) -> str | None:
    """Return the province code for a name as people write it, None when empty.

    Raises ValueError naming the value when it is not a province.
    """
    if value is None or not value.strip():
        return None
    folded = _fold(value)
    code = _ALIASES.get(folded, folded)
    if code not in CHOICES:
        raise ValueError(f"unknown province {value.strip()!r}")
    return code


def province_name(code: str | None) -> str:
    """Display name of a province code ("" for none)."""
    return CHOICES.get(code or "", "")
