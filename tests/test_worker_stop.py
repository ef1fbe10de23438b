"""A stopping send loop gives back what it has not sent, instead of pacing through its batch."""

import threading
import time

from service.delivery.queue import start_sending
from service.delivery.sendloop import SendLoop, SendSettings
from service.mail.smtp import SmtpTransport
from service.settings import settings_of
from tests.test_worker import _campaign, _people


def test_stop_is_honoured_between_chunks_of_a_paced_round(app, db, smtp_server):
    _people(db, 20)
    campaign = _campaign(db)
    start_sending(db, campaign, actor=None)
    db.commit()
    loop = SendLoop(
        app.extensions["db_sessionmaker"],
        SmtpTransport("127.0.0.1", smtp_server.port, timeout=5),
        settings_of(app),
        settings=SendSettings(batch_size=20, per_second=2),  # chunks of 2, one a second
    )
    stop = threading.Event()
    runner = threading.Thread(target=loop.run, args=(stop,))
    runner.start()
    while not smtp_server.handler.messages:
        time.sleep(0.01)
    stopped_at = time.monotonic()
    stop.set()
    runner.join(30)
    # A platform gives ~10-30 s after SIGTERM; this round alone takes 10 s of pacing.
    assert time.monotonic() - stopped_at < 3
    # What was not sent is back in the queue at once, untried, for the next worker.
    from sqlalchemy import select

    from service.models import Delivery, DeliveryStatus

    db.expire_all()
    rows = db.scalars(select(Delivery).where(Delivery.campaign_id == campaign.id)).all()
    waiting = [d for d in rows if d.status == DeliveryStatus.QUEUED]
    assert waiting and all(d.claim == "" and d.attempts == 0 for d in waiting)
    assert len(rows) - len(waiting) == len(smtp_server.handler.messages)
