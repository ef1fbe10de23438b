"""How a long-running command (the worker, the scheduler) hears that it should stop.

SIGTERM (a process manager, `docker stop`) and SIGINT (Ctrl+C) both ask for a clean stop. Nothing
here imports Flask.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stopping_on_signals(
    stop: Callable[[], None], *, log: logging.Logger, after: str
) -> Iterator[None]:
    """Inside, SIGTERM and SIGINT log "<SIGNAL>: stopping after <after>" and call `stop`.

    The handlers in place before come back on leaving, so a test or a second command in the same
    process is not left with ours.
    """

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("%s: stopping after %s", signal.Signals(signum).name, after)
        stop()

    previous = {number: signal.signal(number, handle) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
