"""Seatrial's canonical dialect, what its three systems share: errors as RFC 9457 problem
documents (`seatrial.simulators.api.problem`), OAuth2 client-credentials bearer auth, the
Idempotency-Key and X-Correlation-ID headers, webhooks as the event envelope signed the
Standard Webhooks way, and the builder of its API documents from each system's endpoints
(`simulators/<system>/dialects/canonical.py`).

Why generated: an endpoint is declared once, beside its schemas, in its system's dialect
module; paths, methods, path parameters, operation ids, links and which endpoints honour
`Idempotency-Key` are read from there, so a new endpoint can never be missing from its
document, and `tests/test_openapi.py` fails when `contracts/openapi/` differs from a fresh
export (`python -m seatrial.simulators.openapi`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seatrial.model.envelope import Event, envelope_body
from seatrial.model.standard_webhooks import sign
from seatrial.simulators.api import Endpoint, problem
from seatrial.simulators.auth import Auth
from seatrial.simulators.schema import ADDRESS, DATE_TIME, obj, ref, string

if TYPE_CHECKING:
    from seatrial.simulators.dialect import Dialect

OPENAPI_VERSION = "3.1.0"
JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
DOC_VERSION = "1.0.0"
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
FORM = "application/x-www-form-urlencoded"

STALE_BY = 3600  # a replayed (stale) forged webhook is an hour old
WRONG_SECRET = "whsec_" + "QXR0YWNrZXIncyBvd24gc2VjcmV0IGtleSEhISE="

#: An event's webhook body: the envelope as compact JSON.
render_event = envelope_body


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes,
                   forgery: str | None = None) -> dict[str, str]:
    """Standard Webhooks headers as a source signs them at `timestamp`, or as a forger does
    (`forgery`: missing_signature, bad_signature, stale_timestamp). Shared by the dispatcher,
    `seatrial fuzz-sut` and `seatrial contracts verify-sut`, so all sign the same way."""
    if forgery == "stale_timestamp":
        timestamp -= STALE_BY
    elif forgery == "bad_signature":
        secret = WRONG_SECRET
    headers = {"webhook-id": message_id, "webhook-timestamp": str(timestamp)}
    if forgery != "missing_signature":
        headers["webhook-signature"] = sign(secret, message_id, timestamp, body)
    return headers



def sign_webhook(secret: str, event: Event, timestamp: int, body: bytes,
                 forgery: str | None = None) -> dict[str, str]:
    """A webhook's headers in the canonical dialect: Standard Webhooks, the event id as the
    message id."""
    return {**signed_headers(secret, event.event_id, timestamp, body, forgery),
            "content-type": "application/json"}


def _bearer(tokens: Any, system: str, authorization: str | None) -> str | None:
    return tokens.check(system, authorization)


#: OAuth2 client credentials: a bearer token from POST /oauth/token.
AUTH = Auth(_bearer, 'Bearer error="invalid_token"', "/oauth/token")


#: The link target of a created or read record: its id in the answer.
ID = "$response.body#/id"

_COMMON_SCHEMAS: dict[str, dict[str, Any]] = {
    "Problem": obj({
        "type": string("URI naming the problem, https://seatrial.dev/problems/<slug>, e.g. "
                   "not-found, no-such-endpoint, method-not-allowed, invalid-field, "
                   "idempotency-key-reused, conflict, rate-limited, unavailable", format="uri"),
        "title": string("short, human-readable summary of the problem type"),
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": string("what went wrong with this request and how to fix it"),
        "field": string("the request field at fault (422), e.g. status, lines[0].amount, "
                    "Idempotency-Key"),
    }, ["type", "title", "status", "detail"],
        description="RFC 9457 problem details; extension members may be added."),
    "FieldProblem": {
        "$ref": "#/components/schemas/Problem", "required": ["field"],
        "description": "A problem that names the field at fault and the fix in `detail`.",
    },
    "Address": ADDRESS,
    "TokenRequest": obj({
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "client_id": string("OAuth2 client id (SEATRIAL_CLIENT_ID); or send HTTP Basic"),
        "client_secret": string("OAuth2 client secret (SEATRIAL_CLIENT_SECRET); or HTTP Basic"),
    }, ["grant_type"]),
    "Token": obj({
        "access_token": string("bearer token for the Authorization header"),
        "token_type": {"type": "string", "enum": ["Bearer"]},
        "expires_in": {"type": "integer", "minimum": 1,
                       "description": "lifetime in wall-clock seconds"},
    }, ["access_token", "token_type", "expires_in"]),
}


PATH_PARAMETERS = {
    "order_id": ("ERP order id", "SO-000001"),
    "customer_id": ("ERP customer id", "C-00001"),
    "shipment_id": ("TMS shipment id", "SH-000001"),
    "task_id": ("last-mile task id", "T-000001"),
    # the TMS's x12 dialect: its mailbox, and the tender a 204 names (B204)
    "folder": ("mailbox folder: inbound (files for the TMS) or outbound (files from it)",
               "outbound"),
    "name": ("file name", "000000001.x12"),
    "tender_id": ("the tender's shipment identification number (204 B204)",
                  "shipment-SO-000001"),
}

# Paths the HTTP face serves besides the route table.
LIVE_ONLY_PATHS = ("/oauth/token", "/openapi.json")


# --- building blocks of an API document -------------------------------------------------------


def _header(ref: str) -> dict[str, Any]:
    return {"$ref": f"#/components/headers/{ref}"}


_SIM_HEADERS = {"x-seatrial-sim-time": _header("SimTime"),
                "x-seatrial-time-scale": _header("TimeScale")}


def _problem_response(description: str, example: dict[str, Any] | None = None,
                      schema: str = "Problem", **headers: Any) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": ref(schema)}
    if example is not None:
        media["example"] = example
    return {"description": description, "headers": {**_SIM_HEADERS, **headers},
            "content": {PROBLEM_JSON: media}}


# Retry-After in either form RFC 9110 (section 10.2.3) allows; the `rate_limit` and `outage`
# faults choose which (`retry_after: seconds | http_date`). A string in both forms, as it is on
# the wire: one pattern, so that a validator need not guess which of two schemas to parse by.
RETRY_AFTER = {"type": "string", "pattern": (
    r"^(?:[0-9]+|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    r"[0-9]{2}:[0-9]{2}:[0-9]{2} GMT)$"), "examples": ["2", "Mon, 05 Jan 2026 06:02:00 GMT"]}
RETRY_AFTER_MEANS = (
    "how long to wait, in whole seconds of the wall clock: delta-seconds (\"2\"), or the "
    "HTTP-date (IMF-fixdate) the wait ends, on the wall clock, beside the answer's Date; both "
    "rounded up, never early")
EXACT_WAIT = {"type": "string", "pattern": r"^[0-9]+\.[0-9]+$"}
EXACT_WAIT_MEANS = ("the exact wait in decimal wall-clock seconds, rounded up to the "
                    "microsecond (Retry-After rounds it up to whole seconds: an hour of "
                    "simulated time at 3600x)")


def _api_components(dialect: Dialect) -> dict[str, Any]:
    system = dialect.system
    return {
        "schemas": {**_COMMON_SCHEMAS, **dialect.schemas},
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "a token from POST /oauth/token"},
            # A relative tokenUrl is valid OpenAPI 3.1 (relative references are resolved
            # against the server); the 2022-10-07 3.1 JSON schema wrongly demands format "uri"
            # (OAI/OpenAPI-Specification#4327).
            "oauth2": {"type": "oauth2", "flows": {"clientCredentials": {
                "tokenUrl": "/oauth/token", "scopes": {}}}},
            "clientBasic": {"type": "http", "scheme": "basic",
                            "description": "client id and secret, for POST /oauth/token only"},
        },
        "parameters": {
            "IdempotencyKey": {
                "name": "Idempotency-Key", "in": "header", "required": False,
                "schema": {"type": "string", "minLength": 1},
                "description": "Stripe model: the first answer for a key is stored and "
                               "replayed (with idempotent-replayed: true); the same key with a "
                               "different request (method, path or JSON body; the order of "
                               "object members aside, types count: false is not 0, 1 is not "
                               "1.0) answers 422 idempotency-key-reused."},
            "CorrelationId": {
                "name": "X-Correlation-ID", "in": "header", "required": False,
                "schema": {"type": "string"},
                "description": "the correlation id of the event being handled "
                               "(corr-<order id>); carried into the events a create causes"},
        },
        "headers": {
            "SimTime": {"required": True, "schema": DATE_TIME,
                        "description": "simulated time of the answer (ISO 8601)"},
            "TimeScale": {"required": True, "schema": {"type": "number", "exclusiveMinimum": 0},
                          "description": "simulated seconds per wall-clock second"},
            "IdempotentReplayed": {"required": False,
                                   "schema": {"type": "string", "enum": ["true"]},
                                   "description": "present on a replayed idempotent answer"},
            "RetryAfter": {"required": True, "schema": RETRY_AFTER,
                           "description": RETRY_AFTER_MEANS + " before any further request to "
                                          "this system"},
            "ExactRetryAfter": {"required": True, "schema": EXACT_WAIT,
                                "description": EXACT_WAIT_MEANS},
            "BackAfter": {"required": False, "schema": RETRY_AFTER,
                          "description": RETRY_AFTER_MEANS + ", until the outage ends; only "
                                         "when the scenario's outage says so "
                                         "(`retry_after: seconds | http_date`)"},
            "ExactBackAfter": {"required": False, "schema": EXACT_WAIT,
                               "description": EXACT_WAIT_MEANS + "; with Retry-After"},
            "WwwAuthenticate": {"required": True, "schema": {"type": "string"},
                                "description": 'Bearer error="invalid_token"'},
        },
        "responses": {
            "BadRequest": _problem_response("the body is not JSON"),
            "Unauthorized": _problem_response(
                "the bearer token is missing, unknown or expired: fetch a new one and retry",
                **{"WWW-Authenticate": _header("WwwAuthenticate")}),
            "RateLimited": _problem_response(
                "rate limited: send nothing more to this system until Retry-After has passed",
                problem(429, "rate-limited", "Too many requests",
                        "rate limit exceeded; retry after 2s").body,
                **{"Retry-After": _header("RetryAfter"),
                   "x-seatrial-retry-after": _header("ExactRetryAfter")}),
            "Unavailable": _problem_response(
                "the system is in an outage: retry with backoff and the same Idempotency-Key "
                "(a Retry-After, when there is one, says when it is expected back)",
                problem(503, "unavailable", "Service unavailable",
                        f"{system} is down for maintenance or an outage; retry later").body,
                **{"Retry-After": _header("BackAfter"),
                   "x-seatrial-retry-after": _header("ExactBackAfter")}),
        },
    }


def _path_parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    parameters = []
    for segment in endpoint.segments:
        if segment.startswith("{"):
            name = segment[1:-1]
            doc, example = PATH_PARAMETERS.get(name, (name, None))
            param: dict[str, Any] = {"name": name, "in": "path", "required": True,
                                     "description": doc, "schema": {"type": "string"}}
            if example is not None:
                param["example"] = example
            parameters.append(param)
    return parameters


def _operation(op: Endpoint) -> dict[str, Any]:
    path_params = _path_parameters(op)
    links = op.links
    parameters: list[dict[str, Any]] = [*path_params]
    parameters += [{"name": name, "in": "query", "required": False, "description": doc,
                    "schema": {"type": "string"}} for name, doc in op.query]
    if op.idempotent:
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    parameters.append({"$ref": "#/components/parameters/CorrelationId"})

    replay = {"idempotent-replayed": _header("IdempotentReplayed")} if op.idempotent else {}
    responses: dict[str, Any] = {str(op.status): {
        "description": f"{'created' if op.status == 201 else 'OK'}: {op.response}",
        "headers": {**_SIM_HEADERS, **replay},
        "content": {JSON: {"schema": ref(op.response)}},
    }}
    if links:
        responses[str(op.status)]["links"] = {
            name: {"operationId": target, "parameters": parameters}
            for name, (target, parameters) in links.items()}
    if op.request is not None:
        responses["400"] = {"$ref": "#/components/responses/BadRequest"}
    responses["401"] = {"$ref": "#/components/responses/Unauthorized"}
    if path_params:
        what = path_params[0]["name"].removesuffix("_id")
        responses["404"] = _problem_response(
            f"no such {what}", problem(404, "not-found", f"{what} not found",
                                       f"{what} {path_params[0]['example']!r} not found").body)
    if op.conflict is not None:
        responses["409"] = _problem_response(op.conflict, **replay)
    invalid = []
    if op.invalid is not None:
        invalid.append(f"invalid-field: {op.invalid}")
    if op.request is not None:
        invalid.append("invalid-field: a number anywhere in the body is not finite (1e400 "
                       "overflows to infinity); field is its path")
    if op.idempotent:
        invalid.append("invalid-field Idempotency-Key: the header is empty; "
                       "idempotency-key-reused: the Idempotency-Key was first used for a "
                       "different request")
    if invalid:
        responses["422"] = _problem_response("; ".join(invalid), schema="FieldProblem")
    responses["429"] = {"$ref": "#/components/responses/RateLimited"}
    responses["503"] = {"$ref": "#/components/responses/Unavailable"}

    operation: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.segments[0]],
        "parameters": parameters,
        "responses": responses,
    }
    if op.request is not None:
        operation["requestBody"] = {"required": op.request_required,
                                    "content": {JSON: {"schema": ref(op.request)}}}
    return operation


def _live_paths(system: str) -> dict[str, Any]:
    token = {
        "operationId": "issue_token",
        "summary": "Issue an access token (OAuth2 client credentials)",
        "tags": ["auth"],
        "security": [{"clientBasic": []}, {}],
        "requestBody": {"required": True,
                        "content": {FORM: {"schema": ref("TokenRequest")}}},
        "responses": {
            "200": {"description": "a bearer token, valid for expires_in wall seconds",
                    "headers": dict(_SIM_HEADERS),
                    "content": {JSON: {"schema": ref("Token")}}},
            "400": _problem_response("grant_type is not client_credentials, or the client "
                                     "credentials are missing"),
            "401": _problem_response("unknown client id or wrong secret"),
            "429": {"$ref": "#/components/responses/RateLimited"},
            "503": {"$ref": "#/components/responses/Unavailable"},
        },
    }
    document = {
        "operationId": "get_openapi",
        "summary": "This document",
        "tags": ["meta"],
        "security": [],
        "responses": {"200": {"description": f"the OpenAPI 3.1 document of the {system} API",
                              "headers": dict(_SIM_HEADERS),
                              "content": {JSON: {"schema": {"type": "object"}}}}},
    }
    return {"/oauth/token": {"post": token}, "/openapi.json": {"get": document}}


def describe(dialect: Dialect) -> dict[str, Any]:
    """The OpenAPI 3.1 document of one system's canonical API, from its endpoints."""
    system, endpoints = dialect.system, dialect.endpoints
    paths: dict[str, Any] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.template, {})[endpoint.method.lower()] = _operation(endpoint)
    paths.update(_live_paths(system))
    title = dialect.title
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": JSON_SCHEMA,
        "info": {
            "title": f"Seatrial {title} simulator API",
            "version": DOC_VERSION,
            "description": (
                f"The HTTP face of Seatrial's {title} simulator in its canonical dialect, "
                f"generated from simulators/{system}/dialects/canonical.py. Every route needs "
                "a bearer token from POST /oauth/token. Errors are RFC 9457 problem documents "
                "(application/problem+json); an unknown path answers 404 no-such-endpoint, a "
                "known path with another method 405 method-not-allowed. Every answer carries "
                "x-seatrial-sim-time and x-seatrial-time-scale. See docs/live-protocol.md."),
        },
        "security": [{"bearer": []}, {"oauth2": []}],
        "tags": sorted(({"name": tag} for tag in
                        {e.segments[0] for e in endpoints} | {"auth", "meta"}),
                       key=lambda tag: tag["name"]),
        "paths": paths,
        "components": _api_components(dialect),
    }


#: The body of a cancel: nothing (its fields are ignored).
CANCEL_REQUEST = {"type": ["object", "null"],
                  "description": "Its fields are ignored; send {} or no body (null counts as "
                                 "none)."}
