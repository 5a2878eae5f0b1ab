"""Running a sync implementation on any face: a trampoline per handler, and the webhook receipt.

The in-process host (virtual time) and the HTTP host (`seatrial sut`, wall time) both drive the
SUT through these two pieces, so a handler behaves the same whichever face carries it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Protocol

from seatrial.sdk.implementation import IO, Handler, SyncImplementation
from seatrial.sdk.messages import Call, Response, Sleep
from seatrial.sdk.webhooks import Webhook

Done = Callable[[BaseException | None], None]
Resume = Callable[[Response | None, BaseException | None], None]
# on_result(outcome, detail): outcome is "ack" (2xx), "reject" (401) or "nack" (5xx)
Result = Callable[[str, str | None], None]


class Face(Protocol):
    """What a face provides to run handlers: sending calls, sleeping, and a crash generation."""

    generation: int

    def send(self, call: Call, resume: Resume) -> None: ...

    def sleep(self, seconds: float, resume: Callable[[], None]) -> None: ...


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class Task:
    """Trampoline for one handler generator: each yielded Call/Sleep resumes it later."""

    __slots__ = ("done", "face", "gen", "generation")

    def __init__(self, face: Face, gen: Handler, done: Done) -> None:
        self.face, self.gen, self.done = face, gen, done
        self.generation = face.generation

    def step(self, value: Response | None, error: BaseException | None) -> None:
        if self.generation != self.face.generation:
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
            self.face.send(op, self.step)
        elif kind is Sleep:
            self.face.sleep(max(0.0, op.seconds), self._wake)
        else:
            self.gen.close()
            self.done(TypeError(f"a handler yielded {op!r}; yield io.<system>.get/post(...) "
                                "or io.sleep(seconds)"))

    def _wake(self) -> None:
        self.step(None, None)


def spawn(face: Face, task: Handler, done: Done) -> None:
    if not inspect.isgenerator(task):
        raise TypeError("io.spawn() takes a generator, e.g. io.spawn(self.worker(io))")
    Task(face, task, done).step(None, None)


def receive(face: Face, sut: SyncImplementation, io: IO, webhook: Webhook,
            on_result: Result) -> None:
    """One delivery, as the SUT's webhook endpoint takes it: authenticate, handle, answer."""
    try:
        if not sut.authenticate(webhook, io):
            on_result("reject", "401: refused by authenticate()")
            return
        handler = sut.on_event(webhook.event, io)
    except Exception as failure:
        on_result("nack", describe(failure))
        return
    if not inspect.isgenerator(handler):
        on_result("ack", None)
        return
    Task(face, handler, lambda error: on_result(
        "ack" if error is None else "nack", None if error is None else describe(error))
    ).step(None, None)
