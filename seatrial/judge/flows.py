"""Business-flow latencies measured from the simulators' records: the SLOs and KPIs share them.

order -> shipment: release in the ERP to shipment created in the TMS.
milestone -> ERP: an actual milestone (TMS or last-mile) to the ERP showing that stage.
POD -> invoice: proof of delivery captured to the invoice released.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from seatrial.judge.observation import Observation
from seatrial.model.vocabulary import RANK, TMS_TO_ERP


@dataclass
class Sample:
    seconds: float
    order_id: str
    at: float = 0.0  # when the flow started (a timeline plots lag against it)


@dataclass
class Flows:
    order_to_shipment: list[Sample] = field(default_factory=list)
    milestone_to_erp: list[Sample] = field(default_factory=list)
    pod_to_invoice: list[Sample] = field(default_factory=list)
    #: orders not cancelled with a stage the ERP never showed: the orders `stages-converge`
    #: judges (after a cancellation mirroring the parcel's way is not required)
    unshown: set[str] = field(default_factory=set)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile; None for no data."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def milestones_of(obs: Observation, order_id: str) -> list[tuple[float, str]]:
    """(time, ERP status) for each actual milestone the source systems recorded for an order,
    in time order. Shared by the flows and three invariants (`Observation.shared`): not to be
    changed by its reader."""
    return obs.shared(_milestones).get(order_id, [])


def _milestones(obs: Observation) -> dict[str, list[tuple[float, str]]]:
    """`milestones_of` for every order the TMS or the last-mile platform has records of."""
    table = {}
    for order_id in {*obs.tms.by_order, *obs.tasks_by_order}:
        found: list[tuple[float, str]] = []
        for shipment in obs.shipments_of(order_id):
            for milestone in obs.milestones_by_shipment.get(shipment.id, ()):
                if milestone.classifier == "ACT" and milestone.code in TMS_TO_ERP:
                    found.append((milestone.time, TMS_TO_ERP[milestone.code]))
        for task in obs.tasks_by_order.get(order_id, ()):
            for attempt in task.attempts:
                found.append((attempt.started_at, "OFD"))
            if task.delivered_at is not None:
                found.append((task.delivered_at, "DLV"))
            if task.returned_at is not None:
                found.append((task.returned_at, "RTN"))
        found.sort()
        table[order_id] = found
    return table


def measure(obs: Observation) -> Flows:
    """The run's flows; the verdict, the KPIs, the timeline and latency-slo read the same
    ones (`Observation.shared(measure)`)."""
    flows = Flows()
    first_invoice: dict[str, float] = {}
    for invoice in obs.erp.invoices:
        first_invoice.setdefault(invoice.order_id, invoice.time)
    for order in obs.erp.orders.values():
        shipments = obs.shipments_of(order.id)
        if shipments:
            flows.order_to_shipment.append(
                Sample(shipments[0].created_at - order.released_at, order.id, order.released_at))
        writes = obs.writes_by_order.get(order.id, ())
        reached = -1
        for when, status in milestones_of(obs, order.id):
            if RANK[status] <= reached:
                continue
            reached = RANK[status]
            shown = next((w.time for w in writes if RANK.get(w.status, -1) >= reached), None)
            if shown is not None:  # the ERP may have shown the stage already (0 lag)
                flows.milestone_to_erp.append(Sample(max(0.0, shown - when), order.id, when))
            elif order.cancelled_at is None:
                flows.unshown.add(order.id)
        for task in obs.tasks_by_order.get(order.id, ()):
            if task.delivered_at is not None and order.id in first_invoice:
                flows.pod_to_invoice.append(Sample(first_invoice[order.id] - task.delivered_at,
                                                   order.id, task.delivered_at))
                break
    return flows
