"""poison-isolated: a malformed message is answered 2xx and parked (any other answer but 401
or 403 is a failed delivery, as Standard Webhooks counts one: the source retries it and counts
failures against the subscription), and the order it names still converges: it neither blocks
that order nor moves its status.

A delivery that failed while the SUT was down (between a crash and its restart, as the ledger's
`crash` entries say) is no answer of the SUT's: the source retries it as it would any other.
"""

from collections.abc import Iterator

from seatrial.judge.invariants import converge
from seatrial.judge.observation import Observation, Violation

NAME = "poison-isolated"
ORDER = 120  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = "evidence"  # deadlines: lag near its evidence can break them


def check(obs: Observation) -> Iterator[Violation]:
    poisoned = {e.ref: e.order_id for e in obs.of_kind("fault")
                if e.data.get("fault") == "poison"}
    if not poisoned:
        return
    down = [(e.time, e.time + e.data["restart_after"]) for e in obs.of_kind("crash")
            if "restart_after" in e.data]
    failed = {e.ref for e in obs.of_kind("nack") if e.ref in poisoned
              and not any(start <= e.time <= end for start, end in down)}
    stuck = {order for order, _ in converge.disagreements(obs)}
    reported: set[str] = set()
    for ref, order_id in poisoned.items():
        if order_id in reported:
            continue
        problems = []
        if ref in failed:
            problems.append(f"poison message {ref} was failed (answered neither 2xx nor "
                            "401/403), so the source keeps redelivering it")
        if order_id in stuck:
            problems.append(f"order {order_id} did not converge after poison message {ref}")
        if problems:
            reported.add(order_id)
            yield Violation(NAME, "; ".join(problems), {"order_id": order_id, "event_id": ref},
                            obs.chain(order_id))
