"""Seeded order generation: faker-made customers and addresses, realistic order lines."""

from __future__ import annotations

import random

from faker import Faker

from seatrial.simulators.erp.core import Customer, Order

CATALOGUE_SIZE = 400
REPEAT_CUSTOMER_SHARE = 0.6
CUSTOMER_POOL = 600  # past this, customers reorder: faker is the costliest call of a run


class OrderFactory:
    """Makes the ERP's customers and orders; all randomness from the scenario seed."""

    def __init__(self, seed: int, lines_per_order: tuple[int, int]) -> None:
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.rng = random.Random(f"{seed}:workload")
        self.lines_per_order = lines_per_order
        self.customers: list[Customer] = []
        self.count = 0
        self.skus = [(f"SKU-{n:05d}", round(self.rng.uniform(4.0, 240.0), 2))
                     for n in range(CATALOGUE_SIZE)]

    def _customer(self) -> tuple[Customer, bool]:
        if self.customers and (len(self.customers) >= CUSTOMER_POOL
                               or self.rng.random() < REPEAT_CUSTOMER_SHARE):
            return self.rng.choice(self.customers), False
        fake = self.fake
        customer = Customer(
            id=f"C-{len(self.customers) + 1:05d}",
            name=fake.name(),
            email=fake.email(),
            address=self.new_address(),
        )
        self.customers.append(customer)
        return customer, True

    def new_address(self) -> dict[str, str]:
        fake = self.fake
        return {"street": fake.street_address(), "city": fake.city(),
                "postcode": fake.postcode(), "country": "GB"}

    def next_order(self, now: float) -> tuple[Order, Customer, bool]:
        """The next order, its customer, and whether that customer is new."""
        customer, new = self._customer()
        self.count += 1
        lines = []
        for number in range(1, self.rng.randint(*self.lines_per_order) + 1):
            sku, price = self.rng.choice(self.skus)
            lines.append({"line": number, "sku": sku, "quantity": self.rng.randint(1, 6),
                          "unit_price": price})
        value = round(sum(line["quantity"] * line["unit_price"] for line in lines), 2)
        order_id = f"SO-{self.count:06d}"
        order = Order(order_id, customer.id, lines, value, "GBP", dict(customer.address),
                      f"corr-{order_id}", now)
        return order, customer, new
