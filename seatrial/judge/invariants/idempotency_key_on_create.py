"""idempotency-key-on-create: every create (shipment, delivery task) carries an
Idempotency-Key, the only thing that makes a retry after a lost response safe."""

from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation

NAME = "idempotency-key-on-create"
ORDER = 140  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = None  # the harness's lag cannot fail it (seatrial.judge.inconclusive)
CREATES = ("tms.create_shipment", "lastmile.create_task")  # canonical operations


def check(obs: Observation) -> Iterator[Violation]:
    reported: set[str] = set()
    for order_id in obs.erp.orders:
        for entry in obs.requests_about(order_id):
            data = entry.data
            if (data["operation"] in CREATES and not data["idempotency_key"]
                    and order_id not in reported):
                reported.add(order_id)
                yield Violation(NAME, f"POST {data['path']} to {entry.system} for order "
                                f"{order_id} had no Idempotency-Key",
                                {"order_id": order_id, "call": entry.ref},
                                obs.chain(order_id, ("order.", "shipment.status"),
                                          ("tms.", "lastmile.")))
