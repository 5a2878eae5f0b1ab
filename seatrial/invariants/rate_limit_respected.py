"""rate-limit-respected: after a 429, no request reaches that system before its Retry-After
has passed. The limit is org-wide, so the pause is too: every worker waits, not only the one
that was told.

Live, the ledger sees a request when it reaches the system and a 429 when it leaves, so a
request already on the wire when the 429 left lands inside the pause; the 429 entry carries the
`grace` (simulated seconds of a loopback round trip) during which arrivals count as in flight.
In-process there is no wire and no grace."""

from collections.abc import Iterator

from seatrial.invariants.observation import Observation, Violation

NAME = "rate-limit-respected"


def check(obs: Observation) -> Iterator[Violation]:
    blocked_until: dict[str, float] = {}
    blocked_from: dict[str, float] = {}
    told: dict[str, str] = {}
    reported: set[str] = set()
    for entry in obs.ledger.entries:
        if entry.kind == "response" and entry.data.get("retry_after") is not None:
            until = entry.time + entry.data["retry_after"]
            if until > blocked_until.get(entry.system, 0.0):
                blocked_until[entry.system], told[entry.system] = until, entry.ref
                blocked_from[entry.system] = entry.time + entry.data.get("grace", 0.0)
        elif (entry.kind == "request"
              and blocked_from.get(entry.system, 0.0) <= entry.time
              < blocked_until.get(entry.system, 0.0)
              and entry.system not in reported):
            reported.add(entry.system)
            early = blocked_until[entry.system] - entry.time
            order_id = obs.order_of_call(entry.ref) or ""
            yield Violation(NAME, f"request {entry.ref} to {entry.system} went out {early:.0f}s "
                            f"before the Retry-After of 429 [{told[entry.system]}] had passed",
                            {"order_id": order_id, "system": entry.system, "call": entry.ref},
                            obs.chain(order_id) if order_id else [entry])
