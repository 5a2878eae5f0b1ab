"""signed-only: a webhook not signed by its source (bad or missing signature, stale
timestamp) is refused and has no effect. (One that found the SUT down, connection refused,
was never seen by it and proves nothing either way.)"""

from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation

NAME = "signed-only"
ORDER = 160  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = None  # the harness's lag cannot fail it (seatrial.judge.inconclusive)


def check(obs: Observation) -> Iterator[Violation]:
    suspects = {e.ref for e in obs.of_kind("deliver") if "forged" in e.data}
    if not suspects:
        return
    # what became of the forged events' deliveries, in ledger order: all the loop reads
    story = sorted((e for kind in ("deliver", "ack", "nack") for e in obs.of_kind(kind)
                    if e.ref in suspects), key=lambda e: e.seq)
    forged: dict[str, str] = {}
    for entry in story:
        if entry.kind == "deliver" and "forged" in entry.data:
            forged[entry.ref] = entry.data["forged"]
        elif (entry.kind in ("ack", "nack") and entry.ref in forged
              and not entry.data.get("error", "").startswith("connection refused")):
            how = forged.pop(entry.ref)
            order_id = entry.order_id or ""
            yield Violation(NAME, f"forged webhook {entry.ref} ({how.replace('_', ' ')}) was "
                            "accepted, not refused", {"order_id": order_id, "event_id": entry.ref},
                            obs.chain(order_id) if order_id else [entry])
