"""Two machines on one PostgreSQL database: the Procfile's web and worker processes, each pair
with an instance folder of its own and no SECRET_KEY set.

What one machine stores, the other serves (an uploaded image); what one signs, the other accepts
(a login session, an unsubscribe link a worker put in a mail); a campaign that both workers share
reaches every recipient exactly once. PostgreSQL only: SQLite is one file on one machine.
"""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from service import migrate
from service.audience.subscriptions import subscribe_all
from service.auth.users import create_user
from service.database import make_engine
from service.models import (
    Consent,
    Contact,
    Delivery,
    DeliveryStatus,
    InstanceSecret,
    MediaBlob,
    ProcessHeartbeat,
    Role,
    Subscription,
)
from tests.builders import make_campaign
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token_from, free_port, smtp_server_with
from tests.mail_helpers import addresses_received, start
from tests.worker_helpers import (
    BIN,
    OPGAVEPOST,
    ROOT,
    SlowSmtpHandler,
    WorkerProcess,
    plain_environment,
    run_command,
    smtp_settings,
    wait_for,
)

RECIPIENTS = 300
pytestmark = pytest.mark.postgresql_only


@contextmanager
def web_process(env: dict[str, str], log: Path) -> Iterator[str]:
    """The Procfile's `web` line (gunicorn on the app factory); yields its address."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--threads",
        "4",
        "service:create_app()",
    ]
    with log.open("w") as err:
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=err, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn stopped early: {log.read_text()}")
            try:
                if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer in time: {log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text(), log.read_text()


def machine_environment(tmp_path: Path, name: str, database_url: str, **values: str):
    """The settings of one machine: its own instance folder, the shared database, no key."""
    instance = tmp_path / name
    instance.mkdir()
    return plain_environment(
        tmp_path,
        INSTANCE_PATH=str(instance),
        DATABASE_URL=database_url,
        # Both machines stand behind one public address; the test opens each directly.
        BASE_URL="https://post.example.nl",
        # One gunicorn worker process per machine keeps the test light.
        WEB_CONCURRENCY="1",
        **values,
    )


def _image() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _logged_in(url: str) -> requests.Session:
    browser = requests.Session()
    token = csrf_token_from(browser.get(f"{url}/login", timeout=10).text)
    answer = browser.post(
        f"{url}/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    return browser


def _unsubscribe_path(message: EmailMessage) -> str:
    match = re.search(r"<https://post\.example\.nl(/afmelden/[^>]+)>", message["List-Unsubscribe"])
    assert match, message["List-Unsubscribe"]
    return match.group(1)


def test_two_machines_share_images_signed_links_and_a_campaign(
    postgres_databases, database_url, tmp_path
):
    # database_url only chooses the backend (--db); the machines get a database of their own.
    url = postgres_databases.create("opgavepost_machines")
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions() as db:
        create_user(db, ADMIN_EMAIL, ADMIN_PASSWORD, Role.ADMIN, "Beheerder")
        people = [
            Contact(email=f"lid{n:03d}@example.nl", name=f"Lid {n}", consent=Consent.GIVEN)
            for n in range(RECIPIENTS)
        ]
        db.add_all(people)
        db.flush()
        for person in people:
            subscribe_all(db, person, source="test")
        db.commit()

    try:
        with ExitStack() as stack:
            server = stack.enter_context(smtp_server_with(SlowSmtpHandler(delay=0.005)))
            mail = smtp_settings(server.port, MAIL_BATCH_SIZE="10", MAIL_LEASE_SECONDS="120")
            machines = {
                name: machine_environment(tmp_path, name, url, **mail) for name in ("een", "twee")
            }
            workers = [
                WorkerProcess(env, tmp_path / f"worker-{name}.log")
                for name, env in machines.items()
            ]
            for worker in workers:
                stack.callback(worker.kill)
            web_one, web_two = (
                stack.enter_context(web_process(env, tmp_path / f"web-{name}.log"))
                for name, env in machines.items()
            )
            for worker in workers:
                worker.wait_until_started()

            # One key for all four processes, generated once and kept in the database only.
            with sessions() as db:
                assert len(db.scalars(select(InstanceSecret)).all()) == 1
            for name in machines:
                assert not (tmp_path / name / "secret_key").exists()

            # A login at machine one holds at machine two: the session cookie's key is shared.
            browser = _logged_in(web_one)
            page = browser.get(f"{web_two}/media/upload", allow_redirects=False, timeout=10)
            assert page.status_code == 200, page.headers.get("Location")

            # An image uploaded at machine one is served by machine two, headers and all.
            data = _image()
            token = csrf_token_from(browser.get(f"{web_one}/media/upload", timeout=10).text)
            uploaded = browser.post(
                f"{web_one}/media/upload",
                data={"csrf_token": token},
                files={"file": ("foto.png", data, "image/png")},
                headers={"Accept": "application/json"},
                timeout=10,
            )
            assert uploaded.status_code == 201, uploaded.text
            path = uploaded.json()["url"].removeprefix("https://post.example.nl")
            assert path == f"/media/{hashlib.sha256(data).hexdigest()}.png"
            served = {
                base: requests.get(f"{base}{path}", timeout=10) for base in (web_one, web_two)
            }
            for answer in served.values():
                assert answer.status_code == 200
                assert answer.content == data
                assert answer.headers["Content-Type"] == "image/png"
                assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
                assert answer.headers["X-Content-Type-Options"] == "nosniff"
                assert "Set-Cookie" not in answer.headers
            # The same validator from either machine, so a cache asks again of either.
            assert served[web_one].headers["ETag"] == served[web_two].headers["ETag"]
            again = requests.get(
                f"{web_two}{path}",
                headers={"If-None-Match": served[web_one].headers["ETag"]},
                timeout=10,
            )
            assert again.status_code == 304
            for name in machines:
                assert not (tmp_path / name / "media").exists()
            with sessions() as db:
                assert db.get(MediaBlob, path.rsplit("/", 1)[1]).data == data

            # A campaign both workers share: every recipient gets exactly one message.
            with sessions() as db:
                campaign = make_campaign(db, preheader="")
                start(db, campaign)
                campaign_id = campaign.id

            def all_sent() -> bool:
                with sessions() as db:
                    statuses = db.scalars(
                        select(Delivery.status).where(Delivery.campaign_id == campaign_id)
                    ).all()
                return Counter(statuses)[DeliveryStatus.SENT] == RECIPIENTS

            wait_for(all_sent, 60, lambda: "\n".join(w.text() for w in workers))
            received = Counter(addresses_received(server.handler))
            assert sorted(received) == sorted(p.email for p in people), "somebody got none"
            assert [a for a, count in received.items() if count > 1] == []
            shares = [worker.handled() for worker in workers]
            assert sum(shares) == RECIPIENTS and all(shares), shares

            # An unsubscribe link a worker signed opens at either web machine; one click at
            # machine two unsubscribes.
            messages = {rcpts[0]: message for _from, rcpts, message in server.handler.messages}
            link = _unsubscribe_path(messages["lid007@example.nl"])
            assert requests.get(f"{web_one}{link}", timeout=10).status_code == 200
            assert requests.get(f"{web_two}{link}", timeout=10).status_code == 200
            clicked = requests.post(
                f"{web_two}{link}", data={"List-Unsubscribe": "One-Click"}, timeout=10
            )
            assert clicked.status_code == 200
            with sessions() as db:
                mailings = {
                    email: set(
                        db.scalars(
                            select(Subscription.mailing)
                            .join(Contact, Contact.id == Subscription.contact_id)
                            .where(Contact.email == email)
                        )
                    )
                    for email in ("lid007@example.nl", "lid008@example.nl")
                }
            # The recap's own mailing is left; the other mailings are kept.
            assert mailings["lid007@example.nl"] < mailings["lid008@example.nl"]
            assert len(mailings["lid008@example.nl"] - mailings["lid007@example.nl"]) == 1

            # A process started with another SECRET_KEY says so, and what to do about it.
            stray = run_command(
                [str(OPGAVEPOST), "worker", "--once"],
                machines["een"] | {"SECRET_KEY": "een-andere-sleutel-" + "x" * 30},
            )
            assert stray.returncode == 0, stray.stderr
            assert "signs with another SECRET_KEY than" in stray.stderr
            assert "Set the same SECRET_KEY" in stray.stderr
            with sessions() as db:
                roles = Counter(db.scalars(select(ProcessHeartbeat.role)))
            assert roles == Counter({"worker": 2, "web": 2})

            assert [worker.stop() for worker in workers] == [0, 0]
        # Every process that stopped took its row along: none counts as running any more.
        with sessions() as db:
            assert db.scalars(select(ProcessHeartbeat)).all() == []
    finally:
        engine.dispose()
