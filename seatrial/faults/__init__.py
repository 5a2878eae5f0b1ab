"""The fault layer: the one place where scenarios sabotage messages. Cores never know.

Every decision draws from a random stream named after the fault (channel, kind, rank among
its kind on that channel), so adding a fault to a scenario does not reshuffle the others.
"""

from seatrial.faults.layer import (
    BASELINE_API_LATENCY,
    BASELINE_WEBHOOK_LATENCY,
    CallPlan,
    Delivery,
    FaultLayer,
    channel_of,
)

__all__ = ["BASELINE_API_LATENCY", "BASELINE_WEBHOOK_LATENCY", "CallPlan", "Delivery",
           "FaultLayer", "channel_of"]
