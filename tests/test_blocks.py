"""Content blocks: JSON round trips, per-field validation errors, Markdown sanitising."""

from __future__ import annotations

import json
from datetime import date

import pytest

from service.demo.recap import seed_recap
from service.rendering import blocks as b
from tests.email_helpers import unsafe_parts


def one_of_each() -> list[b.Block]:
    return [
        b.Header(
            title="De Opgavebeweging op bezoek bij",
            host="Gemeente Zwolle",
            date=date(2025, 6, 3),
            place="Stadhuis",
            theme="samen werken",
            logo=b.ImageRef(src="/media/logo.png", alt="Logo Gemeente Zwolle", width=180),
        ),
        b.Text("## Kop\n\nTekst met **vet**, *schuin* en [een link](https://example.nl)."),
        b.BulletList(["een", "twee met **nadruk**"]),
        b.NumberedList(["eerst", "dan"]),
        b.Quote("Mooi gezegd.", "Jan Jansen", "Gemeente Zwolle"),
        b.QuoteWall([b.WallQuote("Kort"), b.WallQuote("Ook kort", "Piet", "Rijk")]),
        b.Image("https://example.nl/foto.jpg", "Deelnemers aan ronde tafels", "De zaal", 560),
        b.Button("Bekijk het programma", "https://example.nl/programma"),
        b.Mailto("Vragen?", "info@example.nl", "Vraag over de bijeenkomst", ""),
        b.UpcomingMeetings("Volgende keren"),
        b.ClosingQuote("Tot ziens!", "Maaïke Heijnen", "Provincie Zuid-Holland"),
        b.Divider(),
    ]


def test_every_block_type_is_covered_by_the_examples():
    assert {block.TYPE for block in one_of_each()} == set(b.BLOCK_TYPES)


@pytest.mark.parametrize("block", one_of_each(), ids=lambda block: block.TYPE)
def test_a_block_survives_a_round_trip_through_json(block):
    data = json.loads(json.dumps(b.block_to_dict(block)))
    assert data["type"] == block.TYPE
    assert b.block_from_dict(data) == block


def test_the_seed_recap_survives_a_round_trip_through_json():
    content = seed_recap()
    data = json.loads(json.dumps(b.content_to_dict(content)))
    assert b.content_from_dict(data) == content
    assert b.check_content(content) == []


def test_missing_fields_take_their_defaults():
    assert b.block_from_dict({"type": "image"}) == b.Image(src="", alt="", caption="", width=600)
    assert b.block_from_dict({"type": "divider"}) == b.Divider()


def errors_of(data) -> dict[str, str]:
    with pytest.raises(b.ContentError) as caught:
        b.content_from_dict(data)
    return {error.path: error.code for error in caught.value.errors}


def test_every_problem_is_reported_with_the_path_of_its_field():
    errors = errors_of(
        {
            "kind": "newsletter",
            "subject": 12,
            "blocks": [
                {"type": "header", "date": "4 maart", "colour": "red"},
                {"type": "bullet_list", "items": ["goed", 3]},
                {"type": "image", "src": "javascript:alert(1)", "width": 900},
                {"type": "video"},
                "tekst",
                {"type": "quote_wall", "quotes": [{"text": "x", "when": "toen"}]},
            ],
        }
    )
    assert errors == {
        "kind": "unknown-kind",
        "subject": "not-text",
        "blocks[0].date": "not-a-date",
        "blocks[0].colour": "unknown-field",
        "blocks[1].items[1]": "not-text",
        "blocks[3].type": "unknown-type",
        "blocks[4]": "not-an-object",
        "blocks[5].quotes[0].when": "unknown-field",
    }


def test_value_checks_run_once_the_shape_is_right():
    errors = errors_of(
        {
            "subject": "Hallo\nwereld",
            "blocks": [
                {"type": "image", "src": "data:image/png;base64,AAAA", "width": 900},
                {"type": "button", "label": "x", "url": "java\tscript:alert(1)"},
                {"type": "text", "body": "x" * (b.MAX_MARKDOWN + 1)},
                {"type": "bullet_list", "items": ["x"] * (b.MAX_ITEMS + 1)},
                {"type": "mailto", "email": "a@b.nl\nBcc: c@d.nl"},
            ],
        }
    )
    assert errors == {
        "subject": "single-line",
        "blocks[0].src": "unsafe-image-url",
        "blocks[0].width": "out-of-range",
        "blocks[1].url": "unsafe-url",
        "blocks[2].body": "too-long",
        "blocks[3].items": "too-many",
        "blocks[4].email": "single-line",
    }


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JavaScript:alert(1)", " java\nscript:x", "vbscript:x", "data:x"]
)
def test_links_with_unsafe_schemes_are_refused(url):
    with pytest.raises(b.ContentError) as caught:
        b.block_from_dict({"type": "button", "label": "Ga", "url": url})
    assert "unsafe-url" in [e.code for e in caught.value.errors]


@pytest.mark.parametrize(
    "url", ["https://example.nl/a?b=1", "http://example.nl", "mailto:a@b.nl", "tel:+3170", "#", ""]
)
def test_links_with_safe_schemes_or_none_are_accepted(url):
    assert b.block_from_dict({"type": "button", "label": "Ga", "url": url}).url == url


def test_personal_fields_in_text_must_be_known_and_never_part_of_an_address():
    errors = errors_of(
        {
            "subject": "Hoi [[first_name]]",
            "blocks": [
                {"type": "text", "body": "Beste [[voornaam]], afmelden: [[unsubscribe_url]]"},
                {"type": "button", "label": "[[name]]", "url": "https://x.nl/[[name]]"},
            ],
        }
    )
    assert errors == {
        "blocks[0].body": "unknown-placeholder",
        "blocks[1].url": "placeholder-in-address",
    }


def test_errors_read_well_in_dutch_and_english():
    with pytest.raises(b.ContentError) as caught:
        b.block_from_dict({"type": "image", "width": 900})
    (error,) = caught.value.errors
    assert error.message("en") == "must be between 1 and 600"
    assert error.message("nl") == "moet tussen 1 en 600 liggen"
    assert error.to_dict("nl") == {
        "path": "width",
        "code": "out-of-range",
        "message": "moet tussen 1 en 600 liggen",
    }
    assert "width: must be between 1 and 600" in str(caught.value)


def test_numeric_widths_from_forms_are_accepted():
    assert b.block_from_dict({"type": "image", "width": "320"}).width == 320


# --- sanitising ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](java&#x73;cript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="javascript:alert(1)">x</a>',
        "![x](javascript:alert(1))",
        '<svg onload="alert(1)">',
    ],
)
def test_markdown_never_yields_script_handlers_or_javascript_links(source):
    for html in (b.markdown_html(source), b.inline_markdown_html(source)):
        assert unsafe_parts(html) == []
        assert "<img" not in html, "images belong in an image block, not in Markdown"


def test_markdown_keeps_what_an_email_needs():
    html = b.markdown_html(
        "# Titel\n\n## Kop\n\n### Sub\n\nTekst **vet** *schuin* "
        "[link](https://example.nl/a?b=1&c=2)\n\n- een\n- twee\n\n1. eerst"
    )
    assert "<h2>Titel</h2>" in html, "a level-1 heading moves to h2: the header holds the h1"
    assert "<h2>Kop</h2>" in html and "<h3>Sub</h3>" in html
    assert "<strong>vet</strong>" in html and "<em>schuin</em>" in html
    assert '<a href="https://example.nl/a?b=1&amp;c=2" rel="noopener">link</a>' in html
    assert "<ul>" in html and "<ol>" in html


def test_image_addresses_are_absolute_or_dropped():
    assert b.image_url("/media/a.png", "https://post.example.nl/") == (
        "https://post.example.nl/media/a.png"
    )
    assert b.image_url("https://cdn.example.nl/a.png", "https://x") == (
        "https://cdn.example.nl/a.png"
    )
    assert b.image_url("javascript:alert(1)", "https://x") == ""
    assert b.image_url("//evil.example/a.png", "https://x") == ""


def test_safe_link_drops_unsafe_schemes_but_keeps_the_rest():
    assert b.safe_link("javascript:alert(1)") == ""
    assert b.safe_link(" java\tscript:alert(1)") == ""
    assert b.safe_link("#") == "#"
    assert b.safe_link("mailto:a@b.nl") == "mailto:a@b.nl"


@pytest.mark.parametrize("width", ["²", "٣٠٠", "+300", "3e2", 300.0, True, None])
def test_a_width_is_ascii_digits_or_a_whole_number(width):
    errors = errors_of({"kind": "recap", "blocks": [{"type": "image", "width": width}]})
    assert errors == {"blocks[0].width": "not-a-number"}


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
def test_a_date_in_a_block_lies_between_1900_and_2200(day):
    errors = errors_of({"kind": "recap", "blocks": [{"type": "header", "date": day}]})
    assert errors == {"blocks[0].date": "out-of-range"}
    assert b.block_from_dict({"type": "header", "date": "2200-12-31"}).date == date(2200, 12, 31)
