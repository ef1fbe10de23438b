"""The organiser app is Dutch first: every string in the code has a Dutch translation."""

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.catalog_helpers import ROOT, babel_cfg_msgids

CATALOG = ROOT / "service/translations/nl/LC_MESSAGES"


def _msgids_in_code() -> set[str]:
    # What scripts/i18n extracts (babel.cfg): the pages' code and templates and the emails'.
    return set(babel_cfg_msgids())


def test_every_string_in_the_code_has_a_dutch_translation():
    with open(CATALOG / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale="nl")
    missing = sorted(
        msgid
        for msgid in _msgids_in_code()
        if not (catalog.get(msgid) and catalog.get(msgid).string)
    )
    assert not missing, "untranslated (run scripts/i18n and fill in messages.po):\n" + "\n".join(
        missing
    )


def _entries(catalog) -> dict:
    # read_mo gives plural ids and strings as lists, read_po as tuples; compiling leaves out
    # untranslated entries, which the test above reports.
    return {
        tuple(m.id) if isinstance(m.id, list | tuple) else m.id: (
            tuple(m.string) if isinstance(m.string, list | tuple) else m.string
        )
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, list | tuple) else m.string)
    }


def test_compiled_catalog_matches_the_po_file():
    with open(CATALOG / "messages.po", "rb") as fh:
        po = _entries(read_po(fh, locale="nl"))
    with open(CATALOG / "messages.mo", "rb") as fh:
        mo = _entries(read_mo(fh))
    assert po == mo, "messages.mo is stale: run scripts/i18n"


def test_dutch_translations_are_checked_and_keep_their_placeholders():
    with open(CATALOG / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale="nl")
    # scripts/i18n compiles fuzzy entries too, so a fuzzy guess would reach the pages unread.
    fuzzy = sorted(str(m.id) for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, "fuzzy entries (check the translation, then drop the flag):\n" + "\n".join(
        fuzzy
    )
    # An unknown %(name)s in a msgstr is a KeyError on the Dutch page only.
    errors = [f"{m.id!r}: {'; '.join(map(str, errs))}" for m, errs in catalog.check()]
    assert not errors, "\n".join(errors)


def test_pages_speak_dutch_by_default_and_english_on_request(organiser):
    page = organiser.get("/").get_data(as_text=True)
    assert 'lang="nl"' in page
    assert "Uitloggen" in page
    from tests.conftest import csrf_token_from

    organiser.post(
        "/language", data={"language": "en", "next": "/", "csrf_token": csrf_token_from(page)}
    )
    page = organiser.get("/").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Log out" in page


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("nl-NL, en;q=0.5", "nl"),
        ("en-GB,en;q=0.9,nl;q=0.8", "en"),
        ("de-DE, en-US;q=0.7, nl;q=0.3", "en"),
        ("de-DE", None),
        ("EN-us", "en"),
        ("nl;q=0, en;q=0.1", "en"),
    ],
)
def test_a_browser_language_counts_by_its_primary_subtag(header, expected):
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    from service.messages import preferred_language

    accepted = parse_accept_header(header, LanguageAccept)
    assert preferred_language(accepted, ("nl", "en")) == expected
