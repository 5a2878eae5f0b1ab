"""Keeping the cyclic garbage collector's full collections out of a run's way."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: A full collection's trigger (gen1 collections between full ones) high enough that none
#: comes while it is set.
NEVER = 2**31 - 1


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause cyclic garbage collection: a run allocates a large, only-growing history (the
    ledger) and leaves no cycles behind, so full collections would rescan it over and over
    for nothing (about a third of the run time)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@contextmanager
def young_gc_only() -> Iterator[None]:
    """Collect only the young generations while a live run plays.

    A live run cannot pause collection altogether: its event loop and HTTP clients leave
    short-lived reference cycles (futures, exceptions with tracebacks) by the thousand, and
    the young collections free them. But a full collection rescans the ledger too, and that
    grows all run long: measured on long-day at 3600x (seed 1, `seatrial sut reference`), 17
    full collections of 53 to 399 wall ms, one every 3 s, each a stall of the harness that a
    live verdict charges to the SUT's simulated time (at 3600x, 399 ms is 24 simulated
    minutes). What survives to the old generation stays until the run ends (a run is
    bounded; its ledger is kept anyway)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], NEVER)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
