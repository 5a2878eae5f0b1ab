"""The HTML report: every run, violation and chart present; the evidence diagram names each
message of its chain in order; `seatrial report` compares two builds; bad input exits 2."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from machine import required

from seatrial.catalogue import catalogue
from seatrial.cli import main
from seatrial.judge.result import EVIDENCE_CHAINS
from seatrial.scenario_yaml import dump_scenario

CHARTS = ("messages", "in_flight", "backlog", "lag")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


class Tree(HTMLParser):
    """Just enough of the DOM: each element's tag, attributes, text and nesting path."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict] = []
        self.elements: list[dict] = []

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": "", "parents": list(self.stack)}
        self.elements.append(element)
        if tag not in ("meta", "br"):  # void elements: no end tag follows
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.elements.append({"tag": tag, "attrs": dict(attrs), "text": "",
                              "parents": list(self.stack)})

    def handle_endtag(self, tag):
        if any(element["tag"] == tag for element in self.stack):
            while self.stack.pop()["tag"] != tag:
                pass

    def handle_data(self, data):
        for element in self.stack:
            element["text"] += data

    def find(self, tag, cls=None, inside=None):
        return [e for e in self.elements if e["tag"] == tag
                and (cls is None or cls in e["attrs"].get("class", "").split())
                and (inside is None or any(p is inside for p in e["parents"]))]


def parse(path: Path) -> Tree:
    tree = Tree()
    tree.feed(path.read_text())
    return tree


def small(folder: Path, name: str) -> str:
    """A catalogue scenario cut to two hours of 30 orders an hour: its faults, a small report."""
    scenario = catalogue()[name].model_copy(update={
        "name": f"small-{name}", "duration": 7200.0,
        "workload": catalogue()[name].workload.model_copy(update={"orders_per_hour": 30.0})})
    path = folder / f"small-{name}.yaml"
    path.write_text(dump_scenario(scenario))
    return str(path)


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("scenarios")
    return [small(folder, "tms-outage"), small(folder, "duplicate-webhooks")]


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory, scenarios):
    folder = tmp_path_factory.mktemp("calibrate")
    result = invoke("calibrate", *scenarios, "--seed", "7",
                    "--only", "reference", "--only", "naive", "--only", "faulty-no-retry-503",
                    "--json", str(folder / "c.json"), "--html", str(folder / "c.html"),
                    "--jobs", "2")
    assert result.exit_code == 0, result.output
    return folder


def test_every_run_violation_and_chart_of_a_calibration_is_in_its_report(calibrated):
    document = json.loads((calibrated / "c.json").read_text())
    tree = parse(calibrated / "c.html")
    runs = [run for row in document["implementations"] for run in row["runs"]]
    sections = tree.find("details", "run")
    assert [(s["attrs"]["data-target"], s["attrs"]["data-scenario"]) for s in sections] == [
        (run["target"], run["scenario"]) for run in runs]
    for run, section in zip(runs, sections, strict=True):
        charts = [svg["attrs"]["data-chart"] for svg in tree.find("svg", "chart", section)]
        assert charts == list(CHARTS)
        shown = tree.find("div", "violation", section)
        assert [v["attrs"]["data-invariant"] for v in shown] == [
            v["invariant"] for v in run["violations"]]
        assert len(tree.find("svg", "sequence", section)) == len(run["violations"])
        for name, count in run["violation_counts"].items():
            if count > 1:
                assert f"{count - 1} more violation(s) of {name}" in section["text"]
    card = tree.find("table", "scorecard")[0]
    assert "naive" in card["text"] and "faulty-no-retry-503" in card["text"]
    assert len(tree.find("td", "held", card)) == sum(run["passed"] for run in runs)


def row(summary: str) -> str:
    """A diagram row's text: the message's time, then the message as the chain names it."""
    day, clock, said = summary.split(" ", 2)
    return f"{day} {clock}{said}"


def test_the_evidence_diagram_names_every_message_of_its_chain_in_order(tmp_path, scenarios):
    report, html = tmp_path / "r.json", tmp_path / "r.html"
    invoke("run", scenarios[0], "--target", "naive", "--json", str(report),
           "--html", str(html))
    violations = json.loads(report.read_text())["runs"][0]["violations"]
    seen: dict[str, int] = {}
    for violation in violations:  # the JSON keeps the first chains of each invariant only
        seen[violation["invariant"]] = seen.get(violation["invariant"], 0) + 1
        assert ("evidence" in violation) == (seen[violation["invariant"]] <= EVIDENCE_CHAINS)
    tree = parse(html)
    firsts = {v["invariant"]: v for v in reversed(violations)}  # the first of each
    shown = tree.find("div", "violation")
    assert [div["attrs"]["data-invariant"] for div in shown] == list(seen)
    for div in shown:
        evidence = firsts[div["attrs"]["data-invariant"]]["evidence"]
        (diagram,) = tree.find("svg", "sequence", div)
        rows = [g["text"] for g in tree.find("g", "message", diagram)]
        assert rows == [row(entry["summary"]) for entry in evidence]
    for name, count in seen.items():
        if count > 1:
            assert f"{count - 1} more violation(s) of {name}" in tree.elements[0]["text"]


def test_report_compares_two_builds_side_by_side(tmp_path, scenarios):
    first, second, html = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "cmp.html"
    ran = invoke("run", *scenarios, "--target", "reference", "--json", str(first))
    assert "Scorecard" in ran.output  # the terminal summary of more than one run
    invoke("run", *scenarios, "--target", "naive", "--json", str(second))
    result = invoke("report", str(first), str(second), "-o", str(html))
    assert result.exit_code == 0, result.output
    assert "Scorecard" in result.output and "4 run(s), 2 violated" in result.output
    tree = parse(html)
    header, *rows = tree.find("tr", inside=tree.find("table", "scorecard")[0])
    assert [th["text"] for th in tree.find("th", inside=header)] == [
        "scenario", "reference", "naive"]
    assert [[td["attrs"]["class"] for td in tree.find("td", inside=row)] for row in rows] == [
        ["held", "violated"]] * len(scenarios)
    assert len(tree.find("details", "run")) == 4
    same = tmp_path / "a2.json"
    same.write_text(first.read_text())
    result = invoke("report", str(first), str(same), "-o", str(html))
    assert "reference (a.json)" in result.output and "reference (a2.json)" in result.output


def test_report_input_errors_exit_2(tmp_path):
    broken, other = tmp_path / "broken.json", tmp_path / "other.json"
    broken.write_text("{not json")
    other.write_text(json.dumps({"hello": 1}))
    for path, message in ((broken, "cannot read it as JSON"), (other, "not a Seatrial JSON"),
                          (tmp_path / "missing.json", "no such file")):
        result = invoke("report", str(path), "-o", str(tmp_path / "r.html"))
        assert result.exit_code == 2 and message in result.output, result.output
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps({"runs": [{"scenario": "s", "seed": 1, "target": "t",
                                            "passed": True, "violated": [],
                                            "timeline": {"bucket_s": 60}}]}))
    result = invoke("report", str(edited), "-o", str(tmp_path / "r.html"))
    assert result.exit_code == 2 and "not as Seatrial writes it" in result.output
    assert "Traceback" not in result.output
    result = invoke("run", "happy-path", "--target", "reference", "--html",
                    str(tmp_path / "nowhere" / "r.html"))
    assert result.exit_code == 2 and "--html" in result.output
    assert re.search(r"does not\s+exist", result.output)


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def test_a_calibration_report_opens_in_headless_chromium_offline_without_errors(calibrated):
    from playwright.sync_api import sync_playwright

    document = json.loads((calibrated / "c.json").read_text())
    runs = [run for row in document["implementations"] for run in row["runs"]]
    url = (calibrated / "c.html").as_uri()
    console, errors, requests = [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=required(
            "chromium", "install Debian's Chromium with `make browser` (apt-get)"),
                                             args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(url, wait_until="load")
        shown = page.evaluate("""() => ({
            runs: document.querySelectorAll('details.run').length,
            charts: document.querySelectorAll('details.run svg.chart').length,
            violations: document.querySelectorAll('details.run div.violation').length,
            diagrams: document.querySelectorAll('div.violation svg.sequence').length,
            cards: document.querySelectorAll('table.scorecard td').length,
            drawn: [...document.querySelectorAll('svg.chart')].every(
                svg => svg.getBBox().width > 0),
        })""")
        browser.close()
    assert console == [] and errors == []
    assert requests == [url]  # the file itself, nothing else
    violations = sum(len(run["violations"]) for run in runs)
    assert shown == {"runs": len(runs), "charts": 4 * len(runs), "violations": violations,
                     "diagrams": violations, "cards": len(runs), "drawn": True}
