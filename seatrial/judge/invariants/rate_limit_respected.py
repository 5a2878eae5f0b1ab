"""rate-limit-respected: after a 429, no request reaches that system before its Retry-After
has passed. The limit is org-wide, so the pause is too: every worker waits, not only the one
that was told. The 429's entry records `retry_after`, the simulated seconds from the entry to
the moment its header allows, whichever form the header took: delta-seconds, or an HTTP-date
(then the date itself, not a client's reading of it, which may be up to a second later).

Live, the ledger sees a request when it reaches the system and a 429 when it leaves, so a
request already on the wire when the 429 left lands inside the pause. The 429 entry carries
the `grace` (simulated seconds of a loopback round trip) during which arrivals on other
connections count as in flight, and the much shorter `connection_grace` for its own keep-alive
connection (`via`): HTTP/1.1 sends one request at a time there, so the next one on it left
after the 429 had arrived. In-process there is no wire and no grace."""

from collections.abc import Iterator
from typing import NamedTuple

from seatrial.judge.observation import Observation, Violation

NAME = "rate-limit-respected"
ORDER = 150  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = "evidence"  # deadlines: lag near its evidence can break them


class Pause(NamedTuple):
    starts: float  # arrivals from here on must have waited
    until: float
    told: str  # the 429's call ref


def check(obs: Observation) -> Iterator[Violation]:
    pauses: dict[tuple[str, str | None], Pause] = {}  # (system, connection or None for any)
    via_of: dict[str, str] = {}
    reported: set[str] = set()
    for entry in obs.ledger.entries:
        data = entry.data
        if entry.kind == "response" and data.get("retry_after") is not None:
            until = entry.time + data["retry_after"]
            _extend(pauses, (entry.system, None),
                    Pause(entry.time + data.get("grace", 0.0), until, entry.ref))
            if entry.ref in via_of:
                _extend(pauses, (entry.system, via_of[entry.ref]),
                        Pause(entry.time + data.get("connection_grace", 0.0), until, entry.ref))
        elif entry.kind == "request":
            via = data.get("via")
            if via is not None:
                via_of[entry.ref] = via
            if entry.system in reported:
                continue
            pause = next((p for p in (pauses.get((entry.system, None)),
                                      pauses.get((entry.system, via)) if via else None)
                          if p is not None and p.starts <= entry.time < p.until), None)
            if pause is None:
                continue
            reported.add(entry.system)
            order_id = obs.order_of_call(entry.ref) or ""
            early = pause.until - entry.time  # tenths under 10 s: "0s before" says nothing
            yield Violation(NAME, f"request {entry.ref} to {entry.system} went out "
                            f"{early:.{0 if early >= 10 else 1}f}s before the Retry-After of "
                            f"429 [{pause.told}] had passed",
                            {"order_id": order_id, "system": entry.system, "call": entry.ref},
                            obs.chain(order_id) if order_id else [entry])


def _extend(pauses: dict[tuple[str, str | None], Pause], key: tuple[str, str | None],
            pause: Pause) -> None:
    """The pause that ends last holds (an earlier 429's shorter wait is covered by it)."""
    if key not in pauses or pause.until > pauses[key].until:
        pauses[key] = pause
