"""invoice-once: an order is invoiced at most once."""

from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation

NAME = "invoice-once"
ORDER = 80  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = None  # the harness's lag cannot fail it (seatrial.judge.inconclusive)


def check(obs: Observation) -> Iterator[Violation]:
    for order_id, invoices in obs.invoices_by_order.items():
        if len(invoices) > 1:
            ids = [invoice.id for invoice in invoices]
            yield Violation(NAME, f"order {order_id} was invoiced {len(ids)} times "
                            f"({', '.join(ids)})", {"order_id": order_id},
                            obs.chain(order_id, ("task.updated",), ("erp.release_invoice",)))
