"""Zero false positives across many seeds: the reference over the whole catalogue, 20 seeds each.

Slow (minutes), so excluded from the default run: `pytest -m slow` runs it.
"""

import json

import pytest
from click.testing import CliRunner

from seatrial.catalogue import catalogue
from seatrial.cli import main
from seatrial.scenario import Dialects

#: the catalogue the built-in reference speaks: a scenario in a vendor dialect needs a SUT that
#: speaks it (tests/test_dialect_faults.py plays those, until the reference does)
SPOKEN = [name for name, scenario in catalogue().items() if scenario.dialects == Dialects()]


@pytest.mark.slow
def test_reference_holds_the_whole_catalogue_on_twenty_seeds(tmp_path):
    report = tmp_path / "sweep.json"
    result = CliRunner().invoke(main, ["run", *SPOKEN, "--target", "reference",
                                       "--seeds", "20", "--json", str(report)])
    runs = json.loads(report.read_text())["runs"]
    assert [(r["scenario"], r["seed"], r["violated"]) for r in runs if not r["passed"]] == []
    assert len(runs) == len(SPOKEN) * 20
    assert result.exit_code == 0
