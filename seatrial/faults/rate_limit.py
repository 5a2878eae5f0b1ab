"""Token bucket as API gateways run it: refill `rate` per second up to `burst`, 429 when empty."""

from __future__ import annotations

import math


class TokenBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.updated = 0.0

    def take(self, now: float) -> float | None:
        """None if the request may pass, else the Retry-After in whole seconds."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return float(max(1, math.ceil((1.0 - self.tokens) / self.rate)))
