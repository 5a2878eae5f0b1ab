"""Every invariant fires on a broken history and stays quiet on a correct one.

Histories are written with the real domain cores, driven the way the world drives them: the
lifecycle-facing methods (release, milestones, deliveries, charges) play the source systems, and
the routers play what a sync implementation sends over the APIs.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from seatrial.cost import CostMeter
from seatrial.faults.kinds.forged import forged
from seatrial.faults.kinds.poison import poison
from seatrial.judge import invariants
from seatrial.judge.flows import percentile
from seatrial.judge.invariants import (
    actual_over_estimate,
    cancel_compensates,
    charges_reconcile,
    converge,
    correlation_propagated,
    cost_flat,
    effect_once,
    idempotency_key_on_create,
    invoice_after_pod,
    invoice_once,
    latency_slo,
    poison_isolated,
    rate_limit_respected,
    shipment_per_order,
    signed_only,
    stages_converge,
    status_follows_facts,
    status_monotonic,
    task_per_shipment,
    terminal_sticky,
)
from seatrial.judge.kpis import measure_kpis
from seatrial.judge.observation import OMITTED, Observation, Violation
from seatrial.ledger import Ledger
from seatrial.model.envelope import Event
from seatrial.report.terminal import evidence_lines
from seatrial.scenario import Scenario
from seatrial.simulators.api import Reply
from seatrial.simulators.dialect import dialect
from seatrial.simulators.erp.core import ErpCore, Order
from seatrial.simulators.events import EventSource
from seatrial.simulators.lastmile.core import LastMileCore
from seatrial.simulators.tms.core import TmsCore

HOUR = 3600.0
ADDRESS = {"street": "1 Quay Street", "city": "Bristol", "postcode": "BS1 4DJ", "country": "GB"}
POD = {"signed_by": "recipient", "photo": "pod/T.jpg"}
ORDERS: Any = "<the order's correlation id>"  # sentinel: Story.post's default header


class Story:
    """A history told step by step on a clock the story sets (hours since simulated zero)."""

    def __init__(self, **scenario: Any) -> None:
        self.now = 0.0
        self.events: list[Event] = []
        self.ledger = Ledger()

        def clock() -> float:
            return self.now

        def publish(event: Event) -> None:  # as the dispatcher records it
            self.events.append(event)
            self.ledger.record(self.now, "emit", event.source, event.event_id, event.order_id,
                               {"type": event.type, "classifier": event.classifier})

        def source(name: str) -> EventSource:
            return EventSource(name, clock, publish)

        self.erp = ErpCore(clock, source("erp"))
        self.tms = TmsCore(clock, source("tms"))
        self.lastmile = LastMileCore(clock, source("lastmile"))
        self.api = {s: dialect(s).router(getattr(self, s)) for s in ("erp", "tms", "lastmile")}
        self.scenario = Scenario(name="story", **scenario)

    def at(self, hours: float) -> Story:
        assert hours * HOUR >= self.now, "a story only moves forward in time"
        self.now = hours * HOUR
        return self

    # --- what the sync implementation sends (through the real routers) ----------------------

    def post(self, system: str, path: str, body: dict[str, Any], key: str | None = None,
             correlation: str | None = ORDERS) -> Reply:
        """`correlation` defaults to the order's own id, as a good SUT sends it; None: none."""
        if correlation is ORDERS:
            correlation = f"corr-{self._order_of(path, body)}"
        headers = {} if correlation is None else {"x-correlation-id": correlation}
        if key is not None:
            headers["idempotency-key"] = key
        self.request(system, path, body, key, correlation)
        return self.api[system].dispatch("POST", path, body=body, headers=headers)

    def request(self, system: str, path: str, body: dict[str, Any], key: str | None = None,
                correlation: str | None = ORDERS, via: str | None = None) -> str:
        """Records a POST as the transport does (the ledger only); returns its call ref.
        `via` is the live connection it came on."""
        if correlation is ORDERS:
            correlation = f"corr-{self._order_of(path, body)}"
        ref = f"c{len(self.ledger)}"
        router = self.api[system]
        operation, subject = router.meaning(router.match("POST", path), body)
        data = {"method": "POST", "path": path, "query": None, "body": body,
                "idempotency_key": key, "correlation_id": correlation,
                "operation": operation, "subject": subject}
        if via is not None:
            data["via"] = via
        self.ledger.record(self.now, "request", system, ref, None, data)
        return ref

    def throttled(self, system: str, path: str, body: dict[str, Any], retry_after: float,
                  grace: float = 0.0, connection_grace: float = 0.0,
                  via: str | None = None) -> str:
        """The SUT's call is answered 429 with Retry-After (nothing commits); its call ref.
        The graces are what a live 429 carries: how long arrivals may still have been on the
        wire, on other connections and on its own (`via`)."""
        ref = self.request(system, path, body, via=via)
        data = {"status": 429, "body": {}, "delivered": True, "retry_after": retry_after}
        if grace:
            data["grace"] = grace
            data["connection_grace"] = connection_grace
        self.ledger.record(self.now, "response", system, ref, None, data)
        return ref

    def later(self, seconds: float) -> Story:
        assert seconds >= 0
        self.now += seconds
        return self

    def latest(self, order_id: str, event_type: str | None = None) -> Event:
        return next(e for e in reversed(self.events) if e.order_id == order_id
                    and (event_type is None or e.type == event_type))

    def delivered(self, event: Event, outcome: str, forged: str | None = None) -> None:
        """One delivery of `event` to the SUT and its answer (ack, nack or reject)."""
        data: dict[str, Any] = {"attempt": 1}
        if forged is not None:
            data["forged"] = forged
        self.ledger.record(self.now, "deliver", event.source, event.event_id, event.order_id,
                           data)
        answer: dict[str, Any] = {"attempt": 1}
        if outcome != "ack":
            answer["error"] = "401: refused" if outcome == "reject" else "ValueError: bad"
        self.ledger.record(self.now, outcome, event.source, event.event_id, event.order_id,
                           answer)

    def injected(self, made: Event, fault: str, original: Event) -> None:
        """The fault layer's note for a message it made (as the dispatcher records it)."""
        self.ledger.record(self.now, "fault", original.source, made.event_id, original.order_id,
                           {"fault": fault, "of": original.event_id, "type": made.type,
                            "code": None})

    def forged_delivery(self, order_id: str, mode: str, outcome: str) -> str:
        """A forgery about the order's latest event, delivered and answered; its event id."""
        original = self.latest(order_id)
        made = forged(original)
        self.injected(made, "forged", original)
        self.delivered(made, outcome, forged=mode)
        return made.event_id

    def poisoned(self, order_id: str, outcome: str) -> str:
        """A poison message about the order's latest event, delivered and answered."""
        original = self.latest(order_id)
        bad = poison(original, random.Random(0))
        self.injected(bad, "poison", original)
        self.delivered(bad, outcome)
        return bad.event_id

    def _order_of(self, path: str, body: dict[str, Any]) -> str | None:
        parts = path.strip("/").split("/")
        if parts[0] == "orders":
            return parts[1]
        if len(parts) > 1:
            records = self.tms.shipments if parts[0] == "shipments" else self.lastmile.tasks
            return records[parts[1]].order_id
        return body.get("order_id")

    def sut_acknowledges(self, order_id: str, event_type: str) -> None:
        """The SUT received and acked the latest such webhook for the order."""
        event = next(e for e in reversed(self.events)
                     if e.order_id == order_id and e.type == event_type)
        for kind in ("deliver", "ack"):
            self.ledger.record(self.now, kind, event.source, event.event_id, order_id,
                               {"attempt": 1})

    def _ok(self, reply: Reply) -> dict[str, Any]:
        assert reply.status < 300, reply.body
        return reply.body

    def create_shipment(self, order_id: str, key: str | None = None) -> str:
        body = {"order_id": order_id, "ship_to": dict(ADDRESS), "lines": []}
        return self._ok(self.post("tms", "/shipments", body, key))["id"]

    def erp_status(self, order_id: str, status: str, classifier: str = "ACT",
                   shipment_id: str | None = None) -> None:
        body: dict[str, Any] = {"status": status, "classifier": classifier}
        if shipment_id:
            body["shipment_id"] = shipment_id
        self._ok(self.post("erp", f"/orders/{order_id}/logistics-status", body))

    def create_task(self, order_id: str, shipment_id: str, key: str | None = None) -> str:
        body = {"order_id": order_id, "shipment_id": shipment_id, "destination": dict(ADDRESS)}
        return self._ok(self.post("lastmile", "/tasks", body, key))["id"]

    def post_charges(self, order_id: str, statement_id: str, total: float,
                     key: str | None = None) -> None:
        body = {"statement_id": statement_id, "total": total,
                "lines": [{"code": "LINEHAUL", "amount": total}]}
        self._ok(self.post("erp", f"/orders/{order_id}/freight-charges", body, key))

    def invoice(self, order_id: str, key: str | None = None) -> None:
        self._ok(self.post("erp", f"/orders/{order_id}/invoice", {"pod_reference": "x"}, key))

    def cancel_shipment(self, shipment_id: str) -> Reply:
        return self.post("tms", f"/shipments/{shipment_id}/cancel", {})

    def cancel_task(self, task_id: str) -> None:
        self._ok(self.post("lastmile", f"/tasks/{task_id}/cancel", {}))

    # --- what the source systems do on their own ---------------------------------------------

    def release(self, order_id: str, value: float = 100.0) -> None:
        lines = [{"line": 1, "sku": "SKU-00001", "quantity": 1, "unit_price": value}]
        self.erp.release_order(Order(order_id, "C-00001", lines, value, "GBP", dict(ADDRESS),
                                     f"corr-{order_id}", self.now))

    def customer_cancels(self, order_id: str) -> None:
        assert self.erp.cancel_order(order_id, "customer_request")

    def milestone(self, shipment_id: str, code: str, classifier: str = "ACT") -> None:
        self.tms.milestone(self.tms.shipments[shipment_id], code, classifier=classifier)

    def start_delivery(self, task_id: str) -> None:
        task = self.lastmile.tasks[task_id]
        if task.worker is None:
            self.lastmile.assign(task, "driver-01")
        self.lastmile.start(task, eta=self.now + HOUR)

    def complete_delivery(self, task_id: str, pod: dict[str, Any] | None = POD) -> None:
        self.lastmile.complete(self.lastmile.tasks[task_id], True, pod=pod)

    def final_charges(self, shipment_id: str, amount: float) -> str:
        statement = self.tms.finalize_charges(self.tms.shipments[shipment_id],
                                              [{"code": "LINEHAUL", "amount": amount}])
        return statement.id

    # --- whole stories -------------------------------------------------------------------------

    def up_to_hub(self, order_id: str, start: float) -> str:
        """Release to hub arrival, every step written back to the ERP promptly."""
        self.at(start).release(order_id)
        shipment = self.at(start + 0.1).create_shipment(order_id, key=f"ship-{order_id}")
        self.erp_status(order_id, "PLN", shipment_id=shipment)
        self.at(start + 1).milestone(shipment, "XB")
        self.at(start + 2).milestone(shipment, "X3")
        self.at(start + 3).milestone(shipment, "AF")
        self.erp_status(order_id, "PCK")
        self.at(start + 3.5).milestone(shipment, "X4", classifier="EST")
        self.erp_status(order_id, "PCK", classifier="EST")  # an ETA, status unchanged
        self.at(start + 5).milestone(shipment, "X6")
        self.erp_status(order_id, "ITR")
        self.at(start + 8).milestone(shipment, "X4")
        self.erp_status(order_id, "HUB")
        return shipment

    def happy_path(self, order_id: str, start: float = 0.0) -> tuple[str, str]:
        """The whole order-to-cash path done right; returns (shipment id, task id)."""
        shipment = self.up_to_hub(order_id, start)
        task = self.at(start + 8.1).create_task(order_id, shipment, key=f"task-{order_id}")
        self.at(start + 9).start_delivery(task)
        self.erp_status(order_id, "OFD")
        self.at(start + 10).complete_delivery(task)
        self.erp_status(order_id, "DLV")
        statement = self.at(start + 10.5).final_charges(shipment, 412.5)
        self.post_charges(order_id, statement, 412.5, key=f"charges-{statement}")
        self.at(start + 11).invoice(order_id, key=f"invoice-{order_id}")
        return shipment, task

    def check(self, module) -> list[Violation]:
        obs = Observation(self.scenario, self.ledger, self.erp, self.tms, self.lastmile, self.now)
        return list(module.check(obs))


def orders_flagged(violations: list[Violation], name: str) -> list[str]:
    assert violations, f"{name} stayed quiet"
    assert {v.invariant for v in violations} == {name}
    return [v.keys["order_id"] for v in violations]


ALL_MODULES = pytest.mark.parametrize("module", invariants.MODULES, ids=invariants.NAMES)


@ALL_MODULES
def test_every_invariant_is_quiet_on_the_happy_path(module):
    story = Story(expect={"slo": {"order_to_shipment_p95": "30m", "pod_to_invoice_p95": "2h",
                                  "milestone_to_erp_p95": "5m"}})
    story.happy_path("SO-1")
    story.happy_path("SO-2", start=12)
    story.at(30)
    assert story.check(module) == []


def test_the_happy_path_really_reached_every_system():
    """Guards the quiet tests above: the story must have produced real records."""
    story = Story()
    shipment, task = story.happy_path("SO-1")
    assert story.erp.orders["SO-1"].status == "DLV"
    assert story.erp.orders["SO-1"].shipment_id == shipment
    assert story.lastmile.tasks[task].delivered_at == 10 * HOUR
    assert len(story.erp.invoices) == 1 and len(story.erp.charge_postings) == 1
    assert story.erp.invoices[0].amount == 512.5
    assert {e.type for e in story.events} >= {"order.released", "shipment.status",
                                                "task.updated", "shipment.charges_finalized"}


def test_the_module_list_covers_every_named_invariant():
    assert set(invariants.NAMES) == {
        "shipment-per-order", "task-per-shipment", "effect-once", "status-monotonic",
        "actual-over-estimate", "invoice-after-POD", "invoice-once", "charges-reconcile",
        "cancel-compensates", "converge", "latency-slo", "terminal-sticky", "poison-isolated",
        "correlation-propagated", "idempotency-key-on-create", "rate-limit-respected",
        "signed-only", "status-follows-facts", "stages-converge", "cost-flat"}


# --- shipment-per-order -------------------------------------------------------------------------


def test_shipment_per_order_fires_on_a_duplicate_load():
    story = Story()
    story.happy_path("SO-1")
    story.at(12).release("SO-2")
    story.at(12.1).create_shipment("SO-2", key="ship-SO-2")
    story.at(12.2).create_shipment("SO-2", key="ship-SO-2-retry")  # a new key on retry
    assert orders_flagged(story.check(shipment_per_order), "shipment-per-order") == ["SO-2"]


def test_shipment_per_order_fires_when_a_released_order_gets_no_shipment():
    story = Story()
    story.release("SO-1")
    violations = story.at(5).check(shipment_per_order)
    assert orders_flagged(violations, "shipment-per-order") == ["SO-1"]
    assert "no shipment" in violations[0].message


def test_shipment_per_order_quiet_on_a_retry_with_the_same_key_and_on_early_cancel():
    story = Story()
    story.release("SO-1")
    story.at(0.1).create_shipment("SO-1", key="ship-SO-1")
    replay = story.at(0.2).post("tms", "/shipments", {"order_id": "SO-1", "ship_to": ADDRESS,
                                                      "lines": []}, key="ship-SO-1")
    assert replay.headers.get("idempotent-replayed") == "true"
    story.release("SO-2")
    story.at(0.3).customer_cancels("SO-2")  # cancelled before any shipment was made
    assert story.check(shipment_per_order) == []


# --- task-per-shipment --------------------------------------------------------------------------


def test_task_per_shipment_fires_on_two_tasks():
    story = Story()
    shipment = story.up_to_hub("SO-1", 0)
    story.at(8.1).create_task("SO-1", shipment, key="task-a")
    story.at(8.2).create_task("SO-1", shipment, key="task-b")
    violations = story.check(task_per_shipment)
    assert orders_flagged(violations, "task-per-shipment") == ["SO-1"]
    assert violations[0].keys["shipment_id"] == shipment


def test_task_per_shipment_fires_when_the_hub_arrival_is_missed():
    story = Story()
    story.happy_path("SO-1")
    story.up_to_hub("SO-2", 12)
    assert orders_flagged(story.at(30).check(task_per_shipment), "task-per-shipment") == ["SO-2"]


def test_task_per_shipment_quiet_before_the_hub_and_for_a_cancelled_order():
    story = Story()
    story.release("SO-1")
    shipment = story.at(0.1).create_shipment("SO-1")
    story.at(3).milestone(shipment, "AF")
    story.at(4).milestone(shipment, "X4", classifier="EST")  # only an estimate of the hub
    story.up_to_hub("SO-2", 5)
    story.at(14).customer_cancels("SO-2")  # at the hub, but cancelled: no task wanted
    assert story.check(task_per_shipment) == []


# --- effect-once --------------------------------------------------------------------------------


@pytest.mark.parametrize("effect", ["freight-charge posting", "invoice", "delivery task"])
def test_effect_once_fires_on_a_second_commit(effect):
    story = Story()
    story.happy_path("SO-1")
    shipment, _ = story.happy_path("SO-2", start=12)
    story.at(24)
    if effect == "freight-charge posting":
        story.post_charges("SO-2", story.tms.statements[-1].id, 412.5, key="other-key")
    elif effect == "invoice":
        story.invoice("SO-2")
    else:
        story.create_task("SO-2", shipment, key="task-again")
    violations = story.check(effect_once)
    assert orders_flagged(violations, "effect-once") == ["SO-2"]
    assert violations[0].keys["effect"] == effect


def test_effect_once_quiet_when_retries_reuse_the_idempotency_key():
    story = Story()
    shipment, _ = story.happy_path("SO-1")
    story.at(12)
    story.post_charges("SO-1", story.tms.statements[0].id, 412.5,
                       key=f"charges-{story.tms.statements[0].id}")
    story.invoice("SO-1", key="invoice-SO-1")
    story.create_task("SO-1", shipment, key="task-SO-1")
    story.create_shipment("SO-1", key="ship-SO-1")
    assert len(story.erp.invoices) == 1
    assert story.check(effect_once) == []


# --- status-monotonic ---------------------------------------------------------------------------


def test_status_monotonic_fires_when_a_late_event_moves_the_erp_back():
    story = Story()
    story.happy_path("SO-1")
    story.up_to_hub("SO-2", 12)
    story.at(20.5).erp_status("SO-2", "PCK")  # a reordered "departed" webhook applied blindly
    violations = story.check(status_monotonic)
    assert orders_flagged(violations, "status-monotonic") == ["SO-2"]
    assert "from HUB" in violations[0].message


def test_status_monotonic_quiet_on_repeated_writes_of_the_same_status():
    story = Story()
    story.release("SO-1")
    shipment = story.at(0.1).create_shipment("SO-1")
    story.erp_status("SO-1", "PLN", shipment_id=shipment)
    story.at(1).erp_status("SO-1", "PLN")
    story.at(2).erp_status("SO-1", "ITR")  # skipping stages is fine
    story.at(3).erp_status("SO-1", "ITR")
    assert story.check(status_monotonic) == []


# --- actual-over-estimate -----------------------------------------------------------------------


@pytest.mark.parametrize("classifier", ["EST", "PLN"])
def test_actual_over_estimate_fires_when_an_estimate_moves_the_status(classifier):
    story = Story()
    story.happy_path("SO-1")
    shipment = story.up_to_hub("SO-2", 12)
    story.at(20.2).create_task("SO-2", shipment)
    story.at(20.3).erp_status("SO-2", "OFD", classifier=classifier)  # a taskEta taken as fact
    violations = story.check(actual_over_estimate)
    assert orders_flagged(violations, "actual-over-estimate") == ["SO-2"]
    assert classifier in violations[0].message


def test_actual_over_estimate_quiet_when_estimates_only_carry_an_eta():
    story = Story()
    story.up_to_hub("SO-1", 0)  # includes an EST write that leaves the status at PCK
    assert any(w.classifier == "EST" for w in story.erp.status_writes)
    assert story.check(actual_over_estimate) == []


# --- status-follows-facts ----------------------------------------------------------------------


def test_status_follows_facts_fires_on_delivered_written_from_an_eta():
    story = Story()
    story.happy_path("SO-1")
    shipment = story.up_to_hub("SO-2", 12)
    task = story.at(20.2).create_task("SO-2", shipment)
    story.at(21).start_delivery(task)  # publishes the ETA an hour ahead
    story.erp_status("SO-2", "DLV")  # the ETA taken for the delivery, written as an actual
    story.at(22).complete_delivery(task)
    violations = story.check(status_follows_facts)
    assert orders_flagged(violations, "status-follows-facts") == ["SO-2"]
    assert "60 min later" in violations[0].message


def test_status_follows_facts_fires_on_an_ending_the_sources_never_reached():
    story = Story()
    shipment = story.up_to_hub("SO-1", 0)
    story.at(9).erp_status("SO-1", "RTN")  # nothing came back to the shipper
    story.at(10).milestone(shipment, "X6")
    violations = story.check(status_follows_facts)
    assert orders_flagged(violations, "status-follows-facts") == ["SO-1"]
    assert "never did" in violations[0].message


def test_status_follows_facts_quiet_on_skipped_stages_and_on_estimates():
    story = Story()
    story.release("SO-1")
    shipment = story.at(0.1).create_shipment("SO-1")
    story.erp_status("SO-1", "PLN", shipment_id=shipment)  # the shipment itself is the fact
    story.at(3).milestone(shipment, "X4")  # the hub arrival came first: ITR is true too
    story.at(3.1).erp_status("SO-1", "ITR")
    story.erp_status("SO-1", "ITR", classifier="EST")
    assert story.check(status_follows_facts) == []


# --- invoice-after-POD --------------------------------------------------------------------------


def test_invoice_after_pod_fires_on_an_invoice_before_delivery():
    story = Story()
    story.happy_path("SO-1")
    shipment = story.up_to_hub("SO-2", 12)
    task = story.at(20.1).create_task("SO-2", shipment)
    story.at(21).start_delivery(task)
    story.invoice("SO-2")  # on "out for delivery", not on delivery
    story.at(22).complete_delivery(task)
    violations = story.check(invoice_after_pod)
    assert orders_flagged(violations, "invoice-after-POD") == ["SO-2"]
    assert "before proof of delivery" in violations[0].message


def test_invoice_after_pod_fires_on_a_failed_attempt_or_a_completion_without_pod():
    story = Story()
    shipment = story.up_to_hub("SO-1", 0)
    task = story.at(8.1).create_task("SO-1", shipment)
    story.at(9).start_delivery(task)
    story.lastmile.complete(story.lastmile.tasks[task], False, reason="RECIPIENT_NOT_HOME")
    story.at(9.5).invoice("SO-1")
    shipment = story.up_to_hub("SO-2", 10)
    task = story.at(18.1).create_task("SO-2", shipment)
    story.at(19).start_delivery(task)
    story.complete_delivery(task, pod=None)
    story.at(19.5).invoice("SO-2")
    violations = story.check(invoice_after_pod)
    assert orders_flagged(violations, "invoice-after-POD") == ["SO-1", "SO-2"]
    assert all("without any proof" in v.message for v in violations)


def test_invoice_after_pod_quiet_after_a_failed_attempt_then_delivery():
    story = Story()
    shipment = story.up_to_hub("SO-1", 0)
    task = story.at(8.1).create_task("SO-1", shipment)
    story.at(9).start_delivery(task)
    story.lastmile.complete(story.lastmile.tasks[task], False, reason="RECIPIENT_NOT_HOME")
    story.at(33).start_delivery(task)
    story.complete_delivery(task)
    story.invoice("SO-1")  # same instant as the POD counts as after it
    assert story.check(invoice_after_pod) == []


# --- invoice-once -------------------------------------------------------------------------------


def test_invoice_once_fires_on_a_second_invoice_under_a_new_key():
    story = Story()
    story.happy_path("SO-1")
    story.happy_path("SO-2", start=12)
    story.at(24).invoice("SO-2", key="invoice-SO-2-retry")
    violations = story.check(invoice_once)
    assert orders_flagged(violations, "invoice-once") == ["SO-2"]
    assert "2 times" in violations[0].message


def test_invoice_once_quiet_on_a_replayed_invoice_request():
    story = Story()
    story.happy_path("SO-1")
    replay = story.at(12).post("erp", "/orders/SO-1/invoice", {"pod_reference": "x"},
                               key="invoice-SO-1")
    assert replay.headers.get("idempotent-replayed") == "true"
    assert story.check(invoice_once) == []


# --- charges-reconcile --------------------------------------------------------------------------


def _delivered(story: Story, order_id: str, start: float) -> str:
    """Up to delivery and the TMS's final statement; returns the statement id."""
    shipment = story.up_to_hub(order_id, start)
    task = story.at(start + 8.1).create_task(order_id, shipment)
    story.at(start + 9).start_delivery(task)
    story.at(start + 10).complete_delivery(task)
    return story.at(start + 10.5).final_charges(shipment, 250.0)


@pytest.mark.parametrize("parts", [(), (249.99,), (250.0, 250.0)],
                         ids=["never-posted", "a-cent-short", "posted-twice"])
def test_charges_reconcile_fires_when_the_erp_disagrees_with_the_statement(parts):
    story = Story()
    story.happy_path("SO-1")
    statement = _delivered(story, "SO-2", 12)
    for number, amount in enumerate(parts):
        story.post_charges("SO-2", statement, amount, key=f"charges-{number}")
    violations = story.check(charges_reconcile)
    assert orders_flagged(violations, "charges-reconcile") == ["SO-2"]
    assert violations[0].keys["statement_id"] == statement


def test_charges_reconcile_fires_on_charges_for_a_statement_the_tms_never_issued():
    story = Story()
    story.happy_path("SO-1")
    story.release("SO-2")
    story.post_charges("SO-2", "ST-999999", 80.0)
    violations = story.check(charges_reconcile)
    assert orders_flagged(violations, "charges-reconcile") == ["SO-2"]
    assert violations[0].keys["statement_id"] == "ST-999999"


def test_charges_reconcile_quiet_when_a_statement_is_posted_in_parts_to_the_cent():
    story = Story()
    statement = _delivered(story, "SO-1", 0)
    story.post_charges("SO-1", statement, 100.1, key="part-1")
    story.post_charges("SO-1", statement, 149.9, key="part-2")
    assert story.check(charges_reconcile) == []


# --- cancel-compensates -------------------------------------------------------------------------


def test_cancel_compensates_fires_when_a_cancellable_shipment_is_left_running():
    story = Story()
    story.release("SO-1")
    shipment = story.at(0.1).create_shipment("SO-1")
    story.erp_status("SO-1", "PLN", shipment_id=shipment)
    story.at(1).customer_cancels("SO-1")
    story.at(10)  # nobody cancelled the shipment; it never departed
    violations = story.check(cancel_compensates)
    assert orders_flagged(violations, "cancel-compensates") == ["SO-1"]
    assert shipment in violations[0].message


def test_cancel_compensates_fires_on_a_live_task_and_an_invoice_after_cancellation():
    story = Story()
    shipment = story.up_to_hub("SO-1", 0)
    story.at(8.05).customer_cancels("SO-1")  # at the hub: still cancellable in the ERP
    story.at(8.06).sut_acknowledges("SO-1", "order.cancelled")
    story.at(8.1).create_task("SO-1", shipment)
    story.at(8.2).invoice("SO-1")
    violations = story.at(20).check(cancel_compensates)
    # two violations: the invoice (never timed: the harness's lag cannot excuse it) and the
    # task left running past the deadline (timed: live, a harness behind may explain it)
    assert orders_flagged(violations, "cancel-compensates") == ["SO-1", "SO-1"]
    invoice, task = violations
    assert "after the SUT had acknowledged the cancellation" in invoice.message
    assert not invoice.timed
    assert "was not cancelled" in task.message and task.timed


def test_cancel_compensates_does_not_blame_an_invoice_sent_before_the_sut_knew():
    story = Story()
    story.up_to_hub("SO-1", 0)
    story.at(8.05).customer_cancels("SO-1")  # the ERP decided while its webhook was held back
    story.at(8.2).invoice("SO-1")
    story.at(8.3).sut_acknowledges("SO-1", "order.cancelled")
    assert story.at(20).check(cancel_compensates) == []


def test_cancel_compensates_quiet_when_cancelled_in_time_or_already_departed():
    story = Story()
    story.release("SO-1")
    shipment = story.at(0.1).create_shipment("SO-1")
    story.at(1).customer_cancels("SO-1")
    assert story.at(1.5).cancel_shipment(shipment).status == 200
    story.release("SO-2")
    late = story.at(1.6).create_shipment("SO-2")
    story.at(2).customer_cancels("SO-2")
    story.at(2.5).milestone(late, "AF")  # departed before the SUT got to it
    assert story.at(2.6).cancel_shipment(late).status == 409
    shipment = story.up_to_hub("SO-3", 3)
    story.at(11.05).customer_cancels("SO-3")
    task = story.at(11.1).create_task("SO-3", shipment)
    story.at(11.2).cancel_task(task)
    assert story.at(20).check(cancel_compensates) == []


# --- stages-converge ---------------------------------------------------------------------------


def test_stages_converge_fires_when_an_intermediate_stage_is_shown_hours_late():
    story = Story(expect={"converge_within": "1h"})
    story.happy_path("SO-1")
    story.release("SO-2")
    shipment = story.at(11.1).create_shipment("SO-2")
    story.erp_status("SO-2", "PLN", shipment_id=shipment)
    story.at(12).milestone(shipment, "AF")
    story.erp_status("SO-2", "PCK")
    story.at(13).milestone(shipment, "X6")  # dropped as "older" by the SUT
    story.at(17).milestone(shipment, "X4")
    story.erp_status("SO-2", "HUB")  # the end is right: converge holds
    assert story.at(18).check(converge) == []
    violations = story.check(stages_converge)
    assert orders_flagged(violations, "stages-converge") == ["SO-2"]
    assert "ITR" in violations[0].message and "240 min" in violations[0].message


def test_orders_missing_milestones_counts_the_orders_stages_converge_judges():
    # SO-1 departs, the ERP never hears; SO-2 the same, but its customer cancelled after the
    # departure (too late to stop it): stages-converge forgives SO-2, and so must the KPI
    story = Story()
    for start, order_id in ((0, "SO-1"), (3, "SO-2")):
        story.at(start).release(order_id)
        shipment = story.at(start + 0.1).create_shipment(order_id, key=f"ship-{order_id}")
        story.erp_status(order_id, "PLN", shipment_id=shipment)
        story.at(start + 1).milestone(shipment, "X3")
        story.at(start + 2).milestone(shipment, "AF")
    story.at(6).customer_cancels("SO-2")
    story.at(30)
    obs = Observation(story.scenario, story.ledger, story.erp, story.tms, story.lastmile,
                      story.now)
    assert orders_flagged(list(stages_converge.check(obs)), "stages-converge") == ["SO-1"]
    assert measure_kpis(obs)["orders_missing_milestones"] == 1


def test_stages_converge_quiet_when_a_later_stage_covers_a_skipped_one_in_time():
    story = Story(expect={"converge_within": "1h"})
    story.release("SO-1")
    shipment = story.at(0.1).create_shipment("SO-1")
    story.erp_status("SO-1", "PLN", shipment_id=shipment)
    story.at(2).milestone(shipment, "AF")
    story.at(2.5).milestone(shipment, "X6")
    story.at(2.6).erp_status("SO-1", "ITR")  # PCK never written: ITR shows it, in time
    assert story.at(10).check(stages_converge) == []


# --- converge -----------------------------------------------------------------------------------


def test_converge_fires_when_the_erp_never_catches_up():
    story = Story()
    story.happy_path("SO-1")
    story.release("SO-2")
    shipment = story.at(11.1).create_shipment("SO-2")
    story.erp_status("SO-2", "PLN", shipment_id=shipment)
    story.at(13).milestone(shipment, "AF")  # the SUT dropped this webhook
    violations = story.at(20).check(converge)
    assert orders_flagged(violations, "converge") == ["SO-2"]
    assert "ERP status PLN, source systems say PCK" in violations[0].message


def test_converge_fires_when_the_erp_shows_no_shipment():
    story = Story()
    story.release("SO-1")
    story.at(0.1).create_shipment("SO-1")
    violations = story.at(5).check(converge)
    assert orders_flagged(violations, "converge") == ["SO-1"]
    assert "ERP shows shipment None" in violations[0].message


def test_converge_fires_on_a_delivered_order_never_invoiced():
    story = Story()
    _delivered(story, "SO-1", 0)
    story.erp_status("SO-1", "OFD")
    story.erp_status("SO-1", "DLV")
    violations = story.at(30).check(converge)
    assert orders_flagged(violations, "converge") == ["SO-1"]
    assert "never invoiced" in violations[0].message


@pytest.mark.parametrize("outage", [False, True], ids=["no-fault", "tms-outage-in-the-way"])
def test_converge_deadline_counts_from_the_end_of_an_outage(outage):
    faults = [{"kind": "outage", "system": "tms", "at": "7h", "for": "3h"}] if outage else []
    story = Story(faults=faults, expect={"converge_within": "2h"})
    story.release("SO-1")
    shipment = story.at(0.1).create_shipment("SO-1")
    story.erp_status("SO-1", "PLN", shipment_id=shipment)
    story.at(8).milestone(shipment, "AF")
    story.at(11).erp_status("SO-1", "PCK")  # 3 h after the fact, 1 h after the outage
    violations = story.at(20).check(converge)
    if outage:
        assert violations == []
    else:
        assert orders_flagged(violations, "converge") == ["SO-1"]
        assert "past the converge deadline" in violations[0].message


def test_converge_quiet_for_a_cancelled_order_the_erp_never_tracked():
    story = Story()
    story.release("SO-1")
    shipment = story.at(0.1).create_shipment("SO-1")
    story.at(0.5).customer_cancels("SO-1")
    story.at(0.6).cancel_shipment(shipment)
    assert story.at(10).check(converge) == []


def test_converge_fires_when_the_shipment_reaches_the_erp_past_the_deadline():
    story = Story(expect={"converge_within": "2h"})
    story.release("SO-1")
    shipment = story.at(0.1).create_shipment("SO-1")
    story.at(5).erp_status("SO-1", "PLN", shipment_id=shipment)  # tender still running
    violations = story.at(6).check(converge)
    assert orders_flagged(violations, "converge") == ["SO-1"]


# --- latency-slo --------------------------------------------------------------------------------


def _releases(story: Story, lags_hours: dict[str, float]) -> None:
    for index, (order_id, lag) in enumerate(lags_hours.items()):
        start = index * 10.0
        story.at(start).release(order_id)
        shipment = story.at(start + lag).create_shipment(order_id)
        story.erp_status(order_id, "PLN", shipment_id=shipment)


def test_latency_slo_fires_and_names_the_slowest_order():
    story = Story(expect={"slo": {"order_to_shipment_p95": "30m"}})
    _releases(story, {"SO-1": 0.1, "SO-2": 2.0, "SO-3": 0.2})
    violations = story.check(latency_slo)
    assert orders_flagged(violations, "latency-slo") == ["SO-2"]
    assert violations[0].keys["slo"] == "order_to_shipment_p95"
    assert "120.0 min" in violations[0].message
    # and where the time went: from the release to the SUT's create, nothing happened
    assert re.search(r"its longest step, 120.0 min, from '[^']*order.released[^']*' to "
                     r"'[^']*POST /shipments", violations[0].message)


def test_latency_slo_evidence_keeps_the_slow_step_of_a_long_chain():
    # 30 messages about the order before the slow step and 45 after: the chain is cut to its
    # ends, and the slow step (release -> nothing for two hours -> the create) must survive it
    story = Story(expect={"slo": {"order_to_shipment_p95": "30m"}})
    story.at(0).release("SO-1")
    status = {"status": "PLN", "classifier": "ACT"}
    for _ in range(30):
        story.later(1).request("erp", "/orders/SO-1/logistics-status", status)
    story.at(2).create_shipment("SO-1")
    for _ in range(45):
        story.later(60).request("erp", "/orders/SO-1/logistics-status", status)
    obs = Observation(story.scenario, story.ledger, story.erp, story.tms, story.lastmile,
                      story.now)
    violation, = latency_slo.check(obs)
    evidence = violation.to_json(obs.describe)["evidence"]
    focused = [e for e in evidence if e.get("focus")]
    assert len(focused) == 2
    assert "POST /shipments" in focused[1]["summary"]
    assert "logistics-status" in focused[0]["summary"]  # the last thing before the silence
    assert any(e["kind"] == OMITTED for e in evidence)
    assert len(evidence) < 75
    gap = next(e for e in evidence if e["kind"] == OMITTED)
    assert "left out" in gap["summary"] and gap["data"]["count"] > 0
    # and the terminal prints the slow step, not the chain's last lines (the order's later
    # status writes)
    printed = evidence_lines(evidence, verbose=False)
    assert [e["summary"] for e in focused] == [line for line in printed
                                               if line in {e["summary"] for e in focused}]
    assert len(printed) <= 9 and printed[-1].startswith("... ")


def test_latency_slo_quiet_when_the_percentile_is_within_target():
    # p50 of (6, 12, 120 min) is 12 min: the one slow order does not break a median target
    story = Story(expect={"slo": {"order_to_shipment_p50": "15m"}})
    _releases(story, {"SO-1": 0.1, "SO-2": 2.0, "SO-3": 0.2})
    assert story.check(latency_slo) == []


def test_latency_slo_quiet_without_targets_however_slow():
    story = Story()
    _releases(story, {"SO-1": 9.0})
    assert story.check(latency_slo) == []


@pytest.mark.parametrize("slo, slow", [
    ("pod_to_invoice_p95", "invoice"),
    ("milestone_to_erp_p95", "write-back"),
])
def test_latency_slo_measures_the_other_flows(slo, slow):
    story = Story(expect={"slo": {slo: "1h"}})
    story.happy_path("SO-1")
    shipment = story.up_to_hub("SO-2", 12)
    task = story.at(20.1).create_task("SO-2", shipment)
    story.at(21).start_delivery(task)
    story.erp_status("SO-2", "OFD")
    story.at(22).complete_delivery(task)
    if slow == "write-back":
        story.at(25).erp_status("SO-2", "DLV")
        story.invoice("SO-2")
    else:
        story.erp_status("SO-2", "DLV")
        story.at(25).invoice("SO-2")
    violations = story.check(latency_slo)
    assert orders_flagged(violations, "latency-slo") == ["SO-2"]
    assert violations[0].keys["slo"] == slo


# --- percentile ---------------------------------------------------------------------------------


@pytest.mark.parametrize("p, expected", [
    (0, 15), (5, 15), (30, 20), (40, 20), (41, 35), (50, 35), (80, 40), (81, 50), (100, 50),
])
def test_percentile_is_nearest_rank(p, expected):
    assert percentile([50, 15, 40, 20, 35], p) == expected  # order of the input is irrelevant


def test_percentile_edge_cases():
    assert percentile([], 95) is None
    assert percentile([7.5], 1) == 7.5
    assert percentile([7.5], 99) == 7.5
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile(list(range(1, 101)), 99.5) == 100


# --- terminal-sticky ----------------------------------------------------------------------------


@pytest.mark.parametrize("ending, after", [("DLV", "HUB"), ("DLV", "RTN"), ("RTN", "DLV")])
def test_terminal_sticky_fires_when_an_ended_order_changes_status(ending, after):
    story = Story()
    story.happy_path("SO-1")
    story.up_to_hub("SO-2", 12)
    story.at(21).erp_status("SO-2", ending)
    story.at(22).erp_status("SO-2", after)  # a late or retracted event applied blindly
    story.at(23).erp_status("SO-2", "ITR")  # one violation per order, not one per write
    violations = story.check(terminal_sticky)
    assert orders_flagged(violations, "terminal-sticky") == ["SO-2"]
    assert violations[0].keys == {"order_id": "SO-2"}
    assert f"from {ending} to {after}" in violations[0].message


def test_terminal_sticky_catches_a_switch_between_endings_that_monotonic_allows():
    story = Story()
    story.happy_path("SO-1")
    story.at(12).erp_status("SO-1", "RTN")  # same rank as DLV: never "backwards"
    assert story.check(status_monotonic) == []
    assert orders_flagged(story.check(terminal_sticky), "terminal-sticky") == ["SO-1"]


def test_terminal_sticky_quiet_on_repeated_endings_and_changes_before_the_end():
    story = Story()
    story.happy_path("SO-1")
    story.at(12).erp_status("SO-1", "DLV")  # a redelivered POD written again
    story.at(13).erp_status("SO-1", "DLV", classifier="EST")
    story.up_to_hub("SO-2", 14)  # many changes, none after an ending
    story.at(23).erp_status("SO-2", "RTN")
    story.at(24).erp_status("SO-2", "RTN")
    assert story.check(terminal_sticky) == []


# --- poison-isolated ----------------------------------------------------------------------------


def test_poison_isolated_fires_when_a_poison_message_is_failed():
    story = Story()
    story.happy_path("SO-1")
    ref = story.at(12).poisoned("SO-1", "nack")
    story.poisoned("SO-1", "nack")  # a second one for the same order: still one violation
    violations = story.check(poison_isolated)
    assert orders_flagged(violations, "poison-isolated") == ["SO-1"]
    assert violations[0].keys == {"order_id": "SO-1", "event_id": ref}
    assert ref.endswith("-poison")
    assert "was failed (answered neither 2xx nor 401/403)" in violations[0].message
    assert "did not converge" not in violations[0].message


def test_poison_isolated_does_not_blame_a_delivery_refused_while_the_sut_was_down():
    story = Story()
    story.happy_path("SO-1")
    story.ledger.record(story.at(12).now, "crash", "sut", "crash1", None,
                        {"error": "the sync implementation crashed (fault)",
                         "restart_after": 600.0})
    story.later(60).poisoned("SO-1", "nack")  # refused: nobody was there to answer
    story.later(600).poisoned("SO-1", "ack")  # after the restart: parked
    assert story.check(poison_isolated) == []
    story.later(60).poisoned("SO-1", "nack")  # up again, and answering 5xx: its own doing
    assert orders_flagged(story.check(poison_isolated), "poison-isolated") == ["SO-1"]


def test_poison_isolated_fires_when_the_poisoned_order_is_left_behind():
    story = Story()
    story.happy_path("SO-1")
    story.at(12).release("SO-2")
    shipment = story.at(12.1).create_shipment("SO-2", key="ship-SO-2")
    story.erp_status("SO-2", "PLN", shipment_id=shipment)
    story.at(13).milestone(shipment, "AF")
    ref = story.poisoned("SO-2", "ack")  # parked, but the order's worker stopped with it
    violations = story.at(20).check(poison_isolated)
    assert orders_flagged(violations, "poison-isolated") == ["SO-2"]
    assert violations[0].keys == {"order_id": "SO-2", "event_id": ref}
    assert f"order SO-2 did not converge after poison message {ref}" in violations[0].message
    assert "5xx" not in violations[0].message


def test_poison_isolated_quiet_when_poison_is_parked_and_only_concerns_poisoned_orders():
    story = Story()
    story.happy_path("SO-1")
    story.at(12).poisoned("SO-1", "ack")
    story.release("SO-2")  # stuck, but no poison came near it: converge's business
    shipment = story.at(12.1).create_shipment("SO-2", key="ship-SO-2")
    story.erp_status("SO-2", "PLN", shipment_id=shipment)
    story.at(13).milestone(shipment, "AF")
    story.at(20)
    assert orders_flagged(story.check(converge), "converge") == ["SO-2"]
    assert story.check(poison_isolated) == []


# --- correlation-propagated ---------------------------------------------------------------------


@pytest.mark.parametrize("sent, shown", [
    (None, "no X-Correlation-ID"),
    ("evt_tms_0000007", "X-Correlation-ID 'evt_tms_0000007'"),
])
def test_correlation_propagated_fires_on_a_call_without_the_orders_id(sent, shown):
    story = Story()
    story.happy_path("SO-1")
    story.at(12).release("SO-2")
    shipment = story.at(12.1).create_shipment("SO-2", key="ship-SO-2")
    first = f"c{len(story.ledger)}"  # the call ref Story.post records next
    story.at(12.2).post("tms", f"/shipments/{shipment}/cancel", {}, correlation=sent)
    story.post("erp", "/orders/SO-2/logistics-status", {"status": "PLN"}, correlation=sent)
    violations = story.check(correlation_propagated)
    assert orders_flagged(violations, "correlation-propagated") == ["SO-2"]  # once per order
    assert violations[0].keys == {"order_id": "SO-2", "call": first}
    assert f"/shipments/{shipment}/cancel for order SO-2 carried {shown}, not 'corr-SO-2'" \
        in violations[0].message


def test_correlation_propagated_quiet_when_every_call_carries_the_orders_id():
    story = Story()
    shipment, task = story.happy_path("SO-1")
    story.at(12).post("lastmile", f"/tasks/{task}/cancel", {})  # found through the task
    story.post("tms", f"/shipments/{shipment}/cancel", {})  # and through the shipment
    assert len(story.ledger.entries) > 20
    assert story.check(correlation_propagated) == []


# --- idempotency-key-on-create ------------------------------------------------------------------


@pytest.mark.parametrize("create", ["shipment", "task"])
def test_idempotency_key_on_create_fires_on_a_create_without_a_key(create):
    story = Story()
    story.happy_path("SO-1")
    if create == "shipment":
        story.at(12).release("SO-2")
        story.create_shipment("SO-2")
        story.create_shipment("SO-2")  # one violation per order
    else:
        shipment = story.up_to_hub("SO-2", 12)
        story.at(20.1).create_task("SO-2", shipment)
    call = next(e.ref for e in story.ledger.entries if e.kind == "request"
                and e.data["method"] == "POST" and e.data["idempotency_key"] is None
                and e.data["path"] in ("/shipments", "/tasks"))
    violations = story.check(idempotency_key_on_create)
    assert orders_flagged(violations, "idempotency-key-on-create") == ["SO-2"]
    assert violations[0].keys == {"order_id": "SO-2", "call": call}
    assert "had no Idempotency-Key" in violations[0].message


def test_idempotency_key_on_create_quiet_on_keyed_creates_and_keyless_other_writes():
    story = Story()
    shipment, task = story.happy_path("SO-1")  # status writes there carry no key: not creates
    story.at(12).post("lastmile", f"/tasks/{task}/cancel", {})
    story.post("tms", f"/shipments/{shipment}/cancel", {})
    assert any(e.kind == "request" and e.data["idempotency_key"] is None
               for e in story.ledger.entries)
    assert story.check(idempotency_key_on_create) == []


# --- rate-limit-respected -----------------------------------------------------------------------


def test_rate_limit_respected_fires_on_a_call_before_retry_after_even_from_another_worker():
    story = Story()
    story.release("SO-1")
    story.release("SO-2")
    told = story.at(1).throttled("erp", "/orders/SO-1/logistics-status", {"status": "REL"}, 30)
    story.later(10).erp_status("SO-2", "REL")  # another order's worker, not the one told
    early = story.ledger.entries[-1].ref
    story.later(5).erp_status("SO-1", "REL")  # one violation per system
    violations = story.check(rate_limit_respected)
    assert orders_flagged(violations, "rate-limit-respected") == ["SO-2"]
    assert violations[0].keys == {"order_id": "SO-2", "system": "erp", "call": early}
    assert f"went out 20s before the Retry-After of 429 [{told}]" in violations[0].message


def test_rate_limit_respected_quiet_when_waiting_out_retry_after_and_other_systems_go_on():
    story = Story()
    story.release("SO-1")
    story.at(1).throttled("erp", "/orders/SO-1/logistics-status", {"status": "REL"}, 30)
    story.later(0.5).create_shipment("SO-1", key="ship-SO-1")  # the TMS was not limited
    story.later(29.5).erp_status("SO-1", "REL")  # exactly when Retry-After has passed
    assert story.check(rate_limit_respected) == []


def test_rate_limit_respected_live_counts_arrivals_within_the_round_trip_as_in_flight():
    story = Story()
    story.release("SO-1")
    story.release("SO-2")
    story.release("SO-3")
    story.at(1).throttled("erp", "/orders/SO-1/logistics-status", {"status": "REL"}, 3600, 180)
    story.later(60).erp_status("SO-2", "REL")  # on the wire when the 429 left: in flight
    story.later(600).erp_status("SO-3", "REL")  # sent after the SUT was told: too early
    violations = story.check(rate_limit_respected)
    assert orders_flagged(violations, "rate-limit-respected") == ["SO-3"]


@pytest.mark.parametrize(("after", "flagged"), [(0.5, []), (5, ["SO-3"])])
def test_rate_limit_respected_live_gives_the_429s_own_connection_only_its_short_grace(
        after, flagged):
    story = Story()
    for order in ("SO-1", "SO-2", "SO-3"):
        story.release(order)
    story.at(1).throttled("erp", "/orders/SO-1/logistics-status", {"status": "REL"}, 30,
                          grace=180, connection_grace=1, via="127.0.0.1:5001")
    # another connection within the round trip: in flight when the 429 left
    story.later(after).request("erp", "/orders/SO-2/logistics-status", {"status": "REL"},
                               via="127.0.0.1:5002")
    # the 429's own connection: HTTP/1.1 sent this after the 429 had arrived
    story.request("erp", "/orders/SO-3/logistics-status", {"status": "REL"},
                  via="127.0.0.1:5001")
    assert [v.keys["order_id"] for v in story.check(rate_limit_respected)] == flagged


# --- signed-only --------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["ack", "nack"])
@pytest.mark.parametrize("mode", ["bad_signature", "missing_signature", "stale_timestamp"])
def test_signed_only_fires_on_a_forged_webhook_not_refused(mode, outcome):
    story = Story()
    story.happy_path("SO-1")
    story.at(12).forged_delivery("SO-1", mode, "reject")
    ref = story.forged_delivery("SO-1", mode, outcome)
    violations = story.check(signed_only)
    assert orders_flagged(violations, "signed-only") == ["SO-1"]
    assert violations[0].keys == {"order_id": "SO-1", "event_id": ref}
    assert f"({mode.replace('_', ' ')}) was accepted, not refused" in violations[0].message


def test_signed_only_quiet_when_forgeries_are_refused_and_genuine_webhooks_accepted():
    story = Story()
    story.happy_path("SO-1")
    story.at(12)
    for mode in ("bad_signature", "missing_signature", "stale_timestamp"):
        story.forged_delivery("SO-1", mode, "reject")
    story.sut_acknowledges("SO-1", "order.released")
    story.delivered(story.latest("SO-1"), "nack")  # a genuine one failed: not signed-only's
    assert sum(e.kind == "reject" for e in story.ledger.entries) == 3
    assert story.check(signed_only) == []


# --- converge: the delivery-address clause ------------------------------------------------------

NEW_ADDRESS = {"street": "9 Harbour Road", "city": "Bristol", "postcode": "BS1 5TT",
               "country": "GB"}


def _address_change(story: Story, forwarded: bool, delivered_at: float) -> str:
    """The ERP changes the address at 8.2 h, once the task exists; delivery at `delivered_at`."""
    shipment = story.up_to_hub("SO-1", 0)
    task = story.at(8.1).create_task("SO-1", shipment, key="task-SO-1")
    story.at(8.2)
    assert story.erp.change_order("SO-1", dict(NEW_ADDRESS))
    if forwarded:
        story.at(8.3).post("lastmile", f"/tasks/{task}/destination", dict(NEW_ADDRESS),
                           key="destination-1")
    story.at(delivered_at - 0.5).start_delivery(task)
    story.erp_status("SO-1", "OFD")
    story.at(delivered_at).complete_delivery(task)
    story.erp_status("SO-1", "DLV")
    story.invoice("SO-1", key="invoice-SO-1")
    story.at(delivered_at + 5)
    return task


def test_converge_fires_when_the_parcel_goes_to_the_old_address_after_the_deadline():
    story = Story()  # converge_within 2h: the change was due at the task by 10.2 h
    task = _address_change(story, forwarded=False, delivered_at=13)
    assert story.lastmile.tasks[task].delivered_to == ADDRESS
    violations = story.check(converge)
    assert orders_flagged(violations, "converge") == ["SO-1"]
    assert violations[0].keys == {"order_id": "SO-1"}
    assert f"task {task} delivered to the old address after the ERP changed it" \
        in violations[0].message


@pytest.mark.parametrize("forwarded, delivered_at", [(True, 13), (False, 9.5)],
                         ids=["address-forwarded", "delivered-before-the-deadline"])
def test_converge_quiet_when_the_new_address_reached_the_task_or_could_not_yet(forwarded,
                                                                               delivered_at):
    story = Story()
    task = _address_change(story, forwarded, delivered_at)
    expected = NEW_ADDRESS if forwarded else ADDRESS
    assert story.lastmile.tasks[task].delivered_to == expected
    assert story.erp.orders["SO-1"].changed_at == 8.2 * HOUR
    assert story.check(converge) == []


def test_every_invariant_module_is_registered_once_and_documented():
    """An invariant is one module: the registry finds it, and docs/concepts.md has its row."""
    import pkgutil
    from pathlib import Path

    from seatrial.judge.invariants import MODULES

    found = {info.name for info in pkgutil.iter_modules(invariants.__path__)}
    assert {module.__name__.rsplit(".", 1)[1] for module in MODULES} == found
    assert len({m.ORDER for m in MODULES}) == len({m.NAME for m in MODULES}) == len(MODULES)
    concepts = (Path(__file__).parent.parent / "docs" / "concepts.md").read_text()
    assert [m.NAME for m in MODULES if f"| `{m.NAME}` |" not in concepts] == []


# --- cost-flat ----------------------------------------------------------------------------------


def _metered(costs: list[float], slower_from: int | None = None,
             judged: bool = True) -> CostMeter:
    """A meter that saw one delivery per cost: the harness's own work (50 microseconds), then
    the SUT's (what the list says); from delivery `slower_from` on, the machine runs both at
    half speed."""
    now = [0.0]
    meter = CostMeter(clock=lambda: now[0], judged=judged)
    for n, cost in enumerate(costs):
        pace = 2.0 if slower_from is not None and n >= slower_from else 1.0
        meter.delivered()
        now[0] += 50e-6 * pace
        started = meter.start()
        now[0] += cost * pace
        meter.stop(started)
    return meter


def _judged(costs: list[float], slower_from: int | None = None,
            judged: bool = True) -> list[Violation]:
    story = Story()
    obs = Observation(story.scenario, story.ledger, story.erp, story.tms, story.lastmile, 0.0,
                      _metered(costs, slower_from, judged))
    return list(cost_flat.check(obs))


def test_cost_flat_fires_when_each_delivery_costs_more_than_the_last():
    count = cost_flat.MIN_DELIVERIES
    violations = _judged([50e-6 + n * 1e-8 for n in range(count)])  # a scan over the history
    assert [v.invariant for v in violations] == ["cost-flat"]
    assert f"over {count:,} deliveries" in violations[0].message


def test_cost_flat_fires_on_growth_on_a_machine_slow_all_run():
    count = cost_flat.MIN_DELIVERIES
    slowing = [50e-6 + n * 1e-8 for n in range(count)]
    assert [v.invariant for v in _judged(slowing, slower_from=0)] == ["cost-flat"]


def test_cost_flat_quiet_on_flat_noisy_or_shifting_cost_and_on_short_runs():
    count = cost_flat.MIN_DELIVERIES
    noise = random.Random(4)
    assert _judged([noise.uniform(20e-6, 120e-6) for _ in range(count)]) == []
    # the day's mix: cheap releases first, dearer deliveries later, 2x in all
    assert _judged([50e-6 if n < count // 2 else 100e-6 for n in range(count)]) == []
    assert _judged([50e-6 + n * 5e-8 for n in range(count - 1)]) == []  # too short to judge


def test_cost_flat_quiet_when_the_machine_slows_down_half_way():
    count = cost_flat.MIN_DELIVERIES
    assert _judged([50e-6] * count, slower_from=count // 2) == []


def test_cost_flat_does_not_judge_live_round_trips():
    count = cost_flat.MIN_DELIVERIES
    assert _judged([50e-6 + n * 1e-8 for n in range(count)], judged=False) == []
