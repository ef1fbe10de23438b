"""`opgavepost worker` as real processes on a real SMTP server: crashes, stops, two at once.

Also the send loop that `opgavepost serve` runs in its own process (start_background_jobs).
"""

from __future__ import annotations

import signal
import threading
from collections import Counter, defaultdict
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import func, select

from service.audience.subscriptions import subscribe_all
from service.demo.embedded import start_background_jobs
from service.models import Campaign, CampaignStatus, Consent, Contact, Delivery, DeliveryStatus
from tests.builders import make_campaign
from tests.conftest import smtp_server_with
from tests.mail_helpers import addresses_received, start
from tests.worker_helpers import (
    OPGAVEPOST,
    ROOT,
    SlowSmtpHandler,
    WorkerProcess,
    plain_environment,
    run_command,
    serve_process,
    smtp_settings,
    wait_for,
    worker_environment,
)


def _people(db, count: int) -> list[str]:
    people = [
        Contact(email=f"lid{n:03d}@example.nl", name=f"Lid {n}", consent=Consent.GIVEN)
        for n in range(count)
    ]
    db.add_all(people)
    db.flush()
    # Consent alone is not enough since issue 6: a campaign goes to subscribers of its mailing.
    for person in people:
        subscribe_all(db, person, source="test")
    db.commit()
    return [f"lid{n:03d}@example.nl" for n in range(count)]


def _started_campaign(db) -> Campaign:
    campaign = make_campaign(db, preheader="")
    start(db, campaign)
    return campaign


def _statuses(app, campaign_id: int) -> Counter:
    with app.extensions["db_sessionmaker"]() as session:
        rows = session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.campaign_id == campaign_id)
            .group_by(Delivery.status)
        ).all()
    return Counter({DeliveryStatus(status): count for status, count in rows})


def _campaign_status(app, campaign_id: int) -> CampaignStatus:
    with app.extensions["db_sessionmaker"]() as session:
        return session.get(Campaign, campaign_id).status


def _all_sent(app, campaign_id: int, count: int):
    return lambda: _statuses(app, campaign_id)[DeliveryStatus.SENT] == count


def _logs(workers: list[WorkerProcess]) -> str:
    return "\n".join(worker.text() for worker in workers)


def _message_ids(handler) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = defaultdict(set)
    for _from, rcpts, message in handler.messages:
        ids[rcpts[0]].add(message["Message-ID"])
    return ids


def test_worker_once_sends_every_recipient_once_and_exits(app, db, smtp_server, tmp_path):
    people = _people(db, 12)
    campaign = _started_campaign(db)
    env = worker_environment(app, **smtp_settings(smtp_server.port))

    result = run_command([str(OPGAVEPOST), "worker", "--once"], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Handled 12 deliveries."
    assert "send worker started: transport smtp, batch size 5, lease 2 s, once" in result.stderr
    assert sorted(addresses_received(smtp_server.handler)) == people
    assert _statuses(app, campaign.id) == Counter({DeliveryStatus.SENT: 12})
    assert _campaign_status(app, campaign.id) == CampaignStatus.SENT


def test_a_killed_worker_loses_nothing_and_repeats_at_most_its_batch(app, db, tmp_path):
    people = _people(db, 60)
    batch = 5
    with smtp_server_with(SlowSmtpHandler(delay=0.05)) as server:
        handler = server.handler
        env = worker_environment(
            app,
            **smtp_settings(server.port, MAIL_BATCH_SIZE=str(batch), MAIL_SMTP_CONNECTIONS="1"),
        )
        campaign = _started_campaign(db)
        first = WorkerProcess(env, tmp_path / "first.log")
        second = None
        try:
            wait_for(lambda: len(handler.messages) >= 12, 60, first.text, process=first.process)
            assert first.stop(signal.SIGKILL) == -signal.SIGKILL
            before_restart = len(handler.messages)
            assert before_restart < 60, "the worker finished before it was killed"

            # The new worker waits out the dead one's lease (2 s), then sends what it held.
            second = WorkerProcess(env, tmp_path / "second.log")
            wait_for(_all_sent(app, campaign.id, 60), 60, second.text, process=second.process)
            assert second.stop() == 0, second.text()
        finally:
            first.kill()
            if second is not None:
                second.kill()

    received = Counter(addresses_received(handler))
    assert sorted(received) == people, "somebody got no message"
    repeats = sum(received.values()) - len(people)
    assert repeats <= batch, f"{repeats} repeats, more than the batch in flight"
    ids = _message_ids(handler)
    for address, count in received.items():
        if count > 1:
            assert len(ids[address]) == 1, f"{address} got a repeat with a new Message-ID"
    assert _statuses(app, campaign.id) == Counter({DeliveryStatus.SENT: 60})
    assert _campaign_status(app, campaign.id) == CampaignStatus.SENT


def test_two_workers_share_a_campaign_and_send_each_message_once(app, db, tmp_path):
    people = _people(db, 300)
    with smtp_server_with(SlowSmtpHandler(delay=0.02)) as server:
        handler = server.handler
        # A long lease: every repeat would be a fault of the claim, not a lease running out.
        env = worker_environment(
            app,
            **smtp_settings(server.port, MAIL_BATCH_SIZE="10", MAIL_LEASE_SECONDS="120"),
        )
        workers = [WorkerProcess(env, tmp_path / f"worker{n}.log") for n in (1, 2)]
        try:
            for worker in workers:
                worker.wait_until_started()
            # Both are idle and polling when the campaign starts, so both find work.
            campaign = _started_campaign(db)
            wait_for(_all_sent(app, campaign.id, 300), 60, lambda: _logs(workers))
            codes = [worker.stop() for worker in workers]
        finally:
            for worker in workers:
                worker.kill()

    assert codes == [0, 0], _logs(workers)
    received = Counter(addresses_received(handler))
    assert sorted(received) == people
    assert [a for a, count in received.items() if count > 1] == []
    shares = [worker.handled() for worker in workers]
    assert sum(shares) == 300, shares
    assert all(share > 0 for share in shares), f"one worker did everything: {shares}"
    assert _campaign_status(app, campaign.id) == CampaignStatus.SENT


def test_sigterm_finishes_the_batch_in_flight_then_exits_cleanly(app, db, tmp_path):
    people = _people(db, 30)
    batch = 10
    with smtp_server_with(SlowSmtpHandler(delay=0.05)) as server:
        handler = server.handler
        env = worker_environment(
            app,
            **smtp_settings(
                server.port,
                MAIL_BATCH_SIZE=str(batch),
                MAIL_SMTP_CONNECTIONS="1",
                MAIL_LEASE_SECONDS="120",
            ),
        )
        campaign = _started_campaign(db)
        # Started as the Procfile says, through a shell that execs, as platforms do.
        procfile = (ROOT / "Procfile").read_text().splitlines()
        [command] = [line.split(":", 1)[1].strip() for line in procfile if line[:7] == "worker:"]
        worker = WorkerProcess(env, tmp_path / "worker.log", command=command)
        try:
            wait_for(lambda: len(handler.messages) >= 1, 60, worker.text, process=worker.process)
            assert worker.stop(signal.SIGTERM, timeout=10) == 0, worker.text()
        finally:
            worker.kill()
        assert "SIGTERM: stopping after the batch in flight" in worker.text()

        # Everything that went out is recorded, and the batch it was sending went out whole.
        sent = len(handler.messages)
        assert _statuses(app, campaign.id)[DeliveryStatus.SENT] == sent
        assert sent % batch == 0 and 0 < sent < 30, sent
        # Nothing stays claimed: the next worker sends the rest at once, without the lease.
        once = run_command([str(OPGAVEPOST), "worker", "--once"], env)
    assert once.returncode == 0, once.stderr
    assert once.stdout.strip() == f"Handled {30 - sent} deliveries."
    assert sorted(addresses_received(handler)) == people
    assert _campaign_status(app, campaign.id) == CampaignStatus.SENT


def test_worker_with_incomplete_smtp_settings_stops_with_one_line(tmp_path):
    env = plain_environment(tmp_path, MAIL_TRANSPORT="smtp")
    result = run_command([str(OPGAVEPOST), "worker"], env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: MAIL_SERVER is not set; set it or use MAIL_TRANSPORT=outbox"
    ]


def test_serve_process_sends_campaigns_to_the_outbox_by_itself(app, db):
    people = _people(db, 7)
    outbox = Path(app.config["MAIL_OUTBOX_PATH"])
    assert app.config["MAIL_TRANSPORT"] == "outbox"
    sender = start_background_jobs(app)
    assert sender is not None
    try:
        assert sender.thread.name == "opgavepost-send-loop"
        assert sender.thread in threading.enumerate()
        campaign = _started_campaign(db)
        wait_for(lambda: len(list(outbox.glob("*.eml"))) == 7, 15, lambda: str(outbox))
        wait_for(lambda: _campaign_status(app, campaign.id) == CampaignStatus.SENT, 10)
    finally:
        assert sender.stop(timeout=10), "the send loop did not stop"
    messages = [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in outbox.glob("*.eml")
    ]
    assert sorted(message["To"].addresses[0].addr_spec for message in messages) == people
    assert not sender.thread.is_alive()


def test_opgavepost_serve_delivers_a_started_campaign_without_a_worker(app, db, tmp_path):
    people = _people(db, 5)
    campaign = _started_campaign(db)
    outbox = Path(app.instance_path) / "outbox"
    serve = serve_process(app, tmp_path / "serve.log")
    try:
        wait_for(
            lambda: len(list(outbox.glob("*.eml"))) == 5, 60, serve.text, process=serve.process
        )
        wait_for(lambda: _campaign_status(app, campaign.id) == CampaignStatus.SENT, 10, serve.text)
        assert serve.stop(signal.SIGTERM, timeout=30) == 0, serve.text()
    finally:
        serve.kill()
    assert "send loop started in this process: transport outbox" in serve.text()
    assert "Traceback" not in serve.text()
    assert sorted(_statuses(app, campaign.id).elements()) == [DeliveryStatus.SENT] * len(people)
