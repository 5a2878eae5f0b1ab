"""terminal-sticky: once the ERP shows an ending (delivered, returned), nothing changes it."""

from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation
from seatrial.model.vocabulary import ERP_TERMINAL

NAME = "terminal-sticky"
ORDER = 50  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = None  # the harness's lag cannot fail it (seatrial.judge.inconclusive)


def check(obs: Observation) -> Iterator[Violation]:
    for order_id, writes in obs.writes_by_order.items():
        ending = None
        for write in writes:
            if ending is not None and write.status != ending:
                yield Violation(NAME, f"order {order_id}: ERP status changed from {ending} to "
                                f"{write.status} after the order had ended",
                                {"order_id": order_id},
                                obs.chain(order_id, ("shipment.", "task."),
                                          ("erp.write_logistics_status",)))
                break
            if write.status in ERP_TERMINAL:
                ending = write.status
