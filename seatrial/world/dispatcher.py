"""Webhook delivery from the simulators to the SUT: at least once, faults applied, redelivered.

Failed deliveries are retried on the provider's schedule (by default the common one:
immediately, then 5 min, 30 min, 2 h, 24 h) and abandoned after that; a `redelivery` fault sets
another schedule and may disable the subscription after N consecutive failures, as Onfleet and
Shopify do (docs/scenarios.md#redelivery).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import simpy

from seatrial.faults import Delivery, FaultLayer
from seatrial.ledger import Ledger
from seatrial.model.envelope import Event
from seatrial.sdk.webhooks import Webhook
from seatrial.simulators.dialect import Dialect
from seatrial.world.ports import Receiver, Signing

REDELIVERY_DELAYS = (300.0, 1800.0, 7200.0, 86400.0)


class WebhookDispatcher:
    """The delivery channel: delivers to `receiver` each source's events in its dialect's
    shape (`dialects`: its body and signature scheme), signed with `signing`'s secrets and
    clock, and owns each source's retry schedule. Also what the faults' `on_webhooks` hooks
    get to change (`seatrial.faults.base.Webhooks`): the retry schedules, and more
    deliveries."""

    def __init__(self, env: simpy.Environment, faults: FaultLayer, ledger: Ledger,
                 receiver: Receiver, signing: Signing, dialects: dict[str, Dialect]) -> None:
        self.env = env
        self.dialects = dialects
        self.faults = faults
        self.ledger = ledger
        self.receiver = receiver
        self.signing = signing
        secrets = signing.secrets
        self.deliveries = 0  # webhook deliveries to the SUT
        self.outcomes = 0    # the SUT's answers to them
        self.schedules = {s: REDELIVERY_DELAYS for s in secrets}
        self.disable_after: dict[str, int] = {}
        self.failures = dict.fromkeys(secrets, 0)  # consecutive, per source
        self.disabled: set[str] = set()
        self.history: dict[str, list[tuple[float, Event]]] = {s: [] for s in secrets}
        for effect in faults.effects:
            effect.on_webhooks(self)

    def publish(self, event: Event) -> None:
        """The simulators' event sink."""
        now = self.env.now
        record = self.ledger.record
        record(now, "emit", event.source, event.event_id, event.order_id, {
            "type": event.type, "classifier": event.classifier,
            "shipment_id": event.shipment_id, "task_id": event.task_id, "code": _code(event),
        })
        if event.source in self.history:
            self.history[event.source].append((now, event))
        deliveries, notes = self.faults.plan_delivery(event, now)
        for ref, note in notes:
            record(now, "fault", event.source, ref, event.order_id, note)
        for delivery in deliveries:
            self._schedule(delivery, 1)

    # --- seatrial.faults.base.Webhooks ------------------------------------------------------

    def at(self, time: float, action: Callable[[], None]) -> None:
        self.env.timeout(time - self.env.now).callbacks.append(lambda _e: action())

    def retry(self, source: str, schedule: tuple[float, ...], disable_after: int | None) -> None:
        self.schedules[source] = schedule
        if disable_after is not None:
            self.disable_after[source] = disable_after

    def published(self, source: str, since: float) -> list[Event]:
        return [event for when, event in self.history[source] if when >= since]

    def send(self, delivery: Delivery) -> None:
        self._schedule(delivery, 1)

    def note(self, source: str, ref: str, data: dict[str, Any]) -> None:
        self.ledger.record(self.env.now, "fault", source, ref, None, data)

    def stream(self, name: str) -> random.Random:
        return self.faults.stream(name)

    # --- deliveries --------------------------------------------------------------------------

    def _schedule(self, delivery: Delivery, attempt: int) -> None:
        self.env.timeout(delivery.delay).callbacks.append(
            lambda _e: self._attempt(delivery, attempt))

    def _attempt(self, delivery: Delivery, attempt: int) -> None:
        event, now = delivery.event, self.env.now
        if delivery.forgery is None:  # the real source: down, or given up on the SUT
            if event.source in self.disabled:
                self.ledger.record(now, "drop", event.source, event.event_id, event.order_id,
                                   {"reason": "subscription disabled"})
                return
            back = self.faults.outage_end(event.source, now)
            if back is not None:  # a source that is down sends nothing, redeliveries included
                self._schedule(delivery._replace(delay=back - now), attempt)
                return
        self.deliveries += 1
        data = {"attempt": attempt}
        if delivery.forgery is not None:
            data["forged"] = delivery.forgery
        self.ledger.record(now, "deliver", event.source, event.event_id, event.order_id, data)
        spoken = self.dialects[event.source]
        webhook = Webhook(event, lambda body: spoken.sign_webhook(
            self.signing.secrets[event.source], event, int(self.signing.clock()), body,
            delivery.forgery), spoken.render_event)
        self.receiver.deliver(webhook, lambda outcome, detail: self._outcome(
            delivery, attempt, outcome, detail))

    def _outcome(self, delivery: Delivery, attempt: int, outcome: str,
                 detail: str | None) -> None:
        self.outcomes += 1
        event, now = delivery.event, self.env.now
        data: dict[str, object] = {"attempt": attempt}
        if detail is not None:
            data["error"] = detail
        self.ledger.record(now, outcome, event.source, event.event_id, event.order_id, data)
        if delivery.forgery is not None:
            return  # whoever forged it does not retry
        source = event.source
        if outcome == "ack":
            self.failures[source] = 0
            return
        self.failures[source] += 1
        limit = self.disable_after.get(source)
        if limit is not None and self.failures[source] >= limit and source not in self.disabled:
            self.disabled.add(source)
            self.ledger.record(now, "disable", source, f"{source}.webhooks", None,
                               {"consecutive_failures": self.failures[source]})
        schedule = self.schedules[source]
        if outcome == "nack" and attempt <= len(schedule):
            self._schedule(delivery._replace(delay=schedule[attempt - 1]), attempt + 1)
        elif outcome == "nack":
            self.ledger.record(now, "abandon", source, event.event_id, event.order_id,
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
