"""`seatrial init` (issue 21): an empty folder becomes a project whose first `seatrial run` is
green, with a CI job that is valid YAML; nothing is ever overwritten."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from suts import SEATRIAL

from seatrial.cli import main
from seatrial.scenario_yaml import load_scenario_file


def test_an_initialised_folder_runs_green_from_its_config(tmp_path: Path):
    project = tmp_path / "team"
    done = CliRunner().invoke(main, ["init", str(project)])
    assert done.exit_code == 0, done.output
    assert {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()} == {
        "seatrial.toml", "sync_app.py", "scenarios/our-duplicates.yaml", "reports/.gitignore",
        ".github/workflows/seatrial.yml"}
    assert load_scenario_file(project / "scenarios" / "our-duplicates.yaml").faults
    workflow = yaml.safe_load((project / ".github/workflows/seatrial.yml").read_text())
    assert "seatrial run" in json.dumps(workflow)
    ran = subprocess.run([SEATRIAL, "run"], cwd=project, capture_output=True, text=True,
                         timeout=600)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    runs = json.loads((project / "reports" / "seatrial.json").read_text())["runs"]
    assert {(run["scenario"], run["target"]) for run in runs} == {
        ("happy-path", "sync_app:MySync"), ("our-duplicates", "sync_app:MySync")}
    assert len(runs) == 6  # two scenarios on three seeds


def test_init_overwrites_nothing(tmp_path: Path):
    (tmp_path / "sync_app.py").write_text("ours\n")
    done = CliRunner().invoke(main, ["init", str(tmp_path), "--ci", "gitlab"])
    assert done.exit_code == 2
    assert "sync_app.py already exists" in done.output and "overwrites nothing" in done.output
    assert (tmp_path / "sync_app.py").read_text() == "ours\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sync_app.py"]


def test_gitlab_or_no_ci(tmp_path: Path):
    assert CliRunner().invoke(main, ["init", str(tmp_path / "a"), "--ci", "gitlab"]).exit_code == 0
    job = yaml.safe_load((tmp_path / "a" / ".gitlab-ci.yml").read_text())
    assert job["seatrial"]["artifacts"]["reports"]["junit"] == "reports/seatrial.xml"
    assert CliRunner().invoke(main, ["init", str(tmp_path / "b"), "--ci", "none"]).exit_code == 0
    assert not (tmp_path / "b" / ".github").exists()
    assert not (tmp_path / "b" / ".gitlab-ci.yml").exists()


@pytest.mark.wall_clock
def test_an_http_skeleton_runs_green_live_from_its_config(tmp_path: Path):
    """--skeleton http: the server is its own process (the live protocol), run by the config's
    target-cmd on one short scenario; the first run holds every invariant."""
    project = tmp_path / "team"
    done = CliRunner().invoke(main, ["init", str(project), "--skeleton", "http", "--ci", "none"])
    assert done.exit_code == 0, done.output
    assert {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()} == {
        "seatrial.toml", "sync_server.py", "scenarios/our-duplicates.yaml", "reports/.gitignore"}
    config = tomllib.loads((project / "seatrial.toml").read_text())
    assert (config["target-cmd"], config["scenarios"], config["seeds"]) == (
        "python3 sync_server.py", ["happy-path"], 1)
    ran = subprocess.run([SEATRIAL, "run"], cwd=project, capture_output=True, text=True,
                         timeout=1800)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    runs = json.loads((project / "reports" / "seatrial.json").read_text())["runs"]
    assert [(run["scenario"], run["passed"]) for run in runs] == [("happy-path", True)]


def test_the_http_skeleton_overwrites_nothing_either(tmp_path: Path):
    (tmp_path / "sync_server.py").write_text("ours\n")
    done = CliRunner().invoke(main, ["init", str(tmp_path), "--skeleton", "http"])
    assert done.exit_code == 2
    assert "sync_server.py already exists" in done.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sync_server.py"]
