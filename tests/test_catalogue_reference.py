"""The docs say what the scenario files say (issue 24): docs/catalogue.md's numbers are
generated from them, and every catalogue scenario a doc quotes, as a file or as `seatrial show`
prints it, is the file as it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seatrial.catalogue import catalogue
from seatrial.catalogue_reference import WRITE, refresh, wanted
from seatrial.doc_blocks import keys
from seatrial.scenario_yaml import dump_scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_MD = ROOT / "docs" / "catalogue.md"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```(?P<lang>\w*)\n(?P<body>.*?)```", re.DOTALL)


def test_docs_catalogue_md_holds_every_generated_part_once():
    assert sorted(keys(CATALOGUE_MD.read_text(encoding="utf-8"))) == sorted(wanted())


def test_docs_catalogue_md_says_what_the_scenario_files_say():
    page = CATALOGUE_MD.read_text(encoding="utf-8")
    assert refresh(page) == page, f"docs/catalogue.md is stale: run `make docs` ({WRITE})"


def test_a_changed_scenario_makes_the_page_stale(monkeypatch):
    page = CATALOGUE_MD.read_text(encoding="utf-8")
    changed = catalogue()["tms-outage"].model_copy(update={"seed": 8})
    monkeypatch.setitem(catalogue(), "tms-outage", changed)
    assert "`seed: 8`" in refresh(page) and refresh(page) != page


def test_an_unknown_generated_part_is_named():
    with pytest.raises(ValueError, match="'scenario no-such'"):
        refresh("<!-- generated: scenario no-such -->\n<!-- end generated -->\n")


def quoted() -> list[tuple[str, str, str]]:
    """(doc, language, body) of every fenced block in the README and docs/."""
    return [(doc.name, match["lang"], match["body"]) for doc in DOCS
            for match in FENCE.finditer(doc.read_text(encoding="utf-8"))]


def test_every_catalogue_scenario_a_doc_quotes_is_the_file():
    seen = 0
    for doc, lang, body in quoted():
        name = re.match(r"name: ([\w-]+)\n", body)
        if lang == "yaml" and name and name[1] in catalogue():
            seen += 1
            assert load_scenario(body, doc) == catalogue()[name[1]], (
                f"{doc} quotes scenarios/{name[1]}.yaml but says something else: copy the file")
        show = re.match(r"\$ \.venv/bin/seatrial show ([\w-]+)\n", body)
        if show:
            seen += 1
            printed = body.removeprefix(show[0])
            assert printed == dump_scenario(catalogue()[show[1]], complete=True), (
                f"{doc} shows `seatrial show {show[1]}` printing something else: paste its "
                "output again")
    assert seen >= 2  # docs/scenarios.md quotes tms-outage both ways
