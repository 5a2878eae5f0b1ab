"""latency-slo: each business flow meets the percentile targets the scenario sets."""

from collections.abc import Iterator

from seatrial.judge.flows import measure, percentile
from seatrial.judge.observation import Observation, Violation

NAME = "latency-slo"
ORDER = 170  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = "run"  # a figure over the whole run: lag anywhere in it moves it


def check(obs: Observation) -> Iterator[Violation]:
    slo = obs.scenario.expect.slo
    if not slo:
        return
    flows = measure(obs)
    for key, limit in slo.items():
        flow, _, p = key.rpartition("_")
        samples = getattr(flows, flow)
        value = percentile([s.seconds for s in samples], float(p[1:]))
        if value is not None and value > limit:
            worst = max(samples, key=lambda s: s.seconds)
            yield Violation(NAME, f"{key} is {value / 60:.1f} min, over the {limit / 60:g} min "
                            f"target (slowest: order {worst.order_id}, "
                            f"{worst.seconds / 60:.1f} min)",
                            {"slo": key, "order_id": worst.order_id}, obs.chain(worst.order_id))
