"""FaultLayer: per call and per webhook delivery, what the network and the systems do to it."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from seatrial.faults import payloads
from seatrial.faults.latency import sampler
from seatrial.faults.rate_limit import TokenBucket
from seatrial.model.envelope import Event
from seatrial.scenario import (
    ClockSkew,
    Duplicate,
    Forged,
    LostResponse,
    Outage,
    Poison,
    RateLimit,
    Reorder,
    Retraction,
    Scenario,
    SchemaDrift,
)
from seatrial.scenario import Latency as LatencyFault

SYSTEMS = ("erp", "tms", "lastmile")
# Healthy networks are not instant: every call and delivery pays a small seeded delay.
BASELINE_API_LATENCY = (0.05, 0.3)
BASELINE_WEBHOOK_LATENCY = (0.2, 2.0)


RETRACTABLE = ("shipment.status", "task.updated")
Note = tuple[str, dict[str, Any]]  # (event id, what a fault did): one ledger entry each


class Delivery(NamedTuple):
    delay: float
    event: Event
    forgery: str | None = None  # how a forged delivery is (mis)signed


@dataclass(slots=True)
class CallPlan:
    latency: float
    outage: str | None = None        # http_503 / hang / refused
    retry_after: float | None = None  # set when the rate limit answers 429
    lost: bool = False
    notes: list[dict[str, Any]] | None = None  # faults applied, for the ledger


def channel_of(fault: Any) -> str:
    """Where a fault acts: a webhook channel, a system's API, or the SUT itself."""
    if hasattr(fault, "channel"):
        return fault.channel
    return f"{fault.system}.api" if hasattr(fault, "system") else "sut"


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
        self.stream = seed_stream
        self._api_base = {s: seed_stream(f"baseline.{s}.api") for s in SYSTEMS}
        self._hook_base = {s: seed_stream(f"baseline.{s}.webhooks") for s in SYSTEMS}
        self.by_channel: dict[str, list[_Windowed]] = {}
        for fault in scenario.faults:
            channel = channel_of(fault)
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

    def plan_delivery(self, event: Event, now: float) -> tuple[list[Delivery], list[Note]]:
        """The deliveries a webhook published now turns into (the real one, late or skewed or
        reshaped, its duplicates, and what faults inject beside it), and notes for the ledger."""
        system = event.source
        delay = self._hook_base[system].uniform(*BASELINE_WEBHOOK_LATENCY)
        if system in self._plain_hooks:
            return [Delivery(delay, event)], []
        notes: list[Note] = []
        back = self.outage_end(system, now)
        if back is not None:
            delay += back - now  # a system that is down sends nothing; its backlog follows
            notes.append((event.event_id, {"fault": "outage", "held_until": round(back, 3)}))
        copies: list[float] = []
        extra: list[Delivery] = []
        for w in self.by_channel.get(f"{system}.webhooks", ()):
            if not w.active(now):
                continue
            fault, draw = w.fault, w.rng.random
            if isinstance(fault, LatencyFault):
                delay += w.sample()
            elif isinstance(fault, Reorder) and draw() < fault.probability:
                held = w.rng.uniform(0.0, fault.window)
                delay += held
                notes.append((event.event_id, {"fault": "reorder", "held": round(held, 3)}))
            elif isinstance(fault, Duplicate) and draw() < fault.probability:
                more = w.rng.randint(*fault.copies) - 1
                copies.extend(w.rng.uniform(0.0, fault.within) for _ in range(more))
                notes.append((event.event_id, {"fault": "duplicate", "copies": more + 1}))
            elif isinstance(fault, ClockSkew) and draw() < fault.probability:
                event = payloads.skewed(event, fault.mode, w.rng, fault.skew)
                notes.append((event.event_id, {"fault": "clock_skew", "mode": fault.mode,
                                               "event_time": event.event_time.isoformat()}))
            elif isinstance(fault, SchemaDrift) and draw() < fault.probability:
                if fault.mode == "v2":
                    if event.schema_version != "2.0":  # two overlapping drifts: still 2.0
                        event = payloads.to_v2(event)
                        notes.append((event.event_id, {"fault": "schema_drift", "mode": "v2"}))
                else:
                    extra.append(self._inject(payloads.unknown_code(event), "schema_drift",
                                              delay, w.rng, notes, event))
            elif isinstance(fault, Poison) and draw() < fault.probability:
                extra.append(self._inject(payloads.poison(event, w.rng), "poison", delay,
                                          w.rng, notes, event))
            elif isinstance(fault, Forged) and draw() < fault.probability:
                forgery = self._inject(payloads.forged(event), "forged", delay, w.rng, notes,
                                       event)
                extra.append(forgery._replace(forgery=fault.mode))
            elif (isinstance(fault, Retraction) and event.classifier == "ACT"
                  and event.type in RETRACTABLE and draw() < fault.probability):
                retract, reissue = payloads.retraction(event)
                later = delay + w.rng.uniform(120.0, 600.0)
                extra.append(self._inject(retract, "retraction", later, w.rng, notes, event))
                extra.append(self._inject(reissue, "reissue", later + 60.0, w.rng, notes, event))
        deliveries = [Delivery(delay, event)]
        deliveries.extend(Delivery(delay + gap, event) for gap in copies)
        deliveries.extend(extra)
        return deliveries, notes

    @staticmethod
    def _inject(made: Event, kind: str, delay: float, rng: random.Random, notes: list[Note],
                original: Event) -> Delivery:
        notes.append((made.event_id, {"fault": kind, "of": original.event_id, "type": made.type,
                                      "code": made.payload.get("status_code")
                                      or made.payload.get("trigger")}))
        return Delivery(delay + rng.uniform(0.0, 30.0), made)
