"""charges-reconcile: each final TMS freight statement is posted to the ERP once, to the cent."""

from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation

NAME = "charges-reconcile"
ORDER = 90  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = None  # the harness's lag cannot fail it (seatrial.judge.inconclusive)


def check(obs: Observation) -> Iterator[Violation]:
    posted: dict[str, float] = {}
    for posting in obs.erp.charge_postings:
        posted[posting.statement_id] = posted.get(posting.statement_id, 0.0) + posting.total
    statements = {s.id: s for s in obs.tms.statements}
    for statement in statements.values():
        total = posted.get(statement.id)
        if total is None or abs(total - statement.total) > 0.005:
            found = "never posted" if total is None else f"posted {total:.2f}"
            yield Violation(NAME, f"statement {statement.id} for order {statement.order_id} is "
                            f"{statement.total:.2f} in the TMS but {found} in the ERP",
                            {"order_id": statement.order_id, "statement_id": statement.id},
                            obs.chain(statement.order_id, ("shipment.charges",),
                                      ("erp.post_freight_charges",)))
    for statement_id in posted:
        if statement_id not in statements:
            order_id = next(p.order_id for p in obs.erp.charge_postings
                            if p.statement_id == statement_id)
            yield Violation(NAME, f"ERP holds charges for statement {statement_id}, which the "
                            "TMS never issued", {"order_id": order_id,
                                                 "statement_id": statement_id},
                            obs.chain(order_id))
