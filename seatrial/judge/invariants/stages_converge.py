"""stages-converge: every stage an order reached in the source systems reaches the ERP in time,
not only the last one.

`converge` judges where an order ends; this judges the way there. For every order not
cancelled, each stage the TMS or the last-mile platform recorded as an actual (their own
records, `milestones_of`) must show in the ERP, as itself or a later stage, by
`expect.converge_within` after it happened (counted from the end of any windowed fault in the
way, as `converge` counts). An implementation that drops intermediate milestones, say one that
compares a carrier's local times with zoned ones and takes the newer for stale, still gets the
final stage right; here the ERP showing "picked up" while the goods are in transit for hours
is a violation.
"""

from collections.abc import Iterator

from seatrial.judge.flows import milestones_of
from seatrial.judge.observation import Observation, Violation
from seatrial.model.vocabulary import ERP_STATUS_NAMES, RANK

NAME = "stages-converge"
ORDER = 115  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = "evidence"  # deadlines: lag near its evidence can break them


def late_stages(obs: Observation, order_id: str) -> Iterator[tuple[str, float, float | None]]:
    """(stage, when the sources reached it, when the ERP first showed it or a later stage, or
    None) for each stage the ERP showed past its deadline or never."""
    writes = obs.writes_by_order.get(order_id, ())
    reached = -1
    for when, stage in milestones_of(obs, order_id):
        if RANK[stage] <= reached:
            continue
        reached = RANK[stage]
        shown = next((w.time for w in writes if RANK.get(w.status, -1) >= reached), None)
        if shown is None or shown > obs.recovery_deadline(when):
            yield stage, when, shown


def check(obs: Observation) -> Iterator[Violation]:
    for order in obs.erp.orders.values():
        if order.cancelled_at is not None:
            continue
        for stage, when, shown in late_stages(obs, order.id):
            lag = ("never" if shown is None
                   else f"only {(shown - when) / 60:.0f} min after the fact, past the deadline")
            yield Violation(
                NAME, f"order {order.id}: the source systems reached {stage} "
                f"({ERP_STATUS_NAMES[stage]}) and the ERP showed it {lag}",
                {"order_id": order.id},
                obs.chain(order.id, ("shipment.status", "task.updated"),
                          ("erp.write_logistics_status",)))
            break
