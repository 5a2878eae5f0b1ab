"""Request routing shared by every transport face and every dialect: (method, path) -> the
dialect's endpoint -> the core's command -> Reply.

Both faces (in-process and HTTP) dispatch through the same `Router`, so a simulator's API is
defined exactly once, by its dialect's endpoints. The domain's refusals (`Invalid`, `NotFound`,
`Conflict`) become answers in the dialect's error shape; the canonical one is RFC 9457 problem
documents. Bad input is always a 4xx.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from seatrial.model.wire import METHODS
from seatrial.simulators.domain import Conflict, Invalid, NotFound

PROBLEM_BASE = "https://seatrial.dev/problems/"

# The largest money amount (absolute value) a request may carry: far beyond any freight bill,
# and well inside the range where a float still holds every penny exactly (2**53 / 100).
MAX_AMOUNT = 1_000_000_000


@dataclass(slots=True)
class Reply:
    """An endpoint's answer. `body` is a JSON value, sent as JSON, or `bytes`, sent as they are
    (XML, multipart/mixed, ...) under the `content-type` the dialect sets in `headers` (see
    `raw_body`). `headers` has one value per name; `set_cookie` holds `Set-Cookie` values, one
    header each: the one field HTTP does not let a server fold into one line (RFC 9110 5.3)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    set_cookie: tuple[str, ...] = ()
    #: a request that carried requests (`Endpoint.carries`, a `$batch`): the answer to each of
    #: them, in the order `carries` read them; empty when none of them ran
    inner: tuple[Reply, ...] = ()


def raw_body(reply: Reply) -> bytes | None:
    """The reply's body when it is raw bytes, else None (a JSON value). A raw body without a
    content-type is the dialect's bug, refused loudly: no client could tell what it is."""
    body = reply.body
    if type(body) is not bytes:
        return None
    if "content-type" not in reply.headers:
        raise TypeError(f"a Reply {reply.status} with a bytes body and no content-type header; "
                        "the dialect must say what the bytes are")
    return body


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Reply:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return Reply(status, body, {"content-type": "application/problem+json"})


@dataclass(slots=True)
class ApiRequest:
    """A request as an endpoint reads it. `body` is the parsed JSON body (None without one);
    `content` the raw body when it was not taken as JSON (a media type in the dialect's
    `raw_media_types`, or an in-process call's `content=`); `headers` every request header
    field, names lower-case (live, all but the hop-by-hop ones; in-process, the call's own
    plus Idempotency-Key, X-Correlation-ID and the content-type a client adds for JSON)."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    idempotency_key: str | None
    correlation_id: str | None
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes | None = None
    #: the credential a mailbox call carries (an SFTP login, `Call.login`; None: none, as on
    #: every HTTP request, whose bearer token is checked before it gets here)
    login: Any = None


Handler = Callable[[ApiRequest], Reply]
#: A dialect's endpoint handler: reads the wire request, calls its core's command, renders the
#: record the command returns.
Handle = Callable[[Any, ApiRequest], Reply]
#: The canonical keys a request concerns (order_id, shipment_id, task_id, customer_id), from its
#: path parameters, body and query (params, body, query): what the checks tie a call to its
#: order by, in any dialect.
Subject = Callable[[dict[str, str], Any, dict[str, str]], dict[str, str]]
KEYS = ("order_id", "shipment_id", "task_id", "customer_id")


class Inner(NamedTuple):
    """A request carried inside another (a part of a `$batch`), as the router dispatches it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


#: The requests a request carries, from its raw body and header fields (lower-case names), in
#: the order its handler runs them; none when the body cannot be read (its answer says why).
Carries = Callable[[bytes | None, Mapping[str, str]], list[Inner]]


class Meaning(NamedTuple):
    """A request carried inside another, as the ledger records it beside the wire detail."""

    inner: Inner
    operation: str | None
    subject: dict[str, str]


def canonical_subject(params: dict[str, str], body: Any, _query: dict[str, str]
                      ) -> dict[str, str]:
    """Path parameters named as canonical keys, else the body's `order_id` (a create)."""
    subject = {name: value for name, value in params.items() if name in KEYS}
    if not subject and isinstance(body, dict) and isinstance(body.get("order_id"), str):
        subject["order_id"] = body["order_id"]
    return subject


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One route of a dialect, declared once beside its schemas: what it does (`handle`, over
    the core command `operation`) and what its API description says about it."""

    method: str
    template: str
    handle: Handle
    #: the core command; its name is the canonical operation. None: the route serves the
    #: API's description ($metadata, a service document) or carries requests (`carries`),
    #: and performs none itself
    operation: Callable[..., Any] | None
    summary: str
    status: int                    # the success status
    response: str                  # schema of the success body (the dialect's component)
    request: str | None = None     # schema of the JSON body; None: no body
    request_required: bool = True
    idempotent: bool = False       # honours Idempotency-Key (Stripe model)
    invalid: str | None = None     # when it answers invalid-field
    conflict: str | None = None    # when it answers conflict
    query: tuple[tuple[str, str], ...] = ()  # optional string query parameters: (name, doc)
    links: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    subject: Subject = canonical_subject
    carries: Carries | None = None  # the requests it carries, each its own operation

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.template.strip("/").split("/"))

    @property
    def operation_id(self) -> str:
        """Its name in the API description: its handler's (two endpoints may share an
        operation, never a name)."""
        return self.handle.__name__


class Endpoints:
    """A dialect's endpoint table: matches a request line to its endpoint and path parameters
    (no core needed: contract drift names endpoints with it)."""

    def __init__(self, system: str, endpoints: tuple[Endpoint, ...]) -> None:
        self.system = system
        self.endpoints = endpoints
        self._operations = {id(e): None if e.operation is None else
                            f"{system}.{e.operation.__name__}" for e in endpoints}
        self._table: dict[tuple[str, int], list[tuple[tuple[str, ...], Endpoint]]] = {}
        for endpoint in endpoints:
            segs = endpoint.segments
            self._table.setdefault((endpoint.method, len(segs)), []).append((segs, endpoint))

    def match(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        parts = path.strip("/").split("/")
        for segs, endpoint in self._table.get((method, len(parts)), ()):
            params: dict[str, str] = {}
            for seg, part in zip(segs, parts, strict=True):
                if seg[0] == "{":
                    params[seg[1:-1]] = part
                elif seg != part:
                    break
            else:
                return endpoint, params
        return None

    def operation(self, endpoint: Endpoint) -> str | None:
        """The canonical operation an endpoint performs, e.g. `tms.create_shipment`."""
        return self._operations[id(endpoint)]


# Canonical JSON: object members sorted, no whitespace, types kept (true, 1 and 1.0 are three
# different texts, as they are on the wire), non-finite numbers refused. orjson writes it for
# nearly every body (the hot path: a few tenths of a microsecond); Python's encoder takes what
# orjson does not (integers beyond 64 bits, lone surrogates), each body always the same way.
_SORTED = orjson.OPT_SORT_KEYS
_FALLBACK = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True,
                             separators=(",", ":"))
NOT_FINITE = ("a finite number; JSON has no NaN or Infinity, and a number such as 1e400 "
              "overflows to infinity")


def canonical(body: Any) -> bytes | str:
    """The request body as canonical JSON, or `Invalid` naming the field JSON cannot carry:
    a non-finite number anywhere in it (1e400 parses to infinity), or, from an in-process
    caller, a value that is not JSON at all. The router checks every body with it, so every
    endpoint refuses them, and it is what Idempotency-Key compares."""
    try:
        text = orjson.dumps(body, option=_SORTED)
    except TypeError:  # orjson.JSONEncodeError
        try:
            return _FALLBACK.encode(body)
        except (TypeError, ValueError, RecursionError):
            raise Invalid(*_not_json(body)) from None
    if b"null" in text:  # orjson writes NaN and infinities as null: look closer
        found = _not_finite(body, "")
        if found is not None:
            raise Invalid(found, NOT_FINITE)
    return text


def _not_finite(value: Any, where: str) -> str | None:
    """The path of the first NaN or infinity in a JSON value, or None."""
    if isinstance(value, float):
        return None if value - value == 0.0 else where or "body"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(item, str | int | None):
                found = _not_finite(item, f"{where}.{key}" if where else key)
                if found is not None:
                    return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if not isinstance(item, str | int | None):
                found = _not_finite(item, f"{where or 'body'}[{index}]")
                if found is not None:
                    return found
    return None


def _not_json(body: Any) -> tuple[str, str]:
    """(field, fix) for the first value of `body` that canonical JSON refused."""
    try:
        found = _find_not_json(body, "")
    except RecursionError:
        found = None
    return found or ("body", "a JSON value, nested less deeply and not containing itself")


def _find_not_json(value: Any, where: str) -> tuple[str, str] | None:
    if isinstance(value, float):
        return None if math.isfinite(value) else (where or "body", NOT_FINITE)
    if isinstance(value, int):  # bool included
        try:
            repr(value)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            return where or "body", (f"a number of at most {sys.get_int_max_str_digits()} "
                                     "digits")
        return None
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return where or "body", "an object whose member names are strings"
            found = _find_not_json(item, f"{where}.{key}" if where else key)
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _find_not_json(item, f"{where or 'body'}[{index}]")
            if found:
                return found
        return None
    return where or "body", f"a JSON value, not {type(value).__name__}"


def amount(value: Any, name: str, what: str) -> int | float:
    """A money amount: a finite number within +-MAX_AMOUNT, else `Invalid` naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(name, f"{what}, a number")
    if not -MAX_AMOUNT <= value <= MAX_AMOUNT:  # NaN fails this too
        raise Invalid(name, f"{what}, a finite number from -{MAX_AMOUNT:,} to {MAX_AMOUNT:,}")
    return value


def require(body: Any, name: str, kind: type | tuple[type, ...], fix: str) -> Any:
    """Fetch a required body field of the given type or raise `Invalid` naming it."""
    if not isinstance(body, dict):
        raise Invalid("body", "send a JSON object")
    value = body.get(name)
    if value is None or not isinstance(value, kind) or isinstance(value, bool):
        raise Invalid(name, fix)
    return value


ADDRESS_FIELDS = ("name", "street", "city", "postcode", "country")


def require_address(value: Any, name: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """An address object ({name, street, city, postcode, country}): every field it has, and
    the `required` ones, are strings; else `Invalid` names the field (`name`.field)."""
    if not isinstance(value, dict):
        raise Invalid(name, "the address object, e.g. {street, city, postcode, country}")
    for key in ADDRESS_FIELDS:
        if (key in value or key in required) and not isinstance(value.get(key), str):
            raise Invalid(f"{name}.{key}" if name != "body" else key, f"the {key}, a string")
    return value


def optional_string(body: dict[str, Any], name: str, fix: str) -> str | None:
    """An optional body field that is a string or null, else `Invalid` naming it."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise Invalid(name, fix)
    return value


def no_fields(body: Any) -> None:
    """A request whose body carries nothing: an object (its fields ignored), or none at all."""
    if body is not None and not isinstance(body, dict):
        raise Invalid("body", "send {} or no body; this request takes no fields")


class IdempotencyStore:
    """Stripe model: the first reply for a key is stored and replayed; same key, other request:
    422. A request is its method, path and canonical JSON body: member order does not matter,
    types do (false is not 0, 1 is not 1.0, as their bytes differ), and the first request is
    kept as text, so an in-process caller changing its body afterwards changes nothing. A raw
    body (`content`) is compared byte for byte."""

    def __init__(self) -> None:
        self._replies: dict[str, tuple[tuple[str, str, bytes | str | None, bytes | None],
                                       Reply]] = {}

    def run(self, request: ApiRequest, handler: Handler,
            body_json: bytes | str | None = None) -> Reply:
        """`body_json` is `canonical(request.body)` when the caller has it already."""
        key = request.idempotency_key
        if body_json is None and request.body is not None:
            body_json = canonical(request.body)
        fingerprint = (request.method, request.path, body_json, request.content)
        stored = self._replies.get(key)
        if stored is None:
            reply = handler(request)
            self._replies[key] = (fingerprint, reply)
            return reply
        if stored[0] != fingerprint:
            return problem(422, "idempotency-key-reused", "Idempotency-Key reused",
                           f"Idempotency-Key {key!r} was first used for a different request; "
                           "use a new key for a new request", field="Idempotency-Key")
        first = stored[1]
        return Reply(first.status, first.body, {**first.headers, "idempotent-replayed": "true"},
                     first.set_cookie)


#: Renders a refusal in a dialect's error shape: (status, slug, title, detail, extras) -> Reply.
Errors = Callable[..., Reply]


class Router:
    """One system's API over its core, in one dialect: `endpoints` say what each request
    means, `errors` how a refusal looks on the wire."""

    def __init__(self, endpoints: Endpoints, core: Any, errors: Errors = problem) -> None:
        self.system = endpoints.system
        self.endpoints = endpoints
        self.core = core
        self.errors = errors
        self.idempotency = IdempotencyStore()

    def match(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        return self.endpoints.match(method, path)

    def meaning(self, found: tuple[Endpoint, dict[str, str]] | None, body: Any,
                query: dict[str, str] | None = None) -> tuple[str | None, dict[str, str]]:
        """What a matched request means in any dialect: its canonical operation and the keys
        it concerns (what the ledger records beside the wire detail); none for no endpoint."""
        if found is None:
            return None, {}
        endpoint, params = found
        return self.endpoints.operation(endpoint), endpoint.subject(params, body, query or {})

    def carried(self, found: tuple[Endpoint, dict[str, str]] | None, content: bytes | None,
                headers: Mapping[str, str]) -> list[Meaning]:
        """The requests a matched request carries (a `$batch`'s parts), each with what it
        means: the ledger records each as its own call, so a check sees every operation and
        the order it concerns, however the SUT sent it."""
        if found is None or found[0].carries is None:
            return []
        return [Meaning(inner, *self.meaning(self.match(inner.method, inner.path), inner.body,
                                             inner.query))
                for inner in found[0].carries(content, headers)]

    def dispatch(self, method: str, path: str, query: dict[str, str] | None = None,
                 body: Any = None, headers: dict[str, str] | None = None,
                 body_json: bytes | str | None = None,
                 found: tuple[Endpoint, dict[str, str]] | None = None,
                 content: bytes | None = None, login: Any = None) -> Reply:
        """`headers` are all the request's header fields (lower-case names) and `content` its
        raw body when it was not taken as JSON (see `ApiRequest`); `login` the credential a
        mailbox call carries. `body_json` is
        `canonical(body)` if the caller wrote it already (the in-process transport does, when
        the call is sent); `found` is `match(method, path)`, likewise."""
        found = found or self.match(method, path)
        errors = self.errors
        if found is None:
            allowed = [other for other in METHODS
                       if self.match(other, path)]
            if allowed:
                reply = errors(405, "method-not-allowed", "Method not allowed",
                               f"{method} is not supported on {path}; use "
                               f"{' or '.join(allowed)}")
                reply.headers["allow"] = ", ".join(allowed)  # RFC 9110 15.5.6
                return reply
            return errors(404, "no-such-endpoint", "No such endpoint",
                          f"{self.system} has no endpoint {method} {path}")
        endpoint, params = found
        headers = headers or {}
        request = ApiRequest(method, path, params, query or {}, body,
                             headers.get("idempotency-key"), headers.get("x-correlation-id"),
                             headers, content, login)
        handle = endpoint.handle
        try:
            if body is not None and body_json is None:
                body_json = canonical(body)  # every body: finite JSON
            if endpoint.idempotent and request.idempotency_key is not None:
                if not request.idempotency_key:
                    raise Invalid("Idempotency-Key", "send a non-empty key (e.g. a UUID) or "
                                  "leave the header out")
                return self.idempotency.run(request, lambda r: self._handle(handle, r),
                                            body_json)
            return self._handle(handle, request)
        except Invalid as bad:
            return errors(422, "invalid-field", f"Invalid field {bad.field_name!r}",
                          bad.fix, field=bad.field_name)
        except NotFound as missing:
            return errors(404, "not-found", f"{missing.what} not found", str(missing))

    def _handle(self, handle: Handle, request: ApiRequest) -> Reply:
        """The endpoint's answer; a conflict with the record's state is an answer too (an
        idempotent endpoint stores it and replays it), unlike bad input or a missing record."""
        try:
            return handle(self.core, request)
        except Conflict as state:
            return self.errors(409, "conflict", "Conflict with current state", str(state))
