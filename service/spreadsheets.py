"""CSV files that Dutch Excel opens as they are and never runs: shared by every export."""

from __future__ import annotations

# Dutch Excel splits on semicolons (the comma is the decimal separator there).
EXPORT_DELIMITER = ";"
# Characters that make Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def protect_cell(value: str) -> str:
    """A cell that a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value
