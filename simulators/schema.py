"""JSON Schema 2020-12 building blocks, shared by the OpenAPI documents (simulators/openapi.py)
and the event payload schemas each system declares beside its event types
(simulators/<system>/events.py). A leaf module: the payload schemas cannot import openapi.py,
which imports the cores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


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


DATE_TIME = {"type": "string", "format": "date-time"}
