"""Writes the canonical pacts from what the reference implementation really does.

The reference's HTTP face (`seatrial sut`, here in-process) is configured with Pact mock servers
as the ERP, TMS and last-mile APIs. Every webhook message the pacts declare goes through
`Pact.verify` (the real envelope parser) and then, signed as its source would sign it, to the
face's webhook endpoint in the order the sources recorded the events; after each, the face must
settle before the next. The reference's calls land on the mock servers: a call the pacts do not
expect, or an expected call that never comes, fails the run (MismatchesError).

In a vendor dialect (`dialects`, e.g. `{"lastmile": "onfleet"}`) the same play runs with the
face told to speak it: the mock servers of those systems hold that dialect's expectations
(`onfleet`, `sap_s4`), the deliveries are the vendor's bodies, signed its way, and only those
systems' pacts are written (the others are the canonical ones, played along unchanged).

    python -m seatrial.contracts.consumer [DIRECTORY]    # `make pacts`: into contracts/pacts

(which also writes the webhook senders' pacts with the sync implementation into DIRECTORY/sut,
`webhook_pacts`, the pacts of each vendor dialect, `DIALECTS`, into DIRECTORY/dialects, and the
broker channel's message pacts, `amqp_pacts`, into DIRECTORY/amqp).
"""

from __future__ import annotations

import base64
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from pact import Pact
from pact.error import MismatchesError, MissingRequest
from pact.pact import PactServer
from starlette.testclient import TestClient

from seatrial.contracts import (
    AMQP_PACT_DIR,
    CONSUMER,
    DIALECT_PACT_DIR,
    DIALECTS,
    PACT_DIR,
    SUT_PACT_DIR,
    api_provider,
    onfleet,
    sap_s4,
    webhook_provider,
)
from seatrial.contracts.amqp_pacts import write_amqp_pacts
from seatrial.contracts.expectations import (
    API,
    CLIENT_ID,
    CLIENT_SECRET,
    MESSAGES,
    Message,
    declare_messages,
)
from seatrial.contracts.webhook_pacts import write_webhook_pacts
from seatrial.live.settings import SYSTEMS, sut_settings, url_setting
from seatrial.live.sut import HttpFace, parse_event, sut_app
from seatrial.model.envelope import Event
from seatrial.model.wire import CANONICAL
from seatrial.sdk import payloads
from seatrial.sdk.implementation import SyncImplementation
from seatrial.simulators.dialect import dialect
from seatrial.sync_implementations.reference import ReferenceSync

SCALE = "60"  # a retry after one simulated second waits 1/60 s
SETTLE = 5.0  # wall seconds an implementation may take to handle one delivery
SECRETS = {s: "whsec_" + base64.b64encode(f"contract-{s}-secret".encode()).decode()
           for s in SYSTEMS}


class ContractError(RuntimeError):
    """The implementation did not take a delivery, or did not settle after it."""


class Delivery(NamedTuple):
    source: str
    body: bytes
    event: Event  # as the face reads the body

    @property
    def what(self) -> str:
        return f"{self.event.type} {self.event.event_id}"

    @property
    def recorded(self) -> datetime:
        return self.event.recorded_time


class Expected(NamedTuple):
    """What the reference expects of one system in one dialect."""

    api: Callable[[Pact], None]
    messages: tuple[Message, ...]
    #: where the same request must be answered otherwise later in the journey (a thin event's
    #: read-back of an order cancelled meanwhile): (the event id of the delivery from which
    #: on, the API's interactions from then on). Each is a mock server of its own (`Mocks`);
    #: their interactions are merged into the one pact.
    later: tuple[tuple[str, Callable[[Pact], None]], ...] = ()
    #: the implementation the pacts are written from, where it is not the reference as it is
    writer: Callable[[], SyncImplementation] | None = None


class Chapter(NamedTuple):
    starts_at: str | None  # the event id of the delivery it begins with; None: from the start
    pact: Pact


EXPECTED: dict[tuple[str, str], Expected] = {
    **{(s, CANONICAL): Expected(API[s], tuple(m for m in MESSAGES if m.source == s))
       for s in SYSTEMS},
    ("lastmile", "onfleet"): Expected(onfleet.api, onfleet.MESSAGES),
    ("erp", "sap-s4"): Expected(sap_s4.api, sap_s4.MESSAGES, sap_s4.LATER,
                                sap_s4.WritesOneByOne),
}


def write_pacts(directory: Path,
                factory: Callable[[], SyncImplementation] | None = None,
                dialects: dict[str, str] | None = None) -> None:
    """Run the implementation `factory` makes (default: the reference, or the `writer` a
    dialect's expectations name) through every declared message and write the pacts into
    `directory`, replacing those there: the six canonical ones (three APIs, three webhook
    sources), or with `dialects` those of the systems it names, in their dialects."""
    spoken = {s: (dialects or {}).get(s, CANONICAL) for s in SYSTEMS}
    unknown = [f"{s}={d}" for s, d in spoken.items() if (s, d) not in EXPECTED]
    if unknown:
        raise ValueError(f"no expectations for {', '.join(unknown)}; there are "
                         f"{', '.join(f'{s}={d}' for s, d in EXPECTED)}")
    factory = factory or next((EXPECTED[(s, spoken[s])].writer for s in SYSTEMS
                               if EXPECTED[(s, spoken[s])].writer), ReferenceSync)
    apis: dict[str, list[Chapter]] = {}
    hooks = {s: Pact(CONSUMER, webhook_provider(s, spoken[s])) for s in SYSTEMS}
    deliveries: list[Delivery] = []
    for system in SYSTEMS:
        expected = EXPECTED[(system, spoken[system])]
        apis[system] = []
        for starts_at, declare in ((None, expected.api), *expected.later):
            pact = Pact(CONSUMER, api_provider(system, spoken[system]))
            declare(pact)
            apis[system].append(Chapter(starts_at, pact))
        declare_messages(hooks[system], expected.messages)
        hooks[system].verify(lambda body, _metadata, source=system: deliveries.append(
            _received(source, spoken[source], body)), "Async")
    _play(apis, sorted(deliveries, key=lambda d: d.recorded), factory, spoken)
    directory.mkdir(parents=True, exist_ok=True)
    written = [s for s in SYSTEMS if dialects is None or s in dialects]
    for system in written:
        first, *later = apis[system]
        first.pact.write_file(directory, overwrite=True)
        for chapter in later:
            chapter.pact.write_file(directory)  # merged into the same file
        hooks[system].write_file(directory, overwrite=True)


def _received(source: str, spoken: str, body: str | bytes | None) -> Delivery:
    """A message as the face will take it; ValueError if its body does not read."""
    raw = body.encode() if isinstance(body, str) else bytes(body or b"")
    read = payloads.reader(source, spoken)
    return Delivery(source, raw, parse_event(raw) if read is None else read(raw))


class Mocks:
    """Each system's mock server, one chapter at a time (`Expected.later`): when the next
    begins, its server starts and the face is told the system's new URL (it reads its
    systems' URLs from its settings on every call). Every server serves to the end, so that
    all mismatches are reported."""

    def __init__(self, chapters: dict[str, list[Chapter]], stack: contextlib.ExitStack) -> None:
        self.chapters = {s: list(c) for s, c in chapters.items()}
        self.stack = stack
        self.servers: list[PactServer] = []
        self.urls = {s: self._serve(s) for s in chapters}

    def _serve(self, system: str) -> str:
        chapter = self.chapters[system].pop(0)
        server = self.stack.enter_context(chapter.pact.serve(addr="127.0.0.1", raises=False,
                                                             verbose=False))
        self.servers.append(server)
        return str(server.url).rstrip("/")

    def turn(self, delivery: Delivery, face: HttpFace) -> None:
        """Begin each system's next chapter if it begins with `delivery`."""
        for system, waiting in self.chapters.items():
            if waiting and waiting[0].starts_at == delivery.event.event_id:
                face.settings[url_setting(system)] = self._serve(system)

    @property
    def mismatches(self) -> list[Any]:
        return [m for server in self.servers for m in server.mismatches]


def _play(apis: dict[str, list[Chapter]], deliveries: list[Delivery],
          factory: Callable[[], SyncImplementation], spoken: dict[str, str]) -> None:
    with contextlib.ExitStack() as stack:
        mocks = Mocks(apis, stack)
        settings = sut_settings(mocks.urls, CLIENT_ID, CLIENT_SECRET, SECRETS, SCALE, spoken)
        state_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        app = sut_app(factory, settings, state_dir)
        face: HttpFace = app.state.face
        try:
            with TestClient(app) as client:
                for delivery in deliveries:
                    mocks.turn(delivery, face)
                    answer = client.post(f"/webhooks/{delivery.source}", content=delivery.body,
                                         headers=_signed(delivery, spoken[delivery.source]))
                    if answer.status_code != 204:
                        raise ContractError(f"{delivery.what}: the webhook endpoint answered "
                                            f"{answer.status_code} {answer.text}")
                    _settle(face, mocks, delivery.what)
        finally:  # every system's mismatches in one report
            wrong = mocks.mismatches
            if wrong:
                raise MismatchesError(*wrong)


def _signed(delivery: Delivery, spoken: str) -> dict[str, str]:
    """The headers its source signs it with in its dialect, signed now: a signature may hold
    for minutes, not for a pact."""
    return dialect(delivery.source, spoken).sign_webhook(
        SECRETS[delivery.source], delivery.event, int(time.time()), delivery.body, None)


def _settle(face: HttpFace, mocks: Mocks, what: str) -> None:
    """Wait until the implementation's background work has ended or is only asleep (the
    Onfleet connector's watcher wakes every half hour while tasks are open); stop early on a
    call no pact expects (a mock answers it 500, so it would be retried for a long while)."""
    deadline = time.monotonic() + SETTLE
    while face.background > face.asleep:
        if any(not isinstance(m, MissingRequest) for m in mocks.mismatches):
            raise ContractError(f"{what}: a call the pacts do not expect (mismatches below)")
        if time.monotonic() > deadline:
            raise ContractError(f"{what}: still busy {SETTLE:g} s later")
        time.sleep(0.02)


def comparable(directory: Path) -> dict[str, Any]:
    """The pacts in `directory` without what changes from run to run or machine to machine
    (the metadata: Pact library versions)."""
    pacts = {}
    for path in sorted(directory.glob("*.json")):
        pact = json.loads(path.read_text())
        pact.pop("metadata", None)
        pacts[path.name] = pact
    return pacts


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else PACT_DIR
    write_pacts(target)
    write_webhook_pacts(target / SUT_PACT_DIR.name)  # the sync implementation as provider
    write_amqp_pacts(target / AMQP_PACT_DIR.name)  # the same messages on the broker channel
    for system, spoken in DIALECTS.items():
        write_pacts(target / DIALECT_PACT_DIR.name, dialects={system: spoken})
