"""`seatrial contracts verify-simulators --broker-url`: the simulators verified against pacts the
Rust verifier (pact-python's Verifier.broker_source) fetches from a Pact Broker.

No real broker runs here, so `FakeBroker` serves, on loopback, exactly the HAL resources the
verifier's broker client (pact_verifier's `fetch_pacts_dynamically_from_broker`) walks: the
index, whose `pb:provider-pacts-for-verification` link is templated on `{provider}`; that
resource (GET, for its `self` link), then POSTed the pacts-for-verification request; and each
pact's `self` href from `_embedded.pacts[]`. The pacts are written by a consumer named
`acme-middleware` with pact-python, as a team's own consumer tests would write them."""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

import pytest
from suts import SEATRIAL
from test_contracts_user_pacts import UNKNOWN_STATE, acme_pacts

TOKEN = "acme-broker-token"
HAL = "application/hal+json;charset=utf-8"


class Seen(NamedTuple):
    method: str
    path: str
    authorization: str | None
    body: Any


class FakeBroker:
    """A Pact Broker's pacts-for-verification API, holding `pacts` (the pact files' contents)
    by provider name; `seen` records every request, with its Authorization header and body.
    The pacts-for-verification request of a provider in `refused` is answered 403 (a token
    that may not read that provider's pacts)."""

    def __init__(self, pacts: list[dict[str, Any]], token: str,
                 refused: frozenset[str] = frozenset(), pending: bool = False) -> None:
        self.token = token
        self.refused = refused
        self.pending = pending  # every pact is pending: never yet verified by the provider
        self.pacts: dict[str, dict[str, dict[str, Any]]] = {}  # provider -> sha -> pact
        for pact in pacts:
            sha = hashlib.sha1(json.dumps(pact, sort_keys=True).encode()).hexdigest()
            self.pacts.setdefault(pact["provider"]["name"], {})[sha] = pact
        self.seen: list[Seen] = []
        broker = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                broker.handle(self)

            def do_POST(self) -> None:
                broker.handle(self)

            def do_PUT(self) -> None:
                broker.handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def requests(self, method: str, path: str = "") -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path.startswith(path)]

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        path = unquote(urlsplit(request.path).path)
        authorization = request.headers.get("Authorization")
        self.seen.append(Seen(request.command, path, authorization, body))
        if authorization != f"Bearer {self.token}":
            return self.reply(request, 401, {"error": "Unauthorized"})
        status, document = self.route(request.command, path.rstrip("/").split("/")[1:], body)
        self.reply(request, status, document)

    def route(self, method: str, parts: list[str], body: Any) -> tuple[int, dict[str, Any]]:
        base = self.url
        match method, parts:
            case "GET", []:
                return 200, {"_links": {
                    "self": {"href": base, "title": "Index"},
                    "pb:provider-pacts-for-verification": {
                        "href": f"{base}/pacts/provider/{{provider}}/for-verification",
                        "title": "Pact versions to be verified for the specified provider",
                        "templated": True},
                    "pb:latest-provider-pacts": {
                        "href": f"{base}/pacts/provider/{{provider}}/latest",
                        "title": "Latest pacts by provider", "templated": True},
                    "curies": [{"name": "pb", "href": f"{base}/doc/{{rel}}?context=index",
                                "templated": True}]}}
            case "POST", ["pacts", "provider", provider, "for-verification"] \
                    if provider in self.refused:
                return 403, {"error": f"this token may not read the pacts of {provider}"}
            case "GET" | "POST", ["pacts", "provider", provider, "for-verification"]:
                return 200, self.for_verification(provider, body or {})
            case "GET", ["pacts", "provider", provider, "consumer", consumer, "pact-version",
                         sha] if sha in self.pacts.get(provider, {}):
                href = f"{base}/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}"
                return 200, {**self.pacts[provider][sha], "_links": {
                    "self": {"href": href, "title": "Pact"},
                    "pb:publish-verification-results": {
                        "href": f"{href}/verification-results",
                        "title": "Publish verification results"},
                    "pb:provider": {"href": f"{base}/pacticipants/{provider}"}}}
            case "POST", [*_, "verification-results"]:
                return 201, {"success": (body or {}).get("success")}
        return 404, {"error": f"{method} /{'/'.join(parts)}: no such resource"}

    def for_verification(self, provider: str, query: dict[str, Any]) -> dict[str, Any]:
        """The pacts for `provider`, as the broker's VerifiablePactsDecorator shows them: the
        pending flag and its notice only when includePendingStatus is true."""
        base, pending = self.url, bool(query.get("includePendingStatus"))
        pacts = []
        for sha, pact in self.pacts.get(provider, {}).items():
            consumer = pact["consumer"]["name"]
            properties: dict[str, Any] = {"notices": [{
                "when": "before_verification",
                "text": f"The pact at {base}/pacts/provider/{provider}/consumer/{consumer}/"
                        f"pact-version/{sha} is being verified because the pact content belongs "
                        f"to the consumer version matching the given selector"}]}
            if pending:
                properties["pending"] = self.pending
                properties["notices"].append({
                    "when": "before_verification",
                    "text": f"This pact is in pending state for {provider}: a failure will "
                            "not fail the build." if self.pending else
                            "This pact has previously been successfully verified by a version "
                            f"of {provider}. If this verification fails, it will fail the "
                            "build."})
            pacts.append({
                "shortDescription": "latest from main branch",
                "verificationProperties": properties,
                "_links": {"self": {
                    "href": f"{base}/pacts/provider/{provider}/consumer/{consumer}/"
                            f"pact-version/{sha}",
                    "name": f"Pact between {consumer} (1.0.0) and {provider}"}}})
        return {"_embedded": {"pacts": pacts}, "_links": {"self": {
            "href": f"{base}/pacts/provider/{provider}/for-verification",
            "title": "Pacts to be verified"}}}

    @staticmethod
    def reply(request: BaseHTTPRequestHandler, status: int, document: dict[str, Any]) -> None:
        data = json.dumps(document).encode()
        request.send_response(status)
        request.send_header("Content-Type", HAL)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def __enter__(self) -> FakeBroker:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def broker_pacts(directory: Path, *, unsupported: bool) -> list[dict[str, Any]]:
    """The pacts a team publishes: those of the directory test, as its broker serves them."""
    acme_pacts(directory, unsupported=unsupported)
    return [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))]


class Case(NamedTuple):
    unknown_state: bool  # the ERP pact has an interaction with an unknown provider state
    refused: tuple[str, ...] = ()  # providers whose pacts the broker refuses to list
    pending: bool = False  # the broker marks every pact pending


CASES = {"supported": Case(False), "unknown state": Case(True),
         "refused": Case(False, ("acme-erp",)), "pending": Case(True, pending=True)}


def verify_simulators(broker: FakeBroker) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SEATRIAL, "contracts", "verify-simulators", "--broker-url", broker.url,
         "--broker-token", TOKEN, "--consumer-version-selector", '{"mainBranch": true}',
         "--include-pending", "--include-wip-since", "2026-01-01", "--provider-branch", "main",
         "--provider-name", "erp-api=acme-erp"],
        capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[dict[str, tuple[FakeBroker, subprocess.CompletedProcess]]]:
    """Each case's broker, and the command run against it: the runs side by side (each mostly
    waits on its Verifier), so the module stays within seconds."""
    with contextlib.ExitStack() as stack:
        brokers = {name: stack.enter_context(FakeBroker(
            broker_pacts(tmp_path_factory.mktemp("pacts"), unsupported=case.unknown_state),
            TOKEN, frozenset(case.refused), case.pending)) for name, case in CASES.items()}
        with ThreadPoolExecutor(len(brokers)) as pool:
            done = dict(zip(brokers, pool.map(verify_simulators, brokers.values()), strict=True))
        yield {name: (brokers[name], done[name]) for name in brokers}


def test_pacts_from_a_broker_pass_where_the_simulators_support_them(runs):
    broker, done = runs["supported"]
    assert done.returncode == 0, done.stdout + done.stderr
    report = done.stdout
    assert f"verify-simulators {broker.url}:" in report
    assert "passed  acme-erp (erp-api)" in report
    assert "passed  seatrial-tms-webhooks (tms-webhooks)" in report
    assert "none    seatrial-erp-api (erp-api): no pacts for it" in report
    assert "the simulators honour every interaction" in report

    assert {s.authorization for s in broker.seen} == {f"Bearer {TOKEN}"}
    asked = broker.requests("POST", "/pacts/provider/")
    assert {s.path.split("/")[3] for s in asked} >= {"acme-erp", "seatrial-tms-webhooks"}
    for request in asked:
        assert request.body["consumerVersionSelectors"] == [{"mainBranch": True}]
        assert request.body["includePendingStatus"] is True
        assert request.body["includeWipPactsSince"] == "2026-01-01"
        assert request.body["providerVersionBranch"] == "main"
    fetched = {s.path for s in broker.requests("GET", "/pacts/provider/")
               if "/pact-version/" in s.path}
    assert {path.split("/")[3] for path in fetched} == {"acme-erp", "seatrial-tms-webhooks"}
    assert not [s for s in broker.seen if s.path.endswith("/verification-results")
                or s.method == "PUT"]  # nothing published back


def test_an_unknown_provider_state_from_a_broker_fails_and_is_named(runs):
    broker, done = runs["unknown state"]
    assert done.returncode == 1, done.stdout + done.stderr
    report = done.stdout[done.stdout.index(f"verify-simulators {broker.url}:"):]
    assert "FAILED  acme-erp (erp-api)" in report
    assert f"unknown provider state {UNKNOWN_STATE!r}" in report
    assert "passed  seatrial-tms-webhooks (tms-webhooks)" in report
    assert "the simulators break these pacts" in report
    assert not [s for s in broker.seen if s.path.endswith("/verification-results")]


def test_a_provider_the_broker_refuses_is_a_failure_not_none(runs):
    """A broker that answers one provider's request with an error has not said it has no pacts
    for it: the pacts were not verified, so the run fails and says why."""
    broker, done = runs["refused"]
    assert done.returncode == 1, done.stdout + done.stderr
    report = done.stdout[done.stdout.index(f"verify-simulators {broker.url}:"):]
    assert "FAILED  acme-erp (erp-api)" in report
    assert "403 Forbidden" in report
    assert "none    seatrial-erp-api (erp-api): no pacts for it" in report
    assert "passed  seatrial-tms-webhooks (tms-webhooks)" in report


def test_a_pending_pacts_failures_are_reported_but_do_not_fail_the_run(runs):
    """Pending is the broker's way to let a new expectation in without breaking the provider's
    build: the Verifier passes it, and the unknown state is still named."""
    broker, done = runs["pending"]
    assert done.returncode == 0, done.stdout + done.stderr
    report = done.stdout[done.stdout.index(f"verify-simulators {broker.url}:"):]
    assert "passed  acme-erp (erp-api)" in report
    assert f"unknown provider state {UNKNOWN_STATE!r}" in report
