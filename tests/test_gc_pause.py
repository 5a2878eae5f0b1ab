"""A live run keeps the cyclic collector's full collections out of its way
(seatrial.gc_pause.young_gc_only), and gives the collector back as it found it."""

from __future__ import annotations

import gc

from seatrial.gc_pause import young_gc_only


def _cycle() -> list:
    loop: list = []
    loop.append(loop)
    return loop


def test_young_collections_go_on_but_no_full_one_comes():
    before = gc.get_threshold()
    gc.collect()
    full, young = gc.get_stats()[2]["collections"], gc.get_stats()[0]["collections"]
    kept = []
    with young_gc_only():
        for _ in range(200_000):  # far past the default trigger of a full collection
            kept.append({"entry": [len(kept)]})  # what a ledger does: survives, grows
            _cycle()  # what an event loop leaves: garbage in a cycle
    assert gc.get_stats()[0]["collections"] > young  # the cycles were being freed
    assert gc.get_stats()[2]["collections"] == full  # the ledger was never rescanned
    assert gc.get_threshold() == before


def test_the_thresholds_come_back_when_the_run_fails():
    before = gc.get_threshold()
    try:
        with young_gc_only():
            raise RuntimeError("the run failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
