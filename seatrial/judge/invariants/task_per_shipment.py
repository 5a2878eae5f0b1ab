"""task-per-shipment: a shipment that reached the hub gets exactly one delivery task."""

from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation

NAME = "task-per-shipment"
ORDER = 20  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = None  # the harness's lag cannot fail it (seatrial.judge.inconclusive)


def check(obs: Observation) -> Iterator[Violation]:
    for shipment in obs.tms.shipments.values():
        tasks = obs.tasks_by_shipment.get(shipment.id, [])
        keys = {"order_id": shipment.order_id, "shipment_id": shipment.id}
        if len(tasks) > 1:
            ids = ", ".join(t.id for t in tasks)
            yield Violation(NAME, f"shipment {shipment.id} has {len(tasks)} delivery tasks "
                            f"({ids})", keys, _chain(obs, shipment.order_id))
            continue
        order = obs.erp.orders.get(shipment.order_id)
        cancelled = order is not None and order.cancelled_at is not None
        if not tasks and obs.first_act(shipment.id, "X4") is not None and not cancelled:
            yield Violation(NAME, f"shipment {shipment.id} reached the hub but no delivery task "
                            "was created", keys, _chain(obs, shipment.order_id))


def _chain(obs: Observation, order_id: str) -> list:
    return obs.chain(order_id, ("shipment.status",), ("lastmile.",))
