"""x12-acknowledged: every functional group the SUT received from the TMS is acknowledged
with a 997, as X12 trading partners agree to, by the converge deadline after the SUT first
read it (counted from the end of any windowed fault in the way).

A partner that sees no 997 retransmits (the `duplicate_interchange` fault is that partner)
and, in the end, calls someone; an implementation that acknowledges nothing passes every
check of the shipment's lifecycle, so this dialect owns one of its own. Received means read:
a GET of an outbound file whose answer reached the SUT and parsed as an interchange (a half
written file is not received yet); acknowledged means a 997 naming the group (AK1: its
functional id and GS06) in a file the SUT put in `inbound/` and the TMS took (a 2xx). 997s
are never acknowledged. A second 997 for a group is not judged: X12 tolerates it, and a SUT
that crashed between sending one and noting it sent has no other way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from seatrial.violation import Violation
from seatrial.x12.acknowledgment import FunctionalAcknowledgment
from seatrial.x12.documents import read_document
from seatrial.x12.envelope import Interchange, parse_interchange
from seatrial.x12.errors import X12Error

if TYPE_CHECKING:
    from seatrial.judge.observation import Observation
    from seatrial.ledger import Entry

NAME = "x12-acknowledged"
ORDER = 300  # after the general ones (their ORDERs run to 200)
LAG_WINDOW = "evidence"  # a deadline: lag near its evidence can break it
ACKNOWLEDGMENT = "FA"  # GS01 of a group of 997s


def check(obs: Observation) -> Iterator[Violation]:
    received: dict[tuple[str, int], Entry] = {}  # (GS01, GS06) -> the first read of it
    acknowledged: dict[tuple[str, int], float] = {}  # -> when the first 997 for it landed
    puts = {entry.ref: entry for entry in obs.of_kind("request")
            if entry.system == "tms" and entry.data.get("method") == "PUT"}
    for entry in obs.of_kind("response"):
        data = entry.data
        if entry.system != "tms" or not data.get("delivered", True) or \
                not 200 <= data.get("status", 0) < 300:
            continue
        if (put := puts.get(entry.ref)) is not None:
            for key in _acknowledges(put.data.get("content")):
                acknowledged.setdefault(key, entry.time)
        else:
            for group in getattr(_interchange(data.get("content")), "groups", ()):
                if group.functional_id != ACKNOWLEDGMENT:
                    received.setdefault((group.functional_id, group.control_number), entry)
    for (functional_id, number), read in received.items():
        deadline = obs.recovery_deadline(read.time)
        if deadline > obs.end_time:
            continue  # the run ended before the SUT owed it
        landed = acknowledged.get((functional_id, number))
        if landed is None or landed > deadline:
            late = "never acknowledged" if landed is None else \
                f"acknowledged {(landed - read.time) / 60:.0f} min later, past the deadline"
            yield Violation(NAME, f"the TMS's group {functional_id} {number} was read and "
                            f"{late}: no 997 for it in time",
                            {"group": f"{functional_id} {number}"}, [read],
                            frozenset({read.seq}))


def _interchange(content: object) -> Interchange | None:
    if not isinstance(content, str) or not content.startswith("ISA"):
        return None
    try:
        return parse_interchange(content.encode(), keep_set_errors=True)
    except X12Error:
        return None


def _acknowledges(content: object) -> Iterator[tuple[str, int]]:
    """(GS01, GS06) of each group a file's 997s acknowledge."""
    for group in getattr(_interchange(content), "groups", ()):
        if group.functional_id != ACKNOWLEDGMENT:
            continue
        for transaction in group.transactions:
            try:
                document = read_document(transaction)
            except X12Error:
                continue
            if isinstance(document, FunctionalAcknowledgment):
                yield document.functional_id, document.group_control
