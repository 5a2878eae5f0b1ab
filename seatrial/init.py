"""`seatrial init`: a project that runs green on its first `seatrial run`.

It writes the project config (seatrial.config), one scenario of the team's own to edit, a CI
job, and a sync implementation to start from (`skeleton`): in Python over the SDK, Seatrial's
reference subclassed (`python`); or its own HTTP process speaking the live protocol, the
standard library only (`http`: seatrial/skeletons/sync_server.py, written as it is). Either
way the first run holds every invariant, and each handler the team replaces with its own code
is judged from then on. Nothing is overwritten: if any of the files exists, nothing is
written and the command says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from seatrial.catalogue import find
from seatrial.scenario_yaml import dump_scenario

CI_FILES = {"github": ".github/workflows/seatrial.yml", "gitlab": ".gitlab-ci.yml"}
MODULE = "sync_app"
SERVER = "sync_server.py"
SKELETONS = ("python", "http")
EXAMPLE = "scenarios/our-duplicates.yaml"

CONFIG = f'''# Seatrial's settings for this project (docs/config.md); a flag on the command line
# wins. Run seatrial from this folder: the target is a module here.
target = "{MODULE}:MySync"
scenarios = ["happy-path", "scenarios/"]
seeds = 3
json = "reports/seatrial.json"
junit = "reports/seatrial.xml"
'''

# A live run plays in scaled real time, so the first one is short: one scenario on one seed.
HTTP_CONFIG = f'''# Seatrial's settings for this project (docs/config.md); a flag on the command
# line wins. Run seatrial from this folder: it starts the server below for each run (the live
# protocol, docs/live-protocol.md). A live run takes wall time: add scenarios (the example
# in scenarios/, the catalogue's names) and seeds once the first run is green.
target-cmd = "python3 {SERVER}"
scenarios = ["happy-path"]
seeds = 1
json = "reports/seatrial.json"
junit = "reports/seatrial.xml"
'''

SKELETON = '''"""Our sync implementation, as Seatrial runs it in-process (`seatrial run`).

It starts as Seatrial's reference implementation, which holds every invariant, so the first
run is green. Replace its handlers with your own code one by one: each is judged by every
scenario from then on (the SDK: docs/writing-a-sync-implementation.md in Seatrial). A
sync implementation that runs as its own process over HTTP instead is run with
`seatrial run --target-cmd "..."` (the live protocol: docs/live-protocol.md).
"""

from seatrial.sync_implementations.reference import ReferenceSync


class MySync(ReferenceSync):
    """Ours. Override a handler of the reference here, for example:

    def on_erp_event(self, event, io):
        ...
    """
'''

GITHUB = '''# Seatrial's gate for this project: every scenario in seatrial.toml on its seeds.
name: seatrial
on:
  push:
    branches: [main]
  pull_request:
jobs:
  seatrial:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      # How to install Seatrial: a git URL (pin a tag) or a path to a vendored copy.
      - run: python -m pip install "seatrial @ git+https://github.com/your-org/seatrial@main"
      - run: mkdir -p reports && seatrial run
      - if: always()
        uses: actions/upload-artifact@v4
        with:
          name: seatrial-reports
          path: reports/
'''

GITLAB = '''# Seatrial's gate for this project: every scenario in seatrial.toml on its seeds.
seatrial:
  image: python:3.11
  script:
    # How to install Seatrial: a git URL (pin a tag) or a path to a vendored copy.
    - python -m pip install "seatrial @ git+https://github.com/your-org/seatrial@main"
    - mkdir -p reports && seatrial run
  artifacts:
    when: always
    paths: [reports/]
    reports:
      junit: reports/seatrial.xml
'''


class InitError(ValueError):
    """What keeps `seatrial init` from writing; nothing was written."""


@dataclass(frozen=True)
class Planned:
    path: str  # relative to the project folder
    text: str


def plan(ci: str, skeleton: str = "python") -> list[Planned]:
    """The files a project gets, with CI for `ci` ("github", "gitlab" or "none") and the
    sync implementation `skeleton` ("python" or "http")."""
    example = find("duplicate-webhooks").model_copy(update={
        "name": "our-duplicates", "gate": False,
        "description": "Our example, from the catalogue's duplicate-webhooks: every webhook "
                       "source sends some events twice. Edit the workload, the faults and the "
                       "expectations (docs/scenarios.md)."})
    implementation = (
        [Planned("seatrial.toml", CONFIG), Planned(f"{MODULE}.py", SKELETON)]
        if skeleton == "python" else
        [Planned("seatrial.toml", HTTP_CONFIG),
         Planned(SERVER, resources.files("seatrial.skeletons").joinpath(SERVER).read_text(
             encoding="utf-8"))])
    files = [*implementation,
             Planned(EXAMPLE, dump_scenario(example, complete=True)),
             Planned("reports/.gitignore", "*\n!.gitignore\n")]
    if ci != "none":
        files.append(Planned(CI_FILES[ci], GITHUB if ci == "github" else GITLAB))
    return files


def write(folder: Path, ci: str, skeleton: str = "python") -> list[Path]:
    """Write the project into `folder` (made if missing); the paths written. InitError if any
    would overwrite a file, before anything is written."""
    files = plan(ci, skeleton)
    there = [item.path for item in files if (folder / item.path).exists()]
    if there:
        verb = "exists" if len(there) == 1 else "exist"
        raise InitError(f"{folder}: {', '.join(there)} already {verb}; seatrial init "
                        "overwrites nothing: move them away, or init another folder")
    written = []
    for item in files:
        path = folder / item.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(item.text, encoding="utf-8")
        written.append(path)
    return written
