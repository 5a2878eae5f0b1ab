"""Webhook delivery from the simulators to the SUT: at least once, faults applied, redelivered.

Failed deliveries are retried on a common provider schedule (immediately, then 5 min, 30 min,
2 h, 24 h; notes/domain-facts.md) and abandoned after that.
"""

from __future__ import annotations

import simpy

from seatrial.faults import FaultLayer
from seatrial.ledger import Ledger
from seatrial.model.envelope import Event
from seatrial.world.host import SutHost

REDELIVERY_DELAYS = (300.0, 1800.0, 7200.0, 86400.0)


class WebhookDispatcher:
    def __init__(self, env: simpy.Environment, faults: FaultLayer, ledger: Ledger) -> None:
        self.env = env
        self.faults = faults
        self.ledger = ledger
        self.host: SutHost | None = None
        self.deliveries = 0  # webhook deliveries to the SUT
        self.outcomes = 0    # the SUT's answers to them (2xx / 5xx)

    def publish(self, event: Event) -> None:
        """The simulators' event sink."""
        now = self.env.now
        record = self.ledger.record
        record(now, "emit", event.source, event.event_id, event.order_id, {
            "type": event.type, "classifier": event.classifier,
            "shipment_id": event.shipment_id, "task_id": event.task_id,
            "code": _code(event),
        })
        delays, notes = self.faults.plan_delivery(event.source, now)
        for note in notes:
            record(now, "fault", event.source, event.event_id, event.order_id, note)
        for delay in delays:
            self._schedule(delay, event, 1)

    def _schedule(self, delay: float, event: Event, attempt: int) -> None:
        self.env.timeout(delay).callbacks.append(lambda _e: self._attempt(event, attempt))

    def _attempt(self, event: Event, attempt: int) -> None:
        back = self.faults.outage_end(event.source, self.env.now)
        if back is not None:  # a source that is down sends nothing, redeliveries included
            self._schedule(back - self.env.now, event, attempt)
            return
        self.deliveries += 1
        self.ledger.record(self.env.now, "deliver", event.source, event.event_id, event.order_id,
                           {"attempt": attempt})
        self.host.deliver(event, lambda error: self._outcome(event, attempt, error))

    def _outcome(self, event: Event, attempt: int, error: str | None) -> None:
        self.outcomes += 1
        now = self.env.now
        if error is None:
            self.ledger.record(now, "ack", event.source, event.event_id, event.order_id,
                               {"attempt": attempt})
            return
        self.ledger.record(now, "nack", event.source, event.event_id, event.order_id,
                           {"attempt": attempt, "error": error})
        if attempt <= len(REDELIVERY_DELAYS):
            self._schedule(REDELIVERY_DELAYS[attempt - 1], event, attempt + 1)
        else:
            self.ledger.record(now, "abandon", event.source, event.event_id, event.order_id,
                               {"attempts": attempt})


def _code(event: Event) -> str | None:
    """The source system's status code, for people reading the ledger."""
    payload = event.payload
    if "status_code" in payload:
        return payload["status_code"]
    trigger = payload.get("trigger")
    details = payload.get("completion_details")
    if details is not None and not details.get("success"):
        return f"{trigger} (failed: {details.get('failure_reason')})"
    return trigger
