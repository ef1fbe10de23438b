"""CSV import and export of contacts: real spreadsheet files, the report, and the CLI."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.contacts import csvio
from service.models import AuditEntry, Consent, Contact
from tests.builders import make_contact

DATA = Path(__file__).parent / "data"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def contact(db, email: str) -> Contact:
    return db.scalars(select(Contact).where(Contact.email == email)).one()


def count_contacts(db) -> int:
    return db.scalar(select(func.count(Contact.id)))


def reasons(report: csvio.ImportReport) -> dict[int, str]:
    return {row.line: row.reason() for row in report.rejected}


# --- reading real files ---------------------------------------------------------------------


def test_dutch_excel_utf8_with_bom_semicolons_and_a_quoted_newline(db):
    report = csvio.import_contacts(db, read("excel-nl-utf8-bom.csv"), "leden.csv")
    db.commit()

    assert (report.imported, report.updated, report.rejected) == (3, 0, [])
    assert (report.encoding, report.delimiter) == ("UTF-8 (BOM)", ";")
    maaike = contact(db, "maaike.devries@zwolle.nl")  # stored lower-case
    assert maaike.name == "Maaïke de Vries"  # the BOM did not end up in the first header
    assert maaike.organisation == "Gemeente Zwolle" and maaike.role == "Programmamanager"
    assert maaike.province == "overijssel"
    assert maaike.tag_names == ["bestuur", "wonen"]
    assert maaike.notes == "Sprak op 3 juni.\nWil graag meedenken."
    assert maaike.consent is Consent.UNKNOWN and maaike.consent_at is None
    assert contact(db, "zoe.peters@hva.nl").name == "Zoë Peters"


def test_windows_1252_export_keeps_accented_letters(db):
    report = csvio.import_contacts(db, read("excel-nl-cp1252.csv"), "excel.csv")
    db.commit()

    assert (report.imported, report.rejected, report.encoding) == (3, [], "Windows-1252")
    assert contact(db, "maaike.jansen@utrecht.nl").name == "Maaïke Jansen"
    rene = contact(db, "rene.smit@rws.nl")
    assert rene.name == "René Smit" and rene.province == "landelijk"
    chloe = contact(db, "chloe.visser@gelderland.nl")
    assert chloe.name == "Chloë Visser" and chloe.role == "Coördinator"


def test_english_headers_commas_quotes_and_a_consent_column(db):
    report = csvio.import_contacts(db, read("english-comma.csv"), "english-comma.csv")
    db.commit()

    assert (report.imported, report.rejected, report.delimiter) == (3, [], ",")
    anne = contact(db, "anne.mulder@example.nl")
    assert anne.organisation == "Waterschap Rivierenland, afdeling Beleid"
    assert anne.language == "en" and anne.tag_names == ["energie", "klimaat"]
    assert anne.consent is Consent.GIVEN and anne.consent_at is not None
    assert anne.consent_source == "CSV import english-comma.csv"
    bram = contact(db, "bram.degroot@example.nl")
    # A line break in a one-line cell (Alt+Enter in Excel) is stored as a space.
    assert bram.role == "Senior advisor, programme Opgavegericht werken"
    assert bram.consent is Consent.WITHDRAWN
    # An empty consent cell grants nothing.
    assert contact(db, "carla.bos@example.nl").consent is Consent.UNKNOWN


def test_bad_rows_are_reported_with_their_line_and_the_good_ones_imported(db):
    report = csvio.import_contacts(db, read("bad-rows.csv"), "bad-rows.csv")
    db.commit()

    # Line 5-6 is one row with a quoted newline, line 8 is empty, line 10 repeats line 2.
    assert (report.imported, report.updated) == (2, 1)
    found = reasons(report)
    assert sorted(found) == [3, 4, 7, 9]
    assert found[3] == "This row has no email address."
    assert found[4] == "e-mail: fout-adres.example.nl is not a valid email address."
    assert "provincie: Atlantis is not a Dutch province" in found[7]
    assert found[9] == "taal: The language must be nl (Dutch) or en (English), not fr."
    assert [row.email for row in report.rejected] == [
        "",
        "fout-adres.example.nl",
        "gewest@example.nl",
        "taal@example.nl",
    ]

    assert count_contacts(db) == 2
    een = contact(db, "goed.een@example.nl")
    assert een.name == "Goed Een Later"  # the later row of the same address wins
    assert een.organisation == "Gemeente Zwolle"  # its empty cell kept the earlier value
    assert contact(db, "goed.twee@example.nl").name == "Twee Regels"


def test_a_row_after_a_quoted_newline_gets_its_physical_line_number(db):
    data = 'naam,e-mail,notities\n"A",a@example.nl,"een\ntwee\ndrie"\nB,b@@example.nl,\n'
    report = csvio.import_contacts(db, data.encode(), "x.csv")
    assert reasons(report) == {5: "e-mail: b@@example.nl is not a valid email address."}


def test_rows_merge_into_existing_contacts_case_ignored(db):
    make_contact(
        db,
        email="maaike.devries@zwolle.nl",
        name="M. de Vries",
        organisation="Gemeente Zwolle",
        role="",
        notes="Oude notitie",
        tags=["bestaand"],
        consent=Consent.GIVEN,
    )
    data = (
        "naam;e-mail;functie;tags\r\n"
        "Maaïke de Vries;Maaike.DeVries@ZWOLLE.nl;Programmamanager;wonen\r\n"
        "Maaïke de Vries;MAAIKE.DEVRIES@zwolle.nl;;Klimaat\r\n"
    ).encode()
    report = csvio.import_contacts(db, data, "x.csv")
    db.commit()

    assert (report.imported, report.updated, report.rejected) == (0, 2, [])
    assert count_contacts(db) == 1
    maaike = contact(db, "maaike.devries@zwolle.nl")
    assert maaike.name == "Maaïke de Vries" and maaike.role == "Programmamanager"
    assert maaike.notes == "Oude notitie" and maaike.organisation == "Gemeente Zwolle"
    assert maaike.tag_names == ["bestaand", "klimaat", "wonen"]  # added, never replaced
    assert maaike.consent is Consent.GIVEN  # no consent column: untouched


def test_duplicates_within_one_file_make_one_contact(db):
    data = b"email,name\nJan@Example.nl,Jan\njan@example.nl,Jan Smit\nJAN@EXAMPLE.NL,\n"
    report = csvio.import_contacts(db, data, "x.csv")
    db.commit()
    assert (report.imported, report.updated) == (1, 2)
    assert contact(db, "jan@example.nl").name == "Jan Smit"


def test_consent_column_records_when_and_how_and_only_moves_on_change(app, db, admin_user):
    from service.models import User

    # Unknown, not withdrawn: an import may not undo a contact's own withdrawal (see
    # tests/test_subscriptions.py), but may record consent an organiser obtained.
    person = make_contact(db, email="p@example.nl", consent=Consent.UNKNOWN)
    actor = db.get(User, admin_user)
    csvio.import_contacts(db, b"e-mail;toestemming\np@example.nl;ja\n", "akkoord.csv", actor=actor)
    db.commit()
    db.refresh(person)
    assert person.consent is Consent.GIVEN
    assert person.consent_source == "CSV import akkoord.csv by beheer@example.nl"
    first_moment = person.consent_at
    assert first_moment is not None

    csvio.import_contacts(db, b"e-mail;toestemming\np@example.nl;yes\n", "nog-eens.csv")
    db.commit()
    db.refresh(person)
    assert person.consent_at == first_moment and person.consent_source.endswith(
        "akkoord.csv by beheer@example.nl"
    )


def test_first_and_last_name_columns_make_the_name(db):
    data = "Voornaam;Tussenvoegsel;Achternaam;E-mailadres\nAnne;de;Vries;anne@example.nl\n"
    csvio.import_contacts(db, data.encode(), "x.csv")
    db.commit()
    assert contact(db, "anne@example.nl").name == "Anne de Vries"


def test_excel_sep_line_and_utf16_text(db):
    csvio.import_contacts(db, b"sep=,\r\nnaam,e-mail\r\nA;B,ab@example.nl\r\n", "sep.csv")
    utf16 = "naam\te-mail\nZoë\tzoe@example.nl\n".encode("utf-16")
    report = csvio.import_contacts(db, utf16, "unicode.txt")
    db.commit()
    assert contact(db, "ab@example.nl").name == "A;B"
    assert report.delimiter == "\t" and contact(db, "zoe@example.nl").name == "Zoë"


def test_delimiter_is_counted_outside_quotes():
    assert csvio.detect_delimiter('naam;"e-mail, werk";organisatie') == ";"
    assert csvio.detect_delimiter('"naam; voluit",e-mail,organisatie') == ","
    assert csvio.detect_delimiter("e-mail") == ","


def test_an_import_is_one_audit_entry(db):
    csvio.import_contacts(db, read("bad-rows.csv"), "bad-rows.csv")
    db.commit()
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "contacts.import")).one()
    assert entry.detail == {"file": "bad-rows.csv", "imported": 2, "updated": 1, "rejected": 4}


# --- files that cannot be read at all --------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "The file is empty."),
        (b"\r\n \r\n", "The file is empty."),
        (b"naam;e-mail\r\n", "The file has column names but no contacts."),
        (read("no-email-column.csv"), "no column with email addresses"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "Excel workbook"),
        (bytes(range(256)) * 4, "binary data"),
        (b'naam;e-mail\r\nA;a@example.nl\r\n"B;b@example.nl\r\nC;c@example.nl\r\n', "line 3"),
    ],
    ids=["empty", "blank", "header-only", "no-email-column", "xlsx", "binary", "open-quote"],
)
def test_an_unreadable_file_is_refused_and_changes_nothing(db, data, expected):
    make_contact(db, email="bestaand@example.nl", name="Bestaand")
    with pytest.raises(csvio.ImportRefused) as refused:
        csvio.import_contacts(db, data, "x.csv")
    db.commit()
    assert expected in str(refused.value)
    assert db.scalars(select(Contact.email)).all() == ["bestaand@example.nl"]
    assert db.scalars(select(AuditEntry)).all() == []


def test_a_file_in_an_unknown_encoding_is_refused():
    # 0x81 is unassigned in Windows-1252 and not valid UTF-8.
    with pytest.raises(csvio.ImportRefused, match="characters in this file could not be read"):
        csvio.decode(b"naam;e-mail\r\n\x81;a@example.nl\r\n")


# --- export ---------------------------------------------------------------------------------


def parse_export(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline=""), delimiter=";"))


def test_export_is_excel_csv_with_bom_semicolons_and_crlf(db):
    make_contact(
        db,
        email="maaike@zwolle.nl",
        name="Maaïke de Vries",
        province="overijssel",
        tags=["bestuur", "wonen"],
        notes="regel 1\nregel 2",
    )
    out = io.StringIO(newline="")
    assert csvio.export_contacts(db, out) == 1
    text = out.getvalue()
    assert text.splitlines(keepends=True)[0].endswith("\r\n")
    [row] = parse_export(text)
    assert row["e-mail"] == "maaike@zwolle.nl" and row["naam"] == "Maaïke de Vries"
    assert row["provincie"] == "Overijssel" and row["tags"] == "bestuur, wonen"
    assert row["toestemming"] == "gegeven" and row["notities"] == "regel 1\nregel 2"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_export_defuses_formulas(db, start):
    make_contact(
        db,
        email="formule@example.nl",
        name=f'{start}HYPERLINK("http://evil.example";"klik")',
        organisation=f"{start}1+2",
        notes=f"{start}cmd|' /C calc'!A0",
    )
    out = io.StringIO(newline="")
    csvio.export_contacts(db, out)
    [row] = parse_export(out.getvalue())
    for column in ("naam", "organisatie", "notities"):
        assert row[column].startswith("'" + start), column


def test_export_then_import_changes_nothing(db):
    make_contact(
        db,
        email="a@example.nl",
        name="=Gevaarlijk",
        organisation="-Min",
        province="landelijk",
        language="en",
        tags=["klimaat"],
        notes="twee\nregels",
    )
    before = contact(db, "a@example.nl")
    snapshot = (before.name, before.organisation, before.province, before.language, before.notes)
    out = io.StringIO(newline="")
    csvio.export_contacts(db, out)

    report = csvio.import_contacts(db, out.getvalue().encode("utf-8"), "export.csv")
    db.commit()
    after = contact(db, "a@example.nl")
    assert (report.updated, report.rejected) == (1, [])
    assert (after.name, after.organisation, after.province, after.language, after.notes) == snapshot
    assert after.tag_names == ["klimaat"]


def test_export_writes_dutch_words_that_the_import_reads_back(db):
    make_contact(db, email="ja@example.nl", consent_source="CSV import leden.csv by anna@ex.nl")
    make_contact(
        db,
        email="weg@example.nl",
        consent=Consent.WITHDRAWN,
        consent_source="one-click unsubscribe (RFC 8058), campaign 4",
    )
    make_contact(db, email="wie@example.nl", consent=Consent.UNKNOWN, consent_source="")
    make_contact(db, email="demo@example.nl", consent_source="demo data")
    out = io.StringIO(newline="")
    csvio.export_contacts(db, out)
    rows = {row["e-mail"]: row for row in parse_export(out.getvalue())}
    assert {email: row["toestemming"] for email, row in rows.items()} == {
        "ja@example.nl": "gegeven",
        "weg@example.nl": "ingetrokken",
        "wie@example.nl": "onbekend",
        "demo@example.nl": "gegeven",
    }
    assert rows["ja@example.nl"]["toestemming via"] == "CSV-import leden.csv door anna@ex.nl"
    assert rows["weg@example.nl"]["toestemming via"] == (
        "afmelden met één klik (RFC 8058), campagne 4"
    )
    assert rows["demo@example.nl"]["toestemming via"] == "demogegevens"

    # Into an empty list: every consent comes back as it was.
    for person in db.scalars(select(Contact)):
        db.delete(person)
    db.commit()
    report = csvio.import_contacts(db, out.getvalue().encode("utf-8"), "terug.csv")
    db.commit()
    assert (report.imported, report.rejected) == (4, [])
    assert {c.email: c.consent for c in db.scalars(select(Contact))} == {
        "ja@example.nl": Consent.GIVEN,
        "weg@example.nl": Consent.WITHDRAWN,
        "wie@example.nl": Consent.UNKNOWN,
        "demo@example.nl": Consent.GIVEN,
    }


# --- intake rules: line breaks, control characters, addresses for SMTPUTF8 servers -----------

# A member list as Excel writes it: Alt+Enter in a name and a role, notes over two lines, a
# vertical tab that Word pasted, a file separator in an address (a NUL makes the file binary,
# which is refused as a whole), and an address with an accented local part.
MESSY = (
    "naam;e-mail;functie;notities\r\n"
    '"Jan\nJansen";jan@example.nl;"Adviseur\r\nwonen";"Regel een\r\nregel twee"\r\n'
    "Piet\x0bPuk;piet@example.nl;;\r\n"
    "Kees;kees\x1c@example.nl;;\r\n"
    "Jöran Dijkstra;jöran.dijkstra@example.nl;;\r\n"
).encode()


def test_line_breaks_in_one_line_cells_become_a_space_and_notes_keep_them(db):
    report = csvio.import_contacts(db, MESSY, "leden.csv")
    db.commit()
    jan = contact(db, "jan@example.nl")
    assert (jan.name, jan.role) == ("Jan Jansen", "Adviseur wonen")
    assert jan.notes == "Regel een\nregel twee"
    # A search finds the name as it is shown.
    assert "jan jansen" in jan.search_text
    assert report.imported == 2


def test_a_control_character_rejects_its_row_naming_the_column(db):
    report = csvio.import_contacts(db, MESSY, "leden.csv")
    db.commit()
    found = reasons(report)
    # Jan's row spans lines 2 to 5 (three cells with a line break).
    assert sorted(found) == [6, 7]
    assert found[6].startswith("naam: This holds an invisible control character (U+000B)")
    assert found[7].startswith("e-mail: This holds an invisible control character (U+001C)")
    assert count_contacts(db) == 2


def test_an_address_only_smtputf8_servers_accept_is_imported_with_a_warning(db):
    report = csvio.import_contacts(db, MESSY, "leden.csv")
    db.commit()
    assert contact(db, "jöran.dijkstra@example.nl").name == "Jöran Dijkstra"
    [warning] = report.warnings
    assert (warning.line, warning.email) == (8, "jöran.dijkstra@example.nl")
    assert "only mail servers with SMTPUTF8 accept" in warning.text()
    assert report.as_dict()["warnings"] == [
        {"line": 8, "email": "jöran.dijkstra@example.nl", "message": warning.text()}
    ]


def test_cli_import_prints_warnings_per_row(runner, tmp_path):
    file = tmp_path / "leden.csv"
    file.write_bytes(MESSY)
    result = runner.invoke(args=["contacts", "import", str(file)])
    assert result.exit_code == 0, result.output
    assert "2 imported, 0 updated, 2 rejected" in result.output
    assert "line 6: naam: This holds an invisible control character (U+000B)" in result.output
    assert "line 8: imported, but: Emails to jöran.dijkstra@example.nl may not arrive" in (
        result.output
    )


# --- command line ---------------------------------------------------------------------------


def test_cli_import_prints_the_report(runner, app):
    result = runner.invoke(args=["contacts", "import", str(DATA / "bad-rows.csv")])
    assert result.exit_code == 0, result.output
    assert "2 imported, 1 updated, 4 rejected" in result.output
    assert "line 3: This row has no email address." in result.output
    assert "line 7: provincie: Atlantis is not a Dutch province" in result.output
    from service.database import session_scope

    with session_scope(app) as session:
        assert count_contacts(session) == 2


def test_cli_import_of_an_unreadable_file_fails_and_changes_nothing(runner, app):
    result = runner.invoke(args=["contacts", "import", str(DATA / "no-email-column.csv")])
    assert result.exit_code == 1
    assert "no column with email addresses" in result.output
    from service.database import session_scope

    with session_scope(app) as session:
        assert count_contacts(session) == 0


def test_cli_export_writes_a_file_excel_opens(runner, db, tmp_path):
    make_contact(db, email="zoe@example.nl", name="Zoë", organisation="@Org")
    target = tmp_path / "contacten.csv"
    result = runner.invoke(args=["contacts", "export", str(target)])
    assert result.exit_code == 0, result.output
    assert "Exported 1 contacts" in result.output
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    [row] = parse_export(data.decode("utf-8"))
    assert row["naam"] == "Zoë" and row["organisatie"] == "'@Org"
