"""The world's SimPy clock driven in scaled real time on the asyncio loop.

Simulated time is a function of the wall clock (`scale` simulated seconds per wall second).
Every entry from the outside (an API request, a webhook's answer) first calls `sync()`, so it
lands at the right simulated instant; `drive()` plays out the scheduled events between entries.
"""

from __future__ import annotations

import asyncio
import time

import simpy

MAX_NAP = 0.05  # wall seconds: how late a scheduled event may be played, at worst


class LiveClock:
    def __init__(self, env: simpy.Environment, scale: float) -> None:
        self.env = env
        self.scale = scale
        self.origin = time.monotonic()

    def start(self) -> None:
        """Simulated time `env.now` is now."""
        self.origin = time.monotonic() - self.env.now / self.scale

    def sim_now(self) -> float:
        return (time.monotonic() - self.origin) * self.scale

    def sync(self) -> float:
        """Play every event due by now; returns the simulated time."""
        env, target = self.env, self.sim_now()
        while env.peek() <= target:
            env.step()
        if target > env.now:
            # SimPy's only public way to move the clock, run(until=...), leaves a marker event
            # behind at `until`, which would make every quiescence check see work due now
            env._now = target
        return env.now

    def wall_seconds(self, sim_seconds: float) -> float:
        return sim_seconds / self.scale

    async def drive(self, until: float) -> None:
        """Keep the world moving until simulated time `until` (or cancellation)."""
        env = self.env
        while self.sync() < until:
            due = min(env.peek(), until)
            await asyncio.sleep(min(max(0.0, (due - self.sim_now()) / self.scale), MAX_NAP))
