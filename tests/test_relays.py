"""The HTTP API relays against local servers that check requests as Mailgun and Postmark do."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from service.addresses import DOMAIN_WITHOUT_IDNA, LOCAL_PART_NEEDS_SMTPUTF8
from service.mail.factory import transport_from_config
from service.mail.outgoing import BodyTemplate, Outgoing
from service.mail.relays import MailgunRelay, PostmarkRelay, RateLimited
from service.mail.transports import (
    PermanentFailure,
    TemporaryFailure,
    TransportConfigError,
)
from service.rendering import placeholders
from tests.mail_settings import settings_with
from tests.relay_servers import (
    MAILGUN_DOMAIN,
    MAILGUN_KEY,
    POSTMARK_TOKEN,
    mailgun_server,
    postmark_server,
)

UNSUBSCRIBE = "<https://post.example.nl/u/abc>, <mailto:uit@example.nl?subject=uit>"


def newsletter(number: int = 1, email: str | None = None, name: str | None = None):
    """A campaign email as the send loop builds it, with the list headers."""
    return Outgoing(
        subject=f"Nieuwsbrief {number}: café",
        html=f"<p>Hallo lid {number}</p>\n",
        text=f"Hallo lid {number}\n",
        to_name=name or f"Lid {number}",
        to_email=email or f"lid{number}@example.nl",
        from_name="Opgavebeweging",
        from_email="nieuws@example.nl",
        reply_to="netwerk@example.nl",
        message_id=f"<delivery-{number}@example.nl>",
        headers=(
            ("List-Id", "Nieuwsbrief <nieuwsbrief.example.nl>"),
            ("List-Unsubscribe", UNSUBSCRIBE),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ),
    )


def mailgun(server, key: str = MAILGUN_KEY, read_timeout: float = 5.0) -> MailgunRelay:
    return MailgunRelay(key, MAILGUN_DOMAIN, base_url=server.base_url, timeout=(2.0, read_timeout))


def postmark(server, token: str = POSTMARK_TOKEN, read_timeout: float = 5.0) -> PostmarkRelay:
    return PostmarkRelay(token, base_url=server.base_url, timeout=(2.0, read_timeout))


# Mailgun


def test_mailgun_accepts_the_ready_mime_message():
    with mailgun_server() as server:
        mailgun(server).send(newsletter(1))
    [(to, mime)] = server.received
    assert to == ["lid1@example.nl"]
    assert mime["Message-ID"] == "<delivery-1@example.nl>"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mime["Subject"] == "Nieuwsbrief 1: café"
    assert mime.get_body(("html",)).get_content() == "<p>Hallo lid 1</p>\n"


def test_mailgun_wrong_key_is_a_permanent_failure_with_its_message():
    with mailgun_server() as server, pytest.raises(PermanentFailure, match="401: Forbidden"):
        mailgun(server, key="key-wrong").send(newsletter())
    assert server.received == []


def test_mailgun_throttled_then_accepted_on_the_next_try():
    with mailgun_server() as server:
        server.next_statuses = [429]
        relay = mailgun(server)
        with pytest.raises(TemporaryFailure, match="429"):
            relay.send(newsletter())
        relay.send(newsletter())
    assert len(server.received) == 1


def test_mailgun_server_error_is_temporary_and_the_rest_of_the_batch_waits():
    with mailgun_server() as server:
        server.next_statuses = [0, 503]
        result = mailgun(server).send_many([newsletter(n) for n in range(1, 5)])
    assert [m.to_email.partition("@")[0] for m in result.accepted] == ["lid1"]
    assert len(result.temporary) == 3
    assert "503" in result.temporary[0].reason
    assert server.requests == 2, "after a 5xx the relay stops instead of hammering Mailgun"


def test_throttling_passes_on_the_pause_the_provider_asks_for():
    with mailgun_server() as server:
        server.retry_after = "7"
        server.next_statuses = [429]
        with pytest.raises(RateLimited) as caught:
            mailgun(server).send(newsletter())
        server.next_statuses = [429]
        result = mailgun(server).send_many([newsletter(1), newsletter(2)])
    assert caught.value.retry_after == 7.0
    assert [o.retry_after for o in result.temporary] == [7.0, 7.0]


def test_mailgun_batch_reuses_one_connection():
    with mailgun_server() as server:
        result = mailgun(server).send_many([newsletter(n) for n in range(1, 21)])
    assert len(result.accepted) == 20
    assert [to for to, _mime in server.received] == [[f"lid{n}@example.nl"] for n in range(1, 21)]
    assert server.connections == 1


def test_mailgun_that_does_not_answer_in_time_is_temporary():
    with mailgun_server() as server:
        server.delay = 0.6
        with pytest.raises(TemporaryFailure, match="did not answer in time"):
            mailgun(server, read_timeout=0.2).send(newsletter())


def test_mailgun_that_is_not_running_is_temporary():
    with mailgun_server() as server:
        relay = mailgun(server)
    with pytest.raises(TemporaryFailure, match="could not reach Mailgun"):
        relay.send(newsletter())


def test_mailgun_region_chooses_the_base_url():
    assert MailgunRelay("k", "d").base_url == "https://api.eu.mailgun.net"
    assert MailgunRelay("k", "d", region="us").base_url == "https://api.mailgun.net"
    with pytest.raises(TransportConfigError, match="MAILGUN_REGION"):
        MailgunRelay("k", "d", region="asia")


# Postmark


def test_postmark_batch_keeps_bodies_and_list_headers():
    with postmark_server() as server:
        result = postmark(server).send_many([newsletter(1), newsletter(2)])
    assert len(result.accepted) == 2
    assert result.outcomes[0].provider_id
    first = server.received[0]
    assert first["To"] == "Lid 1 <lid1@example.nl>"
    assert first["From"] == "Opgavebeweging <nieuws@example.nl>"
    assert first["ReplyTo"] == "netwerk@example.nl"
    assert first["Subject"] == "Nieuwsbrief 1: café"
    assert first["MessageStream"] == "broadcast"
    assert first["TextBody"] == "Hallo lid 1\n"
    assert first["HtmlBody"] == "<p>Hallo lid 1</p>\n"
    headers = {h["Name"]: h["Value"] for h in first["Headers"]}
    assert headers["Message-ID"] == "<delivery-1@example.nl>"
    assert headers["List-Unsubscribe"] == UNSUBSCRIBE
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Id"] == "Nieuwsbrief <nieuwsbrief.example.nl>"
    assert "Content-Type" not in headers


def test_postmark_inactive_recipient_fails_alone_and_for_good():
    with postmark_server() as server:
        server.refuse["lid2@example.nl"] = (
            406,
            "You tried to send to a recipient that has been marked as inactive.",
        )
        result = postmark(server).send_many([newsletter(n) for n in (1, 2, 3)])
    assert [m.to_email.partition("@")[0] for m in result.accepted] == ["lid1", "lid3"]
    [refused] = result.permanent
    assert refused.message.to_email.partition("@")[0] == "lid2"
    assert "marked as inactive" in refused.reason and "406" in refused.reason
    assert result.temporary == []
    assert len(server.received) == 2


def test_postmark_single_send_raises_the_per_message_refusal():
    with postmark_server() as server:
        server.refuse["lid1@example.nl"] = (300, "Invalid 'To' address.")
        with pytest.raises(PermanentFailure, match="Invalid 'To' address"):
            postmark(server).send(newsletter(1))


def test_postmark_wrong_token_is_permanent_with_postmarks_message():
    with postmark_server() as server, pytest.raises(PermanentFailure, match="valid Server token"):
        postmark(server, token="nope").send(newsletter())


def test_postmark_throttled_then_accepted_and_server_error_temporary():
    with postmark_server() as server:
        relay = postmark(server)
        server.next_statuses = [429]
        with pytest.raises(TemporaryFailure, match="429"):
            relay.send(newsletter())
        relay.send(newsletter())
        server.next_statuses = [500]
        result = relay.send_many([newsletter(2), newsletter(3)])
    assert len(result.temporary) == 2 and result.accepted == []
    assert len(server.received) == 1


def test_postmark_that_does_not_answer_in_time_is_temporary():
    with postmark_server() as server:
        server.delay = 0.6
        with pytest.raises(TemporaryFailure, match="did not answer in time"):
            postmark(server, read_timeout=0.2).send(newsletter())


def test_postmark_splits_large_batches_over_one_connection():
    messages = [newsletter(n) for n in range(1, 1102)]
    with postmark_server() as server:
        started = time.perf_counter()
        result = postmark(server).send_many(messages)
        elapsed = time.perf_counter() - started
    assert len(result.accepted) == 1101
    assert server.requests == 3, "500 + 500 + 101"
    assert server.connections == 1
    print(f"Postmark batch: {len(messages) / elapsed:.0f} messages/s to the local server")


def test_transport_from_config_builds_the_api_relays():
    relay = transport_from_config(
        settings_with(
            {
                "MAIL_TRANSPORT": "mailgun",
                "MAILGUN_API_KEY": "k",
                "MAILGUN_DOMAIN": "mg.example.nl",
                "MAILGUN_REGION": "us",
            }
        )
    )
    assert isinstance(relay, MailgunRelay) and relay.base_url == "https://api.mailgun.net"
    relay = transport_from_config(
        settings_with(
            {
                "MAIL_TRANSPORT": "postmark",
                "POSTMARK_SERVER_TOKEN": "t",
                "POSTMARK_MESSAGE_STREAM": "x",
            }
        )
    )
    assert isinstance(relay, PostmarkRelay) and relay.message_stream == "x"
    with pytest.raises(TransportConfigError, match="MAILGUN_API_KEY is not set"):
        transport_from_config(settings_with({"MAIL_TRANSPORT": "mailgun", "MAILGUN_DOMAIN": "d"}))
    with pytest.raises(TransportConfigError, match="POSTMARK_SERVER_TOKEN is not set"):
        transport_from_config(settings_with({"MAIL_TRANSPORT": "postmark"}))


# Addresses, names, streams and messages that cannot be built


def _unbuildable(number: int):
    """A campaign message whose body lacks a placeholder's value."""
    template = BodyTemplate(placeholders.PATTERN.split("[[first_name]]"), ["<p>x</p>"])
    return replace(newsletter(number), body=template.later({}, {}))


def test_postmark_gets_names_as_written_and_quoted_where_they_hold_punctuation():
    with postmark_server() as server:
        result = postmark(server).send_many(
            [newsletter(1, name="Jürgen Ødegård"), newsletter(2, name="Vries, Anne de")]
        )
    assert [o.status for o in result.outcomes] == ["accepted", "accepted"]
    assert [entry["To"] for entry in server.received] == [
        "Jürgen Ødegård <lid1@example.nl>",
        '"Vries, Anne de" <lid2@example.nl>',
    ]


def test_postmark_sends_single_messages_on_the_transactional_stream():
    notice = replace(newsletter(2), transactional=True)
    with postmark_server() as server:
        server.streams = {"outbound", "broadcast", "meldingen"}
        relay = transport_from_config(
            settings_with(
                {
                    "MAIL_TRANSPORT": "postmark",
                    "POSTMARK_SERVER_TOKEN": POSTMARK_TOKEN,
                    "POSTMARK_BASE_URL": server.base_url,
                    "POSTMARK_TRANSACTIONAL_STREAM": "meldingen",
                }
            )
        )
        relay.send_many([newsletter(1), notice])
        default = postmark(server)
        default.send_many([notice])
    streams = [entry["MessageStream"] for entry in server.received]
    assert streams == ["broadcast", "meldingen", "outbound"]


def test_postmark_refuses_a_non_ascii_local_part_alone_and_takes_an_idna_domain():
    with postmark_server() as server:
        result = postmark(server).send_many(
            [
                newsletter(1),
                newsletter(2, email="jöran.dijkstra@example.nl"),
                newsletter(3, email="lid3@bücher.example"),
                newsletter(4, email="lid4@-bücher-.example"),
            ]
        )
    assert [o.status for o in result.outcomes] == ["accepted", "permanent", "accepted", "permanent"]
    assert result.outcomes[1].reason == LOCAL_PART_NEEDS_SMTPUTF8
    assert result.outcomes[3].reason == DOMAIN_WITHOUT_IDNA
    assert all(o.unsendable and not o.bounce for o in result.permanent)
    assert server.requests == 1, "the others went in the same batch call"
    assert [entry["To"] for entry in server.received] == [
        "Lid 1 <lid1@example.nl>",
        "Lid 3 <lid3@xn--bcher-kva.example>",
    ]


def test_mailgun_carries_a_non_ascii_local_part_as_it_documents_and_an_idna_domain():
    with mailgun_server() as server:
        result = mailgun(server).send_many(
            [
                newsletter(1, email="jöran.dijkstra@example.nl"),
                newsletter(2, email="lid2@bücher.example"),
                _unbuildable(3),
                newsletter(4),
            ]
        )
    assert [o.status for o in result.outcomes] == ["accepted", "accepted", "permanent", "accepted"]
    assert "could not be built" in result.outcomes[2].reason
    assert [to for to, _mime in server.received] == [
        ["jöran.dijkstra@example.nl"],
        ["lid2@xn--bcher-kva.example"],
        ["lid4@example.nl"],
    ]
    assert str(server.received[0][1]["To"]) == "Lid 1 <jöran.dijkstra@example.nl>"
    assert str(server.received[1][1]["To"]) == "Lid 2 <lid2@xn--bcher-kva.example>"
