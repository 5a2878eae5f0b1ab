"""`partial_file`: the TMS writes a file in place, under its final name, in two steps, and the
first half is visible for a while, as a partner whose SFTP client does not write to a
temporary name and rename (many do not) leaves it. A SUT that lists the folder then finds a
file that is no whole interchange yet. Only the `x12` TMS writes files."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from seatrial.faults.base import Fault, Kind
from seatrial.faults.outbound import OutboundFileEffect
from seatrial.scenario_fields import MINUTE, Duration, Probability

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class PartialFile(Fault):
    """While active, each file the TMS writes is, with `probability`, half there for up to
    `visible` (uniform) before the rest is written."""

    needs: ClassVar[tuple[str, str] | None] = ("tms", "x12")
    kind: Literal["partial_file"] = "partial_file"
    probability: Probability = 0.2
    visible: Duration = 5 * MINUTE

    def lag(self) -> float:
        return self.visible  # a file is whole this much later at most


class PartialFileEffect(OutboundFileEffect):
    __slots__ = ()

    def act(self, now: float, name: str, content: bytes) -> None:
        rest = self.partner.write_in_halves(name, content)
        self.systems.at(now + self.rng.uniform(0.0, self.fault.visible), rest)


def explore(space: Space) -> SearchStrategy[PartialFile]:
    from hypothesis import strategies as st

    return st.builds(PartialFile, at=space.at, probability=space.some,
                     visible=st.sampled_from((MINUTE, 5 * MINUTE, 30 * MINUTE)))


def reached(fault: PartialFile, trace: Trace) -> bool:
    """The SUT read a file mid-write: an interchange without its trailer (IEA)."""
    start = trace.window(fault)[0]
    return any(entry.system == "tms" and entry.time >= start
               and isinstance(content := entry.data.get("content"), str)
               and content.startswith("ISA") and "IEA*" not in content
               for entry in trace.by_kind["response"])


KIND = Kind(model=PartialFile, effect=PartialFileEffect, explore=explore, reached=reached,
            listed=23, explored=23)
