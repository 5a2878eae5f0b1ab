"""JSON Schema 2020-12 building blocks for the API descriptions: what every dialect's schemas
and the event payload schemas are written with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DATE_TIME = {"type": "string", "format": "date-time"}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], required: Sequence[str] = (), *, closed: bool = False,
        description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


def string(description: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **more}


def nullable(description: str, **more: Any) -> dict[str, Any]:
    return {"type": ["string", "null"], "description": description, **more}


# --- the domain's shapes that API bodies and event payloads share ------------------------------

ADDRESS = obj({
    "name": string("recipient name"),
    "street": string("street address"),
    "city": string("city"),
    "postcode": string("postcode"),
    "country": string("ISO 3166-1 alpha-2 country code", examples=["GB"]),
}, description="A postal address as the ERP holds it: {street, city, postcode, country}.")

CHARGE_LINE = obj({
    "code": string("charge code", examples=["LINEHAUL", "FUEL", "DETENTION", "LIFTGATE"]),
    "amount": {"type": "number"},
}, ["amount"], description="One line of a TMS freight-charge statement: {code, amount}.")

POD = obj({
    "signed_by": string("who signed for the parcel"),
    "photo": string("reference of the proof-of-delivery photo", examples=["pod/T-000001.jpg"]),
    "captured_at_attempt": {"type": "integer", "minimum": 1},
}, ["signed_by", "photo"], description="Proof of delivery.")
