"""SmtpTransport on a real SMTP server (aiosmtpd): pipelined or not, kept-open connections."""

from __future__ import annotations

import pytest

from service.mail.outgoing import Outgoing
from service.mail.smtp import SmtpTransport

MODES = pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])


def _message(n: int, **changes) -> Outgoing:
    values = {
        "from_name": "Opgavebeweging",
        "from_email": "nieuws@example.nl",
        "to_name": f"Lid {n}",
        "to_email": f"lid.{n}@example.nl",
        "subject": f"Bericht {n}",
        "text": f"Beste lid {n},\n.\nTot ziens.\n",
        "html": f"<p>Beste lid {n}</p>",
        "message_id": f"<bench.{n}@example.nl>",
    }
    return Outgoing(**(values | changes))


def _count_connections(handler) -> list[str]:
    """Every EHLO the server gets (one per connection), by wrapping the handler's hook."""
    greetings: list[str] = []
    original = handler.handle_EHLO

    async def handle_EHLO(server, session, envelope, hostname, responses):
        greetings.append(hostname)
        return await original(server, session, envelope, hostname, responses)

    handler.handle_EHLO = handle_EHLO
    return greetings


def _subjects(handler) -> list[str]:
    return [str(message["Subject"]) for _from, _rcpts, message in handler.messages]


@MODES
def test_refused_recipient_and_4xx_data_fail_alone_and_the_connection_stays_open(
    smtp_server, pipelining
):
    handler = smtp_server.handler
    handler.pipelining = pipelining
    handler.refused = {"lid.1@example.nl": "550 5.1.1 No such user"}
    # The DATA answers go in order to the messages that reach DATA: lid 0, 2, 3, ...
    handler.next_answers = []
    greetings = _count_connections(handler)
    transport = SmtpTransport("127.0.0.1", smtp_server.port, timeout=5)

    first = transport.send_batch([_message(0)])
    handler.next_answers = ["451 4.3.0 Try again later"]
    outcomes = transport.send_batch([_message(n) for n in range(1, 5)]).outcomes

    assert first.outcomes[0].status == "accepted"
    assert [o.message.to_email for o in outcomes] == [f"lid.{n}@example.nl" for n in range(1, 5)]
    assert [o.status for o in outcomes] == ["permanent", "temporary", "accepted", "accepted"]
    assert outcomes[0].bounce and not outcomes[0].relay_wide
    assert "550" in outcomes[0].reason and "RCPT TO" in outcomes[0].reason
    assert not outcomes[1].bounce and not outcomes[1].relay_wide
    assert "451" in outcomes[1].reason
    assert _subjects(handler) == ["Bericht 0", "Bericht 3", "Bericht 4"]

    # The next batch goes over the same connection: still one EHLO.
    again = transport.send_batch([_message(5), _message(6)]).outcomes
    assert [o.status for o in again] == ["accepted", "accepted"]
    assert len(greetings) == 1
    transport.close()
    assert _subjects(handler)[-2:] == ["Bericht 5", "Bericht 6"]
    # After close() (QUIT) a new batch needs a new connection.
    transport.send_batch([_message(7)])
    transport.close()
    assert len(greetings) == 2


@MODES
def test_a_connection_dropped_mid_data_costs_only_the_message_in_flight(smtp_server, pipelining):
    handler = smtp_server.handler
    handler.pipelining = pipelining
    original = handler.handle_DATA
    seen = []

    async def handle_DATA(server, session, envelope):
        seen.append(envelope.rcpt_tos[0])
        if len(seen) == 2:
            server.transport.close()  # the server goes away before answering the second
            return "250 OK"
        return await original(server, session, envelope)

    handler.handle_DATA = handle_DATA
    greetings = _count_connections(handler)
    transport = SmtpTransport("127.0.0.1", smtp_server.port, timeout=5)

    outcomes = transport.send_batch([_message(n) for n in range(4)]).outcomes
    transport.close()

    # The message in flight may or may not have arrived: it alone is tried again later. The
    # messages after it went on over a new connection, not left for a relay that is not down.
    assert [o.status for o in outcomes] == ["accepted", "temporary", "accepted", "accepted"]
    assert not outcomes[1].relay_wide and not outcomes[1].bounce
    assert "broke while it took this message" in outcomes[1].reason
    assert _subjects(handler) == ["Bericht 0", "Bericht 2", "Bericht 3"]
    assert len(greetings) == 2


@MODES
def test_a_connection_that_breaks_before_any_answer_leaves_the_batch_to_the_relay_wait(
    smtp_server, pipelining
):
    handler = smtp_server.handler
    handler.pipelining = pipelining

    async def handle_MAIL(server, session, envelope, address, mail_options):
        server.transport.close()  # every connection breaks at its first command

    handler.handle_MAIL = handle_MAIL
    transport = SmtpTransport("127.0.0.1", smtp_server.port, timeout=5)

    outcomes = transport.send_batch([_message(n) for n in range(3)]).outcomes
    transport.close()

    assert [o.status for o in outcomes] == ["temporary"] * 3
    assert all(o.relay_wide and not o.bounce for o in outcomes)
    assert "dropped the connection" in outcomes[0].reason
    assert handler.messages == []


@MODES
def test_three_connections_share_a_batch_and_keep_the_order_of_outcomes(smtp_server, pipelining):
    handler = smtp_server.handler
    handler.pipelining = pipelining
    handler.refused = {"lid.4@example.nl": "550 5.1.1 No such user"}
    greetings = _count_connections(handler)
    transport = SmtpTransport("127.0.0.1", smtp_server.port, timeout=5, connections=3)

    messages = [_message(n) for n in range(9)]
    outcomes = transport.send_batch(messages).outcomes
    more = transport.send_batch([_message(n) for n in range(9, 15)]).outcomes
    transport.close()

    assert [o.message for o in outcomes] == messages
    assert [o.status for o in outcomes] == ["accepted"] * 4 + ["permanent"] + ["accepted"] * 4
    assert all(o.status == "accepted" for o in more)
    assert len(greetings) == 3  # three connections, kept open for the second batch
    assert sorted(_subjects(handler)) == sorted(f"Bericht {n}" for n in range(15) if n != 4)


@MODES
def test_templated_bodies_arrive_exactly_with_and_without_lines_starting_with_a_dot(
    smtp_server, pipelining
):
    from service.mail.outgoing import BodyTemplate
    from service.rendering import placeholders

    smtp_server.handler.pipelining = pipelining
    text = "Beste [[first_name]],\n.begint met een punt\n[[first_name]]\nTot ziens.\n"
    plain = BodyTemplate(
        placeholders.PATTERN.split("Beste [[first_name]],\n[[first_name]]\n"),
        placeholders.PATTERN.split("<p>[[first_name]]</p>"),
    )
    dotted = BodyTemplate(
        placeholders.PATTERN.split(text), placeholders.PATTERN.split("<p>[[first_name]]</p>")
    )
    names = ["Anna", ".Bram", "..", "Carla"]
    messages = [
        _message(n, body=template.later({"first_name": name}, {"first_name": name}))
        for n, name in enumerate(names)
        for template in (plain, dotted)
    ]
    transport = SmtpTransport("127.0.0.1", smtp_server.port, timeout=5)
    outcomes = transport.send_batch(messages).outcomes
    transport.close()

    assert [o.status for o in outcomes] == ["accepted"] * 8
    received = [
        message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        for _from, _rcpts, message in smtp_server.handler.messages
    ]
    expected = [
        filled
        for name in names
        for filled in (
            f"Beste {name},\n{name}\n",
            text.replace("[[first_name]]", name),
        )
    ]
    assert received == expected


def _unfillable(n: int) -> Outgoing:
    """A campaign message whose body lacks a placeholder's value: it cannot be built."""
    from service.mail.outgoing import BodyTemplate
    from service.rendering import placeholders

    template = BodyTemplate(
        placeholders.PATTERN.split("Beste [[first_name]],\n"),
        placeholders.PATTERN.split("<p>[[first_name]]</p>"),
    )
    return _message(n, body=template.later({}, {}))


@MODES
def test_a_message_that_cannot_be_made_fails_alone_before_anything_of_it_goes(
    smtp_server, pipelining
):
    handler = smtp_server.handler
    handler.pipelining = pipelining
    greetings = _count_connections(handler)
    transport = SmtpTransport("127.0.0.1", smtp_server.port, timeout=5)
    messages = [
        _message(0),
        _message(1, to_email="jöran.dijkstra@example.nl"),  # this server offers no SMTPUTF8
        _message(2),
        _unfillable(3),
        _unfillable(4),  # two in a row: the one after them still rides with a body
        _message(5, to_email="user@bücher.example"),
    ]

    outcomes = transport.send_batch(messages).outcomes
    transport.close()

    statuses = ["accepted", "permanent", "accepted", "permanent", "permanent", "accepted"]
    assert [o.status for o in outcomes] == statuses
    assert "not plain ASCII" in outcomes[1].reason and "SMTPUTF8" in outcomes[1].reason
    assert "could not be built" in outcomes[3].reason
    assert all(o.unsendable and not o.bounce and not o.relay_wide for o in outcomes[1:5:2])
    assert _subjects(handler) == ["Bericht 0", "Bericht 2", "Bericht 5"]
    assert [rcpts for _from, rcpts, _m in handler.messages][-1] == ["user@xn--bcher-kva.example"]
    assert len(greetings) == 1, "nothing broke the connection"


@MODES
def test_a_garbled_reply_costs_only_its_message_and_the_rest_go_on(smtp_server, pipelining):
    handler = smtp_server.handler
    handler.pipelining = pipelining
    handler.data_answers["lid.1@example.nl"] = "what is this"
    transport = SmtpTransport("127.0.0.1", smtp_server.port, timeout=5)

    outcomes = transport.send_batch([_message(n) for n in range(3)]).outcomes
    transport.close()

    assert [o.status for o in outcomes] == ["accepted", "temporary", "accepted"]
    assert not outcomes[1].relay_wide and "no SMTP reply" in outcomes[1].reason
    assert _subjects(handler) == ["Bericht 0", "Bericht 2"]


@MODES
def test_a_non_ascii_local_part_goes_with_smtputf8_where_the_server_offers_it(
    smtputf8_server, pipelining
):
    handler = smtputf8_server.handler
    handler.pipelining = pipelining
    transport = SmtpTransport("127.0.0.1", smtputf8_server.port, timeout=5)

    outcomes = transport.send_batch(
        [_message(0), _message(1, to_email="jöran.dijkstra@bücher.example"), _message(2)]
    ).outcomes
    transport.close()

    assert [o.status for o in outcomes] == ["accepted"] * 3
    assert handler.smtputf8 == [False, True, False], "SMTPUTF8 only where it is needed"
    _from, rcpts, message = handler.messages[1]
    assert rcpts == ["jöran.dijkstra@xn--bcher-kva.example"]
    assert message["To"].addresses[0].addr_spec == "jöran.dijkstra@xn--bcher-kva.example"
