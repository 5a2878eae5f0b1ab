"""What a sync implementation yields (calls, sleeps) and what it gets back (responses, errors).

Handlers are generators: `response = yield io.tms.post(...)`. A yielded `Call` is plain data, so
the same handler runs over any transport (in-process virtual time today, HTTP in live mode).
"""

from __future__ import annotations

from typing import Any, NamedTuple

DEFAULT_TIMEOUT = 30.0


class Call(NamedTuple):
    """One API request, as plain immutable data: yield it, get a `Response` back."""

    system: str
    method: str
    path: str
    json: Any = None
    params: dict[str, str] | None = None
    idempotency_key: str | None = None
    correlation_id: str | None = None
    timeout: float = DEFAULT_TIMEOUT


class Sleep(NamedTuple):
    seconds: float


class TransportError(Exception):
    """No HTTP response arrived: the outcome of the request is unknown."""


class RequestTimeout(TransportError):
    """The client gave up waiting; the request may or may not have been committed."""


class ConnectError(TransportError):
    """The connection was refused; the request never reached the system."""


class HTTPStatusError(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(f"HTTP {response.status_code}: {response.body}")
        self.response = response


class Response:
    __slots__ = ("body", "headers", "status_code")

    def __init__(self, status_code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status_code = status_code
        self.body = body
        self.headers = headers or {}

    def json(self) -> Any:
        return self.body

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def retry_after(self) -> float | None:
        """Seconds from a `Retry-After` header (delta-seconds form), if the system sent one."""
        value = self.headers.get("retry-after")
        return float(value) if value is not None else None

    def raise_for_status(self) -> Response:
        if self.status_code >= 400:
            raise HTTPStatusError(self)
        return self

    def __repr__(self) -> str:
        return f"<Response {self.status_code}>"


class ApiClient:
    """Builds calls to one system's API; mirrors httpx's verbs."""

    __slots__ = ("system",)

    def __init__(self, system: str) -> None:
        self.system = system

    def get(self, path: str, *, params: dict[str, str] | None = None,
            correlation_id: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Call:
        return Call(self.system, "GET", path, None, params, None, correlation_id, timeout)

    def post(self, path: str, *, json: Any = None, idempotency_key: str | None = None,
             correlation_id: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Call:
        return Call(self.system, "POST", path, json, None, idempotency_key, correlation_id,
                    timeout)
