"""Control numbers: the sender's counters, and the receiver's memory of what it has seen.

ISA13 must be unique per sender (a receiver that sees one twice has the same interchange twice,
a retransmission to drop, not a second shipment); GS06 and ST02 must be unique within the
interchange and group. A sender draws them from one counter each so they never repeat; a
receiver keeps the (sender, ISA13) pairs it has accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from seatrial.x12.envelope import Interchange

MAX_INTERCHANGE = 999_999_999  # ISA13 is nine digits


@dataclass
class ControlNumbers:
    """A sender's next interchange, group and set numbers, each counting up from `start`."""

    start: int = 1
    _interchange: int = field(init=False, default=0)
    _group: int = field(init=False, default=0)
    _set: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._interchange = self._group = self._set = self.start - 1

    def interchange(self) -> int:
        if self._interchange >= MAX_INTERCHANGE:
            raise OverflowError("ISA13 is nine digits: this sender's interchange numbers ran out")
        self._interchange += 1
        return self._interchange

    def group(self) -> int:
        self._group += 1
        return self._group

    def transaction_set(self) -> str:
        """ST02: 4 to 9 characters; zero-padded to 4."""
        self._set += 1
        return f"{self._set:04d}"


@dataclass
class ReceivedInterchanges:
    """The interchanges a receiver has accepted, by sender and ISA13."""

    _seen: set[tuple[str, str, int]] = field(default_factory=set)

    def first_time(self, interchange: Interchange) -> bool:
        """True, and remembered, the first time this sender's ISA13 arrives; False after."""
        key = (interchange.sender.qualifier, interchange.sender.id,
               interchange.control_number)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True
