"""Recording a run as a log: every event the simulators publish, each released order as the
ERP held it at release (a later address change must not rewrite history)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seatrial.model.envelope import Event
from seatrial.simulators.erp.core import ErpCore
from seatrial.simulators.erp.events import OrderReleased
from seatrial.simulators.events import Sink


class Recording:
    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def around(self, publish: Sink, erp: Callable[[], ErpCore]) -> Sink:
        """`publish`, recording each event on its way (the ERP is built after its sink)."""
        def record(event: Event) -> None:
            if event.type == OrderReleased.TYPE:
                core = erp()
                order = core.orders[event.order_id or ""]
                customer = core.customers[order.customer_id]
                self.lines.append({
                    "record": "order", "id": order.id, "lines": order.lines,
                    "value": order.value, "currency": order.currency,
                    "ship_to": dict(order.ship_to),
                    "customer": {"id": customer.id, "name": customer.name,
                                 "email": customer.email, "address": customer.address}})
            self.lines.append(event.to_json())
            publish(event)
        return record
