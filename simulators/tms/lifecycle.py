"""TMS lifecycle of one shipment: tender waterfall, pickup, line-haul, hub, final charges.

Timings are realistic orders of magnitude, not a promise: tenders answered within minutes or
expiring after the respond-by time, pickup hours after acceptance, detention after 2 h free time
at 50-100 per hour.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Protocol

import simpy

from seatrial.simulators.handoff import Handoff
from seatrial.simulators.tms.core import Shipment, TmsCore

MINUTE, HOUR = 60.0, 3600.0
CARRIERS = ("Kuehne+Nagel Road", "DB Schenker", "DSV Road", "DHL Freight")
SPOT_CARRIER = "Spot Market Haulier"
TENDER_EXPIRY_SHARE = 0.3  # of non-accepted tenders, how many expire rather than decline
RESPOND_BY = 2 * HOUR
DELAY_PROBABILITY = 0.1


class ShipmentRates(Protocol):
    """What a shipment's lifecycle reads of a workload (a scenario's `workload` is one)."""

    @property
    def tender_decline_rate(self) -> float: ...
    @property
    def customs_hold_rate(self) -> float: ...
    @property
    def damage_rate(self) -> float: ...


def shipment_lifecycle(env: simpy.Environment, tms: TmsCore, shipment: Shipment,
                       handoff: Handoff, rng: random.Random,
                       workload: ShipmentRates) -> Generator[simpy.Event, None, None]:
    tender_decline_rate = workload.tender_decline_rate
    yield env.timeout(rng.uniform(1 * MINUTE, 10 * MINUTE))  # planning run
    for carrier in (*CARRIERS, SPOT_CARRIER):
        if shipment.state == "cancelled":
            return
        refused = carrier != SPOT_CARRIER and rng.random() < tender_decline_rate
        if refused and rng.random() < TENDER_EXPIRY_SHARE:
            yield env.timeout(RESPOND_BY)
            outcome = "expired"
        else:
            yield env.timeout(rng.uniform(5 * MINUTE, 60 * MINUTE))
            outcome = "declined" if refused else "accepted"
        if shipment.state == "cancelled":
            return
        tms.tender(shipment, carrier, outcome)
        if outcome == "accepted":
            break

    pickup_at = env.now + rng.uniform(1 * HOUR, 4 * HOUR)
    tms.milestone(shipment, "X3", classifier="EST", event_time=pickup_at)
    yield env.timeout(pickup_at - env.now)
    if shipment.state == "cancelled":
        return
    tms.milestone(shipment, "X3")
    waited = rng.uniform(15 * MINUTE, 3 * HOUR)
    yield env.timeout(waited)
    if shipment.state == "cancelled":
        return
    tms.milestone(shipment, "AF")  # departed loaded: no cancellation from here on

    hub_at = env.now + rng.uniform(2 * HOUR, 12 * HOUR)
    tms.milestone(shipment, "X4", classifier="EST", event_time=hub_at, eta=hub_at)
    for _ in range(rng.randint(1, 3)):
        yield env.timeout((hub_at - env.now) * rng.uniform(0.2, 0.5))
        tms.milestone(shipment, "X6")
        if rng.random() < DELAY_PROBABILITY:
            hub_at += rng.uniform(30 * MINUTE, 4 * HOUR)
            tms.milestone(shipment, "SD", reason="AO")
            tms.milestone(shipment, "X4", classifier="EST", event_time=hub_at, eta=hub_at)
    if rng.random() < workload.customs_hold_rate:  # flags, not stages: status stays in transit
        tms.milestone(shipment, "K1")
        tms.milestone(shipment, "PR", reason="AS")
        held = rng.uniform(2 * HOUR, 12 * HOUR)
        yield env.timeout(held)
        tms.milestone(shipment, "CT")
        hub_at += held
        tms.milestone(shipment, "X4", classifier="EST", event_time=hub_at, eta=hub_at)
    if rng.random() < workload.damage_rate:  # damaged in transit: back to the shipper
        yield env.timeout((hub_at - env.now) * rng.uniform(0.2, 0.8))
        tms.milestone(shipment, "A9", reason="NS")
        yield env.timeout(rng.uniform(2 * HOUR, 8 * HOUR))
        tms.milestone(shipment, "A3")
    else:
        yield env.timeout(hub_at - env.now)
        tms.milestone(shipment, "X4")
        handoff.happen(handoff.at_hub(shipment.id))
        yield handoff.settled(shipment.id)  # delivered, or returned by the last mile
    yield env.timeout(rng.uniform(1 * HOUR, 24 * HOUR))  # carrier's freight bill (210)
    tms.finalize_charges(shipment, freight_lines(rng, detention_hours=max(0.0, waited / HOUR - 2)))


def freight_lines(rng: random.Random, detention_hours: float) -> list[dict[str, object]]:
    linehaul = round(rng.uniform(80.0, 600.0), 2)
    lines: list[dict[str, object]] = [
        {"code": "LINEHAUL", "amount": linehaul},
        {"code": "FUEL", "amount": round(linehaul * 0.12, 2)},
    ]
    if detention_hours > 0:
        lines.append({"code": "DETENTION",
                      "amount": round(detention_hours * rng.uniform(50.0, 100.0), 2)})
    if rng.random() < 0.15:
        lines.append({"code": "LIFTGATE", "amount": 45.0})
    return lines
