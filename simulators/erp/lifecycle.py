"""ERP lifecycle: the release wave (Poisson arrivals) and customer cancellations."""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Protocol

import simpy

from seatrial.simulators.erp.core import ErpCore
from seatrial.simulators.erp.orders import OrderFactory

HOUR = 3600.0
CANCEL_AFTER = (10 * 60.0, 30 * HOUR)  # at any stage until the goods are out for delivery
CHANGE_AFTER = (30 * 60.0, 24 * HOUR)
CANCEL_REASONS = ("customer_request", "payment_failed", "duplicate_order")


class OrderRates(Protocol):
    """What the ERP lifecycle reads of a workload (a scenario's `workload` is one)."""

    @property
    def orders_per_hour(self) -> float: ...
    @property
    def cancel_rate(self) -> float: ...
    @property
    def address_change_rate(self) -> float: ...
    @property
    def address_changes(self) -> tuple[int, int]: ...


def release_orders(env: simpy.Environment, erp: ErpCore, orders: OrderFactory,
                   rng: random.Random, workload: OrderRates,
                   until: float) -> Generator[simpy.Event, None, None]:
    while True:
        yield env.timeout(rng.expovariate(workload.orders_per_hour / HOUR))
        if env.now >= until:
            return
        release_order(env, erp, orders, rng, workload)


def release_order(env: simpy.Environment, erp: ErpCore, orders: OrderFactory,
                  rng: random.Random, workload: OrderRates) -> str:
    """Release the next order now, with the customer's later cancellation or address changes
    drawn at the workload's rates (a load test releases orders one by one through here)."""
    order, customer, new = orders.next_order(env.now)
    if new:
        erp.add_customer(customer)
    erp.release_order(order)
    if rng.random() < workload.cancel_rate:
        env.process(cancel_later(env, erp, order.id, rng))
    if rng.random() < workload.address_change_rate:
        fewest, most = workload.address_changes
        # one change draws nothing more, so scenarios written before repeated changes replay
        for _ in range(fewest if fewest == most else rng.randint(fewest, most)):
            env.process(change_later(env, erp, order.id, orders.new_address(), rng))
    return order.id


def cancel_later(env: simpy.Environment, erp: ErpCore, order_id: str,
                 rng: random.Random) -> Generator[simpy.Event, None, None]:
    yield env.timeout(rng.uniform(*CANCEL_AFTER))
    erp.cancel_order(order_id, rng.choice(CANCEL_REASONS))


def change_later(env: simpy.Environment, erp: ErpCore, order_id: str, ship_to: dict[str, str],
                 rng: random.Random) -> Generator[simpy.Event, None, None]:
    yield env.timeout(rng.uniform(*CHANGE_AFTER))
    erp.change_order(order_id, ship_to)
