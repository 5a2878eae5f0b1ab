"""The world's SimPy clock driven in scaled real time on the asyncio loop.

Simulated time is a function of the wall clock (`scale` simulated seconds per wall second).
Every entry from the outside (an API request, a webhook's answer) calls `sync()` first, so it
lands at the right simulated instant, and `kick()` after, so whatever it scheduled is played on
time: a timer always stands for the next scheduled event.

While a SUT Seatrial started boots again after a crash fault, simulated time is held (`hold`,
`release`): in virtual time a restart is instant, and at 900x a 1.5 s boot would otherwise be 22
simulated minutes of deliveries failing against a SUT that, running for real, is back in seconds.
The boot is charged at its real length instead.

The clock also notes its own lag (`seatrial.lag`): how late each batch of due events was played,
and how late a short sleep of the loop woke (`watch`), so a verdict can tell the SUT's slowness
from the harness's.
"""

from __future__ import annotations

import asyncio
import math
import time

import simpy

from seatrial.lag import HarnessLag

MAX_NAP = 0.5  # wall seconds between checks when nothing is scheduled sooner
# Events due within this many wall seconds are played now, as asyncio itself runs timers due
# within its clock resolution: a simulated API latency far below a wall millisecond then costs
# no timer and no extra trip round the event loop.
LOOKAHEAD = 0.001
#: wall seconds between the loop watch's wake-ups: how finely a stalled loop is seen
WATCH_EVERY = 0.01


class LiveClock:
    def __init__(self, env: simpy.Environment, scale: float) -> None:
        self.env = env
        self.scale = scale
        self.scale_text = f"{scale:g}".encode()  # as the x-seatrial-time-scale header says it
        self.origin = time.monotonic()  # asyncio's loop.time() is time.monotonic() too
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf
        self._held: float | None = None  # the simulated time it stands at while held
        self._stopped = False
        self.lag = HarnessLag(scale)

    def start(self) -> None:
        """Simulated time `env.now` is now."""
        self.origin = time.monotonic() - self.env.now / self.scale

    def sim_now(self) -> float:
        if self._held is not None:
            return self._held
        return (time.monotonic() - self.origin) * self.scale

    def hold(self) -> None:
        """Stop simulated time where it is now; what is due by then is still played."""
        self._held = self.sim_now()

    def release(self, advance: float) -> None:
        """Let simulated time run again from where `hold` stopped it, `advance` simulated
        seconds later."""
        if self._held is None:
            return
        self.origin = time.monotonic() - (self._held + advance) / self.scale
        self._held = None
        self.kick()

    def sync(self) -> float:
        """Play every event due by now; returns the simulated time."""
        env, target = self.env, self.sim_now()
        horizon = target + LOOKAHEAD * self.scale
        due = env.peek()
        if due < target:  # the earliest of the batch is the latest played
            self.lag.note(due, target - due)
        while env.peek() <= horizon:
            env.step()
        if target > env.now:
            # SimPy's only public way to move the clock, run(until=...), leaves a marker event
            # behind at `until`, which would make every quiescence check see work due now
            env._now = target
        return env.now

    def wall_seconds(self, sim_seconds: float) -> float:
        return sim_seconds / self.scale

    def stop(self) -> None:
        """No timer from now on: the stack is stopped (its folders gone), and a late request
        of its own (one answered while its servers shut down) must not set the world going
        again."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer, self._timer_at = None, math.inf

    def kick(self) -> None:
        """Play what is due and set the timer for the next scheduled event."""
        if self._stopped:
            return
        self.sync()
        at = time.monotonic() + MAX_NAP
        if self._held is None:  # held, nothing is due before `release` kicks again
            at = min(self.origin + self.env.peek() / self.scale, at)
        if self._timer is not None:
            if at >= self._timer_at:
                return  # the standing timer comes first anyway
            self._timer.cancel()
        self._timer_at = at
        self._timer = asyncio.get_running_loop().call_at(at, self._fire)

    def _fire(self) -> None:
        self._timer, self._timer_at = None, math.inf
        self.kick()

    async def drive(self, until: float) -> None:
        """Keep the world moving until simulated time `until` (or cancellation)."""
        watch = asyncio.create_task(self.watch())
        try:
            self.kick()
            while self.env.now < until:
                await asyncio.sleep(MAX_NAP)
                self.kick()
        finally:
            watch.cancel()
            if self._timer is not None:
                self._timer.cancel()
                self._timer, self._timer_at = None, math.inf

    async def watch(self) -> None:
        """Note how late the loop wakes from a short sleep: while it is late, nothing the harness
        serves (a request, a timer) is read on time, whether or not an event was due."""
        while True:
            asleep = time.monotonic()
            await asyncio.sleep(WATCH_EVERY)
            late = time.monotonic() - asleep - WATCH_EVERY
            if late > 0:
                self.lag.note(self.sim_now() - late * self.scale, late * self.scale)
