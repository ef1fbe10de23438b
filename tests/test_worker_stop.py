"""A stopping send loop gives back what it has not sent, instead of pacing through its batch."""

import threading
import time

from tests.builders import make_campaign
from tests.mail_helpers import smtp_loop, start
from tests.test_worker import _people


def test_stop_is_honoured_between_chunks_of_a_paced_round(app, db, smtp_server):
    _people(db, 20)
    campaign = make_campaign(db, preheader="")
    start(db, campaign)
    loop = smtp_loop(app, smtp_server, batch_size=20, per_second=2)  # chunks of 2, one a second
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
