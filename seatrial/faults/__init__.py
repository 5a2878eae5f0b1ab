"""The fault layer: the one place where scenarios sabotage messages. Cores never know.

Each fault kind is one module in `seatrial.faults.kinds`: its scenario model, what it does
(its `Effect`, `seatrial.faults.base`), and how `seatrial explore` draws one. Every decision
draws from a random stream named after the fault (channel, kind, rank among its kind on that
channel), so adding a fault to a scenario does not reshuffle the others.
"""

from seatrial.faults.base import CallPlan, Delivery
from seatrial.faults.layer import (
    BASELINE_API_LATENCY,
    BASELINE_WEBHOOK_LATENCY,
    FaultLayer,
    channel_of,
)

__all__ = ["BASELINE_API_LATENCY", "BASELINE_WEBHOOK_LATENCY", "CallPlan", "Delivery",
           "FaultLayer", "channel_of"]
