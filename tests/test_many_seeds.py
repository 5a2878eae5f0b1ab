"""Zero false positives across many seeds: the reference over the whole catalogue, 20 seeds each.

Slow (minutes), so excluded from the default run: `pytest -m slow` runs it.
"""

import json

import pytest
from click.testing import CliRunner

from seatrial.catalogue import catalogue
from seatrial.cli import main


@pytest.mark.slow
def test_reference_holds_the_whole_catalogue_on_twenty_seeds(tmp_path):
    report = tmp_path / "sweep.json"
    result = CliRunner().invoke(main, ["run", *catalogue(), "--target", "reference",
                                       "--seeds", "20", "--json", str(report)])
    runs = json.loads(report.read_text())["runs"]
    assert [(r["scenario"], r["seed"], r["violated"]) for r in runs if not r["passed"]] == []
    assert len(runs) == len(catalogue()) * 20
    assert result.exit_code == 0
