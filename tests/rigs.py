"""A simulator core and its router driven directly, without a world: what the core and
router tests share."""

from __future__ import annotations

from seatrial.simulators.dialect import dialect
from seatrial.simulators.events import EventSource


class Rig:
    """One core with a controllable clock and a list as its event sink."""

    def __init__(self, core_cls, source: str) -> None:
        self.t = [0.0]
        self.events: list = []
        clock = lambda: self.t[0]  # noqa: E731
        self.core = core_cls(clock, EventSource(source, clock, self.events.append))
        self.router = dialect(source).router(self.core)

    def at(self, seconds: float) -> None:
        self.t[0] = seconds

    def call(self, method: str, path: str, body=None, key: str | None = None, query=None):
        headers = {"x-correlation-id": "corr-1"}
        if key is not None:
            headers["idempotency-key"] = key
        return self.router.dispatch(method, path, query, body, headers)
