"""`late_990`: the TMS answers a tender after the respond-by the tender asked for (the 204's
G62 64, must respond by), as when the partner's carrier answers late or its translator's queue
backs up: the 990s (the declines and the acceptance) come `late_by` past that time. X12 leaves
what a late 990 means to the trading partners; here the TMS is the one partner a load is
tendered to and runs its own carrier waterfall on the tender, so a late 990 still books a carrier
on it (B102 names the tender): a shipper that takes the silence at its respond-by for a refusal
and gives the tender up leaves a booked load the ERP never hears of, and one that tenders the load
anew books a second. Only the `x12` TMS writes 990s."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from seatrial.faults.base import Fault, Kind
from seatrial.faults.outbound import OutboundFileEffect
from seatrial.model.envelope import to_sim_seconds
from seatrial.scenario_fields import HOUR, MINUTE, Duration, Probability
from seatrial.x12.envelope import Interchange, TransactionSet, parse_interchange
from seatrial.x12.errors import X12Error
from seatrial.x12.load_tender import FUNCTIONAL_ID as TENDERS
from seatrial.x12.load_tender import read_load_tender
from seatrial.x12.tender_response import FUNCTIONAL_ID as RESPONSES
from seatrial.x12.tender_response import read_tender_response

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class Late990(Fault):
    """While active, each file of 990s the TMS writes is held, with `probability`, until
    `late_by` past the respond-by of the tender it answers (a tender that asked for none: past
    the moment the TMS answered)."""

    needs: ClassVar[tuple[str, str] | None] = ("tms", "x12")
    kind: Literal["late_990"] = "late_990"
    probability: Probability = 1.0
    late_by: Duration = Field(HOUR, gt=0)

    def lag(self) -> None:
        return None  # the respond-by is the SUT's to ask (G62 64): no bound known here


class Late990Effect(OutboundFileEffect):
    __slots__ = ()

    def act(self, now: float, name: str, content: bytes) -> None:
        answered = _answers(_interchange(content))
        if not answered:
            return  # no 990 in it: a 214, a 210 or a 997 comes on time
        due = self.partner.respond_by.get(answered[0], now) + self.fault.late_by
        if due <= now:
            return  # late enough already (a long waterfall)
        self.partner.mailbox.delete("outbound", name)  # at the instant it was written

        def late() -> None:
            self.partner.mailbox.write_atomically("outbound", name, content)
        self.systems.at(due, late)


def _interchange(content: bytes) -> Interchange | None:
    """The file's interchange; None if it is none (poison, or a file read mid-write)."""
    try:
        return parse_interchange(content)
    except X12Error:
        return None


def _sets(interchange: Interchange | None, functional_id: str) -> list[TransactionSet]:
    """The transaction sets of the interchange's groups of one functional kind."""
    return [] if interchange is None else [
        transaction for group in interchange.groups if group.functional_id == functional_id
        for transaction in group.transactions]


def _answers(interchange: Interchange | None) -> list[str]:
    """The tenders (B102) the 990s in an interchange answer."""
    return [read_tender_response(transaction).shipment_id
            for transaction in _sets(interchange, RESPONSES)]


def _asked(interchange: Interchange | None) -> Iterator[tuple[str, float]]:
    """Each tender (B204) in an interchange of 204s with the time its 990 is asked by (G62
    64)."""
    for transaction in _sets(interchange, TENDERS):
        try:
            tender = read_load_tender(transaction)
        except X12Error:
            continue  # a malformed 204: the TMS rejected it, nothing to answer
        if tender.respond_by is not None:
            yield tender.shipment_id, to_sim_seconds(tender.respond_by)


def explore(space: Space) -> SearchStrategy[Late990]:
    from hypothesis import strategies as st

    return st.builds(Late990, at=space.at, probability=space.some,
                     late_by=st.sampled_from((15 * MINUTE, HOUR, 3 * HOUR)))


def reached(fault: Late990, trace: Trace) -> bool:
    """The SUT read, in the fault's window, a 990 the TMS wrote (ISA09/10) before the
    respond-by its tender asked for, `late_by` or more past that time: only a held file is
    both (a waterfall that ran long writes its 990 late, and the SUT looks every minute)."""
    start, end = trace.window(fault)
    asked = dict(pair for entry in trace.by_kind["request"] if entry.system == "tms"
                 and isinstance(content := entry.data.get("content"), str)
                 for pair in _asked(_interchange(content.encode())))
    for entry in trace.by_kind["response"]:
        if not (start <= entry.time < end and entry.system == "tms"
                and isinstance(content := entry.data.get("content"), str)):
            continue
        interchange = _interchange(content.encode())
        if interchange is None:
            continue
        written = to_sim_seconds(interchange.prepared)
        for tender_id in _answers(interchange):
            respond_by = asked.get(tender_id)
            if respond_by is not None and written <= respond_by <= entry.time - fault.late_by:
                return True
    return False


KIND = Kind(model=Late990, effect=Late990Effect, explore=explore, reached=reached,
            listed=26, explored=26)
