"""What the file faults share: an effect on the files a TMS trading partner writes to its
mailbox's outbound/ (the `x12` dialect's `TradingPartner.watchers`), each file drawn with the
fault's `probability` while the fault is active. A kind says what it does to a drawn file. The
faults see a file in the order the scenario lists them; one an earlier fault took away (held
for a batch, or for later) is not there for the later ones."""

from __future__ import annotations

from typing import Any

from seatrial.faults.base import Effect, Systems


class OutboundFileEffect(Effect[Any]):
    __slots__ = ("clock", "partner", "systems")

    def on_systems(self, systems: Systems) -> None:
        self.systems, self.partner = systems, systems.served("tms")
        self.clock = self.partner.tms.clock
        self.partner.watchers.append(self._written)

    def _written(self, name: str, content: bytes) -> None:
        if name not in self.partner.mailbox.folder("outbound"):
            return  # a fault listed before this one took it as it was written (holds it)
        now = self.clock()
        if self.active(now) and self.rng.random() < self.fault.probability:
            self.act(now, name, content)

    def act(self, now: float, name: str, content: bytes) -> None:
        """What the fault does to a file drawn at `now`."""
        raise NotImplementedError
