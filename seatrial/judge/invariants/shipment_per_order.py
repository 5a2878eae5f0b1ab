"""shipment-per-order: each released order gets exactly one shipment, and never two; a cancelled
order may have none (or one, cancelled: `cancel-compensates` judges that)."""

from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation

NAME = "shipment-per-order"
ORDER = 10  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = None  # the harness's lag cannot fail it (seatrial.judge.inconclusive)


def check(obs: Observation) -> Iterator[Violation]:
    for order in obs.erp.orders.values():
        shipments = obs.shipments_of(order.id)
        if len(shipments) > 1:
            ids = ", ".join(s.id for s in shipments)
            yield Violation(NAME, f"order {order.id} has {len(shipments)} shipments ({ids}): "
                            "duplicate loads", {"order_id": order.id},
                            obs.chain(order.id, ("order.",), ("tms.",)))
        elif not shipments and order.cancelled_at is None:
            yield Violation(NAME, f"order {order.id} was released but no shipment was created",
                            {"order_id": order.id}, obs.chain(order.id, ("order.",), ("tms.",)))
