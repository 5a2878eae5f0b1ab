"""`forged`: someone else posts webhooks to the SUT, badly signed, for a real order.

The forger's message is made here; what it sends in a dialect is the dialect's to say
(`Dialect.forgeries`, which the webhook dispatcher applies to every forged delivery): its
signing shape, and for Onfleet, whose signature carries no time, `stale_timestamp` as a replay
of a genuine delivery an hour later rather than a message with an old timestamp."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from seatrial.faults.base import DeliveryPlan, Effect, Fault, Kind, derived
from seatrial.model.envelope import Event
from seatrial.scenario_fields import Probability, WebhookChannel

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class Forged(Fault):
    """Someone else posts webhooks to the SUT: a bad or missing signature, or a replayed
    (stale) timestamp, carrying a harmful payload for a real order."""

    #: a forger posts webhooks; the broker takes messages only from the gateway's login
    channels: ClassVar[frozenset[str]] = frozenset({"webhooks"})
    kind: Literal["forged"] = "forged"
    channel: WebhookChannel
    probability: Probability
    mode: Literal["bad_signature", "missing_signature", "stale_timestamp"] = "bad_signature"

    def lag(self) -> float:
        return 0.0  # forgeries are refused; the real events are untouched


def forged(event: Event) -> Event:
    """A harmful message for the same order: what an attacker would want the SUT to do."""
    if event.source == "erp":
        return derived(event, "forged", type="order.cancelled",
                       payload={"reason": "customer_request"})
    if event.source == "tms":
        return derived(event, "forged", type="shipment.charges_finalized", payload={
            "statement_id": f"ST-F{event.source_seq:06d}", "currency": "GBP", "total": 9999.0,
            "lines": [{"code": "LINEHAUL", "amount": 9999.0}]})
    return derived(event, "forged", type="task.updated", classifier="ACT", payload={
        "trigger": "taskCompleted", "state": 3, "worker": "driver-00",
        "completion_details": {"success": True, "attempt": 1,
                               "pod": {"signed_by": "recipient", "photo": "pod/forged.jpg"}}})


class ForgedEffect(Effect[Forged]):
    __slots__ = ()

    def on_delivery(self, plan: DeliveryPlan) -> None:
        if self.rng.random() < self.fault.probability:
            plan.inject(forged(plan.event), "forged", plan.delay, self.rng,
                        forgery=self.fault.mode)


def explore(space: Space) -> SearchStrategy[Forged]:
    from hypothesis import strategies as st

    return st.builds(Forged, channel=space.webhooks, probability=st.sampled_from((0.03, 0.001)),
                     mode=st.sampled_from(("bad_signature", "missing_signature",
                                           "stale_timestamp")))


def reached(fault: Forged, trace: Trace) -> bool:
    """A forgery, signed its mode's way, delivered to the SUT."""
    forgeries = trace.forgeries
    return any(forgeries.get(note.ref) == fault.mode for note in trace.notes(fault))


KIND = Kind(model=Forged, effect=ForgedEffect, explore=explore, reached=reached,
            listed=13, explored=12)
