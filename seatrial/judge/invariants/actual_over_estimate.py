"""actual-over-estimate: an estimate (EST/PLN) never changes the ERP status; only actuals do."""

from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation

NAME = "actual-over-estimate"
ORDER = 60  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = None  # the harness's lag cannot fail it (seatrial.judge.inconclusive)


def check(obs: Observation) -> Iterator[Violation]:
    for order_id, writes in obs.writes_by_order.items():
        for write in writes:
            if write.classifier != "ACT" and write.status != write.previous:
                yield Violation(
                    NAME, f"order {order_id}: a {write.classifier} (estimate) write moved the "
                    f"ERP status from {write.previous} to {write.status}",
                    {"order_id": order_id},
                    obs.chain(order_id, ("shipment.status", "task.updated"),
                              ("erp.write_logistics_status",)))
                break
