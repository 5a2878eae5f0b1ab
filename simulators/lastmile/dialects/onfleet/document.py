"""The onfleet dialect's OpenAPI 3.1 document, from its endpoints (as the canonical builder
does for Seatrial's own API): contracts/openapi/lastmile-onfleet.json."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seatrial.simulators.canonical import DOC_VERSION, JSON, JSON_SCHEMA, OPENAPI_VERSION
from seatrial.simulators.schema import obj, ref, string

if TYPE_CHECKING:
    from seatrial.simulators.dialect import Dialect

_PARAMETERS = {
    "task_id": "the task's 24-character id", "short_id": "the task's 8-hex-digit shortId",
    "webhook_id": "the webhook's 24-character id",
}
ERROR = obj({
    "code": string("the error's class, e.g. InvalidContent, InvalidCredentials, "
                   "ResourceNotFound, PreconditionFailed, TooManyRequests"),
    "message": obj({
        "error": {"type": "integer", "description": "the error's number, e.g. 1000, 1008, "
                  "1102, 1402, 2300"},
        "message": string("what the number means"),
        "cause": string("why, naming the field at fault"),
        "request": string("the request's id"),
    }, ["error", "message", "cause", "request"]),
}, ["code", "message"], description="Onfleet's error shape, for every refusal")


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref("Error")}}}


def _operation(endpoint: Any) -> dict[str, Any]:
    params = [{"name": seg[1:-1], "in": "path", "required": True,
               "description": _PARAMETERS.get(seg[1:-1], seg[1:-1]),
               "schema": {"type": "string"}}
              for seg in endpoint.segments if seg.startswith("{")]
    responses: dict[str, Any] = {str(endpoint.status): {
        "description": "OK", "content": {JSON: {"schema": ref(endpoint.response)}}}}
    if endpoint.request is not None or endpoint.invalid is not None:
        responses["400"] = _error("InvalidContent: " + (endpoint.invalid or "the body is not "
                                                         "JSON"))
    responses["401"] = _error("InvalidCredentials: no API key, or not this organisation's")
    if params:
        responses["404"] = _error("ResourceNotFound: no such id (a deleted task too)")
    if endpoint.conflict is not None:
        responses["409"] = _error("PreconditionFailed: " + endpoint.conflict)
    responses["429"] = _error("TooManyRequests: over the organisation's rate limit")
    responses["503"] = _error("ServiceUnavailable: in an outage")
    operation: dict[str, Any] = {"operationId": endpoint.operation_id,
                                 "summary": endpoint.summary, "tags": [endpoint.segments[2]],
                                 "parameters": params, "responses": responses}
    if endpoint.request is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {JSON: {"schema": ref(endpoint.request)}}}
    return operation


def describe(dialect: Dialect) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for endpoint in dialect.endpoints:
        paths.setdefault(endpoint.template, {})[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": JSON_SCHEMA,
        "info": {"title": "Seatrial last-mile simulator API, onfleet dialect",
                 "version": DOC_VERSION,
                 "description": (
                     "The part of Onfleet's API v2 that Seatrial's last-mile platform speaks, "
                     "generated from simulators/lastmile/dialects/onfleet/. HTTP Basic auth "
                     "with the API key (SEATRIAL_CLIENT_SECRET) as the user name; errors in "
                     "Onfleet's shape. What is covered and where it departs from Onfleet: "
                     "docs/dialects.md#onfleet.")},
        "security": [{"apiKey": []}],
        "tags": [{"name": "tasks"}, {"name": "webhooks"}],
        "paths": paths,
        "components": {
            "schemas": {**dialect.schemas, "Error": ERROR},
            "securitySchemes": {"apiKey": {
                "type": "http", "scheme": "basic",
                "description": "the API key as the user name, no password"}},
        },
    }
