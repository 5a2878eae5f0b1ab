"""Status vocabularies: the ERP's canonical lifecycle and each source system's own codes.

The systems disagree on purpose, as real ones do: the TMS speaks X12 214 AT7 codes, the
last-mile platform Onfleet-like task triggers, the ERP its own logistics codes. A sync
implementation maps the first two onto the third (docs/writing-a-sync-implementation.md, "The
status mapping"). `rank` orders the ERP lifecycle so "never backwards" is a comparison; the
checks use `truth_*` to derive what the ERP should say from the simulators' own records.
"""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

# ERP logistics status codes in lifecycle order (the canonical lifecycle).
ERP_LIFECYCLE = ("REL", "PLN", "PCK", "ITR", "HUB", "OFD", "DLV")
ERP_RETURNED = "RTN"  # the other ending: returned to shipper, ranked with DLV
ERP_CANCELLED = "CNL"
ERP_TERMINAL = ("DLV", ERP_RETURNED)
ERP_STATUSES = (*ERP_LIFECYCLE, ERP_RETURNED, ERP_CANCELLED)
ERP_STATUS_NAMES = {
    "REL": "released",
    "PLN": "planned",
    "PCK": "picked up",
    "ITR": "in transit",
    "HUB": "at last-mile hub",
    "OFD": "out for delivery",
    "DLV": "delivered",
    "RTN": "returned to shipper",
    "CNL": "cancelled",
}
RANK = {code: index for index, code in enumerate(ERP_LIFECYCLE)} | {ERP_RETURNED: 6}

# TMS: X12 214 AT7-01 shipment status codes the simulator emits.
TMS_STATUS_CODES = {
    "XB": "shipment acknowledged (tender accepted)",
    "X3": "arrived at pickup location",
    "AF": "departed pickup location loaded",
    "X6": "en route to delivery location",
    "SD": "shipment delayed",
    "X4": "arrived at terminal (last-mile hub)",
    "K1": "arrived at customs",
    "PR": "customs hold",
    "CT": "customs release",
    "A9": "shipment damaged",
    "A3": "returned to shipper",
    "CA": "shipment cancelled",
}
# X12 214 AT7-02 reason codes.
TMS_REASON_CODES = {"NS": "normal", "AO": "weather", "AY": "missed pickup",
                    "A1": "missed delivery", "AS": "customs documentation hold"}
# What an actual TMS milestone means for the ERP; codes not listed never move status.
TMS_TO_ERP = {"XB": "PLN", "X3": "PLN", "AF": "PCK", "X6": "ITR", "X4": "HUB", "A3": "RTN"}

# Last-mile: Onfleet-like task states and webhook triggers.
LASTMILE_STATES = {0: "unassigned", 1: "assigned", 2: "active", 3: "completed"}
LASTMILE_TRIGGERS = {
    "taskAssigned": "a driver was assigned to the task",
    "taskStarted": "the driver set out with the parcel",
    "taskEta": "the driver's estimated arrival (an estimate)",
    "taskArrival": "the driver is arriving at the destination",
    "taskCompleted": "the attempt ended: delivered, or failed (completion_details say which)",
    "taskReturned": "the parcel goes back to the shipper",
    "taskCancelled": "the task was cancelled",
}
LASTMILE_FAILURE_REASONS = ("RECIPIENT_NOT_HOME", "ADDRESS_NOT_FOUND", "ACCESS_DENIED")
LASTMILE_REFUSED = "REFUSED"  # refusal ends the task: the parcel goes back (taskReturned)
# taskCompleted maps to DLV only when completion_details.success is true (a failed attempt is a
# flag, not a stage: docs/writing-a-sync-implementation.md#the-status-mapping).
LASTMILE_TO_ERP = {"taskStarted": "OFD", "taskArrival": "OFD", "taskReturned": "RTN"}

# An event_time without an offset is the source's local time (X12 214 without AT7-07): the
# TMS's carriers report in CET, the last-mile platform in UK time, the ERP in UTC.
SOURCE_LOCAL_TIME = {
    "erp": UTC,
    "tms": timezone(timedelta(hours=1), "CET"),
    "lastmile": timezone(timedelta(0), "GMT"),
}

# Schema 2.0 payload shapes (sources switch to them during schema drift): where each v1 field
# went. A sync implementation that supports both maps v2 back with this table. The reshape
# itself is each event type's `payload_v2` (simulators/<system>/events.py; this module cannot
# import them: they import it); tests/test_fault_kinds.py holds the two together.
V2_FIELDS = {
    "tms": {"status_code": "status.code", "reason_code": "status.reason",
            "carrier": "carrier.name", "eta": "estimatedArrival"},
    "lastmile": {"trigger": "triggerName", "state": "taskState", "worker": "workerName",
                 "completion_details": "completionDetails", "eta": "etaTime",
                 "completion_details.failure_reason": "completionDetails.failureReason",
                 "completion_details.pod": "completionDetails.proofOfDelivery",
                 "completion_details.photos": "completionDetails.photoUploadIds",
                 "completion_details.notes": "completionDetails.notes"},
    "*": {"*": "data.*"},  # every other event (ERP events, TMS charges): the v1 payload
}                          # under "data"; retracted_event_id stays at the top level
