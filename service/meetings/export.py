"""A meeting's invitations as CSV, in the form Dutch Excel opens by double-click.

Same shape as the contacts export (service.contacts.csvio): UTF-8 with BOM, semicolons, CRLF, and
cells that a spreadsheet would run as a formula (a remark starting with "=") made harmless with a
leading apostrophe. Column names and answers are Dutch, as the network's spreadsheets are.
Nothing here imports Flask.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from config.settings import Settings
from service.meetings.invitations import InvitationRow
from service.models import Answer
from service.provinces import province_name
from service.spreadsheets import EXPORT_DELIMITER, protect_cell

COLUMNS = (
    "naam",
    "e-mail",
    "organisatie",
    "provincie",
    "antwoord",
    "geantwoord op",
    "opmerking",
    "aanwezig",
)
ANSWER_WORDS = {
    Answer.INVITED: "nog geen antwoord",
    Answer.YES: "aangemeld",
    Answer.NO: "afgemeld",
    Answer.WAITING: "wachtlijst",
}
ATTENDED_WORDS = {True: "ja", False: "nee", None: ""}


def invitations_csv(rows: Iterable[InvitationRow], timezone: str = Settings.TIMEZONE) -> str:
    """The whole file as text, BOM first; encode it as UTF-8 to send it."""
    zone = ZoneInfo(timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=EXPORT_DELIMITER, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        answered = (
            row.answered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if row.answered_at else ""
        )
        values = [
            row.name,
            row.email,
            row.organisation,
            province_name(row.province) if row.province else "",
            ANSWER_WORDS[row.answer],
            answered,
            row.remark,
            ATTENDED_WORDS[row.attended],
        ]
        writer.writerow([protect_cell(value) for value in values])
    return "\ufeff" + buffer.getvalue()
