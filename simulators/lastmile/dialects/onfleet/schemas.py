"""The JSON Schemas of the onfleet dialect's bodies (its OpenAPI document's components)."""

from __future__ import annotations

from typing import Any

from seatrial.simulators.lastmile.dialects.onfleet.webhooks import TRIGGERS
from seatrial.simulators.lastmile.events import STATE_SCHEMA
from seatrial.simulators.schema import obj, ref, string

TEXT = {"type": ["string", "null"], "maxLength": 2000}  # optional: null is as if left out
NEEDED = {"type": "string", "minLength": 1, "maxLength": 2000}  # required: not empty either
MS = {"type": ["integer", "null"], "minimum": 0, "maximum": 10**15 - 1,
      "description": "Unix time in milliseconds"}
KEYS = ["order_id", "shipment_id"]  # the task's keys: the checks know it by them


def _entry(name: Any, value: Any) -> dict[str, Any]:
    return obj({"name": name, "type": string("e.g. string"), "value": value,
                "visibility": {"type": "array", "items": {"type": "string"}}},
               ["name", "type", "value"])


METADATA = {
    "type": "array", "maxItems": 50,
    "items": {"anyOf": [_entry({"enum": KEYS}, NEEDED),
                        _entry({"type": "string", "not": {"enum": KEYS}}, {})]},
    "allOf": [{"contains": _entry({"const": key}, NEEDED)} for key in KEYS],
    "description": "must hold order_id and shipment_id (type string): the task's keys"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Address": obj({
        "name": TEXT, "number": TEXT, "street": NEEDED, "apartment": TEXT, "city": NEEDED,
        "state": TEXT, "postalCode": NEEDED, "country": TEXT,
    }, ["street", "city", "postalCode"]),
    "Destination": obj({"address": ref("Address"), "notes": TEXT}, ["address"]),
    "Recipient": obj({"name": NEEDED, "phone": TEXT, "notes": TEXT}, ["name"]),
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
        "recipients": {"type": ["array", "null"], "maxItems": 50, "items": ref("Recipient")},
        "completeAfter": MS, "completeBefore": MS, "metadata": METADATA, "notes": TEXT,
    }, ["destination", "metadata"]),
    "TaskUpdate": obj({"destination": ref("Destination")}, ["destination"], closed=True,
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
        "threshold": {"type": ["integer", "null"]},
    }, ["url", "name", "trigger"]),
    "Webhook": obj({
        "id": string("24 characters"), "name": {"type": "string"}, "url": {"type": "string"},
        "trigger": {"type": "integer"}, "isEnabled": {"type": "boolean"},
        "threshold": {"type": "integer"},
    }, ["id", "name", "url", "trigger", "isEnabled"]),
    "Webhooks": {"type": "array", "items": ref("Webhook")},
}
