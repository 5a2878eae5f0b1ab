"""The warm-up behind `--time-scale auto`: a short live run, thrown away, that times the SUT.

It plays the scenario's workload without its faults (an outage or a crash would time the
fault, not the SUT) at a slow pace (seatrial.live.pace.warmup_scale) until it has seen
`DELIVERIES` answered deliveries or `WALL` wall seconds have passed, whichever comes first,
and notes each delivery's round trip (RemoteSut.cost), each order's wall time from release to
shipment, the API calls made, leaving out the first `COLD` of each, and, when Seatrial started
the SUT, the CPU time its processes used and how long they waited for a core while others ran
(`seatrial.live.cores`). The judged run then
starts afresh at the chosen pace (a new SUT process for --target-cmd, a new configure for
--target: a new run either way), so it is an ordinary run at one pace: a SUT that reads
SEATRIAL_TIME_SCALE once is right throughout.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import TYPE_CHECKING

from seatrial.live.cores import read, sut_processes
from seatrial.live.pace import Warmup
from seatrial.world import World

if TYPE_CHECKING:
    from seatrial.live.runner import LiveSession

DELIVERIES = 100  # enough for a p99 that is not just the slowest one
#: The first deliveries and orders are left out: they pay for what a run pays once (tokens,
#: connections, a cold interpreter: the reference's first order took 58 ms, the rest 6 to 25),
#: one sample among hundreds in the judged run's p95, but the p99 of a warm-up's hundred.
COLD = 5
WALL = 4.0  # wall seconds at most, however few deliveries came
POLL = 0.05


async def measure(session: LiveSession, scale: float) -> Warmup:
    """Drive the session's world (its clock started here) until enough was seen; the figures."""
    world, clock, remote = session.world, session.stack.clock, session.remote
    sut = sut_processes(remote.process)
    before = None if sut is None else read(sut)
    clock.start()
    started = time.monotonic()
    driver = asyncio.create_task(clock.drive(world.horizon))
    try:
        while (not driver.done() and len(remote.cost.per_delivery) < DELIVERIES
               and time.monotonic() - started < WALL):
            await asyncio.sleep(POLL)
    finally:
        driver.cancel()
        await asyncio.gather(driver, return_exceptions=True)
    end = clock.sync()
    after = None if sut is None else read(sut)
    totals = [*remote.cost.per_delivery, remote.cost.spent]
    trips = [b - a for a, b in itertools.pairwise(totals)]
    return Warmup(scale, time.monotonic() - started, tuple(trips[COLD:]),
                  tuple(seconds / scale for seconds in _order_to_shipment(world, end)[COLD:]),
                  sum(1 for entry in world.ledger.entries if entry.kind == "request"),
                  None if after is None else after.cpu - before.cpu,
                  0.0 if after is None else after.waited_for_others(before))


def _order_to_shipment(world: World, end: float) -> list[float]:
    """Simulated seconds from each order's release to its first shipment, or to `end`, in
    the order of release."""
    tms = world.tms
    found = []
    for order in sorted(world.erp.orders.values(), key=lambda order: order.released_at):
        shipments = [tms.shipments[sid] for sid in tms.by_order.get(order.id, ())]
        done = min((s.created_at for s in shipments), default=end)
        found.append(max(0.0, done - order.released_at))
    return found
