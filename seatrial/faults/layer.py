"""FaultLayer: per call and per webhook delivery, what the network and the systems do to it.

What each fault does is its kind's `Effect` (`seatrial.faults.kinds`); the layer builds one per
fault of the scenario, with its random stream, and calls them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from seatrial.faults.base import Answer, CallPlan, Delivery, DeliveryPlan, Effect, Note
from seatrial.faults.kinds import KINDS
from seatrial.model.envelope import SYSTEMS, Event
from seatrial.simulators.dialect import dialect

if TYPE_CHECKING:
    from seatrial.scenario import Scenario

# Healthy networks are not instant: every call and delivery pays a small seeded delay.
BASELINE_API_LATENCY = (0.05, 0.3)
BASELINE_WEBHOOK_LATENCY = (0.2, 2.0)


def channel_of(fault: Any) -> str:
    """Where a fault acts: a webhook channel, a system's API, or the SUT itself."""
    if hasattr(fault, "channel"):
        return fault.channel
    return f"{fault.system}.api" if hasattr(fault, "system") else "sut"


def inert(scenario: Scenario) -> dict[Any, str]:
    """The scenario's faults on a system's API that its dialect's transport gives nothing to
    act on (`Fault.transports`), each with why: a `rate_limit` on a TMS speaking x12, whose
    mailbox answers no 429. The layer builds no effect for them; the others draw as always."""
    found: dict[Any, str] = {}
    for fault in scenario.faults:
        system = getattr(fault, "system", None)
        if system is None or channel_of(fault) != f"{system}.api":
            continue
        name = getattr(scenario.dialects, system)
        transport = dialect(system, name).transport
        if transport not in fault.transports:
            found[fault] = (f"a {fault.kind} fault acts over {', '.join(sorted(fault.transports))}"
                            f"; the {system} speaking {name} is reached over {transport}")
    return found


class FaultLayer:
    def __init__(self, scenario: Scenario, horizon: float,
                 seed_stream: Callable[[str], random.Random]) -> None:
        self.stream = seed_stream
        self._api_base = {s: seed_stream(f"baseline.{s}.api") for s in SYSTEMS}
        self._hook_base = {s: seed_stream(f"baseline.{s}.webhooks") for s in SYSTEMS}
        self.effects: list[Effect[Any]] = []  # one per fault, in the scenario's order
        self.by_channel: dict[str, list[Effect[Any]]] = {}
        self.inert = inert(scenario)
        for fault in scenario.faults:
            if fault in self.inert:
                continue
            channel = channel_of(fault)
            same = self.by_channel.setdefault(channel, [])
            # named by channel, kind and rank among its kind there: faults added elsewhere in
            # the scenario never shift this fault's draws
            ordinal = sum(e.fault.kind == fault.kind for e in same)
            stream = seed_stream(f"fault.{channel}.{fault.kind}.{ordinal}")
            effect = KINDS[fault.kind].effect(fault, horizon, stream)
            same.append(effect)
            self.effects.append(effect)
        # what takes a system down first: a call that never reaches it spends no rate-limit token
        for effects in self.by_channel.values():
            effects.sort(key=lambda e: not e.takes_system_down)
        self.outages = {s: [e for e in self.by_channel.get(f"{s}.api", ())
                            if e.takes_system_down] for s in SYSTEMS}
        # systems whose webhooks no fault ever touches: deliveries take the short path
        self._plain_hooks = {s for s in SYSTEMS
                             if not self.outages[s] and f"{s}.webhooks" not in self.by_channel}

    def _outage(self, system: str, now: float) -> Effect[Any] | None:
        for effect in self.outages[system]:
            if effect.active(now):
                return effect
        return None

    def outage_end(self, system: str, now: float) -> float | None:
        """If `system` is down at `now`, when it comes back."""
        outage = self._outage(system, now)
        return None if outage is None else outage.end

    def edge_failure(self, system: str, now: float) -> str | None:
        """Why a delivery attempt from `system` at `now` fails before it reaches the SUT (a
        fault's `on_attempt`), or None: it reaches it."""
        for effect in self.by_channel.get(f"{system}.webhooks", ()):
            if effect.active(now) and (failure := effect.on_attempt(now)) is not None:
                return failure
        return None

    def validation(self, now: float, through: Answer) -> tuple[int | None, str]:
        """A webhook registration's validation request at `now`, passed on by every fault on
        its way (`Effect.on_validation`, the last fault outermost) and then by `through`."""
        answer = through
        for effect in self.effects:
            answer = partial(effect.on_validation, now, answer)
        return answer()

    def plan_call(self, system: str, now: float) -> CallPlan:
        plan = CallPlan(self._api_base[system].uniform(*BASELINE_API_LATENCY))
        effects = self.by_channel.get(f"{system}.api")
        if not effects:
            return plan
        plan.notes = []
        for effect in effects:
            if effect.active(now):
                effect.on_call(plan, now)
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
        plan = DeliveryPlan(delay, event)
        outage = self._outage(system, now)
        if outage is not None:  # a system that is down sends nothing; its backlog follows
            plan.delay += outage.end - now
            plan.note({"fault": outage.fault.kind, "held_until": round(outage.end, 3)})
        for effect in self.by_channel.get(f"{system}.webhooks", ()):
            if effect.active(now):
                effect.on_delivery(plan)
        return plan.deliveries(), plan.notes
