"""A run's timeline: what the HTML report charts, read from the ledger and the records.

Fixed-width buckets over simulated time, so a report made later from the JSON needs neither;
each series is one number per bucket: messages sent (webhook deliveries and API calls), the
most in flight at once, the order backlog (released, neither shipped nor cancelled) at the
bucket's end, and each business flow's worst lag (None where no flow started).
"""

from __future__ import annotations

import math
from itertools import accumulate
from typing import Any

from seatrial.judge.flows import Flows, Sample
from seatrial.judge.observation import Observation

BUCKETS = 120
OPENS = frozenset({"deliver", "request"})
#: and a response the SUT received; a broker's `requeue` ends a delivery the SUT never answered
CLOSES = frozenset({"ack", "nack", "reject", "requeue", "error"})


def timeline(obs: Observation, flows: Flows) -> dict[str, Any]:
    end = max(obs.end_time, 1.0)
    width = _round_width(end / BUCKETS)
    count = math.ceil(end / width) or 1

    def bucket(time: float) -> int:
        return min(count - 1, max(0, int(time // width)))

    messages, in_flight, open_now = [0] * count, [0] * count, 0
    last = count - 1
    for entry in obs.ledger.entries:  # in time order; once per entry, so kept lean
        kind = entry.kind
        if kind in OPENS:
            index = int(entry.time // width)
            index = last if index > last else 0 if index < 0 else index  # bucket(), inline
            messages[index] += 1
            open_now += 1
            if open_now > in_flight[index]:
                in_flight[index] = open_now
        elif kind in CLOSES or (kind == "response" and entry.data.get("delivered")):
            open_now -= 1

    backlog_steps = [0] * count  # orders released and neither shipped nor cancelled yet
    for order in obs.erp.orders.values():
        backlog_steps[bucket(order.released_at)] += 1
        shipments = obs.shipments_of(order.id)
        done = [t for t in (shipments[0].created_at if shipments else None,
                            order.cancelled_at) if t is not None]
        if done:
            backlog_steps[bucket(min(done))] -= 1
    return {
        "bucket_s": width, "end_s": round(end, 3),
        "messages": messages, "in_flight": in_flight,
        "backlog": list(accumulate(backlog_steps)),
        "lag_max_s": {name: _worst(samples, count, bucket) for name, samples in (
            ("order_to_shipment", flows.order_to_shipment),
            ("milestone_to_erp", flows.milestone_to_erp),
            ("pod_to_invoice", flows.pod_to_invoice))},
        "faults": [_window(fault, end) for fault in obs.scenario.faults],
    }


def _worst(samples: list[Sample], count: int, bucket: Any) -> list[float | None]:
    worst: list[float | None] = [None] * count
    for sample in samples:
        index = bucket(sample.at)
        current = worst[index]
        if current is None or sample.seconds > current:
            worst[index] = round(sample.seconds, 1)
    return worst


def _window(fault: Any, end: float) -> dict[str, Any]:
    start, stop = fault.span(end)
    where = (getattr(fault, "channel", None) or getattr(fault, "system", None) or "sut")
    return {"kind": fault.kind, "where": where, "from_s": round(start, 3),
            "to_s": round(min(stop, end), 3)}


def _round_width(raw: float) -> float:
    """A bucket width people read easily: 1, 2, 5, 10, 15 or 30 minutes, 1, 2, 3, 6 or 12 hours,
    or whole days."""
    for minutes in (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440):
        if raw <= minutes * 60:
            return minutes * 60.0
    return math.ceil(raw / 86400) * 86400.0
