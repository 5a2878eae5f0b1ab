"""Connectors: how a sync implementation speaks to each system in the dialect it speaks, one
module per (system, dialect), so that the same business logic runs in any dialect.

`links(io, send, take)` picks one per system from `io.dialects`. Each makes the calls the business
logic needs (read an order, create a shipment, create a task, write a status, ...) in its
dialect's shapes, through the implementation's own `send` (its retries, backoff and 429
pauses), and knows how its system signs webhooks. Where a vendor dedupes no write by
Idempotency-Key, its connector hands `send` a `recheck` too: how to look the write up before
sending it again after a lost answer (docs/dialects.md#the-sut-side).
"""

from __future__ import annotations

from typing import NamedTuple

from seatrial.sdk import IO
from seatrial.sync_implementations.connectors.base import (
    Connector,
    Order,
    Parked,
    Recheck,
    Send,
    Take,
)
from seatrial.sync_implementations.connectors.erp import Erp
from seatrial.sync_implementations.connectors.erp_sap_s4 import SapErp
from seatrial.sync_implementations.connectors.lastmile import LastMile
from seatrial.sync_implementations.connectors.lastmile_onfleet import OnfleetLastMile
from seatrial.sync_implementations.connectors.tms import Tms
from seatrial.sync_implementations.connectors.tms_x12 import TmsX12

__all__ = ["CONNECTORS", "Connector", "Connectors", "Links", "Order", "Parked", "Recheck",
           "Send", "Take", "links", "speaking"]

#: system -> dialect -> its connector
Connectors = dict[str, dict[str, type[Connector]]]
CONNECTORS: Connectors = {
    "erp": {"canonical": Erp, "sap-s4": SapErp},
    "tms": {"canonical": Tms, "x12": TmsX12},
    "lastmile": {"canonical": LastMile, "onfleet": OnfleetLastMile},
}


def speaking(system: str, dialect: str, connector: type[Connector]) -> Connectors:
    """The built-in connectors, with `connector` speaking to `system` in `dialect`: how an
    implementation changes one wire and keeps the rest (its `connectors()`)."""
    return {**CONNECTORS, system: {**CONNECTORS[system], dialect: connector}}


class Links(NamedTuple):
    erp: Erp
    tms: Tms
    lastmile: LastMile

    def of(self, source: str) -> Connector | None:
        """The connector of the system that sent an event; None for a source that is none
        of them (a forger's made-up one)."""
        return getattr(self, source) if source in Links._fields else None


def links(io: IO, send: Send, take: Take | None = None,
          connectors: Connectors = CONNECTORS) -> Links:
    """A connector per system, in the dialect `io.dialects` says it speaks (one of
    `connectors`), handing the events it reads back to `take`; ValueError names a dialect no
    connector speaks, and those there are."""
    made = []
    for system in Links._fields:
        dialect = io.dialects[system]
        known = connectors[system]
        if dialect not in known:
            raise ValueError(f"no connector speaks {system} in {dialect!r}; the built-in "
                             f"implementations speak {', '.join(known)}")
        made.append(known[dialect](io, send, take))
    return Links(*made)
