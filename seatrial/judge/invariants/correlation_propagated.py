"""correlation-propagated: every call the SUT makes about an order carries that order's
correlation id (X-Correlation-ID), so one trace follows the order through all three systems."""

from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation

NAME = "correlation-propagated"
ORDER = 130  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = None  # the harness's lag cannot fail it (seatrial.judge.inconclusive)


def check(obs: Observation) -> Iterator[Violation]:
    for order_id, order in obs.erp.orders.items():
        for entry in obs.requests_about(order_id):
            sent = entry.data["correlation_id"]
            if sent != order.correlation_id:
                what = "no X-Correlation-ID" if sent is None else f"X-Correlation-ID {sent!r}"
                yield Violation(NAME, f"{entry.data['method']} {entry.data['path']} for order "
                                f"{order_id} carried {what}, not {order.correlation_id!r}",
                                {"order_id": order_id, "call": entry.ref}, obs.chain(order_id))
                break
