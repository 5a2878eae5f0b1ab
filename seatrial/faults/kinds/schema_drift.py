"""`schema_drift`: the source moves to its next payload schema, or sends codes no vocabulary
lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from seatrial.faults.base import DeliveryPlan, Effect, Fault, Kind, derived
from seatrial.model.envelope import Event
from seatrial.scenario_fields import Probability, WebhookChannel

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space


class SchemaDrift(Fault):
    """`v2`: the source switches to its next payload schema (schema_version 2.0, reshaped
    payload) for every event in the window. `unknown_code`: extra events carry a status code
    or trigger no vocabulary lists."""

    kind: Literal["schema_drift"] = "schema_drift"
    channel: WebhookChannel
    mode: Literal["v2", "unknown_code"] = "v2"
    probability: Probability = 1.0


def to_v2(event: Event) -> Event:
    """Schema 2.0: the same facts, reshaped (nested status, camelCase), as vendors do."""
    p = event.payload
    if event.source == "tms" and "status_code" in p:  # other TMS events: wrapped in "data"
        shaped: dict[str, Any] = {"status": {"code": p["status_code"], "reason": p["reason_code"]},
                                  "carrier": {"name": p.get("carrier")}}
        if "eta" in p:
            shaped["estimatedArrival"] = p["eta"]
    elif event.source == "lastmile" and "trigger" in p:
        details = p.get("completion_details")
        shaped = {"triggerName": p.get("trigger"), "taskState": p.get("state"),
                  "workerName": p.get("worker")}
        if details is not None:
            shaped["completionDetails"] = {
                "success": details.get("success"), "attempt": details.get("attempt"),
                "failureReason": details.get("failure_reason"),
                "proofOfDelivery": details.get("pod")}
        if "eta" in p:
            shaped["etaTime"] = p["eta"]
    else:
        shaped = {"data": dict(p)}
    for kept in ("retracted_event_id", "retraction_reason"):  # envelope-level in v2
        if kept in p:
            shaped[kept] = p[kept]
    return event._replace(schema_version="2.0", payload=shaped)


UNKNOWN_CODES = {"tms": ("status_code", "ZZ"), "lastmile": ("trigger", "taskTeleported"),
                 "erp": ("reason", "unknown_reason_code")}


def unknown_code(event: Event) -> Event:
    field, code = UNKNOWN_CODES[event.source]
    return derived(event, "drift", payload={**event.payload, field: code})


class SchemaDriftEffect(Effect[SchemaDrift]):
    __slots__ = ()

    def on_delivery(self, plan: DeliveryPlan) -> None:
        if self.rng.random() >= self.fault.probability:
            return
        if self.fault.mode == "unknown_code":
            plan.inject(unknown_code(plan.event), "schema_drift", plan.delay, self.rng)
        elif plan.event.schema_version != "2.0":  # two overlapping drifts: still 2.0
            plan.event = to_v2(plan.event)
            plan.note({"fault": "schema_drift", "mode": "v2"})


def explore(space: Space) -> SearchStrategy[SchemaDrift]:
    from hypothesis import strategies as st

    return st.builds(SchemaDrift, channel=space.webhooks, at=space.at,
                     mode=st.sampled_from(("unknown_code", "v2")), probability=space.some)


KIND = Kind(model=SchemaDrift, effect=SchemaDriftEffect, explore=explore, listed=10, explored=9)
