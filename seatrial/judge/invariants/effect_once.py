"""effect-once: no business effect is committed twice, whatever was redelivered or retried.

Effects and what identifies them: a shipment per order, a delivery task per shipment, a
freight-charge posting per TMS statement, an invoice per order.
"""

from collections import Counter
from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation

NAME = "effect-once"
ORDER = 30  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = None  # the harness's lag cannot fail it (seatrial.judge.inconclusive)
# effect -> (event types that trigger it, calls that commit it): what the evidence shows
EVIDENCE = {
    "shipment": (("order.",), ("tms.",)),
    "delivery task": (("shipment.status",), ("lastmile:/tasks",)),
    "freight-charge posting": (("shipment.charges",), ("erp.post_freight_charges",)),
    "invoice": (("task.updated",), ("erp.release_invoice",)),
}


def duplicates(obs: Observation) -> Iterator[tuple[str, str, str, int]]:
    """(effect, key, order_id, count) for every effect committed more than once."""
    for order_id, shipment_ids in obs.tms.by_order.items():
        if len(shipment_ids) > 1:
            yield "shipment", order_id, order_id, len(shipment_ids)
    for shipment_id, tasks in obs.tasks_by_shipment.items():
        if len(tasks) > 1:
            yield "delivery task", shipment_id, tasks[0].order_id, len(tasks)
    postings = Counter((p.statement_id, p.order_id) for p in obs.erp.charge_postings)
    for (statement_id, order_id), count in postings.items():
        if count > 1:
            yield "freight-charge posting", statement_id, order_id, count
    invoices = Counter(invoice.order_id for invoice in obs.erp.invoices)
    for order_id, count in invoices.items():
        if count > 1:
            yield "invoice", order_id, order_id, count


def check(obs: Observation) -> Iterator[Violation]:
    for effect, key, order_id, count in duplicates(obs):
        yield Violation(NAME, f"{effect} for {key} committed {count} times",
                        {"order_id": order_id, "effect": effect, "key": key},
                        obs.chain(order_id, *EVIDENCE[effect]))
