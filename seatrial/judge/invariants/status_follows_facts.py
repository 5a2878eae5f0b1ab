"""status-follows-facts: every actual status the SUT writes to the ERP was already true in the
source systems when it wrote it.

The facts come from the simulators' own records, never from the SUT's messages: the TMS's
actual milestones and shipments, the last-mile platform's attempts, deliveries and returns
(`milestones_of`). A stage is backed by a fact at or past it (the ERP may skip stages the
source reported out of order); an ending only by itself, since a return is no delivery.
Estimates are `actual-over-estimate`'s business: here only writes the SUT calls actual.

This is what catches a status written from a forecast: "delivered" on an ETA shows hours
before the parcel is at the door, and is caught by the other checks only when the delivery
then fails and the order ends another way.
"""

from collections.abc import Iterator

from seatrial.judge.flows import milestones_of
from seatrial.judge.observation import Observation, Violation
from seatrial.model.vocabulary import ERP_STATUS_NAMES, ERP_TERMINAL, RANK

NAME = "status-follows-facts"
ORDER = 65  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = None  # the harness's lag cannot fail it (seatrial.judge.inconclusive)


def backed(status: str, facts: list[tuple[float, str]], when: float) -> bool:
    """Whether a source fact at or before `when` makes `status` true."""
    if status in ERP_TERMINAL:
        return any(t <= when and stage == status for t, stage in facts)
    return any(t <= when and RANK[stage] >= RANK[status] for t, stage in facts)


def check(obs: Observation) -> Iterator[Violation]:
    for order_id, writes in obs.writes_by_order.items():
        facts = [*milestones_of(obs, order_id),
                 *((shipment.created_at, "PLN") for shipment in obs.shipments_of(order_id))]
        for write in writes:
            if write.classifier != "ACT" or write.status not in RANK:
                continue
            if not backed(write.status, facts, write.time):
                later = min((t for t, stage in facts if stage == write.status), default=None)
                when = (f"; the source systems reached it {(later - write.time) / 60:.0f} min "
                        "later" if later is not None else "; the source systems never did")
                yield Violation(
                    NAME, f"order {order_id}: the ERP was told {write.status} "
                    f"({ERP_STATUS_NAMES[write.status]}) as an actual before any source system "
                    f"recorded it{when}", {"order_id": order_id},
                    obs.chain(order_id, ("shipment.status", "task.updated"),
                              ("erp.write_logistics_status",)))
                break
