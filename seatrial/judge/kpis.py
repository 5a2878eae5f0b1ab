"""The business KPIs each run reports (the seed documents' list)."""

from __future__ import annotations

from typing import Any

from seatrial.judge.flows import Flows, Sample, measure, percentile
from seatrial.judge.invariants import converge, effect_once
from seatrial.judge.observation import Observation


def _summary(samples: list[Sample]) -> dict[str, Any]:
    values = [s.seconds for s in samples]
    return {"count": len(values), "p50_s": _round(percentile(values, 50)),
            "p95_s": _round(percentile(values, 95)), "max_s": _round(max(values, default=None))}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def measure_kpis(obs: Observation, flows: Flows | None = None) -> dict[str, Any]:
    flows = flows or obs.shared(measure)
    return {
        "orders": len(obs.erp.orders),
        "orders_cancelled": sum(o.cancelled_at is not None for o in obs.erp.orders.values()),
        "shipments": len(obs.tms.shipments),
        "delivery_tasks": len(obs.lastmile.tasks),
        "invoices": len(obs.erp.invoices),
        "order_to_shipment": _summary(flows.order_to_shipment),
        "milestone_to_erp_lag": _summary(flows.milestone_to_erp),
        "pod_to_invoice_lag": _summary(flows.pod_to_invoice),
        "orders_missing_milestones": len(flows.unshown),
        "duplicate_side_effects": sum(n - 1 for *_, n in effect_once.duplicates(obs)),
        "orders_not_converged": len({order for order, _ in converge.disagreements(obs)}),
        "deliveries_abandoned": len(obs.of_kind("abandon")) + len(obs.of_kind("dead-letter")),
    }
