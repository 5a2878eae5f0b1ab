"""Each simulator's HTTP API as a route table over its core: the one definition both faces use."""

from __future__ import annotations

from seatrial.simulators.api import Route, Router
from seatrial.simulators.erp.core import ErpCore
from seatrial.simulators.lastmile.core import LastMileCore
from seatrial.simulators.tms.core import TmsCore


def erp_router(erp: ErpCore) -> Router:
    return Router("erp", [
        Route("GET", "/orders/{order_id}", erp.get_order),
        Route("GET", "/customers/{customer_id}", erp.get_customer),
        Route("POST", "/orders/{order_id}/logistics-status", erp.write_logistics_status, True),
        Route("POST", "/orders/{order_id}/freight-charges", erp.post_freight_charges, True),
        Route("POST", "/orders/{order_id}/invoice", erp.release_invoice, True),
    ])


def tms_router(tms: TmsCore) -> Router:
    return Router("tms", [
        Route("POST", "/shipments", tms.create_shipment, True),
        Route("GET", "/shipments", tms.find_shipments),
        Route("GET", "/shipments/{shipment_id}", tms.get_shipment),
        Route("POST", "/shipments/{shipment_id}/cancel", tms.cancel_shipment, True),
    ])


def lastmile_router(lastmile: LastMileCore) -> Router:
    return Router("lastmile", [
        Route("POST", "/tasks", lastmile.create_task, True),
        Route("GET", "/tasks/{task_id}", lastmile.get_task),
        Route("POST", "/tasks/{task_id}/destination", lastmile.change_destination, True),
        Route("POST", "/tasks/{task_id}/cancel", lastmile.cancel_task, True),
    ])
