"""The `sap-s4` dialect's OpenAPI 3.1 document (contracts/openapi/erp-sap-s4.json), from its
endpoints, as SAP also publishes an OpenAPI description of its OData APIs beside the EDMX.

The EDMX (`$metadata`, contracts/edmx/) is the authority on entities and properties; this
document names the routes, their statuses and SAP's error body, so that the generic contract
tooling (schemathesis, the drift checks) reads this dialect as it reads the others. MERGE is
not an OpenAPI method: it is the same operation as PATCH (said in the PATCH description).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from seatrial.simulators.canonical import DOC_VERSION, JSON_SCHEMA, OPENAPI_VERSION
from seatrial.simulators.schema import obj, ref, string

if TYPE_CHECKING:
    from seatrial.simulators.api import Endpoint
    from seatrial.simulators.dialect import Dialect

JSON = "application/json"
_ANY = {"type": "object"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "SapError": obj({"error": obj({
        "code": string("SAP-shaped message code (ours, see docs/dialects.md)"),
        "message": obj({"lang": string("language"), "value": string("what went wrong")},
                       ["lang", "value"]),
        "innererror": _ANY,
    }, ["code", "message"])}, ["error"], description="SAP Gateway's OData V2 error body."),
    "Wrapped": obj({"d": _ANY}, ["d"], description="OData V2 JSON: the answer under d."),
    "SalesOrderUpdate": obj({
        "YY1_LogisticsStatus_SDH": string("the ERP logistics status (REL ... DLV)"),
        "YY1_LogisticsStatusClass_SDH": string("ACT, EST or PLN"),
        "YY1_ShipmentID_SDH": string("TMS shipment id"),
        "YY1_ETA_SDH": string("/Date(ms+0000)/"),
        "YY1_LogisticsEventTime_SDH": string("/Date(ms+0000)/"),
    }, ["YY1_LogisticsStatus_SDH"], description="The custom fields of the header; nothing "
                                                "else is writable here."),
    "PricingElementCreate": obj({
        "ConditionType": string("ZFRT (freight) by convention"),
        "ConditionAmount": string("the statement total, a decimal string"),
        "ConditionCurrency": string("the order's currency"),
        "YY1_FreightStatement_PEL": string("TMS charge statement id"),
        "YY1_ShipmentID_PEL": string("TMS shipment id"),
    }, ["ConditionAmount", "YY1_FreightStatement_PEL"]),
}

_MEDIA = {"Edmx": ("application/xml", {"type": "string"}),
          "Batch": ("multipart/mixed", {"type": "string"})}


def _content(schema: str) -> dict[str, Any]:
    media, body = _MEDIA.get(schema, (JSON, ref("Wrapped")))
    return {media: {"schema": body}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref("SapError")}}}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    names = re.findall(r"{(\w+)}", endpoint.template)
    operation: dict[str, Any] = {
        "operationId": f"{endpoint.handle.__name__}_{endpoint.method.lower()}",
        "summary": endpoint.summary + (" (MERGE is the same)" if endpoint.method == "PATCH"
                                       else ""),
        "parameters": [{"name": name, "in": "path", "required": True,
                        "schema": {"type": "string"},
                        "description": "an entity key segment, e.g. A_SalesOrder('SO-000001')"
                        if name == "entity" else "a navigation property, e.g. to_Item"}
                       for name in names],
        "responses": {
            str(endpoint.status): {"description": "OK"} if endpoint.status == 204 else
            {"description": "OK", "content": _content(endpoint.response)},
            "400": _error("bad input: key, query option, body or a property's value"),
            "401": _error("no or wrong Basic credentials"),
            "403": _error("a write without the session's CSRF token (x-csrf-token: Required)"),
            "404": _error("no such entity or segment"),
            "429": _error("rate limited"),
            "503": _error("in an outage"),
        },
    }
    if endpoint.template.endswith("{entity}") and endpoint.method in ("PATCH", "PUT"):
        operation["responses"]["412"] = _error("If-Match is not the current ETag")
        operation["responses"]["428"] = _error("If-Match is missing")
    if endpoint.request is not None:
        operation["requestBody"] = {"required": True, "content": _content(endpoint.request)
                                    if endpoint.request == "Batch" else
                                    {JSON: {"schema": ref(endpoint.request)}}}
    return operation


def describe(dialect: Dialect) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for endpoint in dialect.endpoints:
        if endpoint.method != "MERGE":
            paths.setdefault(endpoint.template, {})[endpoint.method.lower()] = \
                _operation(endpoint)
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": JSON_SCHEMA,
        "info": {"title": "Seatrial ERP simulator API, sap-s4 dialect", "version": DOC_VERSION,
                 "description": (
                     "SAP S/4HANA's API_SALES_ORDER_SRV and API_BUSINESS_PARTNER (OData V2) as "
                     "Seatrial's ERP simulator speaks them, generated from "
                     "simulators/erp/dialects/sap_s4/. The EDMX of each service is at its "
                     "$metadata and in contracts/edmx/. Basic auth; writes need a CSRF token "
                     "(X-CSRF-Token: Fetch on a GET) and its session cookie. See "
                     "docs/dialects.md.")},
        "security": [{"basic": []}],
        "paths": paths,
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "basic": {"type": "http", "scheme": "basic",
                      "description": "the communication user: client id and secret"}}},
    }
