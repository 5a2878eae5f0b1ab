"""latency-slo: each business flow meets the percentile targets the scenario sets.

The message names the slowest flow and its longest step: the longest stretch between two of
its order's messages (or the flow's start or end) while it ran, so a reader sees at once
whether the time went before the SUT was told (a delivery failing and retried) or after (the
SUT sitting on what it was told)."""

from collections.abc import Iterator
from itertools import pairwise

from seatrial.judge.flows import Sample, measure, percentile
from seatrial.judge.observation import Observation, Violation
from seatrial.ledger import Entry

NAME = "latency-slo"
ORDER = 170  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = "run"  # a figure over the whole run: lag anywhere in it moves it


def check(obs: Observation) -> Iterator[Violation]:
    slo = obs.scenario.expect.slo
    if not slo:
        return
    flows = obs.shared(measure)
    for key, limit in slo.items():
        flow, _, p = key.rpartition("_")
        samples = getattr(flows, flow)
        value = percentile([s.seconds for s in samples], float(p[1:]))
        if value is not None and value > limit:
            worst = max(samples, key=lambda s: s.seconds)
            sentence, ends = longest_step(obs, worst)
            yield Violation(NAME, f"{key} is {value / 60:.1f} min, over the {limit / 60:g} min "
                            f"target (slowest: order {worst.order_id}, "
                            f"{worst.seconds / 60:.1f} min; {sentence})",
                            {"slo": key, "order_id": worst.order_id},
                            obs.chain(worst.order_id, keep=ends),
                            focus=frozenset(entry.seq for entry in ends))


def longest_step(obs: Observation, flow: Sample) -> tuple[str, tuple[Entry, ...]]:
    """The longest stretch of `flow` between two consecutive points (its start, the order's
    messages while it ran, its end), said in words, and the messages at its ends: what the
    evidence must show however long the order's chain."""
    end = flow.at + flow.seconds
    points: list[tuple[float, str, Entry | None]] = [
        (flow.at, "the flow began", None),
        *((entry.time, obs.describe(entry), entry) for entry in obs.messages(flow.order_id)
          if flow.at <= entry.time <= end),
        (end, "the flow ended", None)]
    (start, before, first), (stop, after, last) = max(
        pairwise(points), key=lambda pair: pair[1][0] - pair[0][0])
    return (f"its longest step, {(stop - start) / 60:.1f} min, from {before!r} to {after!r}",
            tuple(entry for entry in (first, last) if entry is not None))
