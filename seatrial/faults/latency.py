"""Latency distributions: fixed, uniform, lognormal with a cap."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from seatrial.scenario import Latency


def sampler(fault: Latency, rng: random.Random) -> Callable[[], float]:
    """A zero-argument function drawing one delay in seconds."""
    if fault.dist == "fixed":
        value = fault.value
        return lambda: value
    if fault.dist == "uniform":
        low, high = fault.low, fault.high
        return lambda: rng.uniform(low, high)
    mu, sigma = math.log(max(fault.median, 1e-6)), fault.sigma
    cap = fault.cap if fault.cap is not None else math.inf
    return lambda: min(rng.lognormvariate(mu, sigma), cap)
