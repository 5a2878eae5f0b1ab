"""`batched_interchange`: the TMS's translator sends on a schedule, and every document that
queued up since its last run goes out in one interchange: several 214s (and 990s, 210s, 997s)
as sets of one file, in one group per functional kind. X12 allows any number of sets in a
group and of groups in an interchange; a reader that takes one document per file (the first
ST) loses the rest. Only the `x12` TMS writes files."""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from seatrial.faults.base import Fault, Kind
from seatrial.faults.outbound import OutboundFileEffect
from seatrial.scenario_fields import MINUTE, Duration, Probability

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

BATCH = ".batch.x12"  # a batch's file name ends so (`TradingPartner.batch`)


class BatchedInterchange(Fault):
    """While active, each file the TMS writes is held, with `probability`, until the next
    `every` boundary of the run's clock, when all held files go out as one interchange."""

    needs: ClassVar[tuple[str, str] | None] = ("tms", "x12")
    kind: Literal["batched_interchange"] = "batched_interchange"
    probability: Probability = 1.0
    every: Duration = Field(15 * MINUTE, gt=0)

    def lag(self) -> float:
        return self.every  # a held document goes out at the next run of the translator


class BatchedInterchangeEffect(OutboundFileEffect):
    __slots__ = ("held",)

    def __init__(self, fault: BatchedInterchange, horizon: float, rng: random.Random) -> None:
        super().__init__(fault, horizon, rng)
        self.held: list[bytes] = []

    def act(self, now: float, name: str, content: bytes) -> None:
        if name.endswith(BATCH):
            return  # its own batch, written at the boundary
        self.partner.mailbox.delete("outbound", name)  # at the instant it was written
        if not self.held:
            boundary = math.floor(now / self.fault.every + 1) * self.fault.every
            self.systems.at(boundary, self._send)
        self.held.append(content)

    def _send(self) -> None:
        held, self.held = self.held, []
        self.partner.batch(held)


def explore(space: Space) -> SearchStrategy[BatchedInterchange]:
    from hypothesis import strategies as st

    return st.builds(BatchedInterchange, at=space.at, probability=space.some,
                     every=st.sampled_from((5 * MINUTE, 15 * MINUTE, 30 * MINUTE)))


def reached(fault: BatchedInterchange, trace: Trace) -> bool:
    """The SUT read a batch with more than one set in it."""
    start = trace.window(fault)[0]
    return any(entry.system == "tms" and entry.time >= start
               and isinstance(content := entry.data.get("content"), str)
               and content.startswith("ISA") and content.replace("\n", "").count("~ST*") > 1
               for entry in trace.by_kind["response"])


KIND = Kind(model=BatchedInterchange, effect=BatchedInterchangeEffect, explore=explore,
            reached=reached, listed=24, explored=24)
