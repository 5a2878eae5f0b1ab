"""Hosts an in-process sync implementation: runs its generator handlers on the SimPy clock.

A crash discards the instance and everything it had in flight (tasks of an older generation
are dropped when they would resume); a restart builds a new instance over the same durable
store and calls its `start`.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable

import simpy

from seatrial.ledger import Ledger
from seatrial.sdk.implementation import IO, Handler, SyncImplementation
from seatrial.sdk.messages import Call, Response, Sleep
from seatrial.sdk.store import DurableStore
from seatrial.sdk.webhooks import Webhook
from seatrial.transport.inprocess import InProcessTransport

Done = Callable[[BaseException | None], None]
DOWN = "connection refused: the sync implementation is down"
# on_result(outcome, detail): outcome is "ack" (2xx), "reject" (401) or "nack" (5xx)
Result = Callable[[str, str | None], None]


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class _Task:
    """Trampoline for one handler generator: each yielded Call/Sleep resumes it later."""

    __slots__ = ("done", "gen", "generation", "host")

    def __init__(self, host: SutHost, gen: Handler, done: Done) -> None:
        self.host, self.gen, self.done = host, gen, done
        self.generation = host.generation

    def step(self, value: Response | None, error: BaseException | None) -> None:
        if self.generation != self.host.generation:
            self.gen.close()  # the instance that ran this crashed: its work died with it
            return
        try:
            op = self.gen.throw(error) if error is not None else self.gen.send(value)
        except StopIteration:
            self.done(None)
            return
        except Exception as failure:  # the SUT's own bug or unhandled error: its outcome
            self.done(failure)
            return
        kind = type(op)
        if kind is Call:
            self.host.transport.send(op, self.step)
        elif kind is Sleep:
            self.host.env.timeout(max(0.0, op.seconds)).callbacks.append(
                lambda _e: self.step(None, None))
        else:
            self.gen.close()
            self.done(TypeError(f"a handler yielded {op!r}; yield io.<system>.get/post(...) "
                                "or io.sleep(seconds)"))


class SutHost:
    def __init__(self, env: simpy.Environment, factory: Callable[[], SyncImplementation],
                 transport: InProcessTransport, ledger: Ledger, rng: random.Random,
                 secrets: dict[str, str]) -> None:
        self.env = env
        self.factory = factory
        self.transport = transport
        self.ledger = ledger
        self.store = DurableStore()
        self.io = IO(self, self.store, rng, secrets)
        self.generation = 0
        # answers owed for deliveries still being handled (a dict: ordered, so deterministic)
        self.inflight: dict[Result, None] = {}
        self.sut: SyncImplementation | None = None
        self.boot()

    def boot(self) -> None:
        self.sut = self.factory()
        started = self.sut.start(self.io)
        if started is not None:
            self.spawn(started)

    def crash(self, restart_after: float) -> None:
        self.generation += 1
        self.sut = None
        self.ledger.record(self.env.now, "crash", "sut", f"crash{self.generation}", None,
                           {"error": "the sync implementation crashed (fault)",
                            "restart_after": restart_after})
        self.env.timeout(restart_after).callbacks.append(lambda _e: self.boot())
        inflight, self.inflight = self.inflight, {}
        for answer in inflight:  # the source sees the connection reset, and will redeliver
            answer("nack", "connection reset: the sync implementation crashed")

    # Runtime protocol (seatrial.sdk.implementation.Runtime)
    def now(self) -> float:
        return self.env.now

    def spawn(self, task: Handler, done: Done | None = None) -> None:
        if not inspect.isgenerator(task):
            raise TypeError("io.spawn() takes a generator, e.g. io.spawn(self.worker(io))")
        _Task(self, task, done or self._background_done).step(None, None)

    def _background_done(self, error: BaseException | None) -> None:
        if error is not None:
            self.ledger.record(self.env.now, "crash", "sut", "task", None,
                               {"error": _describe(error)})

    def deliver(self, webhook: Webhook, on_result: Result) -> None:
        """Hand one webhook to the SUT, as its HTTP endpoint would receive it."""
        sut = self.sut
        if sut is None:
            on_result("nack", DOWN)
            return
        try:
            if not sut.authenticate(webhook, self.io):
                on_result("reject", "401: refused by authenticate()")
                return
            handler = sut.on_event(webhook.event, self.io)
        except Exception as failure:
            on_result("nack", _describe(failure))
            return
        if not inspect.isgenerator(handler):
            on_result("ack", None)
            return
        self.inflight[on_result] = None

        def answered(error: BaseException | None) -> None:
            self.inflight.pop(on_result, None)
            on_result("ack" if error is None else "nack",
                      None if error is None else _describe(error))

        _Task(self, handler, answered).step(None, None)
