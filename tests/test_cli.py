"""The CLI: exit codes, reports, errors that name the problem."""

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from seatrial.catalogue import gate_suite
from seatrial.cli import main
from seatrial.judge.invariants import NAMES


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_list_shows_catalogue_and_gate_marks():
    result = invoke("list")
    assert result.exit_code == 0
    assert "* happy-path" in result.output
    assert "  peak-day" in result.output


@pytest.mark.slow  # make test: test_catalogue_reach judges these 110 runs; the plan, below
def test_reference_passes_the_whole_gate_suite_on_five_seeds(tmp_path):
    report = tmp_path / "gate.json"
    result = invoke("run", "--target", "reference", "--seeds", "5", "--json", str(report))
    document = json.loads(report.read_text())
    failures = [(r["scenario"], r["seed"], r["violated"]) for r in document["runs"]
                if not r["passed"]]
    assert failures == []
    assert result.exit_code == 0
    assert len(document["runs"]) == len(gate_suite()) * 5


def test_run_without_scenarios_plays_the_gate_suite_on_each_seed(tmp_path):
    """The plan of `seatrial run --seeds 5` (the whole gate suite, each scenario on its own seed
    and the 4 after), of which a shard is played: every run the reference's and held."""
    report = tmp_path / "gate.json"
    planned = [(s.name, s.seed + i) for s in gate_suite() for i in range(5)]
    shard = 38  # three runs: none of them long-day
    result = invoke("run", "--target", "reference", "--seeds", "5", "--shard", f"1/{shard}",
                    "--json", str(report))
    document = json.loads(report.read_text())
    assert [(r["scenario"], r["seed"]) for r in document["runs"]] == planned[::shard]
    assert [r["violated"] for r in document["runs"] if not r["passed"]] == []
    assert result.exit_code == 0


def test_naive_fails_with_exit_1_and_writes_reports(tmp_path):
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    result = invoke("run", "tms-outage", "--target", "naive", "--json", str(report),
                    "--junit", str(junit))
    assert result.exit_code == 1
    run = json.loads(report.read_text())["runs"][0]
    for key in ("scenario", "seed", "target", "ledger_hash", "messages", "sim_seconds",
                "wall_seconds", "violations", "kpis"):
        assert key in run
    assert run["target"] == "naive" and run["violations"][0]["invariant"] in NAMES
    for kpi in ("order_to_shipment", "milestone_to_erp_lag", "pod_to_invoice_lag",
                "duplicate_side_effects", "orders_not_converged"):
        assert kpi in run["kpis"]
    assert run["kpis"]["duplicate_side_effects"] > 0
    suite = ET.parse(junit).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == list(NAMES)
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == set(run["violated"])
    assert suite.get("failures") == str(len(failed))


def test_seed_option_fixes_the_seed(tmp_path):
    report = tmp_path / "r.json"
    invoke("run", "happy-path", "-t", "reference", "--seed", "42", "--json", str(report))
    assert json.loads(report.read_text())["runs"][0]["seed"] == 42


@pytest.mark.parametrize(("args", "message"), [
    (("run", "--target", "nonsense"), "unknown target"),
    (("run", "--target", "no_such_module:Sync"), "cannot import module 'no_such_module'"),
    (("run", "--target", "collections:OrderedDict"), "not a seatrial.sdk.SyncImplementation"),
    (("run", "--target", "json:dumps"), "it must build with no arguments"),
    (("run", "no-such-scenario", "--target", "reference"), "unknown scenario 'no-such-scenario'"),
    (("run", "--target", "reference", "--seed", "1", "--seeds", "2"), "not both"),
    (("run", "--target", "reference", "--seeds", "0"), "--seeds"),
    (("run", "--target", "reference", "--json", "/no/such/dir/r.json"), "does not exist"),
    (("show", "missing.yaml"), "no such scenario file"),
])
def test_bad_input_exits_2_with_a_message(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_malformed_scenario_file_names_line_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: broken\nseed: 3\nfaults:\n  - {kind: outage, system: wms, for: 1h}\n")
    result = invoke("run", str(bad), "--target", "reference")
    assert result.exit_code == 2
    assert f"{bad}:4: faults[0].system" in result.output


def test_own_sync_implementation_by_module_path(tmp_path, monkeypatch):
    (tmp_path / "my_sync.py").write_text(
        "from seatrial.sync_implementations.reference import ReferenceSync\n"
        "class MySync(ReferenceSync):\n    name = 'mine'\n")
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "happy-path", "--target", "my_sync:MySync", "--jobs", "1")
    assert result.exit_code == 0, result.output


def test_shards_cover_every_run_once(tmp_path):
    """--shard I/N: a CI matrix of N machines runs each scenario x seed exactly once."""
    runs = []
    for index in (1, 2, 3):
        report = tmp_path / f"shard{index}.json"
        result = CliRunner().invoke(main, ["run", "happy-path", "duplicate-webhooks", "--target",
                                           "reference", "--seeds", "2", "--jobs", "1",
                                           "--shard", f"{index}/3", "--json", str(report)])
        assert result.exit_code == 0, result.output
        runs += [(r["scenario"], r["seed"]) for r in json.loads(report.read_text())["runs"]]
    assert sorted(runs) == sorted({(r, s) for r, s in runs})  # no run twice
    assert len(runs) == 4  # 2 scenarios x 2 seeds


@pytest.mark.parametrize("shard", ["0/3", "4/3", "two/3", "1"])
def test_a_bad_shard_exits_2(shard):
    result = CliRunner().invoke(main, ["run", "happy-path", "--target", "reference",
                                       "--shard", shard])
    assert result.exit_code == 2 and f"--shard {shard}: write I/N" in result.output
