"""Hosts an in-process sync implementation: runs its generator handlers on the SimPy clock."""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable

import simpy

from seatrial.ledger import Ledger
from seatrial.model.envelope import Event
from seatrial.sdk.implementation import IO, Handler, SyncImplementation
from seatrial.sdk.messages import Call, Response, Sleep
from seatrial.sdk.store import DurableStore
from seatrial.transport.inprocess import InProcessTransport

Done = Callable[[BaseException | None], None]


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class _Task:
    """Trampoline for one handler generator: each yielded Call/Sleep resumes it later."""

    __slots__ = ("done", "gen", "host")

    def __init__(self, host: SutHost, gen: Handler, done: Done) -> None:
        self.host, self.gen, self.done = host, gen, done

    def step(self, value: Response | None, error: BaseException | None) -> None:
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
                 transport: InProcessTransport, ledger: Ledger, rng: random.Random) -> None:
        self.env = env
        self.transport = transport
        self.ledger = ledger
        self.store = DurableStore()
        self.io = IO(self, self.store, rng)
        self.sut = factory()
        boot = self.sut.start(self.io)
        if boot is not None:
            self.spawn(boot)

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

    def deliver(self, event: Event, on_result: Callable[[str | None], None]) -> None:
        """Hand one webhook to the SUT; `on_result(None)` is a 2xx, else the 5xx reason."""
        try:
            handler = self.sut.on_event(event, self.io)
        except Exception as failure:
            on_result(_describe(failure))
            return
        if inspect.isgenerator(handler):
            _Task(self, handler, lambda error: on_result(
                None if error is None else _describe(error))).step(None, None)
        else:
            on_result(None)
