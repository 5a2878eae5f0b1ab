"""Last-mile lifecycle of one delivery task: assignment, delivery windows, attempts, POD."""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any, Protocol

import simpy

from seatrial.model.vocabulary import LASTMILE_FAILURE_REASONS, LASTMILE_REFUSED
from seatrial.simulators.handoff import Handoff
from seatrial.simulators.lastmile.core import LastMileCore, Task

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
WINDOW_OPENS = 2 * HOUR  # 08:00 (simulated time zero is 06:00)
WINDOW_HOURS = 10.0
MAX_ATTEMPTS = 3
DRIVERS = tuple(f"driver-{n:02d}" for n in range(1, 25))


class TaskRates(Protocol):
    """What a task's lifecycle reads of a workload (a scenario's `workload` is one)."""

    @property
    def refusal_rate(self) -> float: ...
    @property
    def failed_attempt_rate(self) -> float: ...


def next_window(now: float) -> float:
    """Start of the delivery window that has room for a run today, else tomorrow's."""
    day_start = (now - WINDOW_OPENS) // DAY * DAY + WINDOW_OPENS
    if now < day_start + (WINDOW_HOURS - 4) * HOUR:
        return max(now, day_start)
    return day_start + DAY


def task_lifecycle(env: simpy.Environment, lastmile: LastMileCore, task: Task,
                   handoff: Handoff, rng: random.Random,
                   workload: TaskRates) -> Generator[simpy.Event, None, None]:
    yield handoff.at_hub(task.shipment_id)  # nothing to deliver before the goods arrive
    yield env.timeout(rng.uniform(10 * MINUTE, 2 * HOUR))
    if not task.active:
        return
    lastmile.assign(task, rng.choice(DRIVERS))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        yield env.timeout(next_window(env.now) - env.now + rng.uniform(0, 3 * HOUR))
        if not task.active:
            return
        eta = env.now + rng.uniform(30 * MINUTE, 4 * HOUR)
        lastmile.start(task, eta)
        yield env.timeout(eta - env.now)
        if not task.active:
            return
        lastmile.arrive(task)
        yield env.timeout(rng.uniform(2 * MINUTE, 10 * MINUTE))
        if not task.active:
            return
        if rng.random() < workload.refusal_rate:  # refused at the door: back to the shipper
            lastmile.complete(task, False, LASTMILE_REFUSED,
                              **at_the_door(task, attempt, LASTMILE_REFUSED))
            yield env.timeout(rng.uniform(1 * HOUR, 6 * HOUR))
            lastmile.returned(task)
            break
        if attempt < MAX_ATTEMPTS and rng.random() < workload.failed_attempt_rate:
            reason = rng.choice(LASTMILE_FAILURE_REASONS)
            lastmile.complete(task, False, reason, **at_the_door(task, attempt, reason))
            continue
        pod = proof_of_delivery(task, attempt)
        lastmile.complete(task, True, pod=pod, photos=(pod["photo"],))
        break
    handoff.happen(handoff.settled(task.shipment_id))


#: What a driver notes on a failed attempt (and photographs: real platforms ask for a photo of
#: the door, so a failed attempt carries a photo too, and only `pod` proves a delivery).
FAILURE_NOTES = {
    "RECIPIENT_NOT_HOME": "Nobody home; card left, photo of the front door",
    "ADDRESS_NOT_FOUND": "No such house number; photo of the street",
    "ACCESS_DENIED": "Gate locked, no answer on the intercom; photo of the entrance",
    LASTMILE_REFUSED: "Recipient refused the parcel at the door",
}


def at_the_door(task: Task, attempt: int, reason: str) -> dict[str, Any]:
    """What the driver leaves on record after a failed attempt: a photo and a note."""
    return {"photos": (f"attempts/{task.id}-{attempt}.jpg",), "notes": FAILURE_NOTES[reason]}


def proof_of_delivery(task: Task, attempt: int) -> dict[str, Any]:
    """What the driver captures at the door: who signed, the photo, on which attempt."""
    return {"signed_by": task.destination.get("name") or "recipient",
            "photo": f"pod/{task.id}.jpg", "captured_at_attempt": attempt}
