"""The retry policy: how long a message or a relay is left alone before the next try, and when
trying stops.

- A message that failed for now (a 4xx, a dropped connection) waits 1, 2, 4, ... minutes, at most
  4 hours, give or take a tenth so that the retries of many messages spread out.
- A relay that is down, or that asked us to slow down, is asked again after its Retry-After, else
  after 30 s, 1, 2, ... minutes, at most 30 minutes; a relay that refused our credentials after
  30 minutes (a person has to mend them).
- Nothing is tried after MAIL_RETRY_DAYS from the moment the message was queued: then it fails,
  with the last reason.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

MESSAGE_RETRY_FIRST = timedelta(minutes=1)
MESSAGE_RETRY_MAX = timedelta(hours=4)
RELAY_RETRY_FIRST = timedelta(seconds=30)
RELAY_RETRY_MAX = timedelta(minutes=30)


def message_wait(attempts: int) -> timedelta:
    """How long a message waits after its `attempts`-th failed try (1 for the first)."""
    wait = min(MESSAGE_RETRY_FIRST * 2 ** (attempts - 1), MESSAGE_RETRY_MAX)
    return wait * random.uniform(0.9, 1.1)


def relay_wait(streak: int, retry_after: float | None = None) -> timedelta:
    """How long to leave a relay alone after `streak` failures in a row, or as it asked."""
    if retry_after is not None:
        return timedelta(seconds=retry_after)
    return min(RELAY_RETRY_FIRST * 2 ** max(0, streak - 1), RELAY_RETRY_MAX)


def held_back_wait(refused_credentials: bool, retry_after: float | None) -> timedelta:
    """How long messages the relay never tried (it was down or refused us) wait."""
    return RELAY_RETRY_MAX if refused_credentials else relay_wait(1, retry_after)


def gives_up(queued_at: datetime, next_try: datetime, deadline: timedelta) -> bool:
    """Whether a next try at `next_try` would be past the retry deadline of a message."""
    return next_try > queued_at + deadline
