"""The reference sync implementation: everything SPEC.md asks of a correct one.

Shape: the webhook receipt dedupes by event id, appends the event to a durable per-order inbox
and acks at once; one worker per order drains that inbox in order, so writes for an order never
race. Every write carries an Idempotency-Key and the correlation id; 5xx, timeouts and refused
connections are retried with capped exponential backoff and jitter; 429 waits Retry-After;
anything a retry cannot fix is parked without blocking other orders.
"""

from __future__ import annotations

from typing import Any

from seatrial.sdk import IO, Call, Event, Handler, Response, SyncImplementation, TransportError

# Our own mapping of the source systems' vocabularies onto the ERP's.
ERP_ORDER = ("REL", "PLN", "PCK", "ITR", "HUB", "OFD", "DLV")
RANK = {code: index for index, code in enumerate(ERP_ORDER)}
FROM_TMS = {"XB": "PLN", "X3": "PLN", "AF": "PCK", "X6": "ITR", "X4": "HUB"}
FROM_LASTMILE = {"taskStarted": "OFD", "taskArrival": "OFD"}

HANDLERS = {
    "order.released": "_released",
    "order.cancelled": "_cancelled",
    "shipment.status": "_shipment_status",
    "shipment.charges_finalized": "_charges",
    "task.updated": "_task_updated",
}
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 600.0
GIVE_UP_AFTER = 2 * 86400.0


class Parked(Exception):
    """Retrying cannot fix this; keep the event for a human and move on."""


class ReferenceSync(SyncImplementation):
    name = "reference"

    def __init__(self) -> None:
        self.working: set[str] = set()  # orders with a live worker (process memory only)

    def start(self, io: IO) -> None:
        for key in list(io.store.keys("inbox/")):
            if io.store.get(key):
                self._wake(key.removeprefix("inbox/"), io)

    # --- receipt: dedupe, persist, ack -----------------------------------------------------------

    def on_event(self, event: Event, io: IO) -> None:
        if f"seen/{event.event_id}" in io.store:
            return
        io.store.put(f"seen/{event.event_id}", True)
        if event.order_id is None:
            io.store.put(f"parked/{event.event_id}", "no order id in the envelope")
            return
        inbox = f"inbox/{event.order_id}"
        io.store.put(inbox, [*io.store.get(inbox, []), event])
        self._wake(event.order_id, io)

    def _wake(self, order_id: str, io: IO) -> None:
        if order_id not in self.working:
            self.working.add(order_id)
            io.spawn(self._work(order_id, io))

    def _work(self, order_id: str, io: IO) -> Handler:
        inbox = f"inbox/{order_id}"
        while pending := io.store.get(inbox):
            event = pending[0]
            try:
                yield from self._apply(event, io)
            except Parked as reason:
                io.store.put(f"parked/{event.event_id}", str(reason))
            io.store.put(inbox, io.store.get(inbox)[1:])
        self.working.discard(order_id)

    # --- applying one event ----------------------------------------------------------------

    def _apply(self, event: Event, io: IO) -> Handler:
        key = f"state/{event.order_id}"
        state = io.store.get(key) or {"status": "REL", "shipment": None, "task": None,
                                      "ship_to": None, "cancelled": False, "invoiced": False,
                                      "charges": [], "eta_recorded": None}
        handler = HANDLERS.get(event.type)
        if handler is None:
            raise Parked(f"unknown event type {event.type!r}")
        yield from getattr(self, handler)(event, state, io)
        io.store.put(key, state)

    def _released(self, event: Event, state: dict[str, Any], io: IO) -> Handler:
        if state["cancelled"] or state["shipment"]:
            return
        order_id, corr = event.order_id, event.correlation_id
        order = (yield from self._send(io, io.erp.get(f"/orders/{order_id}",
                                                      correlation_id=corr))).json()
        if order["status"] == "CNL":
            state["cancelled"] = True
            return
        state["ship_to"] = order["ship_to"]
        shipment = (yield from self._send(io, io.tms.post(
            "/shipments", json={"order_id": order_id, "ship_to": order["ship_to"],
                                "lines": order["lines"]},
            idempotency_key=f"shipment-{order_id}", correlation_id=corr))).json()
        state["shipment"] = shipment["id"]
        yield from self._advance(state, "PLN", event, io)

    def _cancelled(self, event: Event, state: dict[str, Any], io: IO) -> Handler:
        state["cancelled"] = True
        corr = event.correlation_id
        if state["shipment"]:  # 409: already departed, nothing left to cancel
            yield from self._send(io, io.tms.post(
                f"/shipments/{state['shipment']}/cancel", json={"reason": "order cancelled"},
                idempotency_key=f"cancel-{state['shipment']}", correlation_id=corr), accept=(409,))
        if state["task"]:
            yield from self._send(io, io.lastmile.post(
                f"/tasks/{state['task']}/cancel", json={"reason": "order cancelled"},
                idempotency_key=f"cancel-{state['task']}", correlation_id=corr), accept=(409,))

    def _shipment_status(self, event: Event, state: dict[str, Any], io: IO) -> Handler:
        if event.shipment_id != state["shipment"]:
            return  # not the shipment we created for this order
        code = event.payload.get("status_code")
        if event.classifier != "ACT":
            if code == "X4" and RANK[state["status"]] < RANK["HUB"]:
                yield from self._eta(state, event, io)
            return
        if code in FROM_TMS:
            yield from self._advance(state, FROM_TMS[code], event, io)
        if code == "X4" and not state["cancelled"] and not state["task"]:
            task = (yield from self._send(io, io.lastmile.post(
                "/tasks", json={"shipment_id": state["shipment"], "order_id": event.order_id,
                                "destination": state["ship_to"]},
                idempotency_key=f"task-{state['shipment']}",
                correlation_id=event.correlation_id))).json()
            state["task"] = task["id"]

    def _task_updated(self, event: Event, state: dict[str, Any], io: IO) -> Handler:
        if event.task_id != state["task"]:
            return
        trigger = event.payload.get("trigger")
        if event.classifier != "ACT":
            if trigger == "taskEta" and RANK[state["status"]] < RANK["DLV"]:
                yield from self._eta(state, event, io)
            return
        if trigger in FROM_LASTMILE:
            yield from self._advance(state, FROM_LASTMILE[trigger], event, io)
        details = event.payload.get("completion_details") or {}
        if trigger != "taskCompleted" or not details.get("success") or not details.get("pod"):
            return  # a failed attempt is a flag, not a stage
        yield from self._advance(state, "DLV", event, io)
        if state["cancelled"] or state["invoiced"]:
            return
        yield from self._send(io, io.erp.post(
            f"/orders/{event.order_id}/invoice",
            json={"pod_reference": details["pod"].get("photo"), "task_id": event.task_id},
            idempotency_key=f"invoice-{event.order_id}", correlation_id=event.correlation_id))
        state["invoiced"] = True

    def _charges(self, event: Event, state: dict[str, Any], io: IO) -> Handler:
        statement = event.payload
        if statement["statement_id"] in state["charges"]:
            return
        yield from self._send(io, io.erp.post(
            f"/orders/{event.order_id}/freight-charges",
            json={"statement_id": statement["statement_id"], "shipment_id": event.shipment_id,
                  "lines": statement["lines"], "total": statement["total"]},
            idempotency_key=f"charges-{statement['statement_id']}",
            correlation_id=event.correlation_id))
        state["charges"] = [*state["charges"], statement["statement_id"]]

    # --- writing to the ERP --------------------------------------------------------------------

    def _advance(self, state: dict[str, Any], status: str, event: Event, io: IO) -> Handler:
        """Move the ERP status forward only: ranks, not arrival order, decide."""
        if RANK[status] <= RANK[state["status"]]:
            return
        yield from self._send(io, io.erp.post(
            f"/orders/{event.order_id}/logistics-status",
            json={"status": status, "classifier": "ACT", "shipment_id": state["shipment"],
                  "event_time": event.event_time.isoformat()},
            idempotency_key=f"status-{event.order_id}-{status}",
            correlation_id=event.correlation_id))
        state["status"] = status

    def _eta(self, state: dict[str, Any], event: Event, io: IO) -> Handler:
        """Record an estimate without touching status; an older estimate never wins."""
        recorded = event.recorded_time.isoformat()
        if state["eta_recorded"] is not None and recorded <= state["eta_recorded"]:
            return
        yield from self._send(io, io.erp.post(
            f"/orders/{event.order_id}/logistics-status",
            json={"status": state["status"], "classifier": "EST",
                  "eta": event.payload.get("eta"), "event_time": event.event_time.isoformat()},
            idempotency_key=f"eta-{event.event_id}", correlation_id=event.correlation_id))
        state["eta_recorded"] = recorded

    # --- calling with retries -------------------------------------------------------------------

    def _send(self, io: IO, call: Call, accept: tuple[int, ...] = ()) -> Handler:
        """Retry until a definite answer; the same Call (and so Idempotency-Key) every time."""
        started, backoff = io.now, FIRST_BACKOFF
        while True:
            try:
                response: Response | None = yield call
            except TransportError:
                response = None
            status = None if response is None else response.status_code
            if response is not None and (response.ok or status in accept):
                return response
            if status is not None and status < 500 and status != 429:
                raise Parked(f"{call.method} {call.path} answered {status}: "
                             f"{response.json().get('detail')}")
            if (io.now - started).total_seconds() > GIVE_UP_AFTER:
                raise Parked(f"{call.method} {call.path}: no definite answer in two days")
            if status == 429:  # never before Retry-After; jitter spreads the herd after it
                yield io.sleep((response.retry_after or 0) + backoff * io.random.random())
            else:
                yield io.sleep(backoff * io.random.uniform(0.5, 1.0))
            backoff = min(backoff * 2, MAX_BACKOFF)
