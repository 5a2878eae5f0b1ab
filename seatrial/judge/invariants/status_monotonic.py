"""status-monotonic: the ERP's logistics status never moves backwards in the lifecycle."""

from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation
from seatrial.model.vocabulary import ERP_STATUS_NAMES, RANK

NAME = "status-monotonic"
ORDER = 40  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = None  # the harness's lag cannot fail it (seatrial.judge.inconclusive)


def check(obs: Observation) -> Iterator[Violation]:
    for order_id, writes in obs.writes_by_order.items():
        highest = None
        for write in writes:
            if highest is not None and RANK[write.status] < RANK[highest]:
                yield Violation(
                    NAME, f"order {order_id}: ERP status went back from {highest} "
                    f"({ERP_STATUS_NAMES[highest]}) to {write.status} "
                    f"({ERP_STATUS_NAMES[write.status]})",
                    {"order_id": order_id},
                    obs.chain(order_id, ("shipment.status", "task.updated"),
                              ("erp.write_logistics_status",)))
                break
            if highest is None or RANK[write.status] > RANK[highest]:
                highest = write.status
