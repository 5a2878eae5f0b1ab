"""Running a sync implementation on any face: a trampoline per handler, and the webhook receipt.

The in-process host (virtual time) and the HTTP host (`seatrial sut`, wall time) both drive the
SUT through these two pieces, so a handler behaves the same whichever face carries it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Protocol

from seatrial import budget
from seatrial.budget import SPIN_LIMIT, Runaway
from seatrial.cost import CostMeter
from seatrial.sdk.implementation import IO, Handler, SyncImplementation
from seatrial.sdk.messages import Call, Response, Sleep, sleep_error
from seatrial.sdk.webhooks import Webhook

Done = Callable[[BaseException | None], None]
Resume = Callable[[Response | None, BaseException | None], None]
# on_result(outcome, detail): outcome is "ack" (2xx), "reject" (401) or "nack" (5xx)
Result = Callable[[str, str | None], None]


class Face(Protocol):
    """What a face provides to run handlers: sending calls, sleeping, a crash generation, and
    the meter the SUT's own CPU time is charged to."""

    generation: int
    cost: CostMeter

    def send(self, call: Call, resume: Resume) -> None: ...

    def sleep(self, seconds: float, resume: Callable[[], None]) -> None: ...

    def now(self) -> float: ...


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class Task:
    """Trampoline for one handler generator: each yielded Call/Sleep resumes it later.
    `origin` says what started it, for naming a handler that spins.

    Whatever the handler raises is its outcome (SystemExit and GeneratorExit included: a
    handler cannot end the run by exiting), except the user's Ctrl-C and the run's budget."""

    __slots__ = ("done", "face", "gen", "generation", "instant", "origin", "spins")

    def __init__(self, face: Face, gen: Handler, done: Done, origin: str = "a task") -> None:
        self.face, self.gen, self.done, self.origin = face, gen, done, origin
        self.generation = face.generation
        self.instant, self.spins = face.now(), 0

    def step(self, value: Response | None, error: BaseException | None) -> None:
        if self.generation != self.face.generation:
            self.gen.close()  # the instance that ran this crashed: its work died with it
            return
        now = self.face.now()
        if now != self.instant:
            self.instant, self.spins = now, 0
        else:
            self.spins += 1
            if self.spins > SPIN_LIMIT:
                runaway = Runaway(f"a handler stepped {SPIN_LIMIT:,} times without simulated "
                                  "time moving")
                frame = self.gen.gi_frame
                runaway.blame(self.name(), frame and
                              f"{frame.f_code.co_filename}:{frame.f_lineno}")
                raise runaway
        try:
            op = self._advance(value, error)
        except StopIteration:
            self.done(None)
            return
        except Runaway as runaway:  # the wall budget ran out inside this handler
            runaway.blame(self.name(), _innermost(runaway))
            raise
        except KeyboardInterrupt:
            raise
        except BaseException as failure:  # the SUT's own bug or unhandled error: its outcome
            self.done(failure)
            return
        kind = type(op)
        if kind is Call:
            self.face.send(op, self.step)
        elif kind is Sleep:
            refused = sleep_error(op.seconds)  # a hand-built Sleep: io.sleep checks its own
            if refused is None:
                self.face.sleep(op.seconds, self._wake)
            else:
                self.step(None, refused)
        else:
            self.gen.close()
            self.done(TypeError(f"a handler yielded {op!r}; yield io.<system>.get/post(...) "
                                "or io.sleep(seconds)"))

    def _advance(self, value: Response | None, error: BaseException | None) -> object:
        """Run the handler to its next yield, its CPU time charged to the SUT."""
        cost = self.face.cost
        started = cost.start()
        try:
            return self.gen.throw(error) if error is not None else self.gen.send(value)
        finally:
            cost.stop(started)

    def _wake(self) -> None:
        self.step(None, None)

    def name(self) -> str:
        return f"{self.gen.gi_code.co_qualname} ({self.origin})"


def _innermost(error: BaseException) -> str | None:
    """Where the exception was raised: file and line of its innermost frame, not counting
    the budget's own alarm handler."""
    where = None
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename != budget.__file__:
            where = f"{trace.tb_frame.f_code.co_filename}:{trace.tb_lineno}"
        trace = trace.tb_next
    return where


def spawn(face: Face, task: Handler, done: Done, origin: str = "spawned with io.spawn") -> None:
    if not inspect.isgenerator(task):
        raise TypeError("io.spawn() takes a generator, e.g. io.spawn(self.worker(io))")
    Task(face, task, done, origin).step(None, None)


def receive(face: Face, sut: SyncImplementation, io: IO, webhook: Webhook,
            on_result: Result) -> None:
    """One delivery, as the SUT's webhook endpoint takes it: authenticate, handle, answer."""
    stage, accepted, handler, failure = "authenticate", False, None, None
    cost = face.cost
    cost.delivered()
    started = cost.start()
    try:
        accepted = sut.authenticate(webhook, io)
        if accepted:
            stage = "on_event"
            handler = sut.on_event(webhook.event, io)
    except Runaway as runaway:
        event = webhook.event
        runaway.blame(f"{type(sut).__name__}.{stage} (handling {event.type} event "
                      f"{event.event_id})", _innermost(runaway))
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # SystemExit too: a failed delivery, judged as such
        failure = error
    finally:
        cost.stop(started)
    if failure is not None:
        on_result("nack", describe(failure))
        return
    if not accepted:
        on_result("reject", "401: refused by authenticate()")
        return
    if not inspect.isgenerator(handler):
        on_result("ack", None)
        return
    event = webhook.event
    Task(face, handler, lambda error: on_result(
        "ack" if error is None else "nack", None if error is None else describe(error)),
        f"handling {event.type} event {event.event_id}").step(None, None)
