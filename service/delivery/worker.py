"""Running the send loop: in `opgavepost worker` and in a thread of `opgavepost serve`.

`WorkerLoop` is the send loop that says in the log what it does, `SendThread` runs one in a
thread that can be stopped between rounds, `drain` sends what is due now and returns. The
loop itself (service/delivery/sendloop.py) knows nothing of processes, threads or signals.

Nothing here imports Flask: the callers hand over the settings and the session maker.
"""

from __future__ import annotations

import logging
import threading

from service.delivery.sendloop import SendLoop

log = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"


class WorkerLoop(SendLoop):
    """The send loop, with one log line for every round that handled deliveries."""

    handled = 0

    def run_once(self) -> int:
        """One round of the send loop; logs how many deliveries it handled."""
        done = super().run_once()
        if done:
            self.handled += done
            log.info("handled %d deliveries (%d since start)", done, self.handled)
        return done

    def describe(self) -> str:
        """One line on how this loop sends: transport, batch size and lease."""
        settings = self.settings
        return (
            f"transport {self.transport.name}, batch size {settings.batch_size}, "
            f"lease {int(settings.lease.total_seconds())} s"
        )


def drain(loop: SendLoop, stop: threading.Event) -> int:
    """Run rounds until nothing is due (or `stop` is set); returns how many were handled.

    Ends because every round moves what it claimed out of "due": sent, failed, retried later,
    or held back with its campaign (paused, relay waiting).
    """
    handled = 0
    try:
        while not stop.is_set():
            done = loop.run_once()
            if not done:
                break
            handled += done
    finally:
        loop.transport.close()
    return handled


class SendThread:
    """A send loop in a daemon thread; `stop` lets the round in flight finish first.

    With `once` it drains what is due and ends by itself, else it runs until stopped. An error
    that ends the thread is kept in `error` for whoever waits on it.
    """

    def __init__(self, loop: SendLoop, *, once: bool = False, name: str = "send-loop"):
        self.loop = loop
        self.once = once
        self.stop_event = threading.Event()
        self.handled = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> SendThread:
        """Start the thread; returns self."""
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            if self.once:
                self.handled = drain(self.loop, self.stop_event)
            else:
                self.loop.run(self.stop_event)
        except BaseException as exc:  # kept for the waiting thread, which reports it
            self.error = exc
            log.exception("the send loop stopped with an error")

    def request_stop(self) -> None:
        """Ask the loop to stop after the round in flight; returns at once."""
        self.stop_event.set()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop after the round in flight and wait for it; False if still running at `timeout`."""
        self.request_stop()
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def wait(self, poll: float = 0.2) -> None:
        """Wait for the thread to end, waking every `poll` seconds so signals are handled."""
        while self.thread.is_alive():
            self.thread.join(poll)
