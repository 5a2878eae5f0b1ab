"""`batch_failure`: a `$batch` changeset fails as a whole (409: the sales document is being
processed by another user), every write in it undone, while the batch itself answers 202. A
SUT must read each changeset's answer, not the batch's status, and send the changeset
again. Only the `sap-s4` ERP takes `$batch`."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from seatrial.faults.base import Effect, Fault, Kind, Systems

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

LOCKED = 409


class BatchFailure(Fault):
    """From `at`, the next `changesets` changesets fail as a whole."""

    needs: ClassVar[tuple[str, str] | None] = ("erp", "sap-s4")
    kind: Literal["batch_failure"] = "batch_failure"
    changesets: int = Field(1, ge=1, le=10_000)

    def lag(self) -> float:
        return 0.0  # a correct SUT sends the changeset again at once


class BatchFailureEffect(Effect[BatchFailure]):
    __slots__ = ()

    def on_systems(self, systems: Systems) -> None:
        gateway = systems.served("erp")

        def lock() -> None:
            gateway.failing_changesets += self.fault.changesets
        systems.at(self.start, lock)


def explore(space: Space) -> SearchStrategy[BatchFailure]:
    from hypothesis import strategies as st

    return st.builds(BatchFailure, at=space.at, changesets=st.sampled_from((1, 3, 10)))


def reached(fault: BatchFailure, trace: Trace) -> bool:
    """A part of a batch (the ledger records each) answered 409 from `at` on."""
    return any(entry.system == "erp" and "." in entry.ref and entry.time >= fault.at
               and entry.data.get("status") == LOCKED for entry in trace.by_kind["response"])


KIND = Kind(model=BatchFailure, effect=BatchFailureEffect, explore=explore, reached=reached,
            listed=17, explored=17)
