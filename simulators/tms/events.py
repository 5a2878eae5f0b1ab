"""The TMS's event types: the one place their type strings, payload keys, schema 2.0 shapes and
JSON Schemas are spelled (the registry is `seatrial.simulators.events`).

`payload()` builds the payload the TMS publishes; its keys and their order are part of every
run's ledger hash. `parse()` reads a recorded one (simulators/payload.py: fields a replay can do
without read as None when a log leaves them out). `payload_v2()` is what the TMS sends after it
moves to schema 2.0 (the `schema_drift` fault): milestones reshaped as vendors do (nested status,
camelCase; `vocabulary.V2_FIELDS` documents the mapping), charges wrapped whole.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from seatrial.model.vocabulary import TMS_REASON_CODES, TMS_STATUS_CODES
from seatrial.simulators.payload import (
    ARRAY,
    NUMBER,
    RETRACTION,
    TEXT,
    TIME,
    WRAPPED_V2,
    may,
    need,
    or_null,
    wrapped,
)
from seatrial.simulators.schema import DATE_TIME, nullable, obj, ref, string


class ShipmentStatus(NamedTuple):
    """An X12 214 milestone: status and reason code, the carrier (null before a tender is
    accepted), and on estimates the ETA (ISO 8601)."""

    status_code: str
    reason_code: str
    carrier: str | None
    eta: str | None = None

    TYPE = "shipment.status"
    SCHEMA, SCHEMA_V2 = "ShipmentStatusPayload", "ShipmentStatusPayloadV2"
    CODE = "status_code"  # the field holding the TMS's X12 code

    def payload(self) -> dict[str, Any]:
        body = {"status_code": self.status_code, "reason_code": self.reason_code,
                "carrier": self.carrier}
        if self.eta is not None:
            body["eta"] = self.eta
        return body

    def payload_v2(self) -> dict[str, Any]:
        shaped: dict[str, Any] = {"status": {"code": self.status_code, "reason": self.reason_code},
                                  "carrier": {"name": self.carrier}}
        if self.eta is not None:
            shaped["estimatedArrival"] = self.eta
        return shaped

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> ShipmentStatus:
        return cls(need(payload, cls.TYPE, "status_code", TEXT),
                   may(payload, "reason_code", TEXT, "NS"),
                   may(payload, "carrier", or_null(TEXT)), may(payload, "eta", or_null(TIME)))


class ChargesFinalized(NamedTuple):
    """The shipment's final freight-charge statement: {code, amount} lines and their total."""

    statement_id: str | None
    lines: list[dict[str, Any]]
    total: float | None
    currency: str | None

    TYPE = "shipment.charges_finalized"
    SCHEMA, SCHEMA_V2 = "ChargesFinalizedPayload", WRAPPED_V2

    def payload(self) -> dict[str, Any]:
        return {"statement_id": self.statement_id, "lines": self.lines, "total": self.total,
                "currency": self.currency}

    def payload_v2(self) -> dict[str, Any]:
        return wrapped(self.payload())

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> ChargesFinalized:
        lines = need(payload, cls.TYPE, "lines", ARRAY)
        return cls(may(payload, "statement_id", TEXT), lines, may(payload, "total", NUMBER),
                   may(payload, "currency", TEXT))


#: In the order the OpenAPI document lists them.
EVENTS = (ShipmentStatus, ChargesFinalized)

SCHEMAS: dict[str, dict[str, Any]] = {
    ShipmentStatus.SCHEMA: obj({
        "status_code": string("X12 214 AT7 shipment status code: " + ", ".join(
            f"{k} {v}" for k, v in TMS_STATUS_CODES.items()),
            examples=list(TMS_STATUS_CODES)),
        "reason_code": string("X12 214 AT7 reason code: " + ", ".join(
            f"{k} {v}" for k, v in TMS_REASON_CODES.items()),
            examples=list(TMS_REASON_CODES)),
        "carrier": nullable("carrier; null before a tender is accepted"),
        "eta": {**DATE_TIME, "description": "hub ETA, on X4 estimates"},
        **RETRACTION,
    }, ["status_code", "reason_code", "carrier"]),
    ChargesFinalized.SCHEMA: obj({
        "statement_id": string("TMS charge statement id"),
        "lines": {"type": "array", "items": ref("ChargeLine")},
        "total": {"type": "number"},
        "currency": string("ISO 4217 currency code", examples=["GBP"]),
    }, ["statement_id", "lines", "total", "currency"]),
    ShipmentStatus.SCHEMA_V2: obj({
        "status": obj({"code": {"type": "string"}, "reason": {"type": "string"}}),
        "carrier": obj({"name": {"type": ["string", "null"]}}),
        "estimatedArrival": DATE_TIME,
        **RETRACTION,
    }, ["status", "carrier"], description="schema 2.0 of shipment.status"),
}
