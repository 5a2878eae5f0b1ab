"""`replay`: the source re-sends a backlog after its own incident."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from seatrial.faults.base import Delivery, Effect, Fault, Kind, Webhooks
from seatrial.scenario_fields import HOUR, Duration, WebhookChannel

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class Replay(Fault):
    """At `at` the source re-sends everything it published in the `window` before (a backlog
    replayed after an incident): the same event ids again, in a burst."""

    kind: Literal["replay"] = "replay"
    channel: WebhookChannel
    window: Duration = 3600.0


class ReplayEffect(Effect[Replay]):
    __slots__ = ()

    def on_webhooks(self, webhooks: Webhooks) -> None:
        webhooks.at(self.fault.at, lambda: self._replay(webhooks))

    def _replay(self, webhooks: Webhooks) -> None:
        now, source = self.fault.at, self.fault.channel.removesuffix(".webhooks")
        replayed = webhooks.published(source, since=now - self.fault.window)
        webhooks.note(source, f"replay@{now:.0f}", {"fault": "replay", "events": len(replayed)})
        rng = webhooks.stream(f"replay.{source}")
        for event in replayed:
            webhooks.send(Delivery(rng.uniform(0.0, 60.0), event))


def explore(space: Space) -> SearchStrategy[Replay]:
    from hypothesis import strategies as st

    return st.builds(Replay, channel=space.webhooks, at=space.at,
                     window=st.sampled_from((HOUR, 2 * HOUR)))


def reached(fault: Replay, trace: Trace) -> bool:
    """A replay that re-sent at least one event (one whose window held nothing re-sends
    nothing)."""
    source = fault.channel.removesuffix(".webhooks")
    return any(entry.system == source and entry.ref == f"replay@{fault.at:.0f}"
               and entry.data["events"] > 0 for entry in trace.by_kind["fault"])


KIND = Kind(model=Replay, effect=ReplayEffect, explore=explore, reached=reached,
            listed=8, explored=7)
