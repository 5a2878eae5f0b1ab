"""`thin_event_early`: an SAP business event (thin: the order's key, nothing else) arrives
before the order it points to is readable, as an event mesh can outrun the database replica
the API reads: reading the order answers 404 for a while. A SUT must try again later (fail
the delivery so it is redelivered, or retry the read), never take the 404 as "no such
order" and drop the event. Only the `sap-s4` ERP sends thin events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from seatrial.faults.base import DeliveryPlan, Effect, Fault, Kind, Systems
from seatrial.scenario_fields import MINUTE, Duration, Probability

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class ThinEventEarly(Fault):
    """While active, each ERP event is published, with `probability`, `readable_after`
    before its order can be read."""

    needs: ClassVar[tuple[str, str] | None] = ("erp", "sap-s4")
    kind: Literal["thin_event_early"] = "thin_event_early"
    channel: Literal["erp.webhooks"] = "erp.webhooks"
    probability: Probability = 1.0
    readable_after: Duration = Field(2 * MINUTE, gt=0, le=3600.0)


class ThinEventEarlyEffect(Effect[ThinEventEarly]):
    __slots__ = ("gateway",)

    def on_systems(self, systems: Systems) -> None:
        self.gateway: Any = systems.served("erp")

    def on_delivery(self, plan: DeliveryPlan) -> None:
        order_id = plan.event.order_id
        if order_id is None or self.rng.random() >= self.fault.probability:
            return
        until = self.gateway.erp.clock() + self.fault.readable_after
        self.gateway.hide(order_id, until)
        plan.note({"fault": "thin_event_early", "readable_at": round(until, 3)})


def explore(space: Space) -> SearchStrategy[ThinEventEarly]:
    from hypothesis import strategies as st

    return st.builds(ThinEventEarly, at=space.at, probability=space.some,
                     readable_after=st.sampled_from((2 * MINUTE, 30.0, 10 * MINUTE)))


def reached(fault: ThinEventEarly, trace: Trace) -> bool:
    """An event delivered before its order was readable."""
    return any(trace.notes(fault))


KIND = Kind(model=ThinEventEarly, effect=ThinEventEarlyEffect, explore=explore,
            reached=reached, listed=18, explored=18)
