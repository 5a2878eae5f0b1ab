"""In-process face: calls travel through the fault layer to the routers in virtual time.

Every outcome is scheduled on the SimPy clock; nothing resumes the caller synchronously, so a
handler can never re-enter itself.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import simpy

from seatrial.faults import FaultLayer
from seatrial.ledger import Ledger
from seatrial.model import wire
from seatrial.sdk.messages import Call, ConnectError, RequestTimeout, Response, call_error
from seatrial.simulators.api import (
    Endpoint,
    Invalid,
    Meaning,
    Reply,
    Router,
    canonical,
    raw_body,
)
from seatrial.transport.retry_after import retry_after_headers

Resume = Callable[[Response | None, Exception | None], None]
REFUSED_AFTER = 0.01  # a refused TCP connect fails fast
INFINITY = float("inf")
JSON_TYPE = "application/json"
# Header fields the ledger leaves out: what every HTTP client sends on its own (live), and the
# two with fields of their own in a request entry.
UNRECORDED = frozenset({*wire.FRAMING, *wire.OWN_ARGUMENTS, "user-agent", "accept",
                        "accept-encoding"})
SENT = "(sent)"  # what the ledger records for a credential: that it was sent, not the secret


def recorded_headers(headers: tuple[tuple[str, str], ...]) -> dict[str, str] | None:
    """A call's header fields as its ledger entry keeps them: credentials as `(sent)`, the
    fields every client adds left out (a JSON content-type too); None if none is left."""
    kept = {name: SENT if name in wire.SECRET else value for name, value in headers
            if name not in UNRECORDED and not (name == "content-type" and value == JSON_TYPE)}
    return kept or None


def recorded_bytes(content: bytes) -> str | dict[str, str]:
    """A raw body as the ledger keeps it (plain JSON values): its text when it is UTF-8, else
    {"base64": ...}."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(content).decode("ascii")}


def _carried(call: Call) -> bool:
    """A call's headers and raw body are what a transport can carry: (str, str) pairs and
    bytes (else `call_error` names what is wrong; `io.<system>.request` checks the rest)."""
    return (type(call.headers) is tuple
            and all(type(pair) is tuple and len(pair) == 2 and type(pair[0]) is str
                    and type(pair[1]) is str for pair in call.headers)
            and (call.content is None or type(call.content) is bytes))


class InProcessTransport:
    def __init__(self, env: simpy.Environment, routers: dict[str, Router], faults: FaultLayer,
                 ledger: Ledger, grace: float = 0.0, connection_grace: float = 0.0) -> None:
        self.env = env
        self.routers = routers
        self.faults = faults
        self.ledger = ledger
        self.calls = 0    # requests sent
        self.answers = 0  # responses or transport errors the caller received
        # live mode gives these: a 429's entry carries how long (simulated seconds) requests
        # already on the wire may still arrive, on other connections and on its own one
        self.grace = grace
        self.connection_grace = connection_grace

    def _later(self, delay: float, action: Callable[..., None], *args: object) -> None:
        self.env.timeout(delay, args).callbacks.append(lambda event: action(*event.value))

    def send(self, call: Call, resume: Resume, via: str | None = None) -> None:
        """`via` names the live connection the request came on (rate-limit checks)."""
        if ((type(call.path) is not str or type(call.timeout) is not float
             or not 0.0 < call.timeout < INFINITY
             or ((call.headers or call.content is not None) and not _carried(call)))
                and (error := call_error(call)) is not None):
            # a `Call` built by hand, not with io.<system>.get/post (which refuse it where it is
            # built): the same error, raised at its yield, never sent (nor crashing the run)
            self._later(0.0, resume, None, error)
            return
        self.calls += 1
        ref = f"c{self.calls}"
        now = self.env.now
        if call.system not in self.routers:
            self._later(REFUSED_AFTER, self._fail, call, ref, resume, ConnectError(
                f"unknown system {call.system!r}; use io.erp, io.tms or io.lastmile"))
            return
        # the body as the router compares it (Idempotency-Key), written now, as a client writes
        # its request when it sends it (and while the body is fresh in memory: much cheaper
        # than when the call lands); one JSON cannot carry is refused by the router on arrival
        try:
            body_json = None if call.json is None else canonical(call.json)
        except Invalid:
            body_json = None
        plan = self.faults.plan_call(call.system, now)
        router = self.routers[call.system]
        found = router.match(call.method, call.path)
        operation, subject = router.meaning(found, call.json, call.params)
        # the wire detail, and beside it what it means in any dialect (what the checks read)
        data = {"method": call.method, "path": call.path, "query": call.params,
                "body": call.json, "idempotency_key": call.idempotency_key,
                "correlation_id": call.correlation_id, "operation": operation,
                "subject": subject}
        if call.headers and (headers := recorded_headers(call.headers)) is not None:
            data["headers"] = headers
        if call.content is not None:
            data["content"] = recorded_bytes(call.content)
        if plan.notes:
            data["faults"] = plan.notes
        if via is not None:
            data["via"] = via
        self.ledger.record(now, "request", call.system, ref, None, data)
        parts = 0 if found is None or found[0].carries is None else \
            self._record_carried(call, ref, router, found)

        if plan.outage == "refused":
            self._later(REFUSED_AFTER, self._fail, call, ref, resume,
                        ConnectError(f"{call.system} refused the connection"), parts)
        elif plan.outage == "hang" or plan.lost or plan.latency > call.timeout:
            if plan.outage is None:  # slow or lost, not down: the write still commits, unseen
                self._later(plan.latency, self._commit, call, ref, None, body_json, found,
                            parts)
            self._later(call.timeout, self._fail, call, ref, resume, RequestTimeout(
                f"{call.system} did not answer within {call.timeout:g}s"), parts)
        elif plan.outage == "http_503":  # in the system's dialect's error shape
            reply = router.errors(503, "unavailable", "Service unavailable",
                            f"{call.system} is down for maintenance or an outage; retry later")
            headers = reply.headers
            if plan.back_at is not None:  # it says when it is back, as the answer leaves
                answered = now + plan.latency
                headers = {**headers, **retry_after_headers(plan.retry_form, answered,
                                                            plan.back_at - answered)[1]}
            self._later(plan.latency, self._answer, call, ref, resume,
                        Response(503, reply.body, headers), None, None, parts)
        elif plan.retry_after is not None:
            reply = router.errors(429, "rate-limited", "Too many requests",
                            f"rate limit exceeded; retry after {plan.retry_after:g}s")
            # the wait counts from when the answer arrives, in either form
            allowed, extra = retry_after_headers(plan.retry_form, now + plan.latency,
                                                 plan.retry_after)
            self._later(plan.latency, self._answer, call, ref, resume,
                        Response(429, reply.body, {**reply.headers, **extra}), allowed, None,
                        parts)
        else:
            self._later(plan.latency, self._commit, call, ref, resume, body_json, found, parts)

    def _record_carried(self, call: Call, ref: str, router: Router,
                        found: tuple[Endpoint, dict[str, str]]) -> int:
        """The requests `call` carries (a `$batch`'s parts), each recorded as its own call
        (ref `<ref>.<n>`, `batch` naming the call it came in), with its operation and keys:
        how many. Each is answered in the ledger beside the call (`_outcome`)."""
        headers = dict(call.headers or ())
        if call.correlation_id is not None:
            headers["x-correlation-id"] = call.correlation_id
        carried: list[Meaning] = router.carried(found, call.content, headers)
        for index, (inner, operation, subject) in enumerate(carried, 1):
            data = {"method": inner.method, "path": inner.path, "query": inner.query,
                    "body": inner.body, "idempotency_key": inner.headers.get("idempotency-key"),
                    "correlation_id": inner.headers.get("x-correlation-id"),
                    "operation": operation, "subject": subject, "batch": ref}
            own = recorded_headers(tuple(inner.headers.items()))
            if own is not None:
                data["headers"] = own
            self.ledger.record(self.env.now, "request", call.system, f"{ref}.{index}", None,
                               data)
        return len(carried)

    def _outcome(self, kind: str, system: str, ref: str, data: dict[str, Any], parts: int,
                 inner: tuple[Reply, ...] = ()) -> None:
        """A call's answer (or transport error) in the ledger, and each request it carried
        answered beside it: by its own reply (`inner`) when the system ran it, else by the
        call's (a batch refused, lost or timed out as a whole)."""
        now, record = self.env.now, self.ledger.record
        record(now, kind, system, ref, None, data)
        for index in range(parts):
            own = data
            if inner:
                response, raw = _response(inner[index])
                own = {"status": response.status_code, "body": response.body,
                       "delivered": data["delivered"]}
                if raw is not None:
                    own["content"] = recorded_bytes(raw)
            record(now, kind, system, f"{ref}.{index + 1}", None, own)

    def _commit(self, call: Call, ref: str, resume: Resume | None,
                body_json: bytes | str | None, found: tuple[Endpoint, dict[str, str]] | None,
                parts: int) -> None:
        headers = dict(call.headers) if call.headers else {}
        if call.json is not None and "content-type" not in headers:
            headers["content-type"] = JSON_TYPE  # as an HTTP client adds it
        if call.idempotency_key is not None:
            headers["idempotency-key"] = call.idempotency_key
        if call.correlation_id is not None:
            headers["x-correlation-id"] = call.correlation_id
        reply = self.routers[call.system].dispatch(call.method, call.path, call.params,
                                                   call.json, headers, body_json, found,
                                                   call.content, call.login)
        response, raw = _response(reply)
        if resume is None:
            data: dict[str, Any] = {"status": reply.status, "body": response.body,
                                    "delivered": False}
            if raw is not None:
                data["content"] = recorded_bytes(raw)
            self._outcome("response", call.system, ref, data, parts, reply.inner)
            return
        self._answer(call, ref, resume, response, None, raw, parts, reply.inner)

    def _answer(self, call: Call, ref: str, resume: Resume, response: Response,
                retry_after: float | None, raw: bytes | None, parts: int,
                inner: tuple[Reply, ...] = ()) -> None:
        """`retry_after`, with a 429: the simulated seconds from now until its Retry-After
        allows the next request (the HTTP-date's exact moment, not a client's reading of it);
        `raw`, the body of a reply that was not JSON; `parts`, how many requests the call
        carried, answered by `inner` (`_outcome`)."""
        self.answers += 1
        data = {"status": response.status_code, "body": response.body, "delivered": True}
        if raw is not None:
            data["content"] = recorded_bytes(raw)
        if response.status_code == 429:
            data["retry_after"] = retry_after
            if self.grace:
                data["grace"] = self.grace
                data["connection_grace"] = self.connection_grace
        self._outcome("response", call.system, ref, data, parts, inner)
        resume(response, None)

    def _fail(self, call: Call, ref: str, resume: Resume, error: Exception, parts: int = 0
              ) -> None:
        self.answers += 1
        self._outcome("error", call.system, ref,
                      {"error": type(error).__name__, "detail": str(error)}, parts)
        resume(None, error)


def _response(reply: Reply) -> tuple[Response, bytes | None]:
    """The SDK's answer to a reply, and its raw body if it has one (JSON bodies travel as the
    objects they are, as fast as before)."""
    raw = raw_body(reply)
    if raw is None:
        return Response(reply.status, reply.body, reply.headers, None, reply.set_cookie), None
    return Response.raw(reply.status, raw, reply.headers, reply.set_cookie), raw
