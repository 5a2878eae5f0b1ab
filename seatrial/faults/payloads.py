"""What sabotaged webhooks look like: the next schema version, poison, unknown codes,
forgeries, retractions and skewed clocks. Each builds a new `Event` from a real one.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from seatrial.model.envelope import Event
from seatrial.model.vocabulary import SOURCE_LOCAL_TIME


def derived(event: Event, tag: str, **changes: Any) -> Event:
    """A new message about the same business object, with its own event id."""
    return event._replace(event_id=f"{event.event_id}-{tag}", **changes)


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


def poison(event: Event, rng: random.Random) -> Event:
    """Unparseable for a real order: required fields gone or of the wrong type."""
    garbage = rng.choice(({"status_code": 17, "trigger": None},
                          {"completion_details": "<<binary>>", "statement_id": None},
                          {"\ufffd\ufffd": "\x00\x01\x02"}))
    return derived(event, "poison", payload=garbage)


UNKNOWN_CODES = {"tms": ("status_code", "ZZ"), "lastmile": ("trigger", "taskTeleported"),
                 "erp": ("reason", "unknown_reason_code")}


def unknown_code(event: Event) -> Event:
    field, code = UNKNOWN_CODES[event.source]
    return derived(event, "drift", payload={**event.payload, field: code})


def forged(event: Event) -> Event:
    """A harmful message for the same order: what an attacker would want the SUT to do."""
    if event.source == "erp":
        return derived(event, "forged", type="order.cancelled",
                       payload={"reason": "customer_request"})
    if event.source == "tms":
        return derived(event, "forged", type="shipment.charges_finalized", payload={
            "statement_id": f"ST-F{event.source_seq:06d}", "currency": "GBP", "total": 9999.0,
            "lines": [{"code": "LINEHAUL", "amount": 9999.0}]})
    return derived(event, "forged", type="task.updated", classifier="ACT", payload={
        "trigger": "taskCompleted", "state": 3, "worker": "driver-00",
        "completion_details": {"success": True, "attempt": 1,
                               "pod": {"signed_by": "recipient", "photo": "pod/forged.jpg"}}})


def retraction(event: Event) -> tuple[Event, Event]:
    """(the retraction, the corrected re-issue) of an actual milestone."""
    retract = derived(event, "retract", payload={
        **event.payload, "retracted_event_id": event.event_id,
        "retraction_reason": "entered in error"})
    reissue = derived(event, "reissue", event_time=event.event_time - timedelta(minutes=3))
    return retract, reissue


def skewed(event: Event, mode: str, rng: random.Random, skew: float) -> Event:
    if mode == "local_time":
        local = event.event_time.astimezone(SOURCE_LOCAL_TIME[event.source])
        return event._replace(event_time=local.replace(tzinfo=None))
    return event._replace(event_time=event.event_time + timedelta(seconds=rng.uniform(-skew, skew)))
