"""Builds event envelopes for one source system: ids, sequence numbers, timestamps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seatrial.model.envelope import SCHEMA_VERSION, Event, to_datetime

Sink = Callable[[Event], None]


class EventSource:
    """Stamps events with `source_seq` and `recorded_time`; hands them to the sink (the world)."""

    def __init__(self, source: str, clock: Callable[[], float], sink: Sink) -> None:
        self.source = source
        self.clock = clock
        self.sink = sink
        self.seq = 0
        self.muted = False  # a replay applies a recorded event and publishes the record itself

    def publish(self, type_: str, correlation_id: str, payload: dict[str, Any], *,
                classifier: str = "ACT", event_time: float | None = None,
                order_id: str | None = None, shipment_id: str | None = None,
                task_id: str | None = None) -> Event | None:
        if self.muted:
            return None
        self.seq = seq = self.seq + 1
        recorded = to_datetime(self.clock())
        happened = recorded if event_time is None else to_datetime(event_time)
        event = Event(f"evt_{self.source}_{seq:07d}", type_, self.source, seq, happened,
                      recorded, classifier, correlation_id, order_id, shipment_id, task_id,
                      SCHEMA_VERSION, payload)
        self.sink(event)
        return event
