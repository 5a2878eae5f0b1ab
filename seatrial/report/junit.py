"""JUnit XML: one testcase per scenario x seed x invariant, so CI shows exactly what broke."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from seatrial.judge.inconclusive import lag_sentence, reruns_sentence
from seatrial.judge.result import RunResult


def to_xml(results: list[RunResult], planned: int | None = None) -> ET.ElementTree:
    """With `planned` (an interrupted batch), a last suite whose one test errs: a CI reading
    the file sees it failed, not a green subset."""
    suites = ET.Element("testsuites", name="seatrial")
    for result in results:
        cases = [(name, [v for v in result.violations if v["invariant"] == name],
                  [v for v in result.inconclusive if v["invariant"] == name])
                 for name in result.checked]
        failures = sum(1 for _, found, _ in cases if found)
        skipped = sum(1 for _, found, unsure in cases if unsure and not found)
        suite = ET.SubElement(suites, "testsuite", {
            "name": f"{result.scenario}[seed={result.seed}]", "tests": str(len(cases)),
            "failures": str(failures), "errors": "0", "skipped": str(skipped),
            "time": f"{result.wall_seconds:.3f}",
        })
        properties = ET.SubElement(suite, "properties")
        for key, value in (("target", result.target), ("ledger_hash", result.ledger_hash),
                           ("messages", str(result.messages))):
            ET.SubElement(properties, "property", name=key, value=value)
        if result.earlier:
            ET.SubElement(properties, "property", name="reruns",
                          value=reruns_sentence([a.to_json() for a in result.earlier]))
        for name, found, unsure in cases:
            case = ET.SubElement(suite, "testcase", name=name, time="0",
                                 classname=f"{result.scenario}.seed{result.seed}")
            if unsure and not found:  # the harness's own lag may explain it: no verdict
                ET.SubElement(case, "skipped", message=(
                    f"inconclusive: {unsure[0]['message']}; "
                    f"{lag_sentence(unsure[0]['harness_lag'])}"))
            if found:
                failure = ET.SubElement(case, "failure", type=name,
                                        message=f"{len(found)} violation(s): {found[0]['message']}")
                failure.text = "\n\n".join(
                    v["message"] + "\n" + "\n".join("  " + e["summary"] for e in v["evidence"])
                    for v in found[:20])
    if planned is not None:
        suite = ET.SubElement(suites, "testsuite", name="interrupted", tests="1", failures="0",
                              errors="1", time="0")
        case = ET.SubElement(suite, "testcase", name="interrupted", classname="seatrial",
                             time="0")
        ET.SubElement(case, "error", type="interrupted",
                      message=f"interrupted after {len(results)} of {planned} runs")
    ET.indent(suites)
    return ET.ElementTree(suites)


def junit_text(results: list[RunResult], planned: int | None = None) -> str:
    return ET.tostring(to_xml(results, planned).getroot(), encoding="unicode",
                       xml_declaration=True) + "\n"
