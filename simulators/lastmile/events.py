"""The last-mile platform's event type: the one place its type string, payload keys, schema 2.0
shape and JSON Schemas are spelled (the registry is `seatrial.simulators.events`).

`payload()` builds the payload the platform publishes; its keys and their order are part of
every run's ledger hash. `parse()` reads a recorded one (simulators/payload.py: fields a replay
can do without read as None when a log leaves them out). `payload_v2()` is what the platform
sends after it moves to schema 2.0 (the `schema_drift` fault): camelCase, as vendors do
(`vocabulary.V2_FIELDS` documents the mapping).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from seatrial.model.vocabulary import (
    LASTMILE_FAILURE_REASONS,
    LASTMILE_REFUSED,
    LASTMILE_STATES,
    LASTMILE_TRIGGERS,
)
from seatrial.simulators.payload import (
    ARRAY,
    BOOLEAN,
    INTEGER,
    OBJECT,
    RETRACTION,
    TEXT,
    TIME,
    may,
    need,
    one_of,
    or_null,
)
from seatrial.simulators.schema import DATE_TIME, nullable, obj, ref, string

#: A task's state as the API and the events report it (LASTMILE_STATES).
STATE_SCHEMA = {"type": "integer", "enum": sorted(LASTMILE_STATES),
                "description": ", ".join(f"{k} {v}" for k, v in sorted(LASTMILE_STATES.items()))}


class CompletionDetails(NamedTuple):
    """How a delivery attempt ended: with proof of delivery, or with a failure reason. Either
    way the driver's photos and notes come along, as on Onfleet (`photoUploadIds`, `notes`): a
    failed attempt's photo of the door is no proof of delivery."""

    success: bool
    attempt: int | None
    pod: dict[str, Any] | None = None
    failure_reason: str | None = None
    photos: tuple[str, ...] = ()
    notes: str | None = None

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"success": self.success, "attempt": self.attempt}
        if self.success:
            body["pod"] = self.pod
        else:
            body["failure_reason"] = self.failure_reason
        if self.photos:
            body["photos"] = list(self.photos)
        if self.notes is not None:
            body["notes"] = self.notes
        return body

    def payload_v2(self) -> dict[str, Any]:
        return {"success": self.success, "attempt": self.attempt,
                "failureReason": self.failure_reason, "proofOfDelivery": self.pod,
                "photoUploadIds": list(self.photos), "notes": self.notes}

    @classmethod
    def parse(cls, details: dict[str, Any]) -> CompletionDetails:
        where = "payload.completion_details"
        return cls(may(details, "success", BOOLEAN, False, where=where),
                   may(details, "attempt", INTEGER, where=where),
                   may(details, "pod", or_null(OBJECT), where=where),
                   may(details, "failure_reason", or_null(TEXT), where=where),
                   tuple(may(details, "photos", ARRAY, [], where=where)),
                   may(details, "notes", or_null(TEXT), where=where))


class TaskUpdated(NamedTuple):
    """An Onfleet-like webhook: its trigger, the task's state and driver, the ETA (ISO 8601) on
    taskEta, and how the attempt ended on taskCompleted."""

    trigger: str
    state: int | None
    worker: str | None
    eta: str | None = None
    completion_details: CompletionDetails | None = None

    TYPE = "task.updated"
    SCHEMA, SCHEMA_V2 = "TaskUpdatedPayload", "TaskUpdatedPayloadV2"
    CODE = "trigger"  # the field holding the platform's trigger

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"trigger": self.trigger, "state": self.state,
                                "worker": self.worker}
        if self.eta is not None:
            body["eta"] = self.eta
        if self.completion_details is not None:
            body["completion_details"] = self.completion_details.payload()
        return body

    def payload_v2(self) -> dict[str, Any]:
        shaped: dict[str, Any] = {"triggerName": self.trigger, "taskState": self.state,
                                  "workerName": self.worker}
        if self.completion_details is not None:
            shaped["completionDetails"] = self.completion_details.payload_v2()
        if self.eta is not None:
            shaped["etaTime"] = self.eta
        return shaped

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> TaskUpdated:
        trigger = need(payload, cls.TYPE, "trigger", one_of(LASTMILE_TRIGGERS))
        details = may(payload, "completion_details", or_null(OBJECT))
        return cls(trigger, may(payload, "state", or_null(INTEGER)),
                   may(payload, "worker", or_null(TEXT)), may(payload, "eta", or_null(TIME)),
                   None if details is None else CompletionDetails.parse(details))


#: In the order the OpenAPI document lists them.
EVENTS = (TaskUpdated,)

SCHEMAS: dict[str, dict[str, Any]] = {
    "CompletionDetails": obj({
        "success": {"type": "boolean"},
        "attempt": {"type": "integer", "minimum": 1},
        "pod": ref("ProofOfDelivery"),
        "failure_reason": string("on a failed attempt", examples=[
            *LASTMILE_FAILURE_REASONS, LASTMILE_REFUSED]),
        "photos": {"type": "array", "items": {"type": "string"},
                   "description": "what the driver photographed, on a failed attempt too (the "
                                  "door, the street): only `pod` on a success proves delivery",
                   "examples": [["attempts/T-000001-1.jpg"]]},
        "notes": string("the driver's note", examples=["Nobody home; photo of the front door"]),
    }, ["success", "attempt"]),
    TaskUpdated.SCHEMA: obj({
        "trigger": string("Onfleet-like webhook trigger", examples=list(LASTMILE_TRIGGERS)),
        "state": STATE_SCHEMA,
        "worker": nullable("assigned driver"),
        "eta": {**DATE_TIME, "description": "on taskEta"},
        "completion_details": ref("CompletionDetails"),
        **RETRACTION,
    }, ["trigger", "state", "worker"]),
    TaskUpdated.SCHEMA_V2: obj({
        "triggerName": {"type": "string"},
        "taskState": STATE_SCHEMA,
        "workerName": {"type": ["string", "null"]},
        "completionDetails": obj({
            "success": {"type": "boolean"}, "attempt": {"type": "integer"},
            "failureReason": {"type": ["string", "null"]},
            "proofOfDelivery": {"anyOf": [ref("ProofOfDelivery"), {"type": "null"}]},
            "photoUploadIds": {"type": "array", "items": {"type": "string"}},
            "notes": {"type": ["string", "null"]},
        }),
        "etaTime": DATE_TIME,
        **RETRACTION,
    }, ["triggerName", "taskState", "workerName"], description="schema 2.0 of task.updated"),
}
