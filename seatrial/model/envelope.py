"""The event envelope every simulator webhook carries (docs/writing-a-sync-implementation.md,
"The events")."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, NamedTuple

#: Simulated time zero. A Monday morning, so calendars read naturally in reports.
EPOCH = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)

#: The simulated systems: the sources of events, and the APIs a sync implementation calls.
SYSTEMS = ("erp", "tms", "lastmile")
CLASSIFIERS = ("PLN", "EST", "ACT")
SCHEMA_VERSION = "1.0"


_EPOCH_TS = EPOCH.timestamp()


def to_datetime(sim_seconds: float) -> datetime:
    return datetime.fromtimestamp(_EPOCH_TS + sim_seconds, UTC)


def to_sim_seconds(moment: datetime) -> float:
    """`to_datetime`'s inverse; a naive moment (an X12 date and time without a zone) is UTC."""
    return (moment.replace(tzinfo=moment.tzinfo or UTC) - EPOCH).total_seconds()


#: The one pattern of every moment `rfc3339` writes.
RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}$"


def rfc3339(moment: datetime) -> str:
    """The one wire form of a moment in canonical API records, webhook events and the
    simulated-time header: RFC 3339 with exactly six fraction digits (microseconds, what
    Python's datetime holds) and a numeric offset, +00:00 for UTC, e.g.
    2026-01-05T06:00:00.000000+00:00. Fixed, so one pattern (RFC3339) matches records and
    events alike: Python's plain isoformat() drops a zero fraction, and a Pact datetime matcher
    cannot say "optional fraction". The moment keeps its own offset (a clock-skew fault's local
    time stays local)."""
    return moment.isoformat(timespec="microseconds")


class Event(NamedTuple):
    """One business event as the source system publishes it; duplicates share `event_id`.

    Immutable (a tuple): the same object is handed over again on a duplicate delivery.
    """

    event_id: str
    type: str
    source: str
    source_seq: int
    event_time: datetime
    recorded_time: datetime
    classifier: str
    correlation_id: str
    order_id: str | None = None
    shipment_id: str | None = None
    task_id: str | None = None
    schema_version: str = SCHEMA_VERSION
    payload: dict[str, Any] = {}  # never mutated: events are read-only

    def to_json(self) -> dict[str, Any]:
        """The wire form (`rfc3339` times), as a live webhook body carries it."""
        return {
            "event_id": self.event_id,
            "type": self.type,
            "source": self.source,
            "source_seq": self.source_seq,
            "event_time": rfc3339(self.event_time),
            "recorded_time": rfc3339(self.recorded_time),
            "classifier": self.classifier,
            "correlation_id": self.correlation_id,
            "order_id": self.order_id,
            "shipment_id": self.shipment_id,
            "task_id": self.task_id,
            "schema_version": self.schema_version,
            "payload": self.payload,
        }


def envelope_body(event: Event) -> bytes:
    """The canonical wire body of an event: its envelope as compact JSON."""
    return json.dumps(event.to_json(), separators=(",", ":")).encode()
