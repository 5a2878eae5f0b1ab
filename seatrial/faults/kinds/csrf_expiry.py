"""`csrf_expiry`: SAP Gateway ends every session mid-run (a session timeout, a Gateway
restart), and their CSRF tokens with them: the next write with an old token is refused 403
"CSRF token validation failed", and a SUT must fetch a new token and write again. Only the
`sap-s4` ERP has CSRF tokens."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar, Literal

from seatrial.faults.base import Effect, Fault, Kind, Systems
from seatrial.scenario_fields import HOUR, MINUTE, Duration

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

CSRF_REFUSED = 403


class CsrfExpiry(Fault):
    """Every session ends at `at`, and again `every` after that while the fault lasts (None:
    once)."""

    needs: ClassVar[tuple[str, str] | None] = ("erp", "sap-s4")
    kind: Literal["csrf_expiry"] = "csrf_expiry"
    every: Duration | None = None

    def lag(self) -> float:
        return 0.0  # a correct SUT fetches a new token at once


class CsrfExpiryEffect(Effect[CsrfExpiry]):
    """Sessions end lazily: a session is found ended when it is next used, if one of the
    fault's moments passed since it began (no timers: a fault every half hour does not keep a
    quiet run going to its horizon)."""

    __slots__ = ()

    def on_systems(self, systems: Systems) -> None:
        systems.served("erp").lifetimes.append(self.ended)

    def ended(self, born: float, now: float) -> bool:
        """Whether a session begun at `born` has ended by `now`."""
        last = self.last(now)
        return last is not None and born < last

    def last(self, now: float) -> float | None:
        """The fault's latest moment at or before `now`: `at`, then every `every` within the
        window."""
        if now < self.start:
            return None
        every = self.fault.every
        if every is None:
            return self.start
        latest = math.ceil((self.end - self.start) / every) - 1  # the last moment in the window
        return self.start + min(int((now - self.start) // every), latest) * every


def explore(space: Space) -> SearchStrategy[CsrfExpiry]:
    from hypothesis import strategies as st

    return st.builds(CsrfExpiry, at=space.at, every=st.sampled_from((None, HOUR, 15 * MINUTE)))


def reached(fault: CsrfExpiry, trace: Trace) -> bool:
    """A write refused for its token once the sessions had ended: a run in which the SUT
    wrote nothing with an old token tests no recovery."""
    return any(entry.system == "erp" and entry.data.get("status") == CSRF_REFUSED
               and entry.time >= fault.at for entry in trace.by_kind["response"])


KIND = Kind(model=CsrfExpiry, effect=CsrfExpiryEffect, explore=explore, reached=reached,
            listed=15, explored=15)
