"""The naive sync implementation: a point-to-point mapping, as first drafts are written.

No dedupe, no Idempotency-Key, no retries of its own (it leans on the source's redelivery), no
correlation id, events applied in arrival order, invoice on the first "completed", write-back
responses never checked. It speaks the dialects through the same connectors as the reference
(`connectors`), with none of the reference's care: each call is sent once, whatever answers.
"""

from __future__ import annotations

from seatrial.sdk import IO, Call, Event, Handler, SyncImplementation
from seatrial.sync_implementations.connectors import Links, Recheck, links

FROM_TMS = {"XB": "PLN", "X3": "PLN", "AF": "PCK", "X6": "ITR", "X4": "HUB"}
FROM_LASTMILE = {"taskStarted": "OFD", "taskArrival": "OFD", "taskCompleted": "DLV"}


def _once(call: Call, accept: tuple[int, ...] = (), recheck: Recheck | None = None) -> Handler:
    """Send it, take whatever comes back: no retry, no lookup."""
    return (yield call)


class NaiveSync(SyncImplementation):
    name = "naive"
    defect = ("point-to-point: no dedupe, no Idempotency-Key, no retries, arrival order, "
              "invoices on any completion")

    def __init__(self) -> None:
        self.connected: tuple[IO, Links] | None = None  # the connectors, made once per IO

    def start(self, io: IO) -> Handler | None:
        self.connect(io).tms.start()  # the EDI files' collector, in the x12 dialect
        return self.connect(io).lastmile.start()

    def connect(self, io: IO) -> Links:
        """The connectors, made once per IO (a collector of EDI files runs once); an event
        one reads back (a file collected) is handled as if delivered."""
        if self.connected is None or self.connected[0] is not io:
            self.connected = io, links(io, _once,
                                       lambda event: io.spawn(self.on_event(event, io)))
        return self.connected[1]

    def on_event(self, event: Event, io: IO) -> Handler:
        link = self.connect(io)
        order_id = event.order_id
        payload = event.payload
        if event.type == "order.released":
            order = yield from link.erp.read_order(order_id, None)
            shipment = yield from link.tms.create_shipment(order_id, order, None, None)
            yield from link.erp.write_status(order_id, {"status": "PLN", "shipment_id": shipment},
                                             None, None)
        elif event.type == "order.cancelled":
            order = yield from link.erp.read_order(order_id, None)
            if order.shipment_id:
                yield from link.tms.cancel_shipment(order.shipment_id, None, None, None)
        elif event.type == "shipment.status" and event.classifier == "ACT":
            code = payload["status_code"]
            if code in FROM_TMS:
                yield from link.erp.write_status(order_id, {"status": FROM_TMS[code]}, None, None)
            if code == "X4":
                order = yield from link.erp.read_order(order_id, None)
                yield from link.lastmile.create_task(order_id, event.shipment_id, order.ship_to,
                                                     None, None)
        elif event.type == "shipment.charges_finalized":
            yield from link.erp.post_charges(order_id, {
                "statement_id": payload["statement_id"], "shipment_id": event.shipment_id,
                "lines": payload["lines"], "total": payload["total"]}, None, None)
        elif event.type == "task.updated" and event.classifier == "ACT":
            trigger = payload["trigger"]
            if trigger in FROM_LASTMILE:
                yield from link.erp.write_status(order_id, {"status": FROM_LASTMILE[trigger]},
                                                 None, None)
            if trigger == "taskCompleted":
                yield from link.erp.release_invoice(order_id, {"task_id": event.task_id},
                                                    None, None)

