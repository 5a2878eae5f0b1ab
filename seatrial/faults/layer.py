"""FaultLayer: per call and per webhook delivery, what the network and the systems do to it."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seatrial.faults.latency import sampler
from seatrial.faults.rate_limit import TokenBucket
from seatrial.scenario import (
    Duplicate,
    LostResponse,
    Outage,
    RateLimit,
    Reorder,
    Scenario,
)
from seatrial.scenario import Latency as LatencyFault

SYSTEMS = ("erp", "tms", "lastmile")
# Healthy networks are not instant: every call and delivery pays a small seeded delay.
BASELINE_API_LATENCY = (0.05, 0.3)
BASELINE_WEBHOOK_LATENCY = (0.2, 2.0)


@dataclass(slots=True)
class CallPlan:
    latency: float
    outage: str | None = None        # http_503 / hang / refused
    retry_after: float | None = None  # set when the rate limit answers 429
    lost: bool = False
    notes: list[dict[str, Any]] | None = None  # faults applied, for the ledger


class _Windowed:
    """A fault with its active span and its own random stream."""

    __slots__ = ("end", "fault", "rng", "sample", "start", "state")

    def __init__(self, fault: Any, horizon: float, rng: random.Random) -> None:
        self.fault = fault
        self.start, self.end = fault.span(horizon)
        self.rng = rng
        self.sample = sampler(fault, rng) if isinstance(fault, LatencyFault) else None
        self.state = TokenBucket(fault.rate, fault.burst) if isinstance(fault, RateLimit) else None

    def active(self, now: float) -> bool:
        return self.start <= now < self.end


class FaultLayer:
    def __init__(self, scenario: Scenario, horizon: float,
                 seed_stream: Callable[[str], random.Random]) -> None:
        self._api_base = {s: seed_stream(f"baseline.{s}.api") for s in SYSTEMS}
        self._hook_base = {s: seed_stream(f"baseline.{s}.webhooks") for s in SYSTEMS}
        self.by_channel: dict[str, list[_Windowed]] = {}
        for fault in scenario.faults:
            channel = getattr(fault, "channel", None) or f"{fault.system}.api"
            same = self.by_channel.setdefault(channel, [])
            # named by channel, kind and rank among its kind there: faults added elsewhere in
            # the scenario never shift this fault's draws
            ordinal = sum(w.fault.kind == fault.kind for w in same)
            stream = seed_stream(f"fault.{channel}.{fault.kind}.{ordinal}")
            same.append(_Windowed(fault, horizon, stream))
        # outages first: a call that never reaches the system spends no rate-limit token
        for faults in self.by_channel.values():
            faults.sort(key=lambda w: not isinstance(w.fault, Outage))
        self.outages = {s: [w for w in self.by_channel.get(f"{s}.api", ())
                            if isinstance(w.fault, Outage)] for s in SYSTEMS}
        # systems whose webhooks no fault ever touches: deliveries take the short path
        self._plain_hooks = {s for s in SYSTEMS
                             if not self.outages[s] and f"{s}.webhooks" not in self.by_channel}

    def outage_end(self, system: str, now: float) -> float | None:
        """If `system` is down at `now`, when it comes back."""
        for windowed in self.outages[system]:
            if windowed.active(now):
                return windowed.end
        return None

    def plan_call(self, system: str, now: float) -> CallPlan:
        plan = CallPlan(self._api_base[system].uniform(*BASELINE_API_LATENCY))
        faults = self.by_channel.get(f"{system}.api")
        if not faults:
            return plan
        plan.notes = []
        for w in faults:
            if not w.active(now):
                continue
            fault = w.fault
            if isinstance(fault, Outage):
                plan.outage = fault.mode
                plan.notes.append({"fault": "outage", "mode": fault.mode})
            elif isinstance(fault, RateLimit) and plan.outage is None:
                retry_after = w.state.take(now)
                if retry_after is not None:
                    plan.retry_after = retry_after
                    plan.notes.append({"fault": "rate_limit", "retry_after": retry_after})
            elif isinstance(fault, LatencyFault):
                extra = w.sample()
                plan.latency += extra
                plan.notes.append({"fault": "latency", "added": round(extra, 3)})
            elif isinstance(fault, LostResponse) and w.rng.random() < fault.probability:
                plan.lost = True
        if plan.lost and (plan.outage or plan.retry_after):
            plan.lost = False  # nothing was committed, so nothing can be lost
        return plan

    def plan_delivery(self, system: str, now: float) -> tuple[list[float], list[dict[str, Any]]]:
        """Delays (one per copy) for a webhook published now, and the faults applied."""
        delay = self._hook_base[system].uniform(*BASELINE_WEBHOOK_LATENCY)
        if system in self._plain_hooks:
            return [delay], []
        notes: list[dict[str, Any]] = []
        back = self.outage_end(system, now)
        if back is not None:
            delay += back - now  # a system that is down sends nothing; its backlog follows
            notes.append({"fault": "outage", "held_until": round(back, 3)})
        copies: list[float] = []
        for w in self.by_channel.get(f"{system}.webhooks", ()):
            if not w.active(now):
                continue
            fault = w.fault
            if isinstance(fault, LatencyFault):
                delay += w.sample()
            elif isinstance(fault, Reorder) and w.rng.random() < fault.probability:
                held = w.rng.uniform(0.0, fault.window)
                delay += held
                notes.append({"fault": "reorder", "held": round(held, 3)})
            elif isinstance(fault, Duplicate) and w.rng.random() < fault.probability:
                extra = w.rng.randint(*fault.copies) - 1
                copies.extend(w.rng.uniform(0.0, fault.within) for _ in range(extra))
                notes.append({"fault": "duplicate", "copies": extra + 1})
        return [delay, *(delay + gap for gap in copies)], notes
