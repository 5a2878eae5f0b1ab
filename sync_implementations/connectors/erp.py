"""The ERP in Seatrial's canonical API: orders read by id, the logistics status, freight
charges and invoice release each a POST under the order, deduped by Idempotency-Key."""

from __future__ import annotations

from typing import Any

from seatrial.sdk import Handler
from seatrial.sync_implementations.connectors.base import Connector, Order


class Erp(Connector):
    #: the ERP's events carry what changed (not only the order's key)
    thin = False

    def read_order(self, order_id: str, corr: str | None) -> Handler:
        """The order as the ERP holds it now (`Order`)."""
        order = (yield from self.send(self.io.erp.get(f"/orders/{order_id}",
                                                      correlation_id=corr))).json()
        return Order(order["status"] == "CNL", order["ship_to"], order["lines"],
                     order.get("shipment_id"))

    def write_status(self, order_id: str, fields: dict[str, Any], key: str | None,
                     corr: str | None) -> Handler:
        """The logistics status write-back: `fields` are status, classifier, shipment_id,
        eta and event_time (ISO 8601), as many as known."""
        yield from self.send(self.io.erp.post(f"/orders/{order_id}/logistics-status",
                                              json=fields, idempotency_key=key,
                                              correlation_id=corr))

    def post_charges(self, order_id: str, statement: dict[str, Any], key: str | None,
                     corr: str | None) -> Handler:
        """A freight-charge statement: statement_id, shipment_id, lines, total."""
        yield from self.send(self.io.erp.post(f"/orders/{order_id}/freight-charges",
                                              json=statement, idempotency_key=key,
                                              correlation_id=corr))

    def release_invoice(self, order_id: str, proof: dict[str, Any], key: str | None,
                        corr: str | None) -> Handler:
        """Invoice release, with the proof of delivery it rests on (task_id, pod_reference)."""
        yield from self.send(self.io.erp.post(f"/orders/{order_id}/invoice", json=proof,
                                              idempotency_key=key, correlation_id=corr))
