"""Invariants: one module per rule, each reading only the ledger and the simulators' records."""

from __future__ import annotations

from seatrial.judge.invariants import (
    actual_over_estimate,
    cancel_compensates,
    charges_reconcile,
    converge,
    correlation_propagated,
    effect_once,
    idempotency_key_on_create,
    invoice_after_pod,
    invoice_once,
    latency_slo,
    poison_isolated,
    rate_limit_respected,
    shipment_per_order,
    signed_only,
    status_monotonic,
    task_per_shipment,
    terminal_sticky,
)

MODULES = (shipment_per_order, task_per_shipment, effect_once, status_monotonic,
           terminal_sticky, actual_over_estimate, invoice_after_pod, invoice_once,
           charges_reconcile, cancel_compensates, converge, poison_isolated,
           correlation_propagated, idempotency_key_on_create, rate_limit_respected, signed_only,
           latency_slo)
NAMES = tuple(module.NAME for module in MODULES)
