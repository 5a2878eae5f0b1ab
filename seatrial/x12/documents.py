"""The transportation documents as one vocabulary: which set each is, how it is read and
written, and an interchange made of them (one functional group per kind, in order)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

from seatrial.x12 import (
    acknowledgment,
    freight_invoice,
    load_tender,
    shipment_status,
    tender_response,
)
from seatrial.x12.acknowledgment import FunctionalAcknowledgment
from seatrial.x12.control import ControlNumbers
from seatrial.x12.envelope import FunctionalGroup, Interchange, Party, Segment, TransactionSet
from seatrial.x12.errors import SetSyntax, X12Error
from seatrial.x12.freight_invoice import FreightInvoice
from seatrial.x12.load_tender import LoadTender
from seatrial.x12.shipment_status import ShipmentStatus
from seatrial.x12.tender_response import TenderResponse

Document = LoadTender | TenderResponse | ShipmentStatus | FreightInvoice | \
    FunctionalAcknowledgment


class Kind(NamedTuple):
    set_id: str
    functional_id: str
    write: Callable[[Document], tuple[Segment, ...]]
    read: Callable[[TransactionSet], Document]


def _kind(module, write, read) -> Kind:
    return Kind(module.SET_ID, module.FUNCTIONAL_ID, write, read)


KINDS: dict[type, Kind] = {
    LoadTender: _kind(load_tender, load_tender.load_tender_segments,
                      load_tender.read_load_tender),
    TenderResponse: _kind(tender_response, tender_response.tender_response_segments,
                          tender_response.read_tender_response),
    ShipmentStatus: _kind(shipment_status, shipment_status.shipment_status_segments,
                          shipment_status.read_shipment_status),
    FreightInvoice: _kind(freight_invoice, freight_invoice.freight_invoice_segments,
                          freight_invoice.read_freight_invoice),
    FunctionalAcknowledgment: _kind(acknowledgment, acknowledgment.acknowledgment_segments,
                                    acknowledgment.read_acknowledgment),
}
BY_SET_ID = {kind.set_id: kind for kind in KINDS.values()}


def read_document(transaction: TransactionSet) -> Document:
    """The typed document in `transaction`, by its ST01."""
    kind = BY_SET_ID.get(transaction.set_id)
    if kind is None:
        raise X12Error("ST", 1, 1, SetSyntax.NOT_SUPPORTED,
                       f"transaction set {transaction.set_id} is not one of "
                       f"{', '.join(sorted(BY_SET_ID))}", transaction.set_id,
                       transaction.control_number)
    return kind.read(transaction)


def compose(documents: Sequence[Document], *, sender: Party, receiver: Party,
            prepared: datetime, numbers: ControlNumbers, usage: str = "P") -> Interchange:
    """An interchange carrying `documents`: one group per kind in order of first appearance,
    control numbers drawn from `numbers`. GS02/GS03 repeat the ISA sender and receiver ids."""
    kinds: dict[str, list[TransactionSet]] = {}
    for document in documents:
        kind = KINDS[type(document)]
        kinds.setdefault(kind.functional_id, []).append(
            TransactionSet(kind.set_id, numbers.transaction_set(), kind.write(document)))
    groups = tuple(FunctionalGroup(functional_id, sender.id, receiver.id, prepared,
                                   numbers.group(), tuple(sets))
                   for functional_id, sets in kinds.items())
    return Interchange(sender, receiver, prepared, numbers.interchange(), groups, usage=usage)
