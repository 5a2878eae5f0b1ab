"""The TMS as an X12 004010 trading partner, through its SFTP mailbox (docs/dialects.md#x12).

- Tendering: a 204 (B2A01 00) put in `inbound/`, B204 the tender's id (the Idempotency-Key
  the business logic gives, so a tender sent again is the same tender), L11 PO the order, L11
  CR the correlation id, the ship-to as the unloading stop (S5 UL) with its N1/N3/N4. The
  shipment's id is the TMS's to give: it comes back in the 990 accepting the tender (N9 CN),
  and `create_shipment` waits for it, polling the durable store the collector fills. The 204
  asks for an answer within `RESPOND_BY` (G62 64, must respond by); a 990 after it is late,
  not void, and is taken (`expired`). A 997 rejecting the 204 sends it again, and parks it
  after `RESENDS` times. A cancellation is a 204 with B2A01 01 and the same B204.
- Collecting: one background task per process (`_collect_all`) lists `outbound/` every
  `POLL_EVERY` seconds while any tender is open (the files a partner leaves are not pushed:
  polling is how SFTP partners learn of them), skips files still being written (a dot-name,
  or a file that is no whole interchange yet: read again next look), reads each interchange,
  answers every group but a 997 with a 997 of its own (accepting or rejecting each set with
  the AK3/AK4 its reading error names; one interchange of 997s per look), hands the 990s,
  214s and 210s to the business logic as the events they report, and deletes the files. An
  interchange is taken once: its (sender, ISA13) is remembered durably, and a copy of it (a
  retransmission) is deleted unread.
- Logging in: the mailbox's credential is read once (`io.mailbox.login()`: live, the key
  file) and every file call carries it; a call refused 403 for it (the partner rotated its
  password and key) reads it again (`relogin`: the key file holds the new key) and goes
  again with it, so nothing is lost: the TMS's files wait in `outbound/`, and a refused 204
  was never taken.
- Control numbers: one durable counter gives each interchange its ISA13 and each of its
  groups and sets their GS06 and ST02 (one number per document), so none repeats, across
  crashes too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from seatrial.sdk import Call, Credential, Event, Handler, Mailbox, x12
from seatrial.sync_implementations.connectors.base import Order, Parked
from seatrial.sync_implementations.connectors.tms import Tms

SHIPPER = x12.envelope.Party("ZZ", "SEATRIALSHIP")  # us, as the trading partners agreed
TMS = x12.envelope.Party("ZZ", "SEATRIALTMS")
POLL_EVERY = 60.0
HOUR = 3600.0
RESPOND_BY = 12 * HOUR  # asked of the TMS in each 204 (G62 64), as the partners agreed
RESENDS = 12  # a rejected 204 goes again this many times (`resends`)
HIDDEN = "."  # a name beginning so is a file still being written
COUNTER = "x12/isa13"
TENDER = "x12/tender/"  # + B204: {"order", "shipment": the TMS's id once accepted, "sent",
#                          "respond_by": the last 204's G62 64, ISO 8601}
SENT = "x12/sent/"  # + our ISA13: the B204 it carried
OPEN = "x12/open/"  # + B204, while its 210 or cancellation has not come
TAKEN = "x12/taken/"  # + "<sender>/<ISA13>": an interchange collected
#: AT703 appointment codes: the milestone an estimate is about
ESTIMATED = {"AA": "X3", "AB": "X4"}
#: 210 L108 special charge codes, as our ERP books them
CHARGES = {"400": "LINEHAUL", "FUE": "FUEL", "DET": "DETENTION", "LFT": "LIFTGATE"}
ZONES = {"UT": UTC}  # AT707 time codes we read; none: the TMS's local time


class TmsX12(Tms):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.collecting = False  # process memory: a crash ends the collector
        self.login: Credential | None = None  # process memory: read at first use

    def _file(self, make: Callable[..., Call], *args: Any, accept: tuple[int, ...] = ()
              ) -> Handler:
        """The mailbox call `make(*args, login=...)` with the credential held, through
        `send`; refused for it (403), the credential read again and the call made anew. A 403
        to a credential read again unchanged is a refusal no login mends: Parked."""
        if self.login is None:
            self.login = self.io.mailbox.login()
        while True:
            held = self.login
            answer = yield from self.send(make(*args, login=held), accept=(*accept, 403))
            if answer.status_code != 403:
                return answer
            self.login = self.relogin(held)
            if self.login == held:
                raise Parked(f"the mailbox refused our login ({answer.json().get('detail')}), "
                             "and the credential read again is the same")

    def relogin(self, refused: Credential | None) -> Credential | None:
        """The credential to log in with after `refused` was refused: the mailbox's as it is
        now (live: the key file read again, where the partner's new key is written)."""
        return self.io.mailbox.login()

    def start(self) -> Handler | None:
        """The collector again, if a tender is open (a crash ended it)."""
        self._collect()
        return None

    # --- tendering ---------------------------------------------------------------------------

    def create_shipment(self, order_id: str, order: Order, key: str | None,
                        corr: str | None) -> Handler:
        """The TMS's shipment id, from the 990 that accepts the tender."""
        store = self.io.store
        tender_id = key or f"{order_id}-{store.get(COUNTER, 0) + 1}"
        if TENDER + tender_id not in store:
            # on record before the 204 goes: its 990 can come before the put's answer (an
            # answer lost, the put sent again), and is matched to the tender only so
            store.put(TENDER + tender_id, {"order": order_id, "shipment": None})
            store.put(OPEN + tender_id, True)
        self._collect()
        while (tender := store.get(TENDER + tender_id))["shipment"] is None:
            if self.expired(tender):
                store.delete(OPEN + tender_id)
                raise Parked(f"no 990 for {tender_id} by its respond-by, "
                             f"{tender['respond_by']}: the tender expired")
            if tender.get("rejected"):
                if not self.resends(tender):
                    store.delete(OPEN + tender_id)
                    raise Parked(f"the TMS rejected the 204 for {tender_id} "
                                 f"{tender.get('resent', 0) + 1} times: {tender['rejected']}")
                yield self.io.sleep(min(POLL_EVERY * 2 ** tender.get("resent", 0), HOUR))
                store.put(TENDER + tender_id, {**tender, "rejected": None, "sent": False,
                                               "resent": tender.get("resent", 0) + 1})
            elif not tender.get("sent"):  # not known to have landed: it goes (again)
                document = x12.load_tender.LoadTender(
                    "", tender_id, "PP", x12.load_tender.Purpose.ORIGINAL,
                    (x12.load_tender.Stop(1, "LD"),
                     x12.load_tender.Stop(2, "UL", place=_place(order.ship_to))),
                    _references(order_id, corr), (x12.load_tender.responding_by(
                        self.io.now + timedelta(seconds=RESPOND_BY)),))
                yield from self._send([document], tender_id)
                store.put(TENDER + tender_id, {**store.get(TENDER + tender_id), "sent": True,
                                               "respond_by": document.respond_by.isoformat()})
            else:
                yield self.io.sleep(POLL_EVERY)
        return tender["shipment"]

    def resends(self, tender: dict[str, Any]) -> bool:
        """Whether a 204 the TMS rejected in its 997 goes again, in a new interchange: yes,
        `RESENDS` times, each after twice the wait before (from a minute, at most an hour).
        We built it well-formed, so a rejection is most often the partner's translator (a code
        list out of date), mended on its side; one that is ours fails every time, and then
        it is an operator's (parked)."""
        return tender.get("resent", 0) < RESENDS

    def expired(self, tender: dict[str, Any]) -> bool:
        """Whether a tender its 990 has not answered yet is given up: never. Its respond-by
        passing (G62 64) makes a 990 late, not void: the TMS is the one partner the load goes
        to, and runs its own carrier waterfall on the tender, so a 990 after it still books a
        carrier on that tender (B102 names it). Giving the tender up leaves that load unknown
        to the ERP; tendering it anew books a second."""
        return False

    def cancel_shipment(self, shipment_id: str, reason: str | None, key: str | None,
                        corr: str | None) -> Handler:
        """A 204 with B2A01 01 for the tender that made the shipment."""
        tender_id, order_id = self._tender_of(shipment_id)
        if tender_id is None:
            raise Parked(f"no tender of ours made shipment {shipment_id}")
        yield from self._send([x12.load_tender.LoadTender(
            "", tender_id, "PP", x12.load_tender.Purpose.CANCELLATION,
            (x12.load_tender.Stop(1, "LD"),), _references(order_id, corr))], tender_id)

    def _tender_of(self, shipment_id: str) -> tuple[str | None, str | None]:
        for key in self.io.store.keys(TENDER):
            tender = self.io.store.get(key)
            if tender["shipment"] == shipment_id:
                return key.removeprefix(TENDER), tender["order"]
        return None, None

    def _send(self, documents: list[Any], tender_id: str | None = None) -> Handler:
        """One interchange carrying `documents`, put in `inbound/` under its final name (an
        in-process put is whole at once), sent again as it was (same ISA13) until it lands."""
        number = self.io.store.get(COUNTER, 0) + 1
        self.io.store.put(COUNTER, number + len(documents) - 1)  # a group and a set each
        if tender_id is not None:
            self.io.store.put(SENT + str(number), tender_id)
        interchange = x12.documents.compose(
            documents, sender=SHIPPER, receiver=TMS, prepared=_minute(self.io.now),
            numbers=x12.control.ControlNumbers(number))
        yield from self._file(self.io.mailbox.put, "inbound", f"{number:09d}.x12",
                              x12.envelope.render_interchange(interchange))

    # --- collecting ----------------------------------------------------------------------------

    def _collect(self) -> None:
        if not self.collecting and next(self.io.store.keys(OPEN), None):
            self.collecting = True
            self.io.spawn(self._collect_all())

    def _collect_all(self) -> Handler:
        """A look at `outbound/` every `POLL_EVERY` seconds while a tender is open: every
        complete file read, all of them acknowledged in one interchange of 997s, what they
        report handed on, and then each deleted (a crash before that reads them again: the
        events they carry keep their ids, which the business logic dedupes by)."""
        while next(self.io.store.keys(OPEN), None):
            yield self.io.sleep(POLL_EVERY)
            names = [name for name in (yield from self.look()) if not name.startswith(HIDDEN)]
            done, taken, events, acks = [], [], [], []
            for name in names:
                got = yield from self._file(self.io.mailbox.get, "outbound", name,
                                            accept=(404,))
                if not got.ok:
                    continue
                try:
                    interchange = x12.envelope.parse_interchange(got.content,
                                                                 keep_set_errors=True)
                except x12.errors.X12Error:
                    if self.unreadable(name):
                        done.append(name)
                    continue
                key = f"{TAKEN}{interchange.sender.id}/{interchange.control_number}"
                copy = key in self.io.store or key in taken
                if copy and not self.retransmitted(name):
                    break
                done.append(name)
                if not copy:
                    taken.append(key)
                    read = self._read(interchange)
                    events += read[0]
                    acks += read[1]
            if acks:
                yield from self._send(acks)
            for event in events:
                if self.take is not None:
                    self.take(event)
            for key in taken:
                self.io.store.put(key, True)
            for name in done:
                yield from self._file(self.io.mailbox.delete, "outbound", name,
                                      accept=(404,))
        self.collecting = False

    def look(self) -> Handler:
        """The names in `outbound/`: the list sent again until the mailbox answers (it may
        refuse connections for a while: a partner's server down, a network cut)."""
        listing = yield from self._file(self.io.mailbox.list, "outbound")
        return Mailbox.names(listing)

    def unreadable(self, name: str) -> bool:
        """Whether to delete `name`, a file that is no whole interchange: False, it is left
        and read again next look. Over SFTP that is most often a file still being written
        under its final name (a partner that writes in place), whole a moment later."""
        return False

    def retransmitted(self, name: str) -> bool:
        """Whether the look goes on past `name`, a copy of an interchange taken before (its
        partner saw no 997 in time and sent it again): True, it is deleted unread (its events
        were taken, and acknowledged, the first time)."""
        return True

    def acknowledges(self, group: Any) -> bool:
        """Whether `group` gets a 997: every group but one of 997s (an acknowledgment is never
        acknowledged), its sets accepted or rejected as they read."""
        return group.functional_id != "FA"

    def sets(self, group: Any) -> tuple[Any, ...]:
        """The transaction sets of `group` to read: all of them (X12 allows any number in a
        group, and a partner that sends on a schedule puts several in one file)."""
        return group.transactions

    def _read(self, interchange: Any) -> tuple[list[Event], list[Any]]:
        """The events an interchange reports and the 997s answering its groups."""
        events, acks = [], []
        for group in interchange.groups:
            problems = {}
            for transaction in self.sets(group):
                if transaction.fault is not None:
                    continue
                try:
                    document = x12.documents.read_document(transaction)
                    events += self._events(interchange, group, transaction, document)
                except x12.errors.X12Error as error:
                    problems[transaction.control_number] = error.in_set(
                        transaction.control_number)
            if self.acknowledges(group):
                acks.append(x12.acknowledgment.acknowledge(group, problems))
        return events, acks

    def _events(self, interchange: Any, group: Any, transaction: Any, document: Any
                ) -> list[Event]:
        """What a document reports, as the events the business logic takes; a 990 or 997
        changes what the collector knows of a tender instead."""
        store = self.io.store
        base = f"x12:{interchange.sender.id}:{interchange.control_number}:" \
               f"{transaction.control_number}"
        recorded = group.prepared.replace(tzinfo=UTC)
        if isinstance(document, x12.acknowledgment.FunctionalAcknowledgment):
            tender_id = store.get(SENT + str(document.group_control))
            if tender_id is not None and document.acceptance is not \
                    x12.acknowledgment.Acceptance.ACCEPTED and TENDER + tender_id in store:
                notes = [f"{n.segment_id} segment {n.position} element "
                         f"{e.position} code {e.code}" for result in document.sets
                         for n in result.segments for e in n.elements]
                store.put(TENDER + tender_id, {**store.get(TENDER + tender_id),
                                               "rejected": "; ".join(notes) or "AK5 R"})
            return []
        refs = {r.qualifier: r.value for r in document.references}
        if isinstance(document, x12.tender_response.TenderResponse):
            tender = store.get(TENDER + document.shipment_id)
            if tender is None or document.action is not \
                    x12.tender_response.Reservation.ACCEPTED:
                return []
            store.put(TENDER + document.shipment_id, {**tender, "shipment": refs.get("CN")})
            return [Event(base, "shipment.status", "tms", interchange.control_number,
                          recorded, recorded, "ACT", refs.get("CR", ""), refs.get("PO"),
                          refs.get("CN"), payload={"status_code": "XB", "reason_code": "NS",
                                                   "carrier": document.carrier_scac})]
        if isinstance(document, x12.freight_invoice.FreightInvoice):
            store.delete(OPEN + document.shipment_id)
            lines = [{"code": CHARGES.get(charge.code, charge.description),
                      "amount": charge.charge_cents / 100} for charge in document.charges]
            return [Event(base, "shipment.charges_finalized", "tms",
                          interchange.control_number, recorded, recorded, "ACT",
                          refs.get("CR", ""), refs.get("PO"), refs.get("CN"), payload={
                              "statement_id": document.invoice_number, "lines": lines,
                              "total": document.net_amount_cents / 100,
                              "currency": document.currency})]
        if isinstance(document, x12.shipment_status.ShipmentStatus):
            return [self._status(base, interchange, recorded, document, refs, line, status)
                    for line in document.lines for status in line.statuses]
        return []

    def _status(self, base: str, interchange: Any, recorded: datetime, document: Any,
                refs: dict[str, str], line: Any, status: Any) -> Event:
        moment = datetime.combine(status.day, status.time)
        zone = ZONES.get(status.time_code)
        if zone is not None:
            moment = moment.replace(tzinfo=zone)
        estimated = bool(status.appointment)
        code = ESTIMATED.get(status.appointment, status.appointment) if estimated \
            else status.status
        if code == "CA":
            self.io.store.delete(OPEN + document.shipment_id)
        payload: dict[str, Any] = {"status_code": code,
                                   "reason_code": (status.appointment_reason if estimated
                                                   else status.reason) or "NS",
                                   "carrier": document.carrier_scac}
        if estimated and code == "X4":
            payload["eta"] = moment.isoformat()
        return Event(f"{base}:{line.number}", "shipment.status", "tms",
                     interchange.control_number, moment, recorded,
                     "EST" if estimated else "ACT", refs.get("CR", ""), refs.get("PO"),
                     document.carrier_reference, payload=payload)


def _references(order_id: str | None, corr: str | None) -> tuple[Any, ...]:
    return tuple(x12.common.Reference(value, qualifier)
                 for value, qualifier in ((order_id, "PO"), (corr, "CR")) if value)


def _place(address: dict[str, Any]) -> Any:
    """The canonical address as the unloading stop's N1/N3/N4: a street line each (X12 data
    holds no line break)."""
    return x12.common.Entity("ST", "SHIP TO", street=tuple(address["street"].splitlines()),
                             city=address["city"], postal_code=address.get("postcode") or "",
                             country=address.get("country") or "")


def _minute(now: datetime) -> datetime:
    """ISA09/10 and GS04/05 carry the minute, in UTC."""
    return (now.astimezone(UTC) - timedelta(seconds=now.second,
                                            microseconds=now.microsecond)).replace(tzinfo=None)
