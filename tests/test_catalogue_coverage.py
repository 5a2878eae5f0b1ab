"""Which gate scenarios carry each fault kind and variant (issue 17): a defect that only one
variant exposes (a stale timestamp, a hung call) is caught only where that variant is, and the
table in docs/catalogue.md that says so is generated, never kept by hand."""

from __future__ import annotations

from pathlib import Path

from seatrial.catalogue import coverage, coverage_table
from seatrial.faults.kinds import FAULT_KINDS
from seatrial.scenario_yaml import load_scenario

CATALOGUE_MD = Path(__file__).resolve().parents[1] / "docs" / "catalogue.md"


def scenario(name: str, faults: str):
    return load_scenario(f"name: {name}\nfaults:\n{faults}", f"{name}.yaml")


def test_coverage_names_the_scenarios_carrying_each_variant_once_each() -> None:
    found = coverage([
        scenario("a", "  - {kind: forged, channel: erp.webhooks, probability: 0.1, "
                      "mode: stale_timestamp}\n"
                      "  - {kind: forged, channel: tms.webhooks, probability: 0.1, "
                      "mode: stale_timestamp}\n"
                      "  - {kind: lost_response, system: tms, probability: 0.1}\n"),
        scenario("b", "  - {kind: outage, system: erp, at: 1h, for: 1h, mode: hang}\n"
                      "  - {kind: lost_response, system: erp, probability: 0.1}\n"
                      "  - {kind: crash, at: 1h}\n"),
    ])
    assert found["forged: stale_timestamp"] == {"a": ["erp.webhooks", "tms.webhooks"]}
    assert found["forged: bad_signature"] == {}
    assert found["outage: hang"] == {"b": ["erp.api"]}
    assert found["outage: http_503"] == {}
    assert found["lost_response"] == {"a": ["tms.api"], "b": ["erp.api"]}
    assert found["crash"] == {"b": []}  # a crash acts on the SUT, on no channel
    assert {row.split(":")[0] for row in found} == set(FAULT_KINDS)  # every kind has its rows
    assert "latency: lognormal" in found and "clock_skew: skew" in found


def test_docs_catalogue_md_shows_the_current_coverage_of_the_gate_suite() -> None:
    table = coverage_table()
    assert table in CATALOGUE_MD.read_text(encoding="utf-8"), (
        "docs/catalogue.md's fault coverage table is not the gate suite's; replace it with "
        "the output of: .venv/bin/python -c 'from seatrial.catalogue import coverage_table; "
        "print(coverage_table(), end=\"\")'\n" + table)
