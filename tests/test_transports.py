"""Building messages and handing them to the outbox and to a real SMTP server on loopback."""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes, policy

import pytest

from service.mail.factory import transport_from_config
from service.mail.message import HeaderInjectionError
from service.mail.outgoing import Outgoing
from service.mail.smtp import SmtpTransport
from service.mail.transports import (
    OutboxTransport,
    Outcomes,
    PermanentFailure,
    TemporaryFailure,
    Transport,
    TransportConfigError,
)
from service.settings import settings_of
from tests.conftest import free_port
from tests.mail_settings import settings_with


def _message(**overrides):
    values = {
        "subject": "Terugblik: de Opgavebeweging op bezoek bij Provincie Zuid-Holland",
        "html": "<p>Beste Maaïke,</p>",
        "text": "Beste Maaïke,\n",
        "to_name": "Maaïke Heijnen",
        "to_email": "maaike.heijnen@example.nl",
        "from_name": "Opgavebeweging",
        "from_email": "grenzeloossamenwerken@rijksoverheid.nl",
        "reply_to": "grenzeloossamenwerken@rijksoverheid.nl",
    }
    values.update(overrides)
    return Outgoing(**values)


def test_message_has_text_then_html_and_the_headers_a_mail_client_needs():
    message = _message(headers=(("List-Unsubscribe", "<https://example.nl/u/1>"),))
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in parsed.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert parsed["Subject"] == (
        "Terugblik: de Opgavebeweging op bezoek bij Provincie Zuid-Holland"
    )
    assert parsed["To"] == "Maaïke Heijnen <maaike.heijnen@example.nl>"
    assert parsed["Date"] and parsed["Message-ID"].endswith("@rijksoverheid.nl>")
    assert parsed["List-Unsubscribe"] == "<https://example.nl/u/1>"
    assert "Maaïke" in parsed.get_body(("html",)).get_content()
    # Non-ASCII subjects and names are encoded words on the wire.
    assert b"=?utf-8?" in message.as_bytes()


@pytest.mark.parametrize(
    "field",
    ["subject", "to_name", "from_name", "to_email", "reply_to"],
)
def test_line_breaks_in_header_values_are_refused(field):
    with pytest.raises(HeaderInjectionError, match="line break"):
        _message(**{field: "Hallo\r\nBcc: iedereen@example.nl"})


@pytest.mark.parametrize("field", ["subject", "to_name", "from_name"])
@pytest.mark.parametrize("character", ["\x0b", "\x0c", "\x1c", "\x00", "\x85"])
def test_other_control_characters_in_header_values_are_refused(field, character):
    # VT, FF and FS were written raw into Subject, From and To before.
    with pytest.raises(HeaderInjectionError, match=f"U\\+{ord(character):04X}"):
        _message(**{field: f"Hallo{character}wereld"})


def test_outbox_writes_one_complete_eml_file_per_message(tmp_path):
    outbox = OutboxTransport(tmp_path / "outbox")
    outbox.send(_message())
    outbox.send(_message(subject="Tweede"))
    files = sorted((tmp_path / "outbox").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    subjects = {message_from_bytes(f.read_bytes(), policy=policy.default)["Subject"] for f in files}
    assert "Tweede" in subjects


def test_outbox_that_cannot_be_written_is_a_temporary_failure(tmp_path):
    blocker = tmp_path / "outbox"
    blocker.write_text("a file, not a folder")
    with pytest.raises(TemporaryFailure, match="not writable"):
        OutboxTransport(blocker).send(_message())


def test_smtp_delivers_the_message_to_the_server(smtp_server):
    transport = SmtpTransport("127.0.0.1", smtp_server.port)
    transport.send_many([_message(), _message(subject="Tweede")])
    received = smtp_server.handler.messages
    assert [m[2]["Subject"] for m in received][1] == "Tweede"
    mail_from, rcpt_tos, message = received[0]
    assert mail_from == "grenzeloossamenwerken@rijksoverheid.nl"
    assert rcpt_tos == ["maaike.heijnen@example.nl"]
    assert "Beste Maaïke" in message.get_body(("plain",)).get_content()


def test_smtp_4xx_is_temporary_and_5xx_permanent(smtp_server):
    transport = SmtpTransport("127.0.0.1", smtp_server.port)
    smtp_server.handler.answer = "451 4.3.0 Try again later"
    with pytest.raises(TemporaryFailure, match="451"):
        transport.send(_message())
    smtp_server.handler.answer = "550 5.1.1 No such user"
    with pytest.raises(PermanentFailure, match="550"):
        transport.send(_message())
    assert smtp_server.handler.messages == []


def test_unreachable_smtp_server_is_a_temporary_failure():
    port = free_port()  # nobody listens on it
    with pytest.raises(TemporaryFailure, match="could not talk"):
        SmtpTransport("127.0.0.1", port, timeout=2).send(_message())


def test_transport_from_config(tmp_path, smtp_server):
    outbox = transport_from_config(settings_with({"MAIL_OUTBOX_PATH": str(tmp_path / "o")}))
    assert isinstance(outbox, OutboxTransport)
    smtp = transport_from_config(
        settings_with(
            {"MAIL_TRANSPORT": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port}
        )
    )
    smtp.send(_message())
    assert len(smtp_server.handler.messages) == 1
    with pytest.raises(TransportConfigError, match="MAIL_SERVER is not set"):
        transport_from_config(settings_with({"MAIL_TRANSPORT": "smtp"}))
    with pytest.raises(TransportConfigError, match="choose one"):
        transport_from_config(
            settings_with(
                {
                    "MAIL_TRANSPORT": "smtp",
                    "MAIL_SERVER": "x",
                    "MAIL_USE_TLS": True,
                    "MAIL_USE_SSL": True,
                }
            )
        )


def test_app_defaults_to_the_outbox_in_the_instance_folder(app):
    transport = transport_from_config(settings_of(app))
    assert isinstance(transport, OutboxTransport)
    assert str(transport.folder).startswith(app.instance_path)


@pytest.fixture
def smtp_with_login():
    """An SMTP server on loopback that wants the login postbode / een-geheim-wachtwoord."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from tests.conftest import RecordingSmtpHandler

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"postbode",
            b"een-geheim-wachtwoord",
        )
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        RecordingSmtpHandler(),
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticate,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


# Plain AUTH without TLS is fine on loopback in a test; aiosmtpd warns about it in production.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_smtp_logs_in_with_username_and_password(smtp_with_login):
    config = {
        "MAIL_TRANSPORT": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_with_login.port,
        "MAIL_USERNAME": "postbode",
        "MAIL_PASSWORD": "een-geheim-wachtwoord",
    }
    transport_from_config(settings_with(config)).send(_message())
    assert len(smtp_with_login.handler.messages) == 1
    wrong = transport_from_config(settings_with(config | {"MAIL_PASSWORD": "fout-wachtwoord"}))
    with pytest.raises(PermanentFailure, match="535"):
        wrong.send(_message())
    assert len(smtp_with_login.handler.messages) == 1


@pytest.mark.parametrize("field", ["subject", "to_name", "from_name"])
def test_a_vertical_tab_cannot_smuggle_in_a_header(field):
    with pytest.raises(HeaderInjectionError, match="control character"):
        _message(**{field: "Hallo\x0bBcc: iedereen@example.nl"})


class _FailsHalfway(Transport):
    """Accepts messages until a fault of its own at the third one."""

    name = "halfway"

    def __init__(self):
        self.taken: list = []

    def hand_over(self, outcomes: Outcomes) -> None:
        for index, message in enumerate(outcomes.messages):
            if index == 2:
                raise RuntimeError("a fault of ours")
            self.taken.append(message)
            outcomes.accepted(index)


def test_an_unexpected_fault_keeps_the_outcomes_known_before_it():
    transport = _FailsHalfway()
    messages = [_message(subject=f"Bericht {n}") for n in range(4)]

    result = transport.send_batch(messages)  # does not raise

    assert [o.status for o in result.outcomes] == ["accepted", "accepted"] + ["temporary"] * 2
    assert [o.message for o in result.outcomes] == messages
    later = result.outcomes[2]
    assert "a fault of ours" in later.reason and not later.relay_wide and not later.bounce


def test_the_outbox_keeps_a_non_ascii_local_part_and_refuses_what_cannot_be_built(tmp_path):
    from service.mail.outgoing import BodyTemplate
    from service.rendering import placeholders

    template = BodyTemplate(placeholders.PATTERN.split("[[first_name]]"), ["<p>x</p>"])
    outbox = OutboxTransport(tmp_path / "outbox")
    joran = _message(to_email="jöran.dijkstra@example.nl")
    broken = replace(_message(), body=template.later({}, {}))

    outcomes = outbox.send_batch([broken, joran]).outcomes

    assert [o.status for o in outcomes] == ["permanent", "accepted"]
    assert outcomes[0].unsendable and "could not be built" in outcomes[0].reason
    (file,) = (tmp_path / "outbox").iterdir()
    message = message_from_bytes(file.read_bytes(), policy=policy.default)
    assert str(message["To"]) == "Maaïke Heijnen <jöran.dijkstra@example.nl>"
