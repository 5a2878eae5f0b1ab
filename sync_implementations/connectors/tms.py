"""The TMS in Seatrial's canonical API: shipments created and cancelled, deduped by
Idempotency-Key (`tms_x12` speaks the same calls as EDI files)."""

from __future__ import annotations

from seatrial.sdk import Handler
from seatrial.sync_implementations.connectors.base import Connector, Order


class Tms(Connector):
    def create_shipment(self, order_id: str, order: Order, key: str | None,
                        corr: str | None) -> Handler:
        """The shipment's id."""
        shipment = (yield from self.send(self.io.tms.post(
            "/shipments", json={"order_id": order_id, "ship_to": order.ship_to,
                                "lines": order.lines},
            idempotency_key=key, correlation_id=corr))).json()
        return shipment["id"]

    def cancel_shipment(self, shipment_id: str, reason: str | None, key: str | None,
                        corr: str | None) -> Handler:
        """409 is an answer: the shipment has departed, nothing is left to cancel."""
        yield from self.send(self.io.tms.post(
            f"/shipments/{shipment_id}/cancel", json={"reason": reason} if reason else {},
            idempotency_key=key, correlation_id=corr), accept=(409,))
