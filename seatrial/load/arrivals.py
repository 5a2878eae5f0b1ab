"""The open model's clock: when each arrival is due, whether or not the last one finished.

Locust users are a closed model (a user waits for its answer before the next request), so a
slow system throttles its own load and hides its latency (coordinated omission). Here arrivals
are a Poisson process at the profile's rate; an arrival that finds the in-flight cap full is
dropped and counted, and latency runs from the intended start, not from when it was sent.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator


def arrival_times(rng: random.Random, rate_at: Callable[[float], float], peak: float,
                  end: float, share: float = 1.0) -> Iterator[float]:
    """Intended start times (seconds from the start, before `end`) of a Poisson process whose
    rate at time t is `rate_at(t) * share`, by thinning a homogeneous one at `peak * share`
    (`peak` >= every rate_at). Drivers whose shares sum to 1 together make one Poisson process
    at the full rate."""
    top = peak * share
    if top <= 0:
        return
    t = rng.expovariate(top)
    while t < end:
        if rng.random() * top < rate_at(t) * share:
            yield t
        t += rng.expovariate(top)


class InFlight:
    """The in-flight cap and the count of arrivals it turned away."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.open = 0
        self.dropped = 0

    def admit(self) -> bool:
        if self.open >= self.cap:
            self.dropped += 1
            return False
        self.open += 1
        return True

    def done(self) -> None:
        self.open -= 1
