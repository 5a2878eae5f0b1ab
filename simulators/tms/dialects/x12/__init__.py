"""The TMS as an X12 004010 EDI trading partner over an SFTP mailbox (docs/dialects.md#x12).

The SUT tenders a shipment with a 204 (cancels with one whose B2A01 is 01) dropped in
`inbound/`; the TMS answers each group with a 997 and the tender with 990s, reports milestones
as 214s and the final freight statement as a 210, all in `outbound/`, where the SUT collects
them (polling through `io.mailbox`, docs/dialects.md#x12) and answers each with a 997
of its own. `partner` plays the TMS's side over the unchanged core, `documents` turns its events
into X12 documents (`seatrial.x12` reads and writes them), `mailbox` holds the folders and
`endpoints` is the file-exchange API the in-process client reaches. Its events are never
webhooks: the channel files them (`post_event`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seatrial.model.envelope import Event
from seatrial.simulators.api import Router
from seatrial.simulators.canonical import describe
from seatrial.simulators.dialect import Dialect
from seatrial.simulators.tms.dialects.x12 import acknowledged
from seatrial.simulators.tms.dialects.x12.endpoints import ENDPOINTS, SCHEMAS, X12_MEDIA
from seatrial.simulators.tms.dialects.x12.partner import TradingPartner


@dataclass(frozen=True, eq=False)
class X12Dialect(Dialect):
    """Its router serves a `TradingPartner` over the core (`router.core.tms` is the core),
    keeping its files in `mailbox` (live: the SFTP mailbox's real folders) or in memory."""

    def router(self, core: Any, mailbox: Any = None) -> Router:
        return Router(self.table, TradingPartner(core, mailbox), self.errors)


def _post(event: Event, partner: TradingPartner) -> str:
    """`Dialect.post_event`: the channel hands over the event and what the router serves."""
    return partner.post(event)


def _no_forgery(genuine: Event, forged: Event, mode: str, delivered: bool) -> None:
    """A mailbox signs nothing: a forger would need the run's credentials, so none is sent."""


DIALECT = X12Dialect("x12", "tms", "TMS", ENDPOINTS, SCHEMAS, describe,
                     raw_media_types=frozenset({X12_MEDIA}), post_event=_post,
                     forgeries=_no_forgery, transport="sftp",
                     invariants=(acknowledged,))
