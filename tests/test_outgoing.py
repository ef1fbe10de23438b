"""Outgoing.as_bytes: the fast MIME assembly, read back with the email package as a client would."""

from __future__ import annotations

from email import message_from_bytes, message_from_string, policy
from email.headerregistry import Address
from email.message import EmailMessage

import pytest

from service.addresses import AddressNotSendable
from service.mail.message import HeaderInjectionError
from service.mail.outgoing import Outgoing

TEXT = "Beste Jürgen,\n\nDank voor je komst.\n.\n.begint met een punt\nFrom de voorzitter\n"
HTML = '<p style="color:#333">Beste J&uuml;rgen, 100% = alles</p>\n<p>.punt</p>'


def _outgoing(**changes) -> Outgoing:
    values = {
        "from_name": "Opgavebeweging Zuid-Holland",
        "from_email": "nieuws@example.nl",
        "to_name": "Jürgen Ødegård",
        "to_email": "jurgen@example.nl",
        "subject": "Terugblik: één middag vol opgaven",
        "text": TEXT,
        "html": HTML,
        "reply_to": "secretariaat@example.nl",
        "message_id": "<opgavepost.1.2.abc@example.nl>",
        "headers": (
            ("List-Id", '"Opgavebeweging" <opgavebeweging.post.example.nl>'),
            ("List-Unsubscribe", "<https://post.example.nl/afmelden/abc>"),
        ),
    }
    return Outgoing(**(values | changes))


def _parsed(outgoing: Outgoing):
    return message_from_bytes(outgoing.as_bytes(), policy=policy.default)


def _bodies(message) -> tuple[str, str]:
    # On the wire text lines end in CRLF (canonical form); compare them as Python text.
    return tuple(
        message.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html")
    )


def _lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    return data[:-2].split(b"\r\n")


def test_headers_come_back_decoded_with_non_ascii_names_and_subject():
    outgoing = _outgoing()
    data = outgoing.as_bytes()
    message = _parsed(outgoing)

    assert data.isascii()
    assert message["Subject"] == "Terugblik: één middag vol opgaven"
    assert message["To"].addresses[0].display_name == "Jürgen Ødegård"
    assert message["To"].addresses[0].addr_spec == "jurgen@example.nl"
    assert message["From"].addresses[0].display_name == "Opgavebeweging Zuid-Holland"
    assert message["Reply-To"] == "secretariaat@example.nl"
    assert message["Message-ID"] == "<opgavepost.1.2.abc@example.nl>"
    assert message["List-Unsubscribe"] == "<https://post.example.nl/afmelden/abc>"
    assert message["Date"] is not None
    # The non-ASCII subject travels as RFC 2047 encoded words.
    assert b"Subject: =?utf-8?" in data


def test_bodies_come_back_exactly_with_dots_from_lines_and_equals_signs():
    text = TEXT + "a = b\nregel met spaties aan het eind   \n"
    message = _parsed(_outgoing(text=text))
    plain, html = _bodies(message)

    assert plain == text
    assert html == HTML + "\n"


def test_long_lines_get_soft_breaks_and_every_line_ends_in_crlf():
    long_line = "woord " * 400 + "einde"
    long_unsubscribe = (
        f"<https://post.example.nl/afmelden/{'a' * 20}>, "
        f"<mailto:leden@example.nl?subject=unsubscribe%20{'a' * 20}>"
    )
    outgoing = _outgoing(
        text=long_line,
        html=f"<p>{'x' * 3000}</p>",
        subject="Een heel lange onderwerpregel over de opgaven van Zuid-Holland " * 3,
        headers=(("List-Unsubscribe", long_unsubscribe),),
    )
    data = outgoing.as_bytes()

    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 78 for line in _lines(data))
    assert b"=\r\n" in data  # quoted-printable soft line breaks
    plain, html = _bodies(message_from_bytes(data, policy=policy.default))
    assert plain == long_line + "\n"
    assert html == f"<p>{'x' * 3000}</p>\n"
    message = message_from_bytes(data, policy=policy.default)
    assert message["Subject"] == outgoing.subject
    assert message["List-Unsubscribe"] == long_unsubscribe


@pytest.mark.parametrize(
    "subject",
    [
        "Terugblik voor Maaïke: de Opgavebeweging bij Provincie Zuid-Holland",
        "Één " * 60,
        "Uitnodiging 🎉 " * 12,
        "Ελληνικά και 日本語のテキスト、混ぜて " * 4,
        "a" * 950,
    ],
    ids=["dutch-name", "long-accents", "emoji", "greek-and-japanese", "long-ascii"],
)
def test_encoded_subjects_come_back_exactly_and_keep_to_the_line_limits(subject):
    data = _outgoing(subject=subject).as_bytes()
    head = data.split(b"\r\n\r\n", 1)[0]
    subject_lines = head.split(b"Subject: ", 1)[1].split(b"\r\nDate:", 1)[0].split(b"\r\n")

    assert message_from_bytes(data, policy=policy.default)["Subject"] == subject
    assert all(len(line) <= 78 for line in _lines(head + b"\r\n"))
    # RFC 2047: every encoded word at most 75 characters, each folded line holding one.
    words = [line.strip() for line in subject_lines]
    assert all(word.startswith(b"=?utf-8?b?") and len(word) <= 75 for word in words)
    assert len(words) > 1 or len(subject.encode()) <= 39


def test_text_part_comes_before_html_and_the_boundary_is_not_in_the_body():
    outgoing = _outgoing(text="tekst met --=_opgavepost_ erin", html="<p>=_opgavepost_</p>")
    data = outgoing.as_bytes()
    message = message_from_bytes(data, policy=policy.default)

    assert message.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in message.iter_parts()]
    assert types == ["text/plain", "text/html"]
    boundary = message.get_boundary()
    assert data.count(b"--" + boundary.encode()) == 3  # two part starts and the closing one
    assert _bodies(message) == ("tekst met --=_opgavepost_ erin\n", "<p>=_opgavepost_</p>\n")


@pytest.mark.parametrize(
    "field", ["subject", "to_name", "to_email", "from_name", "from_email", "reply_to", "message_id"]
)
@pytest.mark.parametrize("line_break", ["\n", "\r", "\r\n"])
def test_line_breaks_in_any_header_value_are_refused(field, line_break):
    with pytest.raises(HeaderInjectionError):
        _outgoing(**{field: f"waarde{line_break}Bcc: iedereen@example.nl"})


def test_line_breaks_in_extra_headers_are_refused():
    with pytest.raises(HeaderInjectionError):
        _outgoing(headers=(("List-Id", "lijst\r\nBcc: iedereen@example.nl"),))


def _email_package_message(outgoing: Outgoing) -> EmailMessage:
    """The same message written by the standard library's email package, to compare with."""
    message = EmailMessage(policy=policy.default.clone(max_line_length=998))
    message["Subject"] = outgoing.subject
    message["From"] = Address(display_name=outgoing.from_name, addr_spec=outgoing.from_email)
    message["To"] = Address(display_name=outgoing.to_name, addr_spec=outgoing.to_email)
    message["Reply-To"] = outgoing.reply_to
    message["Message-ID"] = outgoing.message_id
    for name, value in outgoing.headers:
        message[name] = value
    message.set_content(outgoing.text, subtype="plain", charset="utf-8")
    message.add_alternative(outgoing.html, subtype="html", charset="utf-8")
    return message


def test_the_same_message_as_the_email_package_makes():
    outgoing = _outgoing()
    built = _email_package_message(outgoing)
    ours = _parsed(outgoing)
    theirs = message_from_bytes(built.as_bytes(), policy=policy.default)

    for name in ("Subject", "From", "To", "Reply-To", "Message-ID", "List-Id", "List-Unsubscribe"):
        assert str(ours[name]) == str(theirs[name]), name
    assert _bodies(ours) == _bodies(theirs)
    assert ours.get_content_type() == theirs.get_content_type()


def test_a_message_reads_back_as_it_was_made():
    outgoing = Outgoing(
        subject="Uitnodiging: café-overleg",
        html="<p>Welkom</p>\n",
        text="Welkom\n",
        to_name="Anne de Vries",
        to_email="anne@example.nl",
        from_name="Opgavebeweging",
        from_email="nieuws@example.nl",
        reply_to="secretariaat@example.nl",
        message_id="<vast@example.nl>",
        headers=(("List-Id", "<lijst.example.nl>"),),
    )
    back = _parsed(outgoing)

    assert outgoing.to_email == "anne@example.nl"
    assert outgoing.subject == "Uitnodiging: café-overleg"
    assert outgoing.headers == (("List-Id", "<lijst.example.nl>"),)
    assert back["Subject"] == "Uitnodiging: café-overleg"
    assert back["Message-ID"] == "<vast@example.nl>"
    assert back["To"].addresses[0].display_name == "Anne de Vries"
    assert _bodies(back) == ("Welkom\n", "<p>Welkom</p>\n")


def test_an_address_with_non_ascii_characters_cannot_be_sent():
    with pytest.raises(ValueError, match="not plain ASCII"):
        _outgoing(to_email="jürgen@example.nl").as_bytes()


# A campaign's body encoded once, filled per recipient


def _campaign_parts(text: str) -> tuple[str, ...]:
    from service.rendering import placeholders

    return tuple(placeholders.PATTERN.split(text))


TRICKY_TEXT = (
    "Beste [[first_name]],\n"
    "\n"
    + "Een heel lange regel met een naam [[name]] in het midden "
    + "en nog veel meer woorden, " * 6
    + "\n"
    ".begint met een punt en eindigt met spaties   \n"
    "From the start = gelijk\n"
    "[[unsubscribe_url]]\n"
    "tab\tin de regel [[first_name]]"
)
TRICKY_HTML = (
    '<p style="margin:0">Beste [[first_name]],</p>\n'
    '<a href="[[web_version_url]]">Bekijk in je browser</a> ' + "x" * 200 + "\n"
    "<p>Einde</p>\n"
)


@pytest.mark.parametrize(
    "values",
    [
        {"first_name": "Anna", "name": "Anna de Vries"},
        {"first_name": "Maaïke", "name": "Maaïke <Heijnen> & Zn = 100%"},
        {"first_name": "", "name": "x" * 150},
    ],
    ids=["plain", "non-ascii-and-markup", "empty-and-long"],
)
def test_a_body_template_gives_exactly_the_bytes_of_encoding_the_filled_text(values):
    import html

    from service.mail.outgoing import BodyTemplate

    values = values | {
        "unsubscribe_url": "https://post.example.nl/afmelden/abc.def",
        "web_version_url": "https://post.example.nl/web/1?token=x&y=1",
    }
    escaped = {k: html.escape(v) for k, v in values.items()}
    template = BodyTemplate(_campaign_parts(TRICKY_TEXT), _campaign_parts(TRICKY_HTML))
    prepared = template.fill(values, escaped)

    def fill(text, mapping):
        parts = _campaign_parts(text)
        return "".join(mapping[p] if i % 2 else p for i, p in enumerate(parts))

    direct = _outgoing(text=fill(TRICKY_TEXT, values), html=fill(TRICKY_HTML, escaped))
    templated = _outgoing(
        text=fill(TRICKY_TEXT, values), html=fill(TRICKY_HTML, escaped), body=prepared
    )
    direct_bytes = direct.as_bytes()
    boundary = direct_bytes.split(b'boundary="', 1)[1].split(b'"', 1)[0]
    expected = direct_bytes.replace(boundary, prepared.boundary.encode())
    # Everything from the MIME headers on (the Date header may differ by a second).
    assert templated.as_bytes().split(b"MIME-Version")[1] == expected.split(b"MIME-Version")[1]
    text, page = _bodies(_parsed(templated))
    assert text.replace("\r\n", "\n").startswith(f"Beste {values['first_name']},\n")
    assert f'href="{escaped["web_version_url"]}"' in page


@pytest.mark.parametrize(
    ("text", "value", "has_dots"),
    [
        ("Beste [[first_name]],\nTot ziens.\n", "Anna", False),
        ("Beste [[first_name]],\n.begint met een punt\n", "Anna", True),
        ("[[first_name]] schreef dit\n", ".Anna", True),
        # Quoted-printable breaks this line after 75 characters, just before the dot.
        ("Beste [[first_name]],\n" + "woord " * 12 + "xxx.vervolg\n", "Anna", True),
    ],
    ids=["none", "fixed-line", "filled-line", "after-a-soft-break"],
)
def test_a_body_template_says_whether_a_line_starts_with_a_dot(text, value, has_dots):
    from service.mail.outgoing import BodyTemplate

    template = BodyTemplate(_campaign_parts(text), _campaign_parts("<p>[[first_name]]</p>"))
    prepared = template.fill({"first_name": value}, {"first_name": value})
    lines = prepared.data.split(b"\r\n")

    assert any(line.startswith(b".") for line in lines) is has_dots
    assert prepared.has_dot_lines is has_dots
    lazy = template.later({"first_name": value}, {"first_name": value})
    message = _outgoing(body=lazy)
    assert message.may_have_dot_lines is has_dots
    # Without a template nothing is known, so the SMTP transport always looks.
    assert _outgoing().may_have_dot_lines


# Control characters other than a line break (C0, DEL, C1 and the Unicode line separators) are
# written raw into a header by nothing that reads them right: refused like a line break.
CONTROLS = ["\x00", "\x0b", "\x0c", "\x1c", "\x1f", "\x7f", "\x85", "\u2028"]


@pytest.mark.parametrize("field", ["subject", "to_name", "from_name", "to_email", "reply_to"])
@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_control_characters_in_any_header_value_are_refused(field, control):
    with pytest.raises(HeaderInjectionError, match="control character"):
        _outgoing(**{field: f"Jan{control}Jansen"})
    with pytest.raises(HeaderInjectionError, match="control character"):
        _outgoing(headers=(("List-Id", f"lijst{control}"),))


def test_a_tab_or_a_no_break_space_in_a_header_value_is_no_control_character():
    message = _parsed(_outgoing(subject="Terugblik:\tdeel\u00a0twee"))
    assert message["Subject"] == "Terugblik:\tdeel\u00a0twee"


def test_a_non_ascii_domain_goes_in_its_idna_form():
    outgoing = _outgoing(
        to_email="jurgen@bücher.example", from_email="nieuws@bücher.example", message_id=""
    )
    data = outgoing.as_bytes()
    message = message_from_bytes(data, policy=policy.default)

    assert data.isascii()
    assert message["To"].addresses[0].addr_spec == "jurgen@xn--bcher-kva.example"
    assert message["From"].addresses[0].addr_spec == "nieuws@xn--bcher-kva.example"
    assert message["Message-ID"].endswith("@xn--bcher-kva.example>")
    assert outgoing.envelope() == ("nieuws@xn--bcher-kva.example", "jurgen@xn--bcher-kva.example")


def test_a_non_ascii_local_part_goes_only_where_smtputf8_is_spoken():
    outgoing = _outgoing(to_email="jöran.dijkstra@example.nl", to_name="Jöran Dijkstra")
    with pytest.raises(AddressNotSendable, match="SMTPUTF8"):
        outgoing.envelope()
    with pytest.raises(AddressNotSendable, match="SMTPUTF8"):
        outgoing.as_bytes()

    data = outgoing.as_bytes(smtputf8=True)
    message = message_from_string(data.decode("utf-8"), policy=policy.default)
    assert message["To"].addresses[0].addr_spec == "jöran.dijkstra@example.nl"
    assert message["To"].addresses[0].display_name == "Jöran Dijkstra"
    assert outgoing.needs_smtputf8 and not _outgoing().needs_smtputf8
