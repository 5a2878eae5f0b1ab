"""The last-mile platform in Seatrial's canonical dialect: each endpoint declared once, beside
its schemas."""

from __future__ import annotations

from typing import Any

from seatrial.simulators.api import (
    ApiRequest,
    Endpoint,
    Reply,
    no_fields,
    require,
    require_address,
)
from seatrial.simulators.canonical import CANCEL_REQUEST, ID, describe
from seatrial.simulators.dialect import Dialect
from seatrial.simulators.lastmile.core import LastMileCore, Task
from seatrial.simulators.lastmile.events import STATE_SCHEMA
from seatrial.simulators.schema import POD, nullable, obj, ref, string

SCHEMAS: dict[str, dict[str, Any]] = {
    "TaskCreate": obj({
        "shipment_id": string("the TMS shipment id the parcel came on"),
        "order_id": string("the ERP order id"),
        "destination": ref("Address"),
    }, ["shipment_id", "order_id", "destination"]),
    "ProofOfDelivery": POD,
    "Task": obj({
        "id": string("task id", examples=["T-000001"]),
        "shipment_id": string("TMS shipment id"),
        "order_id": string("ERP order id"),
        "state": STATE_SCHEMA,
        "worker": nullable("assigned driver"),
        "cancelled": {"type": "boolean"},
        "attempts": {"type": "integer", "minimum": 0},
        "pod": {"anyOf": [ref("ProofOfDelivery"), {"type": "null"}]},
    }, ["id", "shipment_id", "order_id", "state", "worker", "cancelled", "attempts", "pod"],
        closed=True),
    "DestinationChange": {
        "$ref": "#/components/schemas/Address", "required": ["street", "city", "postcode"],
        "description": "The new delivery address; it replaces the task's destination whole.",
    },
    "CancelRequest": CANCEL_REQUEST,
}


def task_json(task: Task) -> dict[str, Any]:
    return {"id": task.id, "shipment_id": task.shipment_id, "order_id": task.order_id,
            "state": task.state, "worker": task.worker,
            "cancelled": task.cancelled_at is not None, "attempts": len(task.attempts),
            "pod": task.pod}


def create_task(lastmile: LastMileCore, request: ApiRequest) -> Reply:
    body = request.body
    shipment_id = require(body, "shipment_id", str, "the TMS shipment id the parcel came on")
    order_id = require(body, "order_id", str, "the ERP order id")
    destination = require_address(body.get("destination"), "destination")
    task = lastmile.create_task(shipment_id, order_id, destination, request.correlation_id,
                                request.idempotency_key)
    return Reply(201, task_json(task))


def get_task(lastmile: LastMileCore, request: ApiRequest) -> Reply:
    return Reply(200, task_json(lastmile.get_task(request.params["task_id"])))


def change_destination(lastmile: LastMileCore, request: ApiRequest) -> Reply:
    task = lastmile.get_task(request.params["task_id"])
    destination = require_address(request.body, "body", ("street", "city", "postcode"))
    return Reply(200, task_json(lastmile.change_destination(task, dict(destination))))


def cancel_task(lastmile: LastMileCore, request: ApiRequest) -> Reply:
    task = lastmile.get_task(request.params["task_id"])
    no_fields(request.body)
    return Reply(200, task_json(lastmile.cancel_task(task)))


_AFTER_A_TASK = {"CancelTask": ("cancel_task", {"task_id": ID})}

ENDPOINTS = (
    Endpoint("POST", "/tasks", create_task, LastMileCore.create_task,
             "Create a delivery task", 201, "Task", "TaskCreate", idempotent=True,
             invalid="shipment_id, order_id or destination missing or of the wrong type, or a "
                     "destination field not a string",
             links={"GetTask": ("get_task", {"task_id": ID}),
                    "ChangeDestination": ("change_destination", {"task_id": ID}),
                    **_AFTER_A_TASK}),
    Endpoint("GET", "/tasks/{task_id}", get_task, LastMileCore.get_task,
             "Read a task", 200, "Task", links=_AFTER_A_TASK),
    Endpoint("POST", "/tasks/{task_id}/destination", change_destination,
             LastMileCore.change_destination, "Change the delivery address", 200, "Task",
             "DestinationChange", idempotent=True,
             invalid="street, city or postcode missing, or an address field not a string",
             conflict="the task is finished (delivered, returned or cancelled)"),
    Endpoint("POST", "/tasks/{task_id}/cancel", cancel_task, LastMileCore.cancel_task,
             "Cancel a task (idempotent: an already cancelled one answers 200)", 200, "Task",
             "CancelRequest", request_required=False, idempotent=True,
             invalid="the body is neither a JSON object nor absent",
             conflict="the task is already delivered or returned"),
)

DIALECT = Dialect("canonical", "lastmile", "last-mile platform", ENDPOINTS, SCHEMAS, describe)
