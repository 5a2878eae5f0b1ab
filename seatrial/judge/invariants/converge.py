"""converge: the ERP agrees with what the TMS and last-mile recorded, within the deadline.

For every order not cancelled: the ERP shows the furthest actual stage and the shipment id, a
delivered order is invoiced, and a parcel goes to the address the ERP holds; each by
`expect.converge_within` after the fact (counted from the end of any windowed fault in the way).
"""

from collections.abc import Iterator

from seatrial.judge.flows import milestones_of
from seatrial.judge.observation import Observation, Violation
from seatrial.model.vocabulary import RANK

NAME = "converge"
ORDER = 110  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = "evidence"  # deadlines: lag near its evidence can break them


def disagreements(obs: Observation) -> list[tuple[str, str]]:
    """(order_id, what disagrees) for every order the systems do not agree on in time: read by
    this check, poison-isolated and the KPIs, so computed once (`Observation.shared`)."""
    return obs.shared(_disagreements)


def _disagreements(obs: Observation) -> list[tuple[str, str]]:
    return list(_each_disagreement(obs))


def _each_disagreement(obs: Observation) -> Iterator[tuple[str, str]]:
    for order in obs.erp.orders.values():
        if order.cancelled_at is not None:
            continue
        milestones = milestones_of(obs, order.id)
        shipments = obs.shipments_of(order.id)
        if shipments and order.shipment_id not in {s.id for s in shipments}:
            yield order.id, f"ERP shows shipment {order.shipment_id}, TMS has " \
                            f"{', '.join(s.id for s in shipments)}"
            continue
        if shipments:  # a created shipment is the PLN stage, whatever the carrier says yet
            milestones = [*milestones, (shipments[0].created_at, "PLN")]
        if not milestones:
            continue
        # the furthest stage, from the moment the source systems first reached it
        truth_time, truth = max(milestones, key=lambda m: (RANK[m[1]], -m[0]))
        deadline = obs.recovery_deadline(truth_time)
        if order.status != truth:
            yield order.id, f"ERP status {order.status}, source systems say {truth}"
            continue
        writes = obs.writes_by_order.get(order.id, [])
        settled = next((w.time for w in writes if w.status == truth), None)
        if settled is not None and settled > deadline:
            yield order.id, (f"ERP reached {truth} {(settled - truth_time) / 60:.0f} min after "
                             "the fact, past the converge deadline")
            continue
        if truth == "DLV" and order.changed_at is not None:
            late = [t for t in obs.tasks_by_order.get(order.id, ())
                    if t.delivered_at is not None and t.delivered_to != order.ship_to
                    and t.delivered_at > obs.recovery_deadline(order.changed_at)]
            if late:
                yield order.id, (f"task {late[0].id} delivered to the old address after the "
                                 "ERP changed it")
                continue
        if truth == "DLV":
            invoiced = [i.time for i in obs.invoices_by_order.get(order.id, ())]
            if not invoiced:
                yield order.id, "delivered with POD but never invoiced"
            elif min(invoiced) > deadline:
                yield order.id, "invoice released past the converge deadline"


def check(obs: Observation) -> Iterator[Violation]:
    for order_id, what in disagreements(obs):
        yield Violation(NAME, f"order {order_id} did not converge: {what}",
                        {"order_id": order_id}, obs.chain(order_id))
