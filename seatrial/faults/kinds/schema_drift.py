"""`schema_drift`: the source moves to its next payload schema, or sends codes no vocabulary
lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from seatrial.faults.base import DeliveryPlan, Effect, Fault, Kind, derived
from seatrial.model.envelope import Event
from seatrial.scenario_fields import Probability, WebhookChannel
from seatrial.simulators.events import CODE_FIELDS, parse
from seatrial.simulators.payload import RETRACTION

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class SchemaDrift(Fault):
    """`v2`: the source switches to its next payload schema (schema_version 2.0, reshaped
    payload) for every event in the window. `unknown_code`: extra events carry a status code
    or trigger no vocabulary lists."""

    kind: Literal["schema_drift"] = "schema_drift"
    channel: WebhookChannel
    mode: Literal["v2", "unknown_code"] = "v2"
    probability: Probability = 1.0

    def lag(self) -> float:
        return 0.0  # reshaped, not held


def to_v2(event: Event) -> Event:
    """Schema 2.0: the same facts, reshaped as its type says (`payload_v2` in
    simulators/<system>/events.py); what a retraction adds stays at the top level."""
    payload = event.payload
    shaped = parse(event).payload_v2()
    for kept in RETRACTION:
        if kept in payload:
            shaped[kept] = payload[kept]
    return event._replace(schema_version="2.0", payload=shaped)


#: The code each source's vocabulary does not list, sent in its code field (CODE_FIELDS).
UNKNOWN_CODES = {"tms": "ZZ", "lastmile": "taskTeleported", "erp": "unknown_reason_code"}


def unknown_code(event: Event) -> Event:
    field = CODE_FIELDS[event.source]
    return derived(event, "drift", payload={**event.payload, field: UNKNOWN_CODES[event.source]})


class SchemaDriftEffect(Effect[SchemaDrift]):
    __slots__ = ()

    def on_delivery(self, plan: DeliveryPlan) -> None:
        if self.rng.random() >= self.fault.probability:
            return
        if self.fault.mode == "unknown_code":
            plan.inject(unknown_code(plan.event), "schema_drift", plan.delay, self.rng)
        elif plan.event.schema_version != "2.0":  # two overlapping drifts: still 2.0
            plan.event = to_v2(plan.event)
            plan.note({"fault": "schema_drift", "mode": "v2"})


def explore(space: Space) -> SearchStrategy[SchemaDrift]:
    from hypothesis import strategies as st

    return st.builds(SchemaDrift, channel=space.webhooks, at=space.at,
                     mode=st.sampled_from(("unknown_code", "v2")), probability=space.some)


def reached(fault: SchemaDrift, trace: Trace) -> bool:
    """A delivered event it reshaped to schema 2.0 (`v2`), or a message with an unknown code
    it made (`unknown_code`: the note names the event it was made `of`)."""
    if fault.mode == "v2":
        return any(note.data.get("mode") == "v2" for note in trace.notes(fault))
    return any("of" in note.data for note in trace.notes(fault))


KIND = Kind(model=SchemaDrift, effect=SchemaDriftEffect, explore=explore, reached=reached,
            listed=10, explored=9)
