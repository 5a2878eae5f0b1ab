"""The naive sync implementation: a point-to-point mapping, as first drafts are written.

No dedupe, no Idempotency-Key, no retries of its own (it leans on the source's redelivery), no
correlation id, events applied in arrival order, invoice on the first "completed", write-back
responses never checked.
"""

from __future__ import annotations

from seatrial.sdk import IO, Event, Handler, SyncImplementation

FROM_TMS = {"XB": "PLN", "X3": "PLN", "AF": "PCK", "X6": "ITR", "X4": "HUB"}
FROM_LASTMILE = {"taskStarted": "OFD", "taskArrival": "OFD", "taskCompleted": "DLV"}


class NaiveSync(SyncImplementation):
    name = "naive"
    defect = ("point-to-point: no dedupe, no Idempotency-Key, no retries, arrival order, "
              "invoices on any completion")

    def on_event(self, event: Event, io: IO) -> Handler:
        order_id = event.order_id
        status_path = f"/orders/{order_id}/logistics-status"
        payload = event.payload
        if event.type == "order.released":
            order = (yield io.erp.get(f"/orders/{order_id}")).json()
            shipment = (yield io.tms.post("/shipments", json={
                "order_id": order_id, "ship_to": order["ship_to"], "lines": order["lines"]})).json()
            yield io.erp.post(status_path, json={"status": "PLN", "shipment_id": shipment["id"]})
        elif event.type == "order.cancelled":
            order = (yield io.erp.get(f"/orders/{order_id}")).json()
            if order["shipment_id"]:
                yield io.tms.post(f"/shipments/{order['shipment_id']}/cancel", json={})
        elif event.type == "shipment.status" and event.classifier == "ACT":
            code = payload["status_code"]
            if code in FROM_TMS:
                yield io.erp.post(status_path, json={"status": FROM_TMS[code]})
            if code == "X4":
                order = (yield io.erp.get(f"/orders/{order_id}")).json()
                yield io.lastmile.post("/tasks", json={
                    "shipment_id": event.shipment_id, "order_id": order_id,
                    "destination": order["ship_to"]})
        elif event.type == "shipment.charges_finalized":
            yield io.erp.post(f"/orders/{order_id}/freight-charges", json={
                "statement_id": payload["statement_id"], "shipment_id": event.shipment_id,
                "lines": payload["lines"], "total": payload["total"]})
        elif event.type == "task.updated" and event.classifier == "ACT":
            trigger = payload["trigger"]
            if trigger in FROM_LASTMILE:
                yield io.erp.post(status_path, json={"status": FROM_LASTMILE[trigger]})
            if trigger == "taskCompleted":
                yield io.erp.post(f"/orders/{order_id}/invoice", json={"task_id": event.task_id})
