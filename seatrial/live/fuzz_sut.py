"""`seatrial fuzz-sut`: schemathesis against a running SUT's webhook endpoints.

Deliveries are generated from the SUT's OpenAPI document (contracts/openapi/sut-webhooks.json,
as `seatrial.simulators.openapi.sut_spec` builds it), positive and negative, and sent the way the
simulators send them (signed with the dispatcher's own `sign`) and the way forgers do. The
rules are the live protocol's (docs/live-protocol.md): a signed delivery never fails with a
5xx, a forged one is always refused, a body that is not an event envelope gets a 4xx.

The SUT is configured first (POST /seatrial/configure, with the control secret in
$SEATRIAL_CONTROL_SECRET) with a fresh world's settings and a real simulator stack behind them,
so a SUT that calls the APIs while it handles a delivery meets live systems (answering 404 for
the fuzzer's made-up orders), not a dead port.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from seatrial.catalogue import catalogue
from seatrial.live import control
from seatrial.live.remote import DELIVERY_TIMEOUT, configure
from seatrial.live.settings import SYSTEMS, with_sut_url
from seatrial.live.stack import SimulatorStack, running
from seatrial.simulators.canonical import STALE_BY, signed_headers
from seatrial.simulators.openapi import sut_spec

SCALE = 1.0  # the stack behind the SUT runs in real time: the world barely moves meanwhile
SHOWN = 2  # failing deliveries shown per rule
PREVIEW = 400  # characters of a body shown in the report

# The envelope's event_time may lack an offset (a source's local time, as the `skewed` fault
# sends it): OpenAPI's registered `date-time-local` format, RFC 3339 without the offset.
schemathesis.openapi.format("date-time-local", st.datetimes().map(lambda t: t.isoformat()))

# Without these an event cannot be deduplicated, dispatched or ordered: missing or of the wrong
# type, the body is not an event envelope (a SUT may default the other fields).
ESSENTIAL = ("event_id", "type", "event_time")


@dataclass(frozen=True)
class Rule:
    name: str
    says: str


SIGNED = Rule("signed-never-fails", "a properly signed delivery never gets a 5xx or no "
                                    "answer: the source would redeliver it again and again")
SIGNED_ACCEPTED = Rule("signed-not-refused", "a properly signed, schema-valid delivery is not "
                                             "refused as forged (401/403): it would be lost, "
                                             "never redelivered")
# by forgery, as the dispatcher names them (seatrial.world.dispatcher)
FORGED = {
    "missing_signature": Rule("unsigned-refused", "an unsigned delivery is refused (401/403; "
                                                  "any 4xx if its body is malformed too), "
                                                  "never accepted"),
    "bad_signature": Rule("bad-signature-refused", "a delivery signed with the wrong secret is "
                                                   "refused (401/403; any 4xx if its body is "
                                                   "malformed too), never accepted"),
    "stale_timestamp": Rule("stale-refused", f"a delivery whose timestamp is {STALE_BY // 60} "
                                             "minutes old is refused (401/403; any 4xx if its "
                                             "body is malformed too), never accepted"),
}
RULES = (SIGNED, SIGNED_ACCEPTED, *FORGED.values())


@dataclass(frozen=True)
class Broken:
    """One delivery that broke a rule: what was sent, what came back."""

    url: str
    headers: dict[str, str]
    body: str  # a preview
    answer: str

    def lines(self) -> list[str]:
        return [f"POST {self.url}", *(f"{name}: {value}" for name, value in self.headers.items()),
                self.body, f"-> {self.answer}"]


@dataclass
class Report:
    target: str
    examples: int
    seed: int
    sent: int = 0
    checked: Counter[str] = field(default_factory=Counter)  # rule name -> deliveries judged
    failed: Counter[str] = field(default_factory=Counter)
    shown: dict[str, list[Broken]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.failed

    def render(self) -> str:
        broken = [rule for rule in RULES if self.failed[rule.name]]
        lines = [f"fuzz-sut {self.target} (seed {self.seed}, {self.examples} examples per "
                 f"endpoint and mode): {self.sent} deliveries, "
                 + (f"{len(broken)} rule(s) broken" if broken else "every rule held")]
        for rule in RULES:
            if not self.failed[rule.name]:
                lines.append(f"  held    {rule.name} ({self.checked[rule.name]} deliveries)")
                continue
            lines.append(f"  BROKEN  {rule.name}: {self.failed[rule.name]} of "
                         f"{self.checked[rule.name]} deliveries; the rule: {rule.says}")
            for example in self.shown[rule.name]:
                lines += ["      " + line for line in example.lines()]
        return "\n".join(lines)


def wire_body(body: Any) -> bytes:
    """The bytes a generated body goes out as (and is signed over)."""
    if isinstance(body, NotSet):
        return b""
    if isinstance(body, bytes):
        return body
    return json.dumps(body, separators=(",", ":")).encode()


def not_an_envelope(body: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """Bodies made from a valid one that no SUT can take as an event envelope."""
    text = json.dumps(body, separators=(",", ":"))
    return st.one_of(
        st.integers(0, len(text) - 1).map(lambda cut: text[:cut].encode()),  # cut short
        st.sampled_from([b"[]", b"null", b"42", b'"order.released"', f"[{text}]".encode()]),
        st.sampled_from(ESSENTIAL).map(
            lambda name: wire_body({k: v for k, v in body.items() if k != name})),
        st.sampled_from(ESSENTIAL).map(lambda name: wire_body({**body, name: [body[name]]})),
    )


def _header_safe(value: Any) -> bool:
    return (isinstance(value, str) and value.isascii() and value.isprintable()
            and value.strip() == value != "")


def sut_schema() -> Any:
    """The SUT's OpenAPI document as a schemathesis schema."""
    return schemathesis.openapi.from_dict(sut_spec())


class Fuzzer:
    """Sends generated deliveries to `url` with `client` and judges the answers."""

    def __init__(self, client: httpx.Client, url: str, secrets: dict[str, str],
                 report: Report) -> None:
        self.client = client
        self.url = url
        self.secrets = secrets
        self.report = report
        self._ids = itertools.count(1)

    def run(self, examples: int, seed: int) -> None:
        schema = sut_schema()
        for source in SYSTEMS:
            operation = schema[f"/webhooks/{source}"]["POST"]
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                self._explore(source, operation, mode, examples, seed)

    def _explore(self, source: str, operation: Any, mode: GenerationMode, examples: int,
                 seed: int) -> None:
        positive = mode == GenerationMode.POSITIVE

        @hypothesis_seed(seed)
        @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                  phases=[Phase.generate], verbosity=Verbosity.quiet,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(mode), data=st.data())
        def explore(case: Any, data: st.DataObject) -> None:
            self.probe(source, case, positive, data)

        with contextlib.suppress(Unsatisfiable):  # nothing (more) to generate in this mode
            explore()

    def probe(self, source: str, case: Any, positive: bool, data: st.DataObject) -> None:
        """One generated delivery, sent signed and forged (and, when valid, spoiled)."""
        body = wire_body(case.body)
        event_id = case.body.get("event_id") if isinstance(case.body, dict) else None
        message = event_id if _header_safe(event_id) else f"msg_fuzz_{next(self._ids)}"
        extra = {"content-type": case.media_type or "application/json"}
        sim_time = case.headers.get("x-seatrial-sim-time")
        if _header_safe(sim_time):
            extra["x-seatrial-sim-time"] = sim_time
        signed = self.headers(source, message, body, None) | extra
        status, answer = self.deliver(source, body, signed)
        self.judge(SIGNED, status is not None and status < 500, source, body, signed, answer)
        if positive:
            self.judge(SIGNED_ACCEPTED, status not in (401, 403), source, body, signed, answer)
        for forgery, rule in FORGED.items():
            forged = self.headers(source, message, body, forgery) | extra
            status, answer = self.deliver(source, body, forged)
            refused = status in (401, 403) if positive else _4xx(status)
            self.judge(rule, refused, source, body, forged, answer)
        if positive and isinstance(case.body, dict):
            spoiled = data.draw(not_an_envelope(case.body))
            headers = self.headers(source, message, spoiled, None) | extra
            status, answer = self.deliver(source, spoiled, headers)
            # unreadable, so a SUT may refuse it (4xx) or park it (2xx), but never fail it
            self.judge(SIGNED, status is not None and status < 500, source, spoiled, headers,
                       answer)

    def headers(self, source: str, message: str, body: bytes,
                forgery: str | None) -> dict[str, str]:
        """Standard Webhooks headers on the wall clock, as the live dispatcher signs them (or
        as a forger does: no signature, the wrong secret, an hour-old timestamp)."""
        return signed_headers(self.secrets[source], message, int(time.time()), body, forgery)

    def deliver(self, source: str, body: bytes, headers: dict[str, str],
                ) -> tuple[int | None, str]:
        self.report.sent += 1
        try:
            response = self.client.post(f"{self.url}/webhooks/{source}", content=body,
                                        headers=headers, timeout=DELIVERY_TIMEOUT)
        except httpx.HTTPError as error:
            return None, f"no answer ({type(error).__name__}: {error})"
        text = response.text[:PREVIEW]
        return response.status_code, f"{response.status_code} {text}".rstrip()

    def judge(self, rule: Rule, held: bool, source: str, body: bytes,
              headers: dict[str, str], answer: str) -> None:
        report = self.report
        report.checked[rule.name] += 1
        if held:
            return
        report.failed[rule.name] += 1
        shown = report.shown.setdefault(rule.name, [])
        example = Broken(f"{self.url}/webhooks/{source}", headers, _preview(body), answer)
        if len(shown) < SHOWN and all((b.url, b.body) != (example.url, example.body)
                                      for b in shown):
            shown.append(example)


def _4xx(status: int | None) -> bool:
    return status is not None and 400 <= status < 500


def _preview(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    if len(text) > PREVIEW:
        return f"{text[:PREVIEW]}... ({len(body)} bytes)"
    return text or "(empty body)"


def fuzz_sut(url: str, examples: int, seed: int, secret: str | None = None) -> Report:
    """Configure the SUT at `url` (with the control `secret`, by default
    $SEATRIAL_CONTROL_SECRET), fuzz its webhook endpoints (`examples` deliveries per endpoint
    and generation mode), and report what broke.

    The same seed sends the same deliveries (bar timestamps and signatures): a fixed run."""
    report = Report(url, examples, seed)
    # the world's own events go nowhere (AcceptAll): only ours count
    with (running(SimulatorStack(catalogue()["happy-path"].with_seed(seed), SCALE)) as stack,
          httpx.Client() as client):
        configure(client, url, with_sut_url(stack.settings, url), secret or control.from_env())
        Fuzzer(client, url, stack.secrets, report).run(examples, seed)
    return report
