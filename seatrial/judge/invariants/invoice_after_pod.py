"""invoice-after-POD: an invoice is released only once delivery was completed with proof."""

from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation

NAME = "invoice-after-POD"
ORDER = 70  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = None  # the harness's lag cannot fail it (seatrial.judge.inconclusive)


def check(obs: Observation) -> Iterator[Violation]:
    for invoice in obs.erp.invoices:
        delivered = [t.delivered_at for t in obs.tasks_by_order.get(invoice.order_id, ())
                     if t.delivered_at is not None and t.pod]
        if not delivered or min(delivered) > invoice.time:
            when = "before proof of delivery" if delivered else "without any proof of delivery"
            yield Violation(NAME, f"invoice {invoice.id} for order {invoice.order_id} was "
                            f"released {when}", {"order_id": invoice.order_id,
                                                 "invoice_id": invoice.id},
                            obs.chain(invoice.order_id, ("task.updated",),
                                      ("erp.release_invoice",)))
