"""CSV import and export of contacts, for files as spreadsheets really write them.

Import reads UTF-8 (with or without BOM), UTF-16 ("Unicode text") and Windows-1252 exports;
comma, semicolon (Dutch Excel) or tab as delimiter, found by counting them in the header line (or
taken from Excel's "sep=;" first line); quoted fields with newlines; and column names in Dutch or
English (see HEADERS). Rows merge into existing contacts by address, case ignored, and a later row
merges into an earlier one of the same file.

Merging never throws data away: an empty cell keeps the stored value, tags are added to the
contact's tags, and consent only changes when the file has a consent column that says so (ja/yes/
given or nee/no/withdrawn). An import never grants consent by itself: new contacts without such a
cell get the state "unknown". When the state changes, when and how are recorded, the how as
"CSV import <file name> by <organiser>".

Cells follow the intake rules of service/text.py: a line break in a one-line cell (a name typed
with Alt+Enter) becomes a space, notes keep theirs, and a control character rejects the row with
its column named. An imported row whose address only some mail servers accept (a non-ASCII part
before the @) is listed in the report's warnings.

The whole file is read and checked before anything changes, so a file that cannot be read at all
raises ImportRefused and leaves the session untouched; rows that are wrong are skipped and listed
in the report with their physical line number in the file (a row with a quoted newline spans more
lines; its first line is given). Nothing is committed here: the caller commits once.

Export writes UTF-8 with BOM, semicolon-separated, CRLF line ends: the form Dutch Excel opens
correctly by double-click (comma files open as a single column with a Dutch locale). Cells that
Excel would take for a formula get a leading apostrophe (OWASP "CSV injection"); import strips it
again, so export then import changes nothing. Its column names and the words in it (consent
"gegeven", "ingetrokken", "onbekend"; how consent was recorded, see consent_sources.py) are in
the network's default language, from the catalogs; HEADERS and directory.parse_consent read
them back. The "consent via" column is for people: an import records its own source.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import DEFAULT_LANGUAGE, Settings
from service.contacts import directory
from service.contacts.consent_sources import source_words
from service.messages import N_, Message
from service.models import Consent, Contact, Tag, User, record_audit
from service.provinces import province_name
from service.spreadsheets import EXPORT_DELIMITER, FORMULA_START, protect_cell
from service.text import forbidden_characters, forbidden_message
from service.translation import translator

# Field -> the column names that mean it, folded (lower-case, no accents, letters and digits only).
HEADERS: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailadres", "emailaddress", "mail", "mailadres", "eadres"),
    "name": ("naam", "name", "volledigenaam", "fullname", "contactpersoon"),
    "first_name": ("voornaam", "firstname", "givenname", "roepnaam"),
    "infix": ("tussenvoegsel", "tussenvoegsels", "voorvoegsel"),
    "last_name": ("achternaam", "lastname", "surname", "familyname", "familienaam"),
    "organisation": (
        "organisatie",
        "organisation",
        "organization",
        "organisatienaam",
        "werkgever",
        "employer",
        "instantie",
        "bedrijf",
        "company",
    ),
    "role": ("functie", "role", "rol", "jobtitle", "functietitel", "functienaam"),
    "province": ("provincie", "province"),
    "language": ("taal", "language", "voorkeurstaal"),
    "tags": ("tags", "tag", "labels", "label"),
    "notes": ("notities", "notes", "notitie", "note", "opmerkingen", "opmerking", "toelichting"),
    "consent": ("toestemming", "consent", "optin"),
}
_FOLDED = {alias: name for name, aliases in HEADERS.items() for alias in aliases}

EXPORT_COLUMNS = (
    N_("email"),
    N_("name"),
    N_("organisation"),
    N_("role"),
    N_("province"),
    N_("language"),
    N_("tags"),
    N_("consent"),
    N_("consent since"),
    N_("consent via"),
    N_("notes"),
)
# The consent column's words; directory.parse_consent reads them back in Dutch and English.
CONSENT_WORDS = {
    Consent.GIVEN: N_("given"),
    Consent.WITHDRAWN: N_("withdrawn"),
    Consent.UNKNOWN: N_("unknown"),
}
_DELIMITERS = (";", ",", "\t")


class ImportRefused(ValueError):
    """The file cannot be read at all; nothing was changed. `message` says why, for people."""

    def __init__(self, message: Message):
        self.message = message
        super().__init__(str(message))


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong in a row: the column as named in the file ("" for the row) and why."""

    column: str
    message: Message

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        """ "column: message", or the message alone when it concerns the whole row."""
        text = self.message.render(translate)
        if not self.column:
            return text
        return Message(
            N_("%(column)s: %(problem)s"), {"column": self.column, "problem": text}
        ).render(translate)


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not imported: its first physical line in the file, its address, and why."""

    line: int
    email: str
    problems: tuple[RowProblem, ...]

    def reason(self, translate: Callable[[str], str] | None = None) -> str:
        """All problems of the row as one sentence list, translated with `translate` when given."""
        return " ".join(problem.render(translate) for problem in self.problems)


@dataclass(frozen=True)
class RowWarning:
    """A row that was imported, with something the organiser should know about it."""

    line: int
    email: str
    message: Message

    def text(self, translate: Callable[[str], str] | None = None) -> str:
        """The warning, translated with `translate` when given."""
        return self.message.render(translate)


@dataclass
class ImportReport:
    """What an import did. Every data row is counted once: imported, updated or rejected.

    `imported` rows made a new contact; `updated` rows merged into an existing contact (stored
    before, or made by an earlier row of the same file). `warnings` name imported rows that
    may give trouble later (an address only some mail servers accept).
    """

    source: str
    encoding: str = ""
    delimiter: str = ""
    imported: int = 0
    updated: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)

    def as_dict(self, translate: Callable[[str], str] | None = None) -> dict[str, Any]:
        """The report as JSON-ready data (for the API)."""
        return {
            "source": self.source,
            "imported": self.imported,
            "updated": self.updated,
            "rejected": [
                {"line": row.line, "email": row.email, "reason": row.reason(translate)}
                for row in self.rejected
            ],
            "warnings": [
                {"line": row.line, "email": row.email, "message": row.text(translate)}
                for row in self.warnings
            ],
        }


@dataclass
class _Row:
    line: int
    cells: dict[str, str]  # field name -> stripped cell text, only non-empty cells
    columns: dict[str, str]  # field name -> column header as written in the file
    problem: RowProblem | None = None


# --- reading the file -----------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text of an uploaded file and the encoding it was in; ImportRefused when not text."""
    if not data.strip():
        raise ImportRefused(Message(N_("The file is empty.")))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    if data.startswith(b"PK\x03\x04"):
        raise ImportRefused(
            Message(
                N_(
                    "This is an Excel workbook, not a CSV file. In Excel choose "
                    "Save as and the type “CSV UTF-8”, then upload that file."
                )
            )
        )
    if b"\x00" in data[:65536]:
        raise ImportRefused(
            Message(
                N_(
                    "This is not a CSV file: it contains binary data. Save the spreadsheet "
                    "as CSV and upload that file."
                )
            )
        )
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "UTF-8 (BOM)"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        # What Excel on Windows writes for "CSV (gescheiden door lijstscheidingsteken)".
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            Message(
                N_(
                    "The characters in this file could not be read. Save it as “CSV UTF-8” "
                    "and upload it again."
                )
            )
        ) from exc


def _first_line(text: str) -> str:
    return re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]


def detect_delimiter(header_line: str) -> str:
    """The delimiter used in a header line: the most frequent of ; , and tab outside quotes."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    # A single-column file has no delimiter at all; comma is the neutral choice then.
    return best if counts[best] else ","


def fold_header(header: str) -> str:
    """A column name reduced to lower-case letters and digits ("E-mailadres" -> "emailadres")."""
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", text)


def _unescape(cell: str) -> str:
    # Undo our own formula protection, so an exported file imports to the same values.
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_START:
        return cell[1:]
    return cell


def read_rows(text: str) -> tuple[list[_Row], str]:
    """Parse CSV text into rows keyed by field; ImportRefused when it has no usable header."""
    first = _first_line(text)
    offset = 0
    sep = re.fullmatch(r'"?sep=(.)"?', first.strip(), flags=re.IGNORECASE)
    if sep:
        delimiter = sep.group(1)
        offset = 1
        text = _drop_first_line(text)
    else:
        delimiter = detect_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)

    header: list[str] | None = None
    columns: dict[int, str] = {}
    rows: list[_Row] = []
    last_line = 0
    while True:
        start = last_line + 1 + offset
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise ImportRefused(
                    Message(
                        N_(
                            "The file could not be read: the quote opened on line %(line)s is "
                            "never closed. Nothing was imported."
                        ),
                        {"line": start},
                    )
                ) from exc
            last_line = reader.line_num
            if header is not None:
                rows.append(
                    _Row(
                        start,
                        {},
                        {},
                        RowProblem(
                            "",
                            Message(
                                N_(
                                    "The quotes in this row are not right, so its cells could "
                                    "not be told apart."
                                )
                            ),
                        ),
                    )
                )
                continue
            raise ImportRefused(
                Message(N_("The first row of the file (the column names) could not be read."))
            ) from exc
        last_line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = [cell.strip() for cell in record]
            columns = _map_columns(header)
            continue
        cells: dict[str, str] = {}
        names: dict[str, str] = {}
        for index, name in columns.items():
            if index < len(record):
                # Newlines inside a cell are stored as \n, whatever the file's line ends.
                value = _unescape(record[index].strip()).replace("\r\n", "\n").replace("\r", "\n")
                if value:
                    cells[name] = value
                    names[name] = header[index]
        rows.append(_Row(start, cells, names))

    if header is None:
        raise ImportRefused(Message(N_("The file is empty.")))
    if "email" not in columns.values():
        raise ImportRefused(
            Message(
                N_(
                    "The file has no column with email addresses. The first row must name the "
                    "columns, for example naam;e-mail;organisatie. The first row now reads: "
                    "%(header)s"
                ),
                {"header": delimiter.join(header)[:300]},
            )
        )
    if not rows:
        raise ImportRefused(Message(N_("The file has column names but no contacts.")))
    return rows, delimiter


def _drop_first_line(text: str) -> str:
    match = re.search(r"\r\n|\r|\n", text)
    return text[match.end() :] if match else ""


def _map_columns(header: list[str]) -> dict[int, str]:
    columns: dict[int, str] = {}
    for index, title in enumerate(header):
        name = _FOLDED.get(fold_header(title))
        # The first column of a kind wins; a second "e-mail" column is ignored.
        if name is not None and name not in columns.values():
            columns[index] = name
    return columns


# --- importing ------------------------------------------------------------------------------


def _full_name(cells: dict[str, str]) -> str:
    parts = [cells.get(key, "") for key in ("first_name", "infix", "last_name")]
    return " ".join(part for part in parts if part)


def _load_existing(session: Session, emails: list[str]) -> dict[str, Contact]:
    found: dict[str, Contact] = {}
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        for contact in session.scalars(select(Contact).where(Contact.email.in_(chunk))):
            found[contact.email] = contact
    return found


def import_contacts(
    session: Session, data: bytes, source: str, *, actor: User | None = None
) -> ImportReport:
    """Import contacts from the bytes of a CSV file named `source`; return what happened.

    Raises ImportRefused, changing nothing, when the file cannot be read at all. See the module
    docstring for how rows merge and how consent is treated.
    """
    text, encoding = decode(data)
    rows, delimiter = read_rows(text)
    report = ImportReport(source=source, encoding=encoding, delimiter=delimiter)
    consent_source = f"CSV import {source}" + (f" by {actor.email}" if actor is not None else "")

    # Check addresses first, so existing contacts can be loaded in a few queries.
    addresses: dict[int, str] = {}
    for row in rows:
        if row.problem is not None:
            continue
        if "email" not in row.cells:
            row.problem = RowProblem("", Message(N_("This row has no email address.")))
            continue
        found = forbidden_characters(row.cells["email"])
        if found:
            row.problem = RowProblem(row.columns["email"], forbidden_message(found))
            continue
        try:
            addresses[row.line] = directory.normalise_email(row.cells["email"])
        except ValueError:
            row.problem = RowProblem(
                row.columns["email"],
                Message(
                    N_("%(value)s is not a valid email address."), {"value": row.cells["email"]}
                ),
            )
    known = _load_existing(session, sorted(set(addresses.values())))
    tag_cache = {tag.name.lower(): tag for tag in session.scalars(select(Tag))}

    for row in rows:
        if row.problem is not None:
            report.rejected.append(
                RejectedRow(row.line, row.cells.get("email", ""), (row.problem,))
            )
            continue
        email = addresses[row.line]
        current = known.get(email)
        raw = _raw_fields(row, current)
        # The address was checked above; a new contact starts from defaults with that address.
        base = current if current is not None else directory.ContactInput(email=email)
        try:
            fields = directory.validate_contact_fields(raw, base)
        except directory.ContactValidationError as exc:
            report.rejected.append(
                RejectedRow(
                    row.line,
                    row.cells["email"],
                    tuple(
                        RowProblem(row.columns.get(name, name), message)
                        for name, messages in exc.errors.items()
                        for message in messages
                    ),
                )
            )
            continue
        if current is None:
            contact = directory.new_contact(session, fields, consent_source, tag_cache)
            known[email] = contact
            report.imported += 1
        else:
            directory.apply_contact_input(session, current, fields, consent_source, tag_cache)
            report.updated += 1
        report.warnings.extend(
            RowWarning(row.line, row.cells["email"], message)
            for message in directory.address_warnings(email)
        )

    record_audit(
        session,
        actor,
        "contacts.import",
        file=source,
        imported=report.imported,
        updated=report.updated,
        rejected=len(report.rejected),
    )
    session.flush()
    return report


def _raw_fields(row: _Row, current: Contact | None) -> dict[str, Any]:
    raw: dict[str, Any] = {
        key: value
        for key, value in row.cells.items()
        if key in directory.FIELDS and key not in ("email", "tags", "consent")
    }
    if "name" not in raw and _full_name(row.cells):
        raw["name"] = _full_name(row.cells)
    if "tags" in row.cells:
        # Added to the tags the contact has, never replacing them.
        existing = [name.lower() for name in current.tag_names] if current is not None else []
        raw["tags"] = existing + list(directory.parse_tags(row.cells["tags"]))
    if "consent" in row.cells:
        try:
            if directory.parse_consent(row.cells["consent"]) != Consent.UNKNOWN:
                raw["consent"] = row.cells["consent"]
        except ValueError:
            raw["consent"] = row.cells["consent"]  # validation reports it
    return raw


# --- exporting ------------------------------------------------------------------------------


def _export_row(contact: Contact, timezone: ZoneInfo, gettext: Callable[..., str]) -> list[str]:
    consent_at = (
        contact.consent_at.astimezone(timezone).strftime("%Y-%m-%d %H:%M")
        if contact.consent_at
        else ""
    )
    values = [
        contact.email,
        contact.name,
        contact.organisation,
        contact.role,
        province_name(contact.province),
        contact.language,
        ", ".join(contact.tag_names),
        gettext(CONSENT_WORDS[contact.consent]),
        consent_at,
        source_words(contact.consent_source, gettext),
        contact.notes,
    ]
    return [protect_cell(value) for value in values]


def iter_export(
    session: Session, timezone: str = Settings.TIMEZONE, language: str = DEFAULT_LANGUAGE
) -> Iterator[str]:
    """The export file in pieces of text (BOM and header first), for streaming to a browser."""
    zone = ZoneInfo(timezone)
    _ = translator(language).gettext
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=EXPORT_DELIMITER, lineterminator="\r\n")
    writer.writerow([_(column) for column in EXPORT_COLUMNS])
    yield "\ufeff" + buffer.getvalue()
    query = select(Contact).order_by(Contact.name, Contact.id).execution_options(yield_per=1000)
    for contacts in session.scalars(query).partitions():
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_export_row(contact, zone, _) for contact in contacts)
        yield buffer.getvalue()


def export_contacts(
    session: Session,
    out: TextIO,
    *,
    actor: User | None = None,
    timezone: str = Settings.TIMEZONE,
    language: str = DEFAULT_LANGUAGE,
) -> int:
    """Write every contact as CSV to the text file `out` (opened with newline=""); return count."""
    for piece in iter_export(session, timezone, language):
        out.write(piece)
    count = session.scalar(select(func.count(Contact.id))) or 0
    record_export(session, actor, count)
    return count


def record_export(session: Session, actor: User | None, count: int) -> None:
    """Note in the audit log that someone took the address list out of the service."""
    record_audit(session, actor, "contacts.export", contacts=count)
