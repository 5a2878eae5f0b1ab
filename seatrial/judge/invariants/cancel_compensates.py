"""cancel-compensates: once the SUT has acknowledged a cancellation it never tries to invoice
the order, and whatever could still be stopped when the cancellation happened is cancelled
within the converge deadline.

The invoice clause counts from the SUT's acknowledgement, not the ERP's decision: while a
cancellation is still on its way (the ERP down, the webhook late) the SUT cannot know of it.
It does not depend on time, so it is its own violation, never inconclusive; the deadline
clause does (live, a harness that fell behind can make a SUT miss it).
"""

from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation

NAME = "cancel-compensates"
ORDER = 100  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = "evidence"  # the deadline clause; the invoice clause is never timed


def check(obs: Observation) -> Iterator[Violation]:
    for order in obs.erp.orders.values():
        cancelled = order.cancelled_at
        if cancelled is None:
            continue
        deadline = obs.recovery_deadline(cancelled)
        told = obs.first_ack(order.id, "order.cancelled")
        invoiced = [] if told is None else [
            e for e in obs.requests_about(order.id)
            if e.data["operation"] == "erp.release_invoice" and e.time > told][:1]
        for e in invoiced:
            yield Violation(NAME, f"order {order.id} cancelled: {e.data['method']} "
                            f"{e.data['path']} [{e.ref}] after the SUT had acknowledged the "
                            "cancellation", {"order_id": order.id}, obs.chain(order.id),
                            timed=False)
        problems = []
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
