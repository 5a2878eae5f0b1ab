"""One installed namespace: the folders the project is known by (simulators/, scenarios/,
loadtests/, sync_implementations/, contracts/) install as subpackages of seatrial
(pyproject.toml's package-dir), so `pip install seatrial` adds the one name `seatrial`, a
team's own scenarios/ or simulators/ folder hides nothing, and a wheel installed away from the
repository finds its catalogue, pacts and OpenAPI documents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
SEATRIAL = str(Path(sys.executable).with_name("seatrial"))
SETUPTOOLS = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["tool"]["setuptools"]

TEAM_SUT = '''"""A team's implementation: the reference under another name."""

from seatrial.sync_implementations.reference import ReferenceSync


class X(ReferenceSync):
    pass
'''


def environment() -> dict[str, str]:
    """This environment without PYTHONPATH: what is importable is what is installed."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}


def seatrial(cwd: Path, *args: str, executable: str = SEATRIAL) -> subprocess.CompletedProcess:
    return subprocess.run([executable, *args], cwd=cwd, env=environment(), capture_output=True,
                          text=True, timeout=300)


def test_every_folder_of_python_files_is_a_listed_package():
    """The packages are listed in pyproject.toml, not found: a new subpackage must be added."""
    folders = {"seatrial": "seatrial"} | SETUPTOOLS["package-dir"]
    found = set()
    for name, folder in folders.items():
        root = REPOSITORY / folder
        for directory in [root, *root.rglob("*")]:
            relative = directory.relative_to(root).parts
            if (directory.is_dir() and any(directory.glob("*.py"))
                    and not any(part.startswith((".", "__")) for part in relative)):
                found.add(".".join((name, *relative)))
    assert found == set(SETUPTOOLS["packages"])
    assert {name.split(".")[0] for name in SETUPTOOLS["packages"]} == {"seatrial"}


def run_json(cwd: Path, *args: str) -> tuple[int, list[tuple[str, int, str]], str]:
    """Exit code, (scenario, seed, ledger hash) of each run, and stderr."""
    report = cwd / "report.json"
    report.unlink(missing_ok=True)
    done = seatrial(cwd, "run", *args, "--seeds", "1", "--json", str(report))
    runs = json.loads(report.read_text())["runs"] if report.exists() else []
    return (done.returncode, [(run["scenario"], run["seed"], run["ledger_hash"]) for run in runs],
            done.stderr)


def test_a_working_directory_with_its_own_scenarios_and_simulators_hides_nothing(
        tmp_path: Path):
    """A team's repository has scenarios/, simulators/ and contracts/ folders of its own (as
    packages, even). Target resolution puts the working directory on sys.path; the catalogue
    and the shipped implementations are still Seatrial's, and every run is the one it is in a
    directory without those folders."""
    happy = (REPOSITORY / "scenarios" / "happy-path.yaml").read_text()
    team_scenario = happy.replace("name: happy-path", "name: team-x", 1)
    assert team_scenario != happy
    team = tmp_path / "team"
    for folder in ("scenarios", "simulators", "contracts"):
        (team / folder).mkdir(parents=True)
        (team / folder / "__init__.py").write_text(f'"""The team\'s own {folder}."""\n')
    (team / "scenarios" / "x.yaml").write_text(team_scenario)
    (team / "simulators" / "erp.py").write_text('"""The team\'s own ERP stub."""\nSTUB = True\n')
    (team / "mysut.py").write_text(TEAM_SUT)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.yaml").write_text(team_scenario)
    (elsewhere / "mysut.py").write_text(TEAM_SUT)

    code, runs, stderr = run_json(team, "happy-path", "--target", "reference")
    assert code == 0, stderr
    assert [scenario for scenario, _, _ in runs] == ["happy-path"]
    assert (code, runs) == run_json(elsewhere, "happy-path", "--target", "reference")[:2]

    code, runs, stderr = run_json(team, "./scenarios/x.yaml", "--target", "mysut:X")
    assert code == 0, stderr
    assert [scenario for scenario, _, _ in runs] == ["team-x"]
    assert (code, runs) == run_json(elsewhere, "./x.yaml", "--target", "mysut:X")[:2]

    listed = seatrial(team, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == seatrial(elsewhere, "list").stdout
    assert "team-x" not in listed.stdout


def test_the_wheel_installs_seatrial_alone_and_works_outside_the_repository(tmp_path: Path):
    """`python -m build`; the wheel's one top-level name is seatrial; installed into a fresh
    virtualenv, it runs a catalogue scenario and verifies the simulators against its installed
    canonical pacts (docs/contracts.md: verify-simulators --pacts DIR) from a folder of its own.
    About a minute: the build, and a virtualenv with every dependency."""
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(REPOSITORY)],
                           env=environment(), capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    [wheel] = dist.glob("seatrial-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [top_level] = [name for name in names if name.endswith(".dist-info/top_level.txt")]
        assert archive.read(top_level).decode().split() == ["seatrial"]
        [record] = [name for name in names if name.endswith(".dist-info/RECORD")]
        recorded = [line.split(",")[0] for line in archive.read(record).decode().splitlines()]
    assert {name.split("/")[0] for name in recorded} == {"seatrial", top_level.split("/")[0]}
    shipped = {"seatrial/scenarios/happy-path.yaml", "seatrial/loadtests/black_friday.py",
               "seatrial/simulators/erp/core.py", "seatrial/sync_implementations/reference.py",
               "seatrial/contract_files/openapi/sut-webhooks.json",
               "seatrial/contract_files/asyncapi/broker.json",
               "seatrial/contract_files/pacts/seatrial-sync-seatrial-erp-api.json",
               "seatrial/contract_files/pacts/sut/"
               "seatrial-erp-webhooks-seatrial-sync-webhooks.json"}
    assert shipped <= set(recorded)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python, installed_seatrial = str(venv / "bin" / "python"), str(venv / "bin" / "seatrial")
    installed = subprocess.run([python, "-m", "pip", "install", "--quiet", str(wheel)],
                               cwd=tmp_path, env=environment(), capture_output=True, text=True,
                               timeout=600)
    assert installed.returncode == 0, installed.stderr[-3000:]

    away = tmp_path / "away"
    away.mkdir()
    where = subprocess.run(
        [python, "-c", "import seatrial, seatrial.contract_files as c; "
                       "print(seatrial.__file__); print(c.pacts())"],
        cwd=away, env=environment(), capture_output=True, text=True, timeout=60)
    assert where.returncode == 0, where.stderr
    module, pacts = where.stdout.split()
    assert Path(module).is_relative_to(venv) and Path(pacts).is_relative_to(venv)
    run = seatrial(away, "run", "happy-path", "--target", "reference",
                   executable=installed_seatrial)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    verified = seatrial(away, "contracts", "verify-simulators", "--pacts", pacts,
                        executable=installed_seatrial)
    assert verified.returncode == 0, verified.stdout[-3000:] + verified.stderr[-3000:]
    assert "result: the simulators honour every interaction" in verified.stdout
