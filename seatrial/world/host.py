"""Hosts an in-process sync implementation: runs its generator handlers on the SimPy clock.

A crash discards the instance and everything it had in flight (tasks of an older generation
are dropped when they would resume); a restart builds a new instance over the same durable
store and calls its `start`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

import simpy

from seatrial.budget import Runaway
from seatrial.cost import CostMeter
from seatrial.hosting import Done, Result, Resume, describe, receive, spawn
from seatrial.ledger import Ledger
from seatrial.model.envelope import to_datetime
from seatrial.sdk.implementation import IO, Handler, SyncImplementation
from seatrial.sdk.mailbox import Credential
from seatrial.sdk.messages import Call
from seatrial.sdk.store import DurableStore
from seatrial.sdk.webhooks import Webhook
from seatrial.transport.inprocess import InProcessTransport

DOWN = "connection refused: the sync implementation is down"


class SutStartError(Exception):
    """The sync implementation could not be built or started: the run cannot be judged."""


def record_crash(ledger: Ledger, now: float, generation: int, restart_after: float) -> None:
    ledger.record(now, "crash", "sut", f"crash{generation}", None,
                  {"error": "the sync implementation crashed (fault)",
                   "restart_after": restart_after})


class SutHost:
    def __init__(self, env: simpy.Environment, factory: Callable[[], SyncImplementation],
                 transport: InProcessTransport, ledger: Ledger, rng: random.Random,
                 secrets: dict[str, str], dialects: dict[str, str] | None = None,
                 logins: Callable[[str], tuple[str, str, str] | None] = lambda _s: None
                 ) -> None:
        """`dialects`: the dialect each system speaks (`io.dialects`); `logins`: the
        credential of a system's mailbox as it is now (user name, password, key), None for a
        system without one (`io.mailbox.login()`)."""
        self.env = env
        self.logins = logins
        self.factory = factory
        self.transport = transport
        self.ledger = ledger
        self.store = DurableStore()
        self.io = IO(self, self.store, rng, secrets, dialects)
        self.cost = CostMeter()  # the SUT's own CPU time (seatrial.cost), beside the ledger
        self.lag = None  # virtual time: the harness is never late
        self.generation = 0
        # answers owed for deliveries still being handled (a dict: ordered, so deterministic)
        self.inflight: dict[Result, None] = {}
        self.sut: SyncImplementation | None = None

    def start(self) -> None:
        """Once the world is built: the first boot."""
        self.boot()

    def boot(self) -> None:
        """Build the instance and call its `start`; a failure of either (SystemExit too) is
        not something a run can judge, at the first boot or at a restart after a crash."""
        when = "at the start of the run" if self.generation == 0 else "restarting after a crash"
        try:
            self.sut = self.factory()
        except (KeyboardInterrupt, Runaway):
            raise
        except BaseException as error:
            raise SutStartError(f"building the sync implementation {when} raised "
                                f"{describe(error)}") from None
        try:
            started = self.sut.start(self.io)
        except (KeyboardInterrupt, Runaway):
            raise
        except BaseException as error:
            raise SutStartError(f"{type(self.sut).__name__}.start() {when} raised "
                                f"{describe(error)}") from None
        if started is not None:
            self.spawn(started, origin="started by start()")

    def crash(self, restart_after: float) -> None:
        self.generation += 1
        self.sut = None
        record_crash(self.ledger, self.env.now, self.generation, restart_after)
        self.env.timeout(restart_after).callbacks.append(lambda _e: self.boot())
        inflight, self.inflight = self.inflight, {}
        for answer in inflight:  # the source sees the connection reset, and will redeliver
            answer("nack", "connection reset: the sync implementation crashed")

    # Face (seatrial.hosting): how handlers' calls and sleeps travel
    def send(self, call: Call, resume: Resume) -> None:
        self.transport.send(call, resume)

    def sleep(self, seconds: float, resume: Callable[[], None]) -> None:
        self.env.timeout(seconds).callbacks.append(lambda _e: resume())

    # Runtime (seatrial.sdk.implementation): what IO reads
    def now(self) -> float:
        return self.env.now

    def signing_now(self) -> datetime:
        return to_datetime(self.env.now)  # in-process, webhooks are signed on the virtual clock

    def mailbox_login(self, system: str) -> Credential | None:
        login = self.logins(system)
        return None if login is None else Credential(*login)

    def spawn(self, task: Handler, done: Done | None = None,
              origin: str = "spawned with io.spawn") -> None:
        spawn(self, task, done or self._background_done, origin)

    def _background_done(self, error: BaseException | None) -> None:
        if error is not None:
            self.ledger.record(self.env.now, "crash", "sut", "task", None,
                               {"error": describe(error)})

    def validate(self, source: str, url: str, check: str) -> tuple[int | None, str]:
        """A webhook registration's validation request, as the SUT's endpoint would answer
        it: its `validate_webhook` (a string: 200 with it; None: 204), at once."""
        wanted = self.io.webhook_url(source)
        if url != wanted:
            return None, f"nothing listens at {url}; in-process the SUT receives {source}'s " \
                         f"deliveries at {wanted}"
        if self.sut is None:
            return None, DOWN
        try:
            answer = self.sut.validate_webhook(source, check, self.io)
        except (KeyboardInterrupt, Runaway):
            raise
        except BaseException as error:  # the SUT's bug: its endpoint answers 500
            return 500, describe(error)
        if answer is None:
            return 204, ""
        if not isinstance(answer, str):
            return 500, f"validate_webhook returned {type(answer).__name__}, not str or None"
        return 200, answer

    def deliver(self, webhook: Webhook, on_result: Result) -> None:
        """Hand one webhook to the SUT, as its HTTP endpoint would receive it."""
        if self.sut is None:
            on_result("nack", DOWN)
            return
        self.inflight[on_result] = None

        def answer(outcome: str, detail: str | None) -> None:
            if on_result in self.inflight:  # else a crash already answered it
                del self.inflight[on_result]
                on_result(outcome, detail)

        receive(self, self.sut, self.io, webhook, answer)
