"""Builds event envelopes for one source system: ids, sequence numbers, timestamps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seatrial.model.envelope import Event, to_datetime

Sink = Callable[[Event], None]


class EventSource:
    """Stamps events with `source_seq` and `recorded_time`; hands them to the sink (the world)."""

    def __init__(self, source: str, clock: Callable[[], float], sink: Sink) -> None:
        self.source = source
        self.clock = clock
        self.sink = sink
        self.seq = 0

    def publish(self, type_: str, correlation_id: str, payload: dict[str, Any], *,
                classifier: str = "ACT", event_time: float | None = None,
                order_id: str | None = None, shipment_id: str | None = None,
                task_id: str | None = None) -> Event:
        self.seq += 1
        now = self.clock()
        event = Event(
            event_id=f"evt_{self.source}_{self.seq:07d}",
            type=type_,
            source=self.source,
            source_seq=self.seq,
            event_time=to_datetime(now if event_time is None else event_time),
            recorded_time=to_datetime(now),
            classifier=classifier,
            correlation_id=correlation_id,
            order_id=order_id,
            shipment_id=shipment_id,
            task_id=task_id,
            payload=payload,
        )
        self.sink(event)
        return event
