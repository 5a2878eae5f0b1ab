"""x12-acknowledged, the x12 dialect's own check: judged only where the TMS speaks x12; a SUT
that reads every file and sends no 997 is caught by it and by nothing else, the reference is
not; a group read too near the end is not owed yet."""

from __future__ import annotations

from dataclasses import replace

import pytest

from seatrial.catalogue import gate_suite
from seatrial.judge.verdict import selected_invariants
from seatrial.run import observe, play
from seatrial.scenario_yaml import load_scenario_file
from seatrial.simulators.tms.dialects.x12 import acknowledged
from seatrial.targets import resolve

X12_HAPPY = "scenarios/x12-happy-path.yaml"


def test_judged_only_where_the_tms_speaks_x12():
    assert acknowledged.NAME in selected_invariants(load_scenario_file(X12_HAPPY))
    canonical = next(s for s in gate_suite() if s.name == "happy-path")
    assert acknowledged.NAME not in selected_invariants(canonical)
    named = canonical.model_copy(update={"expect": canonical.expect.model_copy(
        update={"invariants": (acknowledged.NAME,)})})
    with pytest.raises(ValueError, match="unknown invariant 'x12-acknowledged'; known here"):
        selected_invariants(named)


@pytest.fixture(scope="module")
def runs():
    scenario = load_scenario_file(X12_HAPPY)
    return {target: observe(*play(scenario, resolve(target)))
            for target in ("reference", "faulty-x12-no-997")}


def test_a_sut_that_sends_no_997_is_caught_by_it_alone_the_reference_is_not(runs):
    assert list(acknowledged.check(runs["reference"])) == []
    found = list(acknowledged.check(runs["faulty-x12-no-997"]))
    assert found and all("never acknowledged: no 997" in v.message for v in found)
    assert {v.keys["group"].split()[0] for v in found} >= {"GF", "QM", "IM"}  # 990, 214, 210
    read = found[0].evidence[0]
    assert read.kind == "response" and read.data["content"].startswith("ISA")


def test_a_group_read_within_the_deadline_of_the_end_is_not_owed_yet(runs):
    faulty = runs["faulty-x12-no-997"]
    within = faulty.scenario.expect.converge_within
    owed = {v.keys["group"] for v in acknowledged.check(faulty)}
    cut = replace(faulty, end_time=faulty.end_time / 2)
    early = {v.keys["group"] for v in acknowledged.check(cut)}
    assert early and early < owed
    assert all(v.evidence[0].time + within <= cut.end_time for v in acknowledged.check(cut))
