"""What the checks may read: the ledger and the simulators' own records. Never the SUT.

Also builds the evidence index: every ledger entry tied to the order it concerns, so each
violation can show the causal chain of messages behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from seatrial.cost import CostMeter
from seatrial.judge.excerpt import excerpt
from seatrial.lag import HarnessLag
from seatrial.ledger import Entry, Ledger
from seatrial.model.envelope import to_datetime
from seatrial.scenario import Scenario
from seatrial.simulators.erp.core import ErpCore
from seatrial.simulators.lastmile.core import LastMileCore
from seatrial.simulators.tms.core import TmsCore
from seatrial.violation import Violation as Violation  # the checks' one import

_View = TypeVar("_View")
EVIDENCE_HEAD, EVIDENCE_TAIL = 10, 30
#: the kind of the entry that stands in a shortened chain for the messages left out there
OMITTED = "omitted"


@dataclass
class Observation:
    scenario: Scenario
    ledger: Ledger
    erp: ErpCore
    tms: TmsCore
    lastmile: LastMileCore
    end_time: float
    #: what the SUT's own work cost per delivery (seatrial.cost): measured beside the ledger,
    #: never part of it; None when nothing measured it
    cost: CostMeter | None = None
    #: how late the harness itself played the world, live (seatrial.lag); None in virtual time
    lag: HarnessLag | None = None
    #: the views of the history computed so far (`shared`)
    _views: dict[Callable, Any] = field(default_factory=dict, init=False, repr=False,
                                        compare=False)

    # --- record indexes ---------------------------------------------------------------------

    @cached_property
    def milestones_by_shipment(self) -> dict[str, list]:
        table: dict[str, list] = {}
        for milestone in self.tms.milestones:
            table.setdefault(milestone.shipment_id, []).append(milestone)
        return table

    @cached_property
    def tasks_by_order(self) -> dict[str, list]:
        table: dict[str, list] = {}
        for task in self.lastmile.tasks.values():
            table.setdefault(task.order_id, []).append(task)
        return table

    @cached_property
    def tasks_by_shipment(self) -> dict[str, list]:
        table: dict[str, list] = {}
        for task in self.lastmile.tasks.values():
            table.setdefault(task.shipment_id, []).append(task)
        return table

    @cached_property
    def writes_by_order(self) -> dict[str, list]:
        table: dict[str, list] = {}
        for write in self.erp.status_writes:
            table.setdefault(write.order_id, []).append(write)
        return table

    @cached_property
    def invoices_by_order(self) -> dict[str, list]:
        table: dict[str, list] = {}
        for invoice in self.erp.invoices:
            table.setdefault(invoice.order_id, []).append(invoice)
        return table

    def shipments_of(self, order_id: str) -> list:
        return [self.tms.shipments[sid] for sid in self.tms.by_order.get(order_id, ())]

    def first_act(self, shipment_id: str, code: str) -> float | None:
        for milestone in self.milestones_by_shipment.get(shipment_id, ()):
            if milestone.code == code and milestone.classifier == "ACT":
                return milestone.time
        return None

    def recovery_deadline(self, since: float) -> float:
        """When the systems must agree about something that happened at `since`: the scenario's
        converge deadline, counted from the end of any windowed fault still in the way."""
        within = self.scenario.expect.converge_within
        start = since
        for at, lasting in self._windows:
            if at <= start + within:
                start = max(start, at + lasting)
        return start + within

    @cached_property
    def _windows(self) -> list[tuple[float, float]]:
        """(start, length) of each windowed fault, by start: asked once per order and stage."""
        return [(fault.at, fault.for_) for fault in sorted(self.scenario.faults,
                                                           key=lambda f: f.at)
                if fault.for_ is not None]

    # --- evidence ---------------------------------------------------------------------------

    @cached_property
    def emits(self) -> dict[str, Entry]:
        """What each event id was: published by a simulator, or injected by a fault."""
        return self._index.emits

    @cached_property
    def _index(self) -> _Index:
        return _Index(self.ledger.entries, self.tms.shipments, self.lastmile.tasks)

    def of_kind(self, kind: str) -> list[Entry]:
        """The ledger's entries of one kind, in ledger order (KINDS in seatrial.ledger); a
        shared list, not to be changed by its reader."""
        return self._index.by_kind.get(kind, [])

    def shared(self, view: Callable[[Observation], _View]) -> _View:
        """`view(self)`, computed once however many checks read it: a view is a pure
        function of the history (the ledger and the records), so computing it again could
        only give the same answer, at a cost that grows with the run. Readers must not
        change what it returns."""
        views = self._views
        if view not in views:
            views[view] = view(self)
        return views[view]

    @cached_property
    def _call_operations(self) -> dict[str, str]:
        """Each call's canonical operation: only evidence chains read it, so not indexed."""
        return {e.ref: e.data["operation"] or "" for e in self.of_kind("request")}

    def order_of_call(self, ref: str) -> str | None:
        return self._index.call_orders.get(ref)

    def first_ack(self, order_id: str, event_type: str) -> float | None:
        """When the SUT first acknowledged a delivery of an event of this type for the order."""
        for entry in self._index.by_order.get(order_id, ()):
            emitted = self.emits.get(entry.ref)
            if entry.kind == "ack" and emitted is not None and emitted.data["type"] == event_type:
                return entry.time
        return None

    def requests_about(self, order_id: str) -> list[Entry]:
        """The calls about an order, in ledger order; a shared list, not to be changed."""
        return self._index.requests_by_order.get(order_id, [])

    def messages(self, order_id: str, events: tuple[str, ...] = (),
                 calls: tuple[str, ...] = ()) -> list[Entry]:
        """The order's messages in ledger order, all of them. Narrowed, when given, to
        deliveries of `events` (event type prefixes) and to calls whose canonical operation
        starts with one of `calls` (e.g. "tms.", "erp.release_invoice")."""
        entries = self._index.by_order.get(order_id, [])
        if events or calls:
            entries = [e for e in entries if self._relevant(e, events, calls)]
        return entries

    def chain(self, order_id: str, events: tuple[str, ...] = (),
              calls: tuple[str, ...] = (), keep: tuple[Entry, ...] = ()) -> list[Entry]:
        """The order's `messages` as evidence: a long chain keeps its first EVIDENCE_HEAD and
        last EVIDENCE_TAIL, and every entry of `keep` (what the violation's message is about)
        with a neighbour on each side; each stretch left out becomes one OMITTED entry that
        says how many messages it stands for and until when."""
        entries = self.messages(order_id, events, calls)
        wanted = {entry.seq: entry for entry in keep}
        if wanted.keys() - {entry.seq for entry in entries}:
            entries = sorted({**{e.seq: e for e in entries}, **wanted}.values(),
                             key=lambda entry: entry.seq)
        picks = excerpt(len(entries), [i for i, entry in enumerate(entries)
                                       if entry.seq in wanted], EVIDENCE_HEAD, EVIDENCE_TAIL)
        return [entries[pick] if isinstance(pick, int) else
                _omitted(entries[pick.start], entries[pick.stop - 1], len(pick))
                for pick in picks]

    def _relevant(self, entry: Entry, events: tuple[str, ...], calls: tuple[str, ...]) -> bool:
        if entry.kind in ("request", "response", "error"):
            return self._call_operations.get(entry.ref, "").startswith(calls)
        if entry.kind == "ack":
            return False
        emitted = self.emits.get(entry.ref)
        return emitted is not None and emitted.data["type"].startswith(events)

    def describe(self, entry: Entry) -> str:
        """One line a person can read: time, who, what."""
        when = to_datetime(entry.time).strftime("%a %H:%M:%S")
        data = entry.data
        if entry.kind == OMITTED:
            until = to_datetime(data["until"]).strftime("%a %H:%M:%S")
            return f"{when} ... {data['count']} more message(s) of this order, to {until}, " \
                   "left out here"
        if entry.kind in ("emit", "deliver", "ack", "nack", "reject", "abandon", "drop",
                          "dead-letter", "requeue", "fault"):
            emitted = self.emits.get(entry.ref)
            what = emitted.data["type"] if emitted else "event"
            code = emitted.data.get("code") if emitted else None
            label = f"{entry.ref} {what} {code}" if code else f"{entry.ref} {what}"
            if entry.kind == "emit":
                return f"{when} {entry.system} published {label} ({data['classifier']})"
            if entry.kind == "fault":
                detail = ", ".join(f"{k}={v}" for k, v in data.items() if k != "fault")
                return f"{when} fault {data['fault']} on {label}: {detail}"
            if entry.kind == "dead-letter":
                return (f"{when} broker dead-lettered {label} after {data['deliveries']} "
                        f"deliveries ({data['reason']})")
            if entry.kind == "requeue":
                return (f"{when} broker requeued {label} unanswered after attempt "
                        f"{data['attempt']} ({data['reason']})")
            extra = f": {data['error']}" if entry.kind in ("nack", "reject") else ""
            if "forged" in data:
                extra += f" (forged: {data['forged']})"
            if "redelivered" in data:
                extra += " (redelivered)"
            attempt = data.get("attempt", data.get("attempts"))
            return f"{when} {entry.kind} {label} to SUT (attempt {attempt}){extra}"
        if entry.kind == "request":
            key = f" Idempotency-Key={data['idempotency_key']}" if data["idempotency_key"] else ""
            call = f"{data['method']} {data['path']}"
            return f"{when} SUT -> {entry.system} {call}{key} [{entry.ref}]"
        if entry.kind == "response":
            seen = "" if data["delivered"] else " (never reached the SUT)"
            return f"{when} {entry.system} -> SUT {data['status']}{seen} [{entry.ref}]"
        if entry.kind == "error":
            return f"{when} SUT saw {data['error']} from {entry.system} [{entry.ref}]"
        return f"{when} {entry.kind} {entry.system} {data}"


class _Index:
    """The ledger indexed in one pass, for the checks to share: each entry tied to the order
    it concerns (a call's answer to its request's order), what each event id was, the entries
    of each kind. The one loop over every entry the checks share: kept lean."""

    def __init__(self, entries: list[Entry], shipments: dict, tasks: dict) -> None:
        self.by_order: dict[str, list[Entry]] = {}
        self.requests_by_order: dict[str, list[Entry]] = {}
        self.call_orders: dict[str, str] = {}
        self.emits: dict[str, Entry] = {}
        self.by_kind: dict[str, list[Entry]] = {}
        by_order, by_kind = self.by_order, self.by_kind
        call_orders, emits = self.call_orders, self.emits
        requests_by_order = self.requests_by_order
        for entry in entries:
            kind, order_id = entry.kind, entry.order_id
            of_kind = by_kind.get(kind)
            if of_kind is None:
                of_kind = by_kind[kind] = []
            of_kind.append(entry)
            if kind == "request":
                subject = entry.data["subject"]
                order_id = (subject["order_id"] if "order_id" in subject
                            else _order_of_record(subject, shipments, tasks))
                if order_id:
                    call_orders[entry.ref] = order_id
                    calls = requests_by_order.get(order_id)
                    if calls is None:
                        calls = requests_by_order[order_id] = []
                    calls.append(entry)
            elif kind == "response" or kind == "error":
                order_id = call_orders.get(entry.ref)
            elif kind == "emit" or (kind == "fault" and "type" in entry.data):
                emits[entry.ref] = entry
            if order_id:
                of_order = by_order.get(order_id)
                if of_order is None:
                    of_order = by_order[order_id] = []
                of_order.append(entry)


def _omitted(first: Entry, last: Entry, count: int) -> Entry:
    """The entry standing in a shortened chain for `count` messages from `first` to `last`."""
    return Entry(-1, first.time, OMITTED, "", "", first.order_id,
                 {"count": count, "until": last.time})


def _order_of_record(subject: dict[str, Any], shipments: dict, tasks: dict) -> str | None:
    """The order of a call whose canonical keys name no order: that of the shipment or the
    delivery task it names."""
    for key, records in (("shipment_id", shipments), ("task_id", tasks)):
        if key in subject:
            record = records.get(subject[key])
            return record.order_id if record else None
    return None
