"""A meeting's invitations as CSV, in the form Dutch Excel opens by double-click.

Same shape as the contacts export (service.contacts.csvio): UTF-8 with BOM, semicolons, CRLF, and
cells that a spreadsheet would run as a formula (a remark starting with "=") made harmless with a
leading apostrophe. Column names and answers are in the network's default language (Dutch, as the
network's spreadsheets are), from the catalogs. Nothing here imports Flask.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from config.settings import DEFAULT_LANGUAGE, Settings
from service.meetings.invitations import InvitationRow
from service.messages import N_
from service.models import Answer
from service.provinces import province_name
from service.spreadsheets import EXPORT_DELIMITER, protect_cell
from service.translation import translator

COLUMNS = (
    N_("name"),
    N_("email"),
    N_("organisation"),
    N_("province"),
    N_("answer"),
    N_("answered at"),
    N_("remark"),
    N_("attended"),
)
ANSWER_WORDS = {
    Answer.INVITED: N_("no answer yet"),
    Answer.YES: N_("registered"),
    Answer.NO: N_("declined"),
    Answer.WAITING: N_("waiting list"),
}
ATTENDED_WORDS = {True: N_("yes"), False: N_("no")}


def invitations_csv(
    rows: Iterable[InvitationRow],
    timezone: str = Settings.TIMEZONE,
    language: str = DEFAULT_LANGUAGE,
) -> str:
    """The whole file as text, BOM first; encode it as UTF-8 to send it."""
    zone = ZoneInfo(timezone)
    _ = translator(language).gettext
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=EXPORT_DELIMITER, lineterminator="\r\n")
    writer.writerow([_(column) for column in COLUMNS])
    for row in rows:
        answered = (
            row.answered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if row.answered_at else ""
        )
        values = [
            row.name,
            row.email,
            row.organisation,
            province_name(row.province) if row.province else "",
            _(ANSWER_WORDS[row.answer]),
            answered,
            row.remark,
            "" if row.attended is None else _(ATTENDED_WORDS[row.attended]),
        ]
        writer.writerow([protect_cell(value) for value in values])
    return "\ufeff" + buffer.getvalue()
