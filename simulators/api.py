"""Request routing shared by every transport face: (method, path) -> core handler -> Reply.

Both faces (in-process and HTTP) dispatch through the same `Router`, so a simulator's API is
defined exactly once. Errors are RFC 9457 problem documents; bad input is always a 4xx.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PROBLEM_BASE = "https://seatrial.dev/problems/"


@dataclass(slots=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Reply:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return Reply(status, body, {"content-type": "application/problem+json"})


class Invalid(Exception):
    """Raised by a handler for bad input; becomes a 422 problem naming the field and the fix."""

    def __init__(self, field_name: str, fix: str) -> None:
        super().__init__(f"{field_name}: {fix}")
        self.field_name = field_name
        self.fix = fix


class NotFound(Exception):
    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"{what} {key!r} not found")
        self.what = what
        self.key = key


@dataclass(slots=True)
class ApiRequest:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    idempotency_key: str | None
    correlation_id: str | None


Handler = Callable[[ApiRequest], Reply]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    handler: Handler
    idempotent: bool = False  # honours Idempotency-Key (Stripe model)

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.template.strip("/").split("/"))


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
    """Stripe model: the first reply for a key is stored and replayed; same key, other body: 422."""

    def __init__(self) -> None:
        self._replies: dict[str, tuple[tuple[str, str, Any], Reply]] = {}

    def run(self, request: ApiRequest, handler: Handler) -> Reply:
        key = request.idempotency_key
        fingerprint = (request.method, request.path, request.body)
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
        return Reply(first.status, first.body, {**first.headers, "idempotent-replayed": "true"})


class Router:
    def __init__(self, system: str, routes: list[Route]) -> None:
        self.system = system
        self.routes = routes
        self.idempotency = IdempotencyStore()
        self._table: dict[tuple[str, int], list[tuple[tuple[str, ...], Route]]] = {}
        for route in routes:
            segs = route.segments
            self._table.setdefault((route.method, len(segs)), []).append((segs, route))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        parts = path.strip("/").split("/")
        for segs, route in self._table.get((method, len(parts)), ()):
            params: dict[str, str] = {}
            for seg, part in zip(segs, parts, strict=True):
                if seg[0] == "{":
                    params[seg[1:-1]] = part
                elif seg != part:
                    break
            else:
                return route, params
        return None

    def dispatch(self, method: str, path: str, query: dict[str, str] | None = None,
                 body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        found = self.match(method, path)
        if found is None:
            allowed = [other for other in ("GET", "POST", "PUT", "DELETE")
                       if self.match(other, path)]
            if allowed:
                reply = problem(405, "method-not-allowed", "Method not allowed",
                                f"{method} is not supported on {path}; use "
                                f"{' or '.join(allowed)}")
                reply.headers["allow"] = ", ".join(allowed)  # RFC 9110 15.5.6
                return reply
            return problem(404, "no-such-endpoint", "No such endpoint",
                           f"{self.system} has no endpoint {method} {path}")
        route, params = found
        headers = headers or {}
        request = ApiRequest(method, path, params, query or {}, body,
                             headers.get("idempotency-key"), headers.get("x-correlation-id"))
        try:
            if route.idempotent and request.idempotency_key is not None:
                if not request.idempotency_key:
                    raise Invalid("Idempotency-Key", "send a non-empty key (e.g. a UUID) or "
                                  "leave the header out")
                return self.idempotency.run(request, route.handler)
            return route.handler(request)
        except Invalid as bad:
            return problem(422, "invalid-field", f"Invalid field {bad.field_name!r}",
                           bad.fix, field=bad.field_name)
        except NotFound as missing:
            return problem(404, "not-found", f"{missing.what} not found", str(missing))


def conflict(detail: str) -> Reply:
    return problem(409, "conflict", "Conflict with current state", detail)
