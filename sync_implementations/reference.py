"""The reference sync implementation: everything a correct one does
(docs/writing-a-sync-implementation.md#what-correct-means).

Shape: `authenticate` checks each webhook's Standard Webhooks signature; the receipt dedupes by
event id, appends the event to a durable per-order inbox and acks at once; one worker per order
drains that inbox in order, so writes for an order never race, and a crash loses nothing (the
inbox and each order's state are durable; work is redone with the same Idempotency-Keys).
Every write carries an Idempotency-Key and the correlation id; 5xx, timeouts and refused
connections are retried with capped exponential backoff and jitter; a 429 pauses every call to
that system until Retry-After has passed; anything a retry cannot fix, a malformed payload
included, is parked without blocking other orders.

It speaks every dialect a connector does (`connectors`): the calls go out through the
connector of the dialect each system speaks (`io.dialects`), and where a vendor honours no
Idempotency-Key the connector looks a write up before sending it again (`_send`'s `recheck`).
In a dialect whose events carry only a key (SAP's thin events) the order is read back to learn
what changed; where webhooks are the implementation's to register (Onfleet), it registers them
on boot and keeps them enabled, reading back the tasks whose events a disabled one missed.

The faulty implementations in `faulty.py` are this class with exactly one method overridden.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from seatrial.sdk import (
    IO,
    Call,
    DurableStore,
    Event,
    Handler,
    Response,
    SyncImplementation,
    TransportError,
    Webhook,
    vocabulary,
)
from seatrial.sync_implementations.connectors import (
    CONNECTORS,
    Connectors,
    Links,
    Parked,
    Recheck,
    links,
)

# Our own mapping of the source systems' vocabularies onto the ERP's.
ERP_ORDER = ("REL", "PLN", "PCK", "ITR", "HUB", "OFD", "DLV")
RANK = {code: index for index, code in enumerate(ERP_ORDER)} | {"RTN": 6}  # two endings
FROM_TMS = {"XB": "PLN", "X3": "PLN", "AF": "PCK", "X6": "ITR", "X4": "HUB", "A3": "RTN"}
FROM_LASTMILE = {"taskStarted": "OFD", "taskArrival": "OFD", "taskReturned": "RTN"}
HANDLERS = {
    "order.released": "_released",
    "order.cancelled": "_cancelled",
    "order.changed": "_changed",
    "shipment.status": "_shipment_status",
    "shipment.charges_finalized": "_charges",
    "task.updated": "_task_updated",
}
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 600.0
GIVE_UP_AFTER = 2 * 86400.0


class ReferenceSync(SyncImplementation):
    name = "reference"

    def __init__(self) -> None:
        self.working: set[str] = set()  # orders with a live worker (process memory only)
        self.paused_until: dict[str, datetime] = {}  # per system, after a 429
        self.connected: tuple[IO, Links] | None = None  # the connectors, made once per IO

    def start(self, io: IO) -> Handler | None:
        """Resume every order with work left, and give each system what it needs from a
        booting implementation (Onfleet: its webhooks registered and enabled)."""
        inboxes = self.inboxes(io)
        for key in list(inboxes.keys("inbox/")):
            if inboxes.get(key):
                self._wake(key.removeprefix("inbox/"), io)
        booting = [task for connector in self.links(io) if (task := connector.start())]
        return _in_turn(booting) if booting else None

    def links(self, io: IO) -> Links:
        """A connector per system, in the dialect it speaks, calling through `_send`; an event
        a connector reads back (one its system failed to deliver) is taken as if delivered."""
        if self.connected is None or self.connected[0] is not io:
            def send(call: Call, accept: tuple[int, ...] = (),
                     recheck: Recheck | None = None) -> Handler:
                return self._send(io, call, accept, recheck)
            self.connected = io, links(io, send, lambda event: self.on_event(event, io),
                                       self.connectors())
        return self.connected[1]

    def connectors(self) -> Connectors:
        """The connector of each system in each dialect it speaks: one per vendor's wire,
        the same business logic over all of them."""
        return CONNECTORS

    # --- receipt: authenticate, dedupe, persist, ack -------------------------------------------

    def authenticate(self, webhook: Webhook, io: IO) -> bool:
        """Signed by its source, in its dialect's scheme; where the signature carries no time
        (Onfleet's), a delivery taken before is a replay, refused."""
        source = self.links(io).of(webhook.event.source)
        if source is None:  # no system of ours signed it
            return False
        if source.undated and self.taken(webhook.event, io):
            return False
        return source.authentic(webhook)

    def dedupe_key(self, event: Event) -> str:
        return event.event_id

    def on_event(self, event: Event, io: IO) -> None:
        if self.taken(event, io, take=True):
            return
        if event.order_id is None:
            io.store.put(f"parked/{event.event_id}", "no order id in the envelope")
            return
        if event.type == "order.cancelled":  # jumps the queue: stops invoicing at once
            io.store.put(f"cancelled/{event.order_id}", True)
        inbox, inboxes = f"inbox/{event.order_id}", self.inboxes(io)
        inboxes.put(inbox, [*inboxes.get(inbox, []), event])
        self._wake(event.order_id, io)

    def inboxes(self, io: IO) -> DurableStore:
        """Where a received event waits for its order's worker: the durable store, so that an
        event answered 2xx or acked (the source will never send it again) survives a crash."""
        return io.store

    def taken(self, event: Event, io: IO, *, take: bool = False) -> bool:
        """Dedupe: whether an event of this one's key was taken before, by a durable record
        per event looked up by key (`take`: and record this one as taken). The replay check of
        an undated signature reads the same record: a dedupe of another shape keeps refusing
        replays."""
        seen = f"seen/{self.dedupe_key(event)}"
        if seen in io.store:
            return True
        if take:
            io.store.put(seen, True)
        return False

    def _wake(self, order_id: str, io: IO) -> None:
        if order_id not in self.working:
            self.working.add(order_id)
            io.spawn(self._work(order_id, io))

    def _work(self, order_id: str, io: IO) -> Handler:
        inbox, inboxes = f"inbox/{order_id}", self.inboxes(io)
        while pending := inboxes.get(inbox):
            event = pending[0]
            try:
                yield from self._apply(event, io)
            except Parked as reason:
                self.park(event, str(reason), io)
            inboxes.put(inbox, inboxes.get(inbox)[1:])
        self.working.discard(order_id)

    def park(self, event: Event, reason: str, io: IO) -> None:
        io.store.put(f"parked/{event.event_id}", reason)

    # --- applying one event ----------------------------------------------------------------

    def _apply(self, event: Event, io: IO) -> Handler:
        key = f"state/{event.order_id}"
        state = dict(io.store.get(key) or {
            "status": "REL", "shipment": None, "task": None, "ship_to": None,
            "cancelled": False, "invoiced": False, "charges": [], "eta_recorded": None})
        if event.correlation_id:
            state.setdefault("correlation", event.correlation_id)
        else:  # a vendor's event without one (Onfleet's): the order's, from its first event
            event = event._replace(correlation_id=state.get("correlation") or "")
        handler = HANDLERS.get(event.type)
        if handler is None:
            raise Parked(f"unknown event type {event.type!r}")
        payload = self.readable(event, io)
        if "retracted_event_id" in payload:
            yield from self.retracted(event, state, io)
        else:
            yield from getattr(self, handler)(event, payload, state, io)
        io.store.put(key, state)  # only a fully applied event changes the durable state

    def readable(self, event: Event, io: IO) -> dict[str, Any]:
        """The payload to apply; {} for a thin event (the key only: the order is read back)."""
        thin = event.source == "erp" and self.links(io).erp.thin
        return {} if thin else self.payload(event)

    def payload(self, event: Event) -> dict[str, Any]:
        """The v1 payload, whichever schema the source sent; Parked if it is malformed."""
        payload = self.upgrade(event)
        self.validate(event, payload)
        return payload

    def upgrade(self, event: Event) -> Any:
        """Schema 2.0 payloads mapped back to 1.0 (the sources announce both)."""
        if event.schema_version.startswith("2."):
            return _from_v2(event.source, event.payload)
        return event.payload

    def validate(self, event: Event, payload: Any) -> None:
        if not isinstance(payload, dict) or not _well_formed(event.type, payload):
            raise Parked(f"malformed {event.type} payload (schema {event.schema_version})")

    def retracted(self, event: Event, state: dict[str, Any], io: IO) -> Handler:
        """A retraction never moves status: what was reported stays reported."""
        state["retracted"] = [*state.get("retracted", []), event.payload["retracted_event_id"]]
        yield from ()

    def _released(self, event: Event, payload: dict, state: dict[str, Any], io: IO) -> Handler:
        if state["cancelled"] or state["shipment"]:
            return
        order_id, corr = event.order_id, self.correlation(event)
        link = self.links(io)
        order = yield from link.erp.read_order(order_id, corr)
        if order.cancelled:
            state["cancelled"] = True
            return
        state["ship_to"] = order.ship_to
        state["shipment"] = yield from link.tms.create_shipment(
            order_id, order, f"shipment-{order_id}", corr)
        yield from self.advance(state, "PLN", event, io)

    def _cancelled(self, event: Event, payload: dict, state: dict[str, Any],
                   io: IO) -> Handler:
        state["cancelled"] = True
        corr = self.correlation(event)
        if state["shipment"]:  # 409: already departed, nothing left to cancel
            yield from self.links(io).tms.cancel_shipment(
                state["shipment"], "order cancelled", f"cancel-{state['shipment']}", corr)
        if state["task"]:
            yield from self.cancel_task(state["task"], corr, io)

    def cancel_task(self, task_id: str, corr: str | None, io: IO) -> Handler:
        yield from self.links(io).lastmile.cancel_task(task_id, f"cancel-{task_id}", corr)

    def _changed(self, event: Event, payload: dict, state: dict[str, Any], io: IO) -> Handler:
        """A new delivery address: the task (if any) must go to it. From a thin event (the
        order's key only) it may as well be a cancellation: the order read back says."""
        erp = self.links(io).erp
        if erp.thin:
            order = yield from erp.read_order(event.order_id, self.correlation(event))
            if order.cancelled:
                yield from self._cancelled(event, payload, state, io)
                return
            state["ship_to"] = order.ship_to
        else:
            state["ship_to"] = yield from self.current_address(event, payload, io)
        if state["task"] and not state["cancelled"]:
            yield from self.links(io).lastmile.change_destination(
                state["task"], state["ship_to"], f"destination-{event.event_id}",
                self.correlation(event))

    def current_address(self, event: Event, payload: dict[str, Any], io: IO) -> Handler:
        """The address the ERP holds now, not the one in the event: a customer may change it
        several times, and an older change can arrive late (redelivered, or held back) after a
        newer one. The ERP is the system of record; one read settles it."""
        order = yield from self.links(io).erp.read_order(event.order_id, self.correlation(event))
        return order.ship_to

    def _shipment_status(self, event: Event, payload: dict, state: dict[str, Any],
                         io: IO) -> Handler:
        if event.shipment_id != state["shipment"]:
            return  # not the shipment we created for this order
        code = payload["status_code"]
        if event.classifier != "ACT":
            if code == "X4" and RANK[state["status"]] < RANK["HUB"]:
                yield from self.estimate(state, event, payload, io)
            return
        if code in FROM_TMS:
            yield from self.advance(state, FROM_TMS[code], event, io)
        cancelling = state["cancelled"] or f"cancelled/{event.order_id}" in io.store
        if code == "X4" and not cancelling and not state["task"]:
            state["task"] = yield from self.links(io).lastmile.create_task(
                event.order_id, state["shipment"], state["ship_to"],
                f"task-{state['shipment']}", self.correlation(event))

    def _task_updated(self, event: Event, payload: dict, state: dict[str, Any],
                      io: IO) -> Handler:
        if event.task_id != state["task"]:
            return
        payload = yield from self.links(io).lastmile.what_changed(
            event.task_id, payload, self.correlation(event))
        trigger = payload["trigger"]
        if event.classifier != "ACT":
            if trigger == "taskEta" and RANK[state["status"]] < RANK["DLV"]:
                yield from self.estimate(state, event, payload, io)
            return
        if trigger in FROM_LASTMILE:
            yield from self.advance(state, FROM_LASTMILE[trigger], event, io)
        details = payload.get("completion_details") or {}
        if trigger != "taskCompleted" or not self.delivered(details):
            return  # a failed attempt is a flag, not a stage
        yield from self.advance(state, "DLV", event, io)
        if state["cancelled"] or state["invoiced"] or f"cancelled/{event.order_id}" in io.store:
            return
        erp = self.links(io).erp
        if erp.thin:  # a cancellation's thin event may still wait in the queue: ask the ERP
            order = yield from erp.read_order(event.order_id, self.correlation(event))
            if order.cancelled:
                state["cancelled"] = True
                return
        yield from erp.release_invoice(
            event.order_id, {"pod_reference": (details.get("pod") or {}).get("photo"),
                             "task_id": event.task_id},
            f"invoice-{event.order_id}", self.correlation(event))
        state["invoiced"] = True

    def delivered(self, details: dict[str, Any]) -> bool:
        """Delivered means completed successfully with proof of delivery."""
        return bool(details.get("success") and details.get("pod"))

    def _charges(self, event: Event, payload: dict, state: dict[str, Any], io: IO) -> Handler:
        statement_id = payload["statement_id"]
        if statement_id in state["charges"]:
            return
        yield from self.links(io).erp.post_charges(
            event.order_id, {"statement_id": statement_id, "shipment_id": event.shipment_id,
                             "lines": payload["lines"], "total": payload["total"]},
            self.charges_key(statement_id), self.correlation(event))
        state["charges"] = [*state["charges"], statement_id]

    def charges_key(self, statement_id: str) -> str:
        return f"charges-{statement_id}"

    # --- writing to the ERP --------------------------------------------------------------------

    def correlation(self, event: Event) -> str | None:
        return event.correlation_id

    def advance(self, state: dict[str, Any], status: str, event: Event, io: IO) -> Handler:
        """Move the ERP status forward only: ranks, not arrival order, decide."""
        if RANK[status] <= RANK[state["status"]]:
            return
        yield from self.write_status(state, status, event, io)

    def write_status(self, state: dict[str, Any], status: str, event: Event, io: IO,
                     key: str | None = None) -> Handler:
        yield from self.links(io).erp.write_status(
            event.order_id, {"status": status, "classifier": "ACT",
                             "shipment_id": state["shipment"],
                             "event_time": self.event_time(event).isoformat()},
            key or f"status-{event.order_id}-{status}", self.correlation(event))
        state["status"] = status

    def estimate(self, state: dict[str, Any], event: Event, payload: dict, io: IO) -> Handler:
        """Record an estimate; an older estimate never wins."""
        recorded = event.recorded_time.isoformat()
        if state["eta_recorded"] is not None and recorded <= state["eta_recorded"]:
            return
        yield from self.links(io).erp.write_status(
            event.order_id, {"status": self.estimated_status(state, payload),
                             "classifier": "EST", "eta": payload.get("eta"),
                             "event_time": self.event_time(event).isoformat()},
            f"eta-{event.event_id}", self.correlation(event))
        state["eta_recorded"] = recorded

    def estimated_status(self, state: dict[str, Any], payload: dict[str, Any]) -> str:
        """An estimate carries the current status along: only actuals move it."""
        return state["status"]

    def event_time(self, event: Event) -> datetime:
        """Aware, in UTC: a time without an offset is the source's documented local time."""
        moment = event.event_time
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=vocabulary.SOURCE_LOCAL_TIME[event.source])
        return moment

    # --- calling with retries -------------------------------------------------------------------

    def _send(self, io: IO, call: Call, accept: tuple[int, ...] = (),
              recheck: Recheck | None = None) -> Handler:
        """Retry until a definite answer; the same Call (and so Idempotency-Key) every time.
        After a lost answer, a write the vendor cannot dedupe by its key is looked up first
        (`recheck`, while the call still carries its key): found, that is the answer."""
        started, backoff = io.now, FIRST_BACKOFF
        while True:
            paused = self.paused_until.get(call.system)
            if paused is not None and paused > io.now:  # org-wide: a 429 pauses every worker
                yield io.sleep((paused - io.now).total_seconds() + backoff * io.random.random())
                continue
            response: Response | None = None
            with contextlib.suppress(TransportError):
                response = yield call
            status = None if response is None else response.status_code
            if response is not None and (response.ok or status in accept):
                return response
            if status is not None and not self.transient(status):
                raise Parked(f"{call.method} {call.path} answered {status}: "
                             f"{response.json().get('detail')}")
            if (io.now - started).total_seconds() > GIVE_UP_AFTER:
                raise Parked(f"{call.method} {call.path}: no definite answer in two days")
            if status == 429:
                self.throttle(call.system, response, backoff, io)
            else:
                yield io.sleep(backoff * io.random.uniform(0.5, 1.0))
            backoff = min(backoff * 2, MAX_BACKOFF)
            call = self.retry(call)
            if response is None and recheck is not None and call.idempotency_key:
                # the lost write may still be on its way: give it as long again to land
                yield io.sleep(call.timeout)
                found = yield from recheck()
                if found is not None:
                    return found

    def transient(self, status: int) -> bool:
        """Worth retrying: the system is overloaded, down or throttling, not refusing."""
        return status >= 500 or status == 429

    def throttle(self, system: str, response: Response, backoff: float, io: IO) -> None:
        """A 429 pauses every call to the system until Retry-After has passed."""
        until = io.now + timedelta(seconds=response.retry_after or backoff)
        self.paused_until[system] = max(until, self.paused_until.get(system, until))

    def retry(self, call: Call) -> Call:
        """What to send again: the very same request, Idempotency-Key included."""
        return call


def _in_turn(tasks: list[Handler]) -> Handler:
    for task in tasks:
        yield from task


REQUIRED = {
    "shipment.status": ("status_code",),
    "shipment.charges_finalized": ("statement_id", "lines", "total"),
    "task.updated": ("trigger",),
    "order.changed": ("ship_to",),
}


def _well_formed(event_type: str, payload: dict[str, Any]) -> bool:
    for name in REQUIRED.get(event_type, ()):
        if not isinstance(payload.get(name), str | list | dict | int | float):
            return False
    details = payload.get("completion_details")
    return details is None or isinstance(details, dict)


def _from_v2(source: str, payload: Any) -> Any:
    """Schema 2.0 back to 1.0 (vocabulary.V2_FIELDS documents the reshaping)."""
    if not isinstance(payload, dict):
        return payload
    v1 = _reshape(source, payload)
    if isinstance(v1, dict) and "retracted_event_id" in payload:
        v1 = {**v1, "retracted_event_id": payload["retracted_event_id"]}
    return v1


def _reshape(source: str, payload: dict[str, Any]) -> Any:
    if "data" in payload:
        return payload["data"]
    if source == "tms":
        status = payload.get("status") or {}
        v1 = {"status_code": status.get("code"), "reason_code": status.get("reason"),
              "carrier": (payload.get("carrier") or {}).get("name")}
        if "estimatedArrival" in payload:
            v1["eta"] = payload["estimatedArrival"]
        return v1
    if source == "lastmile":
        v1 = {"trigger": payload.get("triggerName"), "state": payload.get("taskState"),
              "worker": payload.get("workerName")}
        details = payload.get("completionDetails")
        if isinstance(details, dict):
            v1["completion_details"] = {
                "success": details.get("success"), "attempt": details.get("attempt"),
                "failure_reason": details.get("failureReason"),
                "pod": details.get("proofOfDelivery"),
                "photos": details.get("photoUploadIds") or [], "notes": details.get("notes")}
        if "etaTime" in payload:
            v1["eta"] = payload["etaTime"]
        return v1
    return payload
