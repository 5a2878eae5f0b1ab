"""The TMS as an X12 trading partner: what the x12 dialect's router serves over the TMS core.

It keeps the mailbox (`mailbox.Mailbox`), its own control numbers, the interchanges it has
accepted (by sender and ISA13: a second copy is a retransmission, dropped) and each tender's
shipment (by the SUT's B204). A file landing in `inbound/` under its final name is taken at
once: each 204 in it is read, a tender (B2A01 00) creates the shipment through the core, once
per B204, a cancellation (01) cancels it; every group is answered by a 997 in `outbound/`,
accepting each set or rejecting it with the AK3/AK4 its reading error names (never a crash).
The TMS's events become files in `outbound/` (`post`). The core knows nothing of any of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from seatrial.model.envelope import Event, to_datetime, to_sim_seconds
from seatrial.simulators.api import Inner, Reply
from seatrial.simulators.domain import Conflict
from seatrial.simulators.tms.core import TmsCore
from seatrial.simulators.tms.dialects.x12 import documents
from seatrial.simulators.tms.dialects.x12.mailbox import Mailbox
from seatrial.simulators.tms.events import ChargesFinalized, ShipmentStatus
from seatrial.x12.acknowledgment import acknowledge
from seatrial.x12.common import Entity
from seatrial.x12.control import ControlNumbers, ReceivedInterchanges
from seatrial.x12.documents import Document, compose, read_document
from seatrial.x12.envelope import (
    FunctionalGroup,
    Interchange,
    Party,
    TransactionSet,
    parse_interchange,
    render_interchange,
)
from seatrial.x12.errors import SegmentSyntax, SetSyntax, X12Error
from seatrial.x12.load_tender import LoadTender, Purpose
from seatrial.x12.shipment_status import ShipmentStatus as Status214
from seatrial.x12.shipment_status import Status, StatusLine

#: the trading partners' interchange ids (ISA05/06 and ISA07/08, ZZ mutually defined)
TMS = Party("ZZ", "SEATRIALTMS")
SHIPPER = Party("ZZ", "SEATRIALSHIP")
TENDER = "/edi/load-tenders"
CANCELLATION = "/edi/load-tenders/{tender_id}/cancellation"


class TradingPartner:
    def __init__(self, tms: TmsCore, mailbox: Mailbox | None = None) -> None:
        self.tms = tms
        self.mailbox = Mailbox() if mailbox is None else mailbox
        self.numbers = ControlNumbers()
        self.received = ReceivedInterchanges()
        self.shipments: dict[str, str] = {}  # B204 -> the TMS's shipment id
        self.tender_ids: dict[str, str] = {}  # the TMS's shipment id -> B204
        #: B204 -> the time its 204 asked to be answered by (G62 64, must respond by), in
        #: simulated seconds, for the tenders that said: what the dialect's faults read
        self.respond_by: dict[str, float] = {}
        #: what the dialect's faults watch: each file the TMS has written to `outbound/`
        #: (its name and content), as it is written
        self.watchers: list[Callable[[str, bytes], None]] = []
        self.resent = 0  # retransmissions so far: each file's name is its own
        #: what the dialect's faults make its translator refuse: each well-formed tender (a 204
        #: B2A01 00) is asked in turn, the first error rejects it in the 997 (None: taken)
        self.glitches: list[Callable[[TransactionSet], X12Error | None]] = []

    # --- files the SUT drops ---------------------------------------------------------------

    def land(self, name: str) -> tuple[Reply, ...]:
        """`inbound/<name>` is complete: take it (the TMS collects what lands) and answer each
        204 it carries, in the order `carried` lists them."""
        content = self.mailbox.read("inbound", name)
        self.mailbox.delete("inbound", name)
        try:
            interchange = parse_interchange(content, keep_set_errors=True)
        except X12Error:
            return ()  # not an interchange at all: nothing to acknowledge it by (no 997)
        if not self.received.first_time(interchange):
            return tuple(Reply(200, {"detail": "a retransmission: ISA13 "
                                     f"{interchange.control_number} was taken before"})
                         for _ in _tenders(interchange))
        replies, acks = [], []
        for group in interchange.groups:
            if group.functional_id == "FA":
                continue  # the SUT's 997s: an acknowledgment is never acknowledged
            problems = {}
            for transaction in group.transactions:
                if transaction.fault is not None:
                    continue
                try:
                    document = read_document(transaction)
                    if isinstance(document, LoadTender):
                        _check_ship_to(document, transaction)
                except X12Error as error:
                    problems[transaction.control_number] = error.in_set(
                        transaction.control_number)
                    continue
                if isinstance(document, LoadTender):
                    refused = None if document.purpose is Purpose.CANCELLATION else next(
                        (error for glitch in self.glitches
                         if (error := glitch(transaction)) is not None), None)
                    if refused is None:
                        replies.append(self._tender(document))
                        continue
                    # a well-formed tender its translator refused: rejected in the 997, and
                    # the request it carries answered as refused (nothing created)
                    problems[transaction.control_number] = refused.in_set(
                        transaction.control_number)
                    replies.append(Reply(422, {"detail": f"rejected in the 997: {refused}"}))
                else:
                    problems[transaction.control_number] = X12Error(
                        "ST", 1, 1, SetSyntax.NOT_SUPPORTED,
                        f"the TMS takes 204 and 997, not {transaction.set_id}",
                        transaction.set_id, transaction.control_number)
            acks.append(acknowledge(group, problems))
        if acks:
            self._send(acks, _prepared(self.tms.clock()))
        return tuple(replies)

    def _tender(self, tender: LoadTender) -> Reply:
        tender_id = tender.shipment_id
        known = self.shipments.get(tender_id)
        if tender.purpose is Purpose.CANCELLATION:
            if known is None:
                return Reply(404, {"detail": f"no tender {tender_id}"})
            try:
                self.tms.cancel_shipment(self.tms.get_shipment(known))
            except Conflict as state:
                return Reply(409, {"detail": str(state)})
            return Reply(200, {"id": known})
        if known is not None:  # the same tender again: one shipment per B204
            return Reply(200, {"id": known})
        order_id = _reference(tender, "PO")
        if order_id is None:
            return Reply(422, {"detail": "the 204 names no order (L11 PO)"})
        shipment = self.tms.create_shipment(order_id, _ship_to(tender), [],
                                            _reference(tender, "CR"), tender_id)
        self.shipments[tender_id] = shipment.id
        self.tender_ids[shipment.id] = tender_id
        if tender.respond_by is not None:
            self.respond_by[tender_id] = to_sim_seconds(tender.respond_by)
        return Reply(201, {"id": shipment.id})

    # --- files the TMS writes ----------------------------------------------------------------

    def post(self, event: Event) -> str:
        """The event as a file in `outbound/`: its name."""
        event = event._replace(payload=documents.in_schema_1(event))
        tender_id = self.tender_ids.get(event.shipment_id or "", "")
        made: Sequence[Document] | None
        if event.type == ShipmentStatus.TYPE and _status(event) == "XB":
            shipment = self.tms.shipments.get(event.shipment_id or "")
            made = documents.tender_responses(event, tender_id,
                                              shipment.tenders if shipment else [])
        elif event.type == ChargesFinalized.TYPE:
            shipment = self.tms.shipments.get(event.shipment_id or "")
            invoice = documents.freight_invoice(event, tender_id,
                                                shipment.carrier if shipment else None)
            made = None if invoice is None else [invoice]
        else:
            status = documents.shipment_status(event, tender_id)
            made = None if status is None else [status]
        return self._send(made or [_unreadable(event)], _prepared(self.tms.clock()))

    def _send(self, made: Sequence[Document], prepared: datetime) -> str:
        return self._write(compose(made, sender=TMS, receiver=SHIPPER, prepared=prepared,
                                   numbers=self.numbers))

    def _write(self, interchange: Interchange, suffix: str = ".x12") -> str:
        """`interchange` in `outbound/` as `<ISA13><suffix>`, atomically; the watchers see it."""
        name = f"{interchange.control_number:09d}{suffix}"
        content = render_interchange(interchange)
        self.mailbox.write_atomically("outbound", name, content)
        for watcher in self.watchers:
            watcher(name, content)
        return name

    def batch(self, contents: Sequence[bytes]) -> str:
        """The sets of the interchanges `contents` (files the TMS wrote), written again as one
        interchange of its own, `<ISA13>.batch.x12`: one group per functional kind, in order of
        first appearance, each set as it was (ST02 is unique across the TMS's sets), as a
        partner's translator that sends on a schedule bundles what queued up meanwhile."""
        kinds: dict[str, list[TransactionSet]] = {}
        for content in contents:
            for group in parse_interchange(content).groups:
                kinds.setdefault(group.functional_id, []).extend(group.transactions)
        prepared = _prepared(self.tms.clock())
        groups = tuple(FunctionalGroup(functional_id, TMS.id, SHIPPER.id, prepared,
                                       self.numbers.group(), tuple(sets))
                       for functional_id, sets in kinds.items())
        return self._write(Interchange(TMS, SHIPPER, prepared, self.numbers.interchange(),
                                       groups), ".batch.x12")

    def retransmit(self, name: str, content: bytes) -> str:
        """`name`'s interchange written again as it was (same ISA13), as a partner resends
        one it saw no 997 for, under a name of its own: `<ISA13>.resent-<n>.x12`."""
        self.resent += 1
        again = f"{name.removesuffix('.x12')}.resent-{self.resent}.x12"
        self.mailbox.write_atomically("outbound", again, content)
        return again

    def write_in_halves(self, name: str, content: bytes) -> Callable[[], None]:
        """`name` as seen between the two writes of a file written in place: its first half
        only, now; returns the second write, which completes it unless the file was deleted
        meanwhile (the writer's handle then holds an unlinked file: the data is lost)."""
        outbound = self.mailbox.folder("outbound")
        outbound[name] = content[:len(content) // 2]

        def rest() -> None:
            if name in outbound:
                outbound[name] = content
        return rest


def carried(content: bytes | None) -> list[Inner]:
    """The canonical requests a file's 204s carry (what the ledger records beside it)."""
    try:
        interchange = parse_interchange(content or b"", keep_set_errors=True)
    except X12Error:
        return []
    return [_inner(tender) for tender in _tenders(interchange)]


def _tenders(interchange: Interchange) -> list[LoadTender]:
    """The 204s in an interchange the TMS takes (read without error, a tender with its
    ship-to): the ones `land` answers, in its order."""
    found = []
    for group in interchange.groups:
        for transaction in group.transactions:
            if transaction.fault is None and transaction.set_id == "204":
                try:
                    tender = read_document(transaction)
                    _check_ship_to(tender, transaction)
                except X12Error:
                    continue
                found.append(tender)
    return found


def _inner(tender: LoadTender) -> Inner:
    """B204 is the tender's key (one shipment per B204), L11 CR its correlation id, L11 PO
    the order it is about."""
    headers = {"idempotency-key": tender.shipment_id}
    if (correlation := _reference(tender, "CR")) is not None:
        headers["x-correlation-id"] = correlation
    order_id = _reference(tender, "PO")
    body = None if order_id is None else {"order_id": order_id}
    if tender.purpose is Purpose.CANCELLATION:
        return Inner("POST", CANCELLATION.format(tender_id=tender.shipment_id), {}, body,
                     headers)
    return Inner("POST", TENDER, {}, body, headers)


def _reference(tender: LoadTender, qualifier: str) -> str | None:
    return next((r.value for r in tender.references if r.qualifier == qualifier), None)


def _unloading(tender: LoadTender) -> Entity | None:
    """The place of the unloading stop (S502 UL), with a street and a city, if there is one."""
    place = next((stop.place for stop in tender.stops if stop.reason == "UL" and stop.place),
                 None)
    return place if place is not None and place.street and place.city else None


def _check_ship_to(tender: LoadTender, transaction: TransactionSet) -> None:
    """A tender must say where the load goes; a cancellation need not. Else the 997 rejects
    the set: the S5 loop of an unloading stop is missing (AK304 3), where SE stands."""
    if tender.purpose is not Purpose.CANCELLATION and _unloading(tender) is None:
        raise X12Error("S5", len(transaction.body) + 2, None,
                       SegmentSyntax.MANDATORY_SEGMENT_MISSING,
                       "a tender needs an unloading stop (S502 UL) with its N1, N3 and N4")


def _ship_to(tender: LoadTender) -> dict[str, str]:
    """The canonical address of the unloading stop (`_check_ship_to`): its N3 lines, one a
    line."""
    place = _unloading(tender)
    assert place is not None  # checked as the tender was read
    address = {"street": "\n".join(place.street), "city": place.city,
               "postcode": place.postal_code}
    if place.country:
        address["country"] = place.country
    return address


def _status(event: Event) -> object:
    payload = event.payload
    return payload.get("status_code") if isinstance(payload, dict) else None


def _unreadable(event: Event) -> Document:
    """A message the TMS sends with its fields gone (the poison fault): a 214 without the
    shipment it is about (B1002), which a strict reader rejects."""
    moment = to_datetime(0.0)
    return Status214(event.shipment_id or "", "", documents.UNASSIGNED,
                     (StatusLine(1, (Status(moment.date(), moment.time(), "XX", "NS"),)),))


def _prepared(now: float) -> datetime:
    """ISA09/10 and GS04/05: the moment the file is written, UTC, to the minute."""
    return to_datetime(now).astimezone(UTC).replace(tzinfo=None, second=0, microsecond=0)
