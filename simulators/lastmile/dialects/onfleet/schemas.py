"""The JSON Schemas of the onfleet dialect's bodies (its OpenAPI document's components)."""

from __future__ import annotations

from typing import Any

from seatrial.simulators.lastmile.dialects.onfleet.webhooks import TRIGGERS
from seatrial.simulators.lastmile.events import STATE_SCHEMA
from seatrial.simulators.schema import obj, ref, string

TEXT = {"type": "string", "maxLength": 2000}
MS = {"type": "integer", "minimum": 0, "description": "Unix time in milliseconds"}
METADATA = {"type": "array", "maxItems": 50, "items": obj({
    "name": string("e.g. order_id, shipment_id"), "type": string("e.g. string"),
    "value": {}, "visibility": {"type": "array", "items": {"type": "string"}}},
    ["name", "type", "value"]),
    "description": "must hold order_id and shipment_id (type string): the task's keys"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Address": obj({
        "name": TEXT, "number": TEXT, "street": TEXT, "apartment": TEXT, "city": TEXT,
        "state": TEXT, "postalCode": TEXT, "country": TEXT,
    }, ["street", "city", "postalCode"]),
    "Destination": obj({"address": ref("Address"), "notes": TEXT}, ["address"]),
    "Recipient": obj({"name": TEXT, "phone": TEXT, "notes": TEXT}, ["name"]),
    "CompletionDetails": obj({
        "success": {"type": "boolean"},
        "failureReason": string("NONE on success; else the driver's reason, e.g. "
                                "RECIPIENT_NOT_HOME"),
        "notes": {"type": "string"},
        "photoUploadIds": {"type": "array", "items": {"type": "string"}},
        "signatureUploadId": {"type": ["string", "null"]},
        "time": MS,
    }, ["success", "failureReason", "notes", "photoUploadIds", "signatureUploadId"]),
    "TaskCreate": obj({
        "destination": ref("Destination"),
        "recipients": {"type": "array", "maxItems": 50, "items": ref("Recipient")},
        "completeAfter": MS, "completeBefore": MS, "metadata": METADATA, "notes": TEXT,
    }, ["destination", "metadata"]),
    "TaskUpdate": obj({"destination": ref("Destination")}, ["destination"],
                      description="only the destination is updated here"),
    "Task": obj({
        "id": string("24 characters"), "shortId": string("8 hex digits"),
        "timeCreated": MS, "organization": {"type": "string"}, "merchant": {"type": "string"},
        "executor": {"type": "string"}, "creator": {"type": "string"}, "state": STATE_SCHEMA,
        "worker": {"type": ["string", "null"]}, "pickupTask": {"type": "boolean"},
        "dependencies": {"type": "array"},
        "completeAfter": {"type": ["integer", "null"]},
        "completeBefore": {"type": ["integer", "null"]}, "notes": {"type": "string"},
        "completionDetails": ref("CompletionDetails"), "metadata": {"type": "array"},
        "recipients": {"type": "array", "items": ref("Recipient")},
        "destination": ref("Destination"),
    }, ["id", "shortId", "state", "worker", "completionDetails", "metadata", "destination"]),
    "Tasks": {"type": "array", "items": ref("Task")},
    "MetadataQuery": {"type": "array", "minItems": 1, "maxItems": 50, "items": obj({
        "name": string("e.g. shipment_id"), "type": string("e.g. string"), "value": {}},
        ["name", "type", "value"]),
        "description": "the tasks whose metadata hold every entry, by name and value"},
    "Deleted": obj({}, description="an empty object"),
    "WebhookCreate": obj({
        "url": {"type": "string", "minLength": 1, "maxLength": 2048,
                "description": "where deliveries go: the SUT's webhook URL for lastmile"},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "trigger": {"type": "integer", "enum": sorted(TRIGGERS),
                    "description": ", ".join(f"{k} {v}" for k, v in TRIGGERS.items())},
        "threshold": {"type": "integer"},
    }, ["url", "name", "trigger"]),
    "Webhook": obj({
        "id": string("24 characters"), "name": {"type": "string"}, "url": {"type": "string"},
        "trigger": {"type": "integer"}, "isEnabled": {"type": "boolean"},
        "threshold": {"type": "integer"},
    }, ["id", "name", "url", "trigger", "isEnabled"]),
    "Webhooks": {"type": "array", "items": ref("Webhook")},
}
