"""A run's budget: an in-process SUT that never finishes ends the run with its handler named.

Two ways a handler can hold a run forever, and the bound on each:

- it yields at one simulated instant without end (`while True: yield io.sleep(0)`): more than
  `SPIN_LIMIT` steps of one handler without simulated time moving;
- it never yields at all (`while True: pass`), or the run as a whole does not end: the run's
  wall time is bounded (`WALL_BUDGET`), enforced with a SIGALRM timer that raises `Runaway`
  wherever Python is running, the spinning handler's own frame included.

`Runaway` is a BaseException so that a handler's `except Exception`, and the hosting code that
judges a handler's own errors, let it through; a handler that swallows it anyway meets it
again every second. Either way the run is not judged: the CLI exits 2 naming the handler.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SPIN_LIMIT = 10_000  # steps of one handler at one simulated instant; a real one takes < 20
WALL_BUDGET = 600.0  # wall seconds per in-process run; peak-day, the largest scenario, takes ~11
REPEAT = 1.0  # wall seconds between alarms once the budget is spent


class Runaway(BaseException):
    """An in-process SUT's handler that does not finish; `handler` names it once known."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why
        self.handler: str | None = None

    def blame(self, handler: str, where: str | None = None) -> None:
        """The first handler the exception passes through is the one that was running."""
        if self.handler is None:
            self.handler = handler if where is None else f"{handler} (at {where})"

    def __str__(self) -> str:
        if self.handler is None:
            return f"{self.why}; no handler of the sync implementation was running"
        return f"{self.why}: {self.handler} did not finish"


@contextmanager
def wall_budget(seconds: float) -> Iterator[None]:
    """Raise `Runaway` in whatever runs once `seconds` of wall time have passed, and every
    `REPEAT` seconds after. Only the main thread receives signals: elsewhere (a run started from
    a thread) only the spin limit holds."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(_signum: int, _frame: FrameType | None) -> None:
        raise Runaway(f"the run took more than its wall budget of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
