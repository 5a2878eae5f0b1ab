"""Webhook delivery from the simulators to the SUT: at least once, faults applied, redelivered.

Where a source's events go is its dialect's to say (`Dialect.audience`): the canonical way is
one standing subscription per source, always to the configured receiver; a dialect whose SUT
registers webhooks (onfleet) names the registrations an event goes to, each delivered, counted
and disabled on its own. Failed deliveries are retried on the provider's schedule (the
dialect's, else the common one: immediately, then 5 min, 30 min, 2 h, 24 h) and abandoned after
that; a `redelivery` fault sets another schedule and may disable the subscription after N
consecutive failures, as Onfleet and Shopify do (docs/scenarios.md#redelivery). A dialect whose
events are files (`Dialect.post_event`, x12) has each delivery written into its mailbox instead,
faults applied the same (a duplicate is a second file, a delay a later one).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy

from seatrial.faults import Delivery, FaultLayer
from seatrial.ledger import Ledger
from seatrial.model.envelope import Event
from seatrial.sdk import payloads
from seatrial.sdk.webhooks import Webhook
from seatrial.simulators.dialect import Dialect
from seatrial.world.ports import Receiver, Signing

REDELIVERY_DELAYS = (300.0, 1800.0, 7200.0, 86400.0)


@dataclass(slots=True)
class Standing:
    """The canonical subscription: all of a source's events, to the configured receiver."""

    key: str
    enabled: bool = True


class WebhookDispatcher:
    """The delivery channel: delivers to `receiver` each source's events in its dialect's
    shape (`dialects`: its body and signature scheme), signed with `signing`'s secrets and
    clock, to the subscriptions its dialect names (`cores`: what each source's API serves,
    its core or a dialect's object over it, which the dialect reads them from), and owns
    each source's retry schedule. Also what the faults' `on_webhooks` hooks get to change
    (`seatrial.faults.base.Webhooks`): the retry schedules, and more deliveries."""

    def __init__(self, env: simpy.Environment, faults: FaultLayer, ledger: Ledger,
                 receiver: Receiver, signing: Signing, dialects: dict[str, Dialect],
                 cores: dict[str, Any] | None = None) -> None:
        self.env = env
        self.dialects = dialects
        self.cores = cores or {}
        self.faults = faults
        self.ledger = ledger
        self.receiver = receiver
        self.signing = signing
        secrets = signing.secrets
        self.deliveries = 0  # webhook deliveries to the SUT
        self.outcomes = 0    # the SUT's answers to them
        spoken = {s: dialects[s] for s in secrets if s in dialects}
        self.schedules = {s: REDELIVERY_DELAYS for s in secrets}
        self.schedules.update({s: d.redelivery for s, d in spoken.items() if d.redelivery})
        self.disable_after = {s: d.disable_after for s, d in spoken.items()
                              if d.disable_after is not None}
        self.standing = {s: Standing(s) for s in secrets}
        self.failures: dict[str, int] = {}  # consecutive, per subscription key
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
            if delivery.forgery is not None:
                delivery = self._forged(event, delivery)
                if delivery is None:
                    continue
            self.send(delivery)

    def _forged(self, event: Event, delivery: Delivery) -> Delivery | None:
        """A forger's delivery in the shape the source's dialect signs (`Dialect.forgeries`),
        or None when it has nothing to send (a replay of a delivery never made)."""
        spoken = self.dialects.get(event.source)
        if spoken is None or spoken.forgeries is None:
            return delivery
        made = spoken.forgeries(event, delivery.event, delivery.forgery or "",
                                bool(self.audience(event)))
        if made is None:
            return None
        forged, later = made
        return delivery._replace(event=forged, delay=delivery.delay + later)

    def audience(self, event: Event) -> tuple[Any, ...]:
        """The subscriptions `event` goes out under (its dialect's `audience`)."""
        spoken = self.dialects.get(event.source)
        if spoken is None or spoken.audience is None:
            return (self.standing[event.source],)
        return spoken.audience(event, self.cores[event.source])

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
        """A delivery of the source's (once per subscription the event goes under), or a
        forger's (once, to the receiver: a forger needs no subscription)."""
        if delivery.forgery is not None:
            self._schedule(delivery, 1, None)
            return
        event = delivery.event
        audience = self.audience(event)
        if not audience:
            self.ledger.record(self.env.now, "drop", event.source, event.event_id,
                               event.order_id, {"reason": "no webhook registered for it"})
        for subscription in audience:
            self._schedule(delivery, 1, subscription)

    def note(self, source: str, ref: str, data: dict[str, Any]) -> None:
        self.ledger.record(self.env.now, "fault", source, ref, None, data)

    def stream(self, name: str) -> random.Random:
        return self.faults.stream(name)

    # --- deliveries --------------------------------------------------------------------------

    def _schedule(self, delivery: Delivery, attempt: int, subscription: Any) -> None:
        self.env.timeout(delivery.delay).callbacks.append(
            lambda _e: self._attempt(delivery, attempt, subscription))

    def _attempt(self, delivery: Delivery, attempt: int, subscription: Any) -> None:
        event, now = delivery.event, self.env.now
        if subscription is not None:  # the real source: down, or given up on the SUT
            if not subscription.enabled:
                self.ledger.record(now, "drop", event.source, event.event_id, event.order_id,
                                   {"reason": "subscription disabled"})
                return
            back = self.faults.outage_end(event.source, now)
            if back is not None:  # a source that is down sends nothing, redeliveries included
                self._schedule(delivery._replace(delay=back - now), attempt, subscription)
                return
        self.deliveries += 1
        data = {"attempt": attempt}
        if delivery.forgery is not None:
            data["forged"] = delivery.forgery
        if subscription is not None and type(subscription) is not Standing:
            data["webhook"] = subscription.key
        filed = self.dialects[event.source].post_event
        if filed is not None and subscription is not None:
            # a file in the source's mailbox: written is delivered, the SUT collects it
            data["file"] = filed(event, self.cores[event.source])
            self.ledger.record(now, "deliver", event.source, event.event_id, event.order_id,
                               data)
            self._outcome(delivery, attempt, subscription, "ack", None)
            return
        self.ledger.record(now, "deliver", event.source, event.event_id, event.order_id, data)
        failure = None if subscription is None else self.faults.edge_failure(event.source, now)
        if failure is not None:  # failed on the way: the SUT never sees it, the source counts it
            self._outcome(delivery, attempt, subscription, "nack", failure)
            return
        self.receiver.deliver(self._webhook(delivery), lambda outcome, detail: self._outcome(
            delivery, attempt, subscription, outcome, detail))

    def _webhook(self, delivery: Delivery) -> Webhook:
        """The delivery as the SUT receives it: its dialect's body and signature, and the event
        that body says (a vendor's payload read as any Python SUT would read it,
        `seatrial.sdk.payloads`; the canonical envelope is the event itself)."""
        event = delivery.event
        spoken = self.dialects[event.source]

        def sign(body: bytes) -> dict[str, str]:
            return spoken.sign_webhook(self.signing.secrets[event.source], event,
                                       int(self.signing.clock()), body, delivery.forgery)

        read = payloads.reader(event.source, spoken.name)
        if read is None:
            return Webhook(event, sign, spoken.render_event)
        body = spoken.render_event(event)
        return Webhook.received(payloads.readable(read, event.source, body), body, sign(body))

    def _outcome(self, delivery: Delivery, attempt: int, subscription: Any, outcome: str,
                 detail: str | None) -> None:
        self.outcomes += 1
        event, now = delivery.event, self.env.now
        data: dict[str, object] = {"attempt": attempt}
        if detail is not None:
            data["error"] = detail
        self.ledger.record(now, outcome, event.source, event.event_id, event.order_id, data)
        if subscription is None:
            return  # whoever forged it does not retry
        source, key = event.source, subscription.key
        if outcome == "ack":
            self.failures[key] = 0
            return
        failures = self.failures[key] = self.failures.get(key, 0) + 1
        limit = self.disable_after.get(source)
        if limit is not None and failures >= limit and subscription.enabled:
            subscription.enabled = False
            channel = (f"{source}.webhooks" if type(subscription) is Standing
                       else f"{source}.webhooks/{key}")
            self.ledger.record(now, "disable", source, channel, None,
                               {"consecutive_failures": failures})
        schedule = self.schedules[source]
        if outcome == "nack" and attempt <= len(schedule):
            self._schedule(delivery._replace(delay=schedule[attempt - 1]), attempt + 1,
                           subscription)
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
