"""Status vocabularies: the ERP's canonical lifecycle and each source system's own codes.

The systems disagree on purpose, as real ones do (notes/domain-facts.md): the TMS speaks X12 214
AT7 codes, the last-mile platform Onfleet-like task triggers, the ERP its own logistics codes.
A sync implementation maps the first two onto the third. `rank` orders the ERP lifecycle so
"never backwards" is a comparison; the checks use `truth_*` to derive what the ERP should say
from the simulators' own records.
"""

from __future__ import annotations

# ERP logistics status codes in lifecycle order (the canonical lifecycle).
ERP_LIFECYCLE = ("REL", "PLN", "PCK", "ITR", "HUB", "OFD", "DLV")
ERP_CANCELLED = "CNL"
ERP_STATUSES = (*ERP_LIFECYCLE, ERP_CANCELLED)
ERP_STATUS_NAMES = {
    "REL": "released",
    "PLN": "planned",
    "PCK": "picked up",
    "ITR": "in transit",
    "HUB": "at last-mile hub",
    "OFD": "out for delivery",
    "DLV": "delivered",
    "CNL": "cancelled",
}
RANK = {code: index for index, code in enumerate(ERP_LIFECYCLE)}

# TMS: X12 214 AT7-01 shipment status codes the simulator emits.
TMS_STATUS_CODES = {
    "XB": "shipment acknowledged (tender accepted)",
    "X3": "arrived at pickup location",
    "AF": "departed pickup location loaded",
    "X6": "en route to delivery location",
    "SD": "shipment delayed",
    "X4": "arrived at terminal (last-mile hub)",
    "CA": "shipment cancelled",
}
# X12 214 AT7-02 reason codes.
TMS_REASON_CODES = {"NS": "normal", "AO": "weather", "AY": "missed pickup", "A1": "missed delivery"}
# What an actual TMS milestone means for the ERP; codes not listed never move status.
TMS_TO_ERP = {"XB": "PLN", "X3": "PLN", "AF": "PCK", "X6": "ITR", "X4": "HUB"}

# Last-mile: Onfleet-like task states and webhook triggers.
LASTMILE_STATES = {0: "unassigned", 1: "assigned", 2: "active", 3: "completed"}
LASTMILE_TRIGGERS = ("taskAssigned", "taskStarted", "taskEta", "taskArrival", "taskCompleted",
                     "taskCancelled")
LASTMILE_FAILURE_REASONS = ("RECIPIENT_NOT_HOME", "ADDRESS_NOT_FOUND", "ACCESS_DENIED")
# taskCompleted maps to DLV only when completion_details.success is true (a failed attempt is a
# flag, not a stage: notes/domain-facts.md precedence rules).
LASTMILE_TO_ERP = {"taskStarted": "OFD", "taskArrival": "OFD"}
