"""Builds event envelopes for one source system (ids, sequence numbers, timestamps), and the
registry of every system's event types (each defined once, in simulators/<system>/events.py).

The cores import `EventSource` for type checking only: this module imports their event types,
so a runtime import back would tie the systems' packages into a cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from seatrial.model.envelope import SCHEMA_VERSION, Event, to_datetime
from seatrial.simulators.erp import events as erp
from seatrial.simulators.lastmile import events as lastmile
from seatrial.simulators.payload import SCHEMAS as SHARED_SCHEMAS
from seatrial.simulators.tms import events as tms

Sink = Callable[[Event], None]


class TypedEvent(Protocol):
    """One event type's payload: what every class in simulators/<system>/events.py offers."""

    TYPE: ClassVar[str]
    SCHEMA: ClassVar[str]     # the component schema of its payload (schema 1.0)
    SCHEMA_V2: ClassVar[str]  # ... and of its schema 2.0 payload

    def payload(self) -> dict[str, Any]:
        """The payload as the source publishes it."""

    def payload_v2(self) -> dict[str, Any]:
        """The same facts in the source's next schema (2.0)."""

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> TypedEvent:
        """A recorded payload; ValueError names the field missing or bad."""


#: Each source's module of event types.
MODULES = {"erp": erp, "tms": tms, "lastmile": lastmile}
#: Each source's event types, in the order the systems and their modules list them.
BY_SOURCE: dict[str, tuple[type[TypedEvent], ...]] = {
    source: module.EVENTS for source, module in MODULES.items()}
#: Event type -> its class.
EVENTS: dict[str, type[TypedEvent]] = {
    cls.TYPE: cls for types in BY_SOURCE.values() for cls in types}
#: Event type -> the source that publishes it.
SOURCES = {cls.TYPE: source for source, types in BY_SOURCE.items() for cls in types}
#: The JSON Schemas of the payloads, schema 1.0 and 2.0, and of what they alone refer to, by
#: component name (the SUT's OpenAPI document lists them).
SCHEMAS = {name: schema
           for schemas in [*(module.SCHEMAS for module in MODULES.values()), SHARED_SCHEMAS]
           for name, schema in schemas.items()}
#: The field holding each source's own vocabulary code (unknown to that vocabulary in the
#: `schema_drift` fault's unknown_code mode).
CODE_FIELDS = {"erp": erp.OrderCancelled.CODE, "tms": tms.ShipmentStatus.CODE,
               "lastmile": lastmile.TaskUpdated.CODE}


def parse(event: Event) -> TypedEvent:
    """The typed payload of a recorded event of a known type; ValueError names what is wrong."""
    return EVENTS[event.type].parse(event.payload)


def status_code(payload: dict[str, Any]) -> Any:
    """The source's status code a payload carries, a TMS code or a last-mile trigger, whatever
    its type: a poisoned or forged payload may carry either, or neither (None)."""
    return payload.get(tms.ShipmentStatus.CODE) or payload.get(lastmile.TaskUpdated.CODE)


class EventSource:
    """Stamps events with `source_seq` and `recorded_time`; hands them to the sink (the world)."""

    def __init__(self, source: str, clock: Callable[[], float], sink: Sink) -> None:
        self.source = source
        self.clock = clock
        self.sink = sink
        self.seq = 0
        self.muted = False  # a replay applies a recorded event and publishes the record itself

    def publish(self, event: TypedEvent, correlation_id: str, *,
                classifier: str = "ACT", event_time: float | None = None,
                order_id: str | None = None, shipment_id: str | None = None,
                task_id: str | None = None) -> Event | None:
        if self.muted:
            return None
        self.seq = seq = self.seq + 1
        recorded = to_datetime(self.clock())
        happened = recorded if event_time is None else to_datetime(event_time)
        published = Event(f"evt_{self.source}_{seq:07d}", event.TYPE, self.source, seq,
                          happened, recorded, classifier, correlation_id, order_id,
                          shipment_id, task_id, SCHEMA_VERSION, event.payload())
        self.sink(published)
        return published
