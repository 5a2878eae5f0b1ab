"""ERP lifecycle: the release wave (Poisson arrivals) and customer cancellations."""

from __future__ import annotations

import random
from collections.abc import Generator

import simpy

from simulators.erp.core import ErpCore
from simulators.workload import OrderFactory

HOUR = 3600.0
CANCEL_AFTER = (10 * 60.0, 6 * HOUR)  # a customer changes their mind within hours
CANCEL_REASONS = ("customer_request", "payment_failed", "duplicate_order")


def release_orders(env: simpy.Environment, erp: ErpCore, orders: OrderFactory,
                   rng: random.Random, orders_per_hour: float, cancel_rate: float,
                   until: float) -> Generator[simpy.Event, None, None]:
    while True:
        yield env.timeout(rng.expovariate(orders_per_hour / HOUR))
        if env.now >= until:
            return
        order, customer, new = orders.next_order(env.now)
        if new:
            erp.add_customer(customer)
        erp.release_order(order)
        if rng.random() < cancel_rate:
            env.process(cancel_later(env, erp, order.id, rng))


def cancel_later(env: simpy.Environment, erp: ErpCore, order_id: str,
                 rng: random.Random) -> Generator[simpy.Event, None, None]:
    yield env.timeout(rng.uniform(*CANCEL_AFTER))
    erp.cancel_order(order_id, rng.choice(CANCEL_REASONS))
