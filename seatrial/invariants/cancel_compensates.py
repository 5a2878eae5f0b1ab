"""cancel-compensates: a cancelled order is never invoiced, and whatever could still be
stopped when the cancellation happened is cancelled within the converge deadline."""

from collections.abc import Iterator

from seatrial.invariants.observation import Observation, Violation

NAME = "cancel-compensates"


def check(obs: Observation) -> Iterator[Violation]:
    for order in obs.erp.orders.values():
        cancelled = order.cancelled_at
        if cancelled is None:
            continue
        deadline = obs.recovery_deadline(cancelled)
        problems = [f"invoice {inv.id} released after the cancellation"
                    for inv in obs.invoices_by_order.get(order.id, ()) if inv.time >= cancelled]
        for shipment in obs.shipments_of(order.id):
            departed = obs.first_act(shipment.id, "AF")
            if shipment.cancelled_at is None and (departed is None or departed > deadline):
                problems.append(f"shipment {shipment.id} was still cancellable after the "
                                "deadline but was not cancelled")
        for task in obs.tasks_by_order.get(order.id, ()):
            if task.cancelled_at is None and (task.delivered_at is None
                                              or task.delivered_at > deadline):
                problems.append(f"delivery task {task.id} was not cancelled")
        if problems:
            yield Violation(NAME, f"order {order.id} cancelled: " + "; ".join(problems),
                            {"order_id": order.id}, obs.chain(order.id))
