"""Project config (issue 21): `seatrial.toml` or pyproject.toml's [tool.seatrial] gives
`seatrial run` its defaults, a flag wins over them, `seatrial config` shows them with their
source, and a setting that cannot be used is exit 2 naming the file, the key and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from seatrial.cli import main

DOUBLED = ("name: doubled\nseed: 1\nduration: 20m\nworkload: {orders_per_hour: 60, "
           "cancel_rate: 0}\nfaults:\n  - {kind: duplicate, channel: erp.webhooks, "
           "probability: 1.0, copies: [2, 2], within: 1s}\n")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "doubled.yaml").write_text(DOUBLED)
    (tmp_path / "reports").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "team"\n\n[tool.seatrial]\ntarget = "naive"\n'
        'scenarios = ["scenarios/"]\nseeds = 2\njson = "reports/run.json"\n')
    (tmp_path / "src").mkdir()
    monkeypatch.chdir(tmp_path / "src")  # the nearest config above is found
    return tmp_path


def test_run_takes_its_defaults_from_the_project(project: Path):
    done = CliRunner().invoke(main, ["run"])
    assert done.exit_code == 1, done.output  # naive is caught
    runs = json.loads((project / "reports" / "run.json").read_text())["runs"]
    assert [(run["scenario"], run["seed"], run["target"]) for run in runs] == [
        ("doubled", 1, "naive"), ("doubled", 2, "naive")]


def test_a_flag_wins_over_the_project(project: Path):
    done = CliRunner().invoke(main, ["run", "--target", "reference", "--seed", "1"])
    assert done.exit_code == 0, done.output
    runs = json.loads((project / "reports" / "run.json").read_text())["runs"]
    assert [(run["seed"], run["target"]) for run in runs] == [(1, "reference")]


def test_config_prints_the_settings_and_their_source(project: Path):
    done = CliRunner().invoke(main, ["config"])
    assert done.exit_code == 0, done.output
    assert f"# from {project / 'pyproject.toml'} [tool.seatrial]" in done.output
    assert 'target = "naive"' in done.output
    assert 'scenarios = ["scenarios/"]' in done.output
    assert "# target-cmd: seatrial run's default" in done.output


@pytest.mark.parametrize(("line", "says"), [
    ("colour = 1", "unknown setting 'colour'; the settings are target, target-cmd"),
    ('seeds = "five"', "seeds = 'five': write how many seeds each scenario runs with"),
    ('scenarios = "happy-path"', "write a list of catalogue names"),
    ('target-cmd = "node x.js"', "give target or target-cmd, not both"),
    ("dialects = { lastmile = 1 }", "write a table of system to dialect"),
    ('thresholds = { order_to_shipment_p95 = "soon" }',
     "thresholds: order_to_shipment_p95: 'soon' is not a duration; write e.g."),
    ('thresholds = { speed = "1h" }', "thresholds: unknown threshold 'speed'; the thresholds "
     "are converge_within, order_to_shipment_p50"),
    ('thresholds = { converge_within = "0s" }', "converge_within: a threshold must be longer "
     "than 0"),
    ('thresholds = "45m"', "write a table of threshold to duration"),
])
def test_a_setting_that_cannot_be_used_is_exit_2_naming_it(project: Path, line: str,
                                                           says: str):
    config = project / "pyproject.toml"
    key = line.split(" = ")[0]
    kept = [old for old in config.read_text().splitlines() if not old.startswith(f"{key} = ")]
    config.write_text("\n".join([*kept, line]) + "\n")
    done = CliRunner().invoke(main, ["run"])
    assert done.exit_code == 2
    assert f"{config} [tool.seatrial]" in done.output and says in done.output, done.output


def test_a_seatrial_toml_beside_is_used_and_other_commands_ignore_the_config(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "seatrial.toml").write_text('scenarios = ["empty/"]\n')
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["run"])
    assert done.exit_code == 2 and "the folder 'empty/' holds no .yaml or .yml file" in \
        done.output
    assert CliRunner().invoke(main, ["list"]).exit_code == 0


def test_no_config_leaves_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["config"])
    assert done.exit_code == 0 and "no seatrial.toml or [tool.seatrial]" in done.output


def test_thresholds_hold_every_run_to_the_project_and_a_flag_wins_key_by_key(project: Path):
    """naive on `doubled` is caught by effect-once whatever the thresholds; the reference is
    caught only when a threshold asks the impossible."""
    config = project / "pyproject.toml"
    config.write_text(config.read_text().replace('target = "naive"', 'target = "reference"')
                      + 'thresholds = { order_to_shipment_p95 = "1ms", converge_within = "1d" }\n')
    shown = CliRunner().invoke(main, ["config"])
    assert 'thresholds = { order_to_shipment_p95 = "1ms", converge_within = "1d" }' in \
        shown.output
    assert f"# from {config} [tool.seatrial]" in shown.output
    strict = CliRunner().invoke(main, ["run", "--seed", "1", "-v"])
    assert strict.exit_code == 1 and "latency-slo" in strict.output, strict.output
    eased = CliRunner().invoke(main, ["run", "--seed", "1", "--threshold",
                                      "order_to_shipment_p95=1d"])
    assert eased.exit_code == 0, eased.output


@pytest.mark.parametrize(("flag", "says"), [
    ("order_to_shipment_p95", "write KEY=DURATION"),
    ("order_to_shipment_p95=soon", "order_to_shipment_p95: 'soon' is not a duration"),
    ("speed=1h", "unknown threshold 'speed'"),
])
def test_a_bad_threshold_flag_is_exit_2_naming_it(project: Path, flag: str, says: str):
    done = CliRunner().invoke(main, ["run", "--threshold", flag])
    assert done.exit_code == 2
    assert f"--threshold {flag}: " in done.output and says in done.output, done.output
