"""`seatrial contracts verify-sut`: a running sync implementation verified against the pacts its
webhook senders hold with it (contracts/pacts/sut/, written by `webhook_pacts`).

A replayed delivery cannot carry a valid signature: the pact's was made with another secret,
long ago, and a Standard Webhooks receiver refuses a timestamp minutes old. So the Verifier
talks to a small signing proxy in front of the target, which re-signs each delivery as the
interaction's provider state "the delivery's signature" says (valid: the secret the target was
configured with, now; or one of the dispatcher's forgeries) over the exact bytes it forwards.
The target is configured first (POST /seatrial/configure with its control secret, with a
simulator stack behind it, as `seatrial fuzz-sut` does) and again before each delivery, so every
interaction meets a fresh implementation; the other provider states set up the simulators'
records the delivery is about.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, get_args

import httpx
from pact import Verifier

from seatrial.contracts import SUT_PACT_DIR, SUT_PROVIDER
from seatrial.contracts.provider_states import ProviderStates
from seatrial.contracts.verify import Verification, contract_stack, run_verifier
from seatrial.contracts.webhook_pacts import SIGNED_AS, VALID, write_webhook_pacts
from seatrial.faults.kinds.forged import Forged
from seatrial.live import control
from seatrial.live.ports import for_a_command
from seatrial.live.process import SutProcess, TargetStartError
from seatrial.live.remote import DELIVERY_TIMEOUT, SutUnavailable, configure
from seatrial.live.settings import CONTROL_SECRET
from seatrial.simulators.canonical import signed_headers

# every forgery a source can meet (the `forged` fault's modes), not only those the pacts use
SIGNATURES = (VALID, *get_args(Forged.model_fields["mode"].annotation))
HOP_BY_HOP = {"host", "content-length", "connection", "accept-encoding"}
SIGNING = {"webhook-id", "webhook-timestamp", "webhook-signature"}
PASSED_BACK = ("content-type", "www-authenticate", "retry-after")


class SigningProxy:
    """Forwards each request to `target`, re-signed as `signing` (source, signature) says."""

    def __init__(self, target: str, secrets: dict[str, str]) -> None:
        self.target = target
        self.secrets = secrets
        self.signing: tuple[str, str] | None = None
        self.client = httpx.Client(timeout=DELIVERY_TIMEOUT)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def headers(self, received: dict[str, str], body: bytes) -> dict[str, str]:
        """The request's headers, re-signed over `body` when an interaction says how."""
        if self.signing is None:
            return {name: value for name, value in received.items()
                    if name.lower() not in HOP_BY_HOP}
        source, signature = self.signing
        message_id = next((v for k, v in received.items() if k.lower() == "webhook-id"), "")
        headers = {name: value for name, value in received.items()
                   if name.lower() not in HOP_BY_HOP | SIGNING}
        return headers | signed_headers(self.secrets[source], message_id, int(time.time()), body,
                                        None if signature == VALID else signature)

    def forward(self, method: str, path: str, received: dict[str, str],
                body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            answer = self.client.request(method, self.target + path, content=body,
                                         headers=self.headers(received, body))
        except httpx.HTTPError as error:
            return 502, {"content-type": "text/plain"}, (
                f"verify-sut: the target did not answer ({type(error).__name__}: "
                f"{error})").encode()
        return (answer.status_code,
                {name: answer.headers[name] for name in PASSED_BACK if name in answer.headers},
                answer.content)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status, headers, content = proxy.forward("POST", self.path,
                                                         dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *_args: Any) -> None:
                pass

        return Handler

    @contextlib.contextmanager
    def serving(self) -> Iterator[SigningProxy]:
        thread = threading.Thread(target=self.server.serve_forever, name="verify-sut-proxy",
                                  daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            self.client.close()


class SutStates:
    """The state handler: "the delivery's signature" sets the proxy's signing and gives the
    target a fresh start; every other state sets up the simulators' records."""

    def __init__(self, simulators: ProviderStates, proxy: SigningProxy,
                 reconfigure: Callable[[], None]) -> None:
        self.simulators = simulators
        self.proxy = proxy
        self.reconfigure = reconfigure

    def __call__(self, state: str, action: str, parameters: dict[str, Any] | None) -> None:
        if state != SIGNED_AS:
            self.simulators(state, action, parameters)
            return
        if action == "teardown":
            self.proxy.signing = None
            return
        source = (parameters or {}).get("source")
        signature = (parameters or {}).get("signature")
        if source not in self.proxy.secrets or signature not in SIGNATURES:
            self.simulators.failures.append(
                f"{SIGNED_AS!r} takes source ({', '.join(self.proxy.secrets)}) and signature "
                f"({', '.join(SIGNATURES)}), not {parameters!r}")
            return
        self.reconfigure()
        self.proxy.signing = (source, signature)


def verify_sut(url: str, pacts: Path = SUT_PACT_DIR, secret: str | None = None,
               ) -> Verification:
    """Verify the sync implementation at `url` against the webhook senders' pacts in `pacts`,
    configuring it with its control `secret` (by default $SEATRIAL_CONTROL_SECRET);
    SutUnavailable if it cannot be reached or configured."""
    secret = secret or control.from_env()
    # the simulators' own webhooks are dropped: only the pacts' count
    with (contract_stack() as stack, httpx.Client() as client,
          SigningProxy(url, stack.secrets).serving() as proxy):
        reconfigure = functools.partial(configure, client, url, stack.settings, secret)
        reconfigure()
        simulators = ProviderStates(stack.world, stack.call, stack.tokens)
        states = SutStates(simulators, proxy, reconfigure)
        verifier = (Verifier(SUT_PROVIDER, host="127.0.0.1")
                    .add_transport(url=proxy.url)
                    .state_handler(states, teardown=True))
        return run_verifier(verifier, SUT_PROVIDER, pacts, simulators.failures)


@contextlib.contextmanager
def started(command: str, health_timeout: float) -> Iterator[tuple[str, str]]:
    """`command` running on a free $PORT until the block exits (`--target-cmd`), as
    `seatrial run` starts one, with a fresh control secret in its environment; its base URL
    and that secret. SutUnavailable if it does not come up healthy."""
    url = f"http://127.0.0.1:{(port := for_a_command())}"
    secret = control.new_secret()
    with tempfile.TemporaryDirectory(prefix="seatrial-verify-sut-") as workdir:
        process = SutProcess(command, Path(workdir) / "sut.log")
        process.launch({"PORT": str(port), CONTROL_SECRET: secret})
        try:
            try:
                asyncio.run(process.wait_healthy(url, health_timeout))
            except TargetStartError as error:
                raise SutUnavailable(str(error)) from None
            yield url, secret
        finally:
            process.stop()


@contextlib.contextmanager
def canonical_pacts() -> Iterator[Path]:
    """The webhook senders' pacts: committed in a checkout and shipped in the package
    (seatrial.contract_files); written afresh (a fraction of a second, the same pacts: a test
    keeps the committed ones so) should an installation lack them."""
    if list(SUT_PACT_DIR.glob("*.json")):
        yield SUT_PACT_DIR
        return
    with tempfile.TemporaryDirectory(prefix="seatrial-sut-pacts-") as directory:
        write_webhook_pacts(Path(directory))
        yield Path(directory)
