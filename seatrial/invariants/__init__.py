"""Invariants: one module per rule, each reading only the ledger and the simulators' records."""

from __future__ import annotations

from seatrial.invariants import (
    actual_over_estimate,
    cancel_compensates,
    charges_reconcile,
    converge,
    effect_once,
    invoice_after_pod,
    invoice_once,
    latency_slo,
    shipment_per_order,
    status_monotonic,
    task_per_shipment,
)

MODULES = (shipment_per_order, task_per_shipment, effect_once, status_monotonic,
           actual_over_estimate, invoice_after_pod, invoice_once, charges_reconcile,
           cancel_compensates, converge, latency_slo)
NAMES = tuple(module.NAME for module in MODULES)
