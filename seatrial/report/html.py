"""The HTML report: one self-contained file (inline CSS and SVG, no script, nothing fetched).

A scorecard of targets x scenarios; then per run its KPIs, a timeline over simulated time
(messages, in flight, order backlog, worst lag per business flow, fault windows shaded) and
each violation with a message-sequence diagram of its evidence chain (ERP, TMS, last-mile and
the SUT as lanes), the chain's messages also listed in order as text.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Any

from seatrial.input_limits import (
    MiB,
    Refused,
    TooLarge,
    deeper_than,
    parse_json,
    read_limited,
    too_deep,
)
from seatrial.judge.inconclusive import lag_sentence, reruns_sentence
from seatrial.judge.observation import OMITTED
from seatrial.model.envelope import to_datetime
from seatrial.report.files import write_report
from seatrial.report.scorecard import scorecard

LISTED = 20  # violations of one invariant listed by their message, after the first, per run
OPEN_UP_TO = 10  # runs in a report: up to this many, the failing ones open at first
LANES = ("erp", "tms", "lastmile", "sut")
LANE_NAMES = {"erp": "ERP", "tms": "TMS", "lastmile": "Last-mile", "sut": "SUT"}
SUT_SIDE = frozenset({"error", "crash"})
TO_SUT = frozenset({"deliver", "response", "refused"})
FROM_SUT = frozenset({"ack", "nack", "reject", "request"})
FLOW_NAMES = {"order_to_shipment": "order → shipment", "milestone_to_erp": "milestone → ERP",
              "pod_to_invoice": "POD → invoice"}
COLOURS = ("#2563eb", "#d97706", "#059669")
KPI_ROWS = (
    ("orders", "orders"), ("shipments", "shipments"), ("delivery_tasks", "delivery tasks"),
    ("invoices", "invoices"), ("order_to_shipment", "order → shipment time"),
    ("milestone_to_erp_lag", "milestone → ERP lag"), ("pod_to_invoice_lag", "POD → invoice lag"),
    ("orders_missing_milestones", "orders with a milestone the ERP never showed"),
    ("duplicate_side_effects", "duplicate side effects"),
    ("orders_not_converged", "orders not converged"),
    ("deliveries_abandoned", "webhooks dead-lettered (abandoned by the source)"))

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#111;max-width:1200px}
h1{font-size:22px}h2{font-size:17px;margin:0}h3{font-size:15px;margin:14px 0 6px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f3f4f6}
.held{background:#dcfce7}.violated{background:#fee2e2}.none{color:#999}
details.run{border:1px solid #ddd;border-radius:6px;margin:10px 0;padding:8px 12px}
details.run>summary{cursor:pointer}summary h2{display:inline}
.verdict-held{color:#15803d}.verdict-violated{color:#b91c1c}
.inconclusive{background:#fef9c3}.verdict-inconclusive{color:#a16207}
svg{display:block;margin:6px 0;font:11px system-ui,sans-serif}
svg .axis{stroke:#999}svg .grid{stroke:#eee}svg .fault{fill:#f59e0b;fill-opacity:.18}
svg .lane{stroke:#bbb;stroke-dasharray:4 3}svg .lost{stroke-dasharray:5 4}
.violation{border-left:4px solid #b91c1c;padding:2px 10px;margin:10px 0}
ol.chain{font:12px ui-monospace,monospace;color:#333}ol.chain .focus{font-weight:bold}
.legend span{margin-right:14px}
"""


class ReportError(Exception):
    """A JSON document the report cannot read; the message names the problem and the fix."""


#: A JSON report's size at most, for `seatrial report` (docs/reports.md, "Limits"). The largest
#: Seatrial writes in its own workflow is the gate suite's for `naive`: 13 MB for 20 runs (one
#: seed), about 65 MB for `make gate`'s 100; reading one takes some 3.5 times its size in memory.
MAX_REPORT_BYTES = 256 * MiB
MAX_BUCKETS = 1000  # a timeline's buckets: Seatrial writes about 120
LIMITS = "see Limits in docs/reports.md"
NEEDS = "Seatrial's own reach 11"
REWRITE = ("not as Seatrial writes it; write the file again with `seatrial run --json` (or "
           "replay or calibrate --json)")


def read_report(path: Path) -> list[dict[str, Any]]:
    """The runs of the JSON report at `path`, read within the limits and checked by
    `runs_of`; every problem is a ReportError naming the file."""
    try:
        data = read_limited(path, MAX_REPORT_BYTES, "a JSON report")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file; give the file `seatrial run --json` or "
                          "`calibrate --json` wrote") from None
    except TooLarge as refused:
        raise ReportError(f"{path}: {refused}; report on fewer runs per file (e.g. one "
                          f"--shard of the suite each); {LIMITS}") from None
    except Refused as refused:
        raise ReportError(f"{path}: {refused}") from None
    except OSError as error:
        raise ReportError(f"{path}: cannot read it ({error.strerror or error})") from None
    try:
        document = parse_json(data.decode("utf-8"), "a JSON report", NEEDS, finite=False)
    except UnicodeDecodeError as error:
        raise ReportError(f"{path}: not UTF-8 text (byte {data[error.start]:#04x} at offset "
                          f"{error.start}); give the file `seatrial run --json` wrote") from None
    except Refused as refused:
        raise ReportError(f"{path}: {refused}; {LIMITS}") from None
    except ValueError as error:
        reason = getattr(error, "msg", None) or str(error).split("; use sys.")[0]
        raise ReportError(f"{path}: cannot read it as JSON ({reason}); give the file "
                          "`seatrial run --json` or `calibrate --json` wrote") from None
    return runs_of(document, str(path))


def runs_of(document: Any, source: str) -> list[dict[str, Any]]:
    """The runs of a `seatrial run --json` report or a `seatrial calibrate --json` report,
    each checked field by field against what Seatrial writes (`RUN`), so that rendering never
    meets a type it does not expect."""
    if deeper_than(document):
        raise ReportError(f"{source}: {too_deep('a JSON report', NEEDS)}; "
                          f"{LIMITS}")
    if isinstance(document, dict) and "runs" in document:
        runs = document["runs"]
        if not isinstance(runs, list):
            raise ReportError(f"{source}: runs: expected a list of runs, found {_kind(runs)}; "
                              f"{REWRITE}")
    elif isinstance(document, dict) and isinstance(document.get("implementations"), list):
        rows = document["implementations"]
        for number, row in enumerate(rows, 1):
            if not isinstance(row, dict) or not isinstance(row.get("runs", []), list):
                raise ReportError(f"{source}: implementations[{number - 1}]: expected an object "
                                  f"with a list of runs, found {_kind(row)}; {REWRITE}")
        runs = [run for row in rows for run in row.get("runs", [])]
    else:
        raise ReportError(f"{source}: not a Seatrial JSON report (an object with `runs`, or a "
                          "calibration's `implementations`); give the file that `seatrial run "
                          "--json` or `seatrial calibrate --json` wrote")
    for number, run in enumerate(runs, 1):
        if not isinstance(run, dict):
            raise ReportError(f"{source}: run {number}: expected an object, found "
                              f"{_kind(run)}; {REWRITE}")
        missing = [k for k in ("scenario", "seed", "target", "passed", "violated")
                   if k not in run]
        if missing:
            raise ReportError(f"{source}: run {number} lacks {', '.join(missing)}; was the "
                              "file written by this version of Seatrial?")
        problem = _problem(run, RUN, "")
        if problem is not None:
            raise ReportError(f"{source}: run {number}{_label(run)}: {problem}; {REWRITE}")
    return runs


# --- what a run holds, as Seatrial writes it (RunResult.to_json, calibrate's run_json) ----------
# A spec is a type name ("str", "int", "number", "number?" (or null), "bool", "object": any
# mapping), ("list", spec), ("map", spec) (string keys), or a dict of field -> (spec,
# required) for an object whose other fields are left alone.

FLOW_SUMMARY = {"count": ("int", True), "p50_s": ("number?", True),
                "p95_s": ("number?", True), "max_s": ("number?", True)}
KPIS = {**{name: ("int", False) for name in (
    "orders", "orders_cancelled", "shipments", "delivery_tasks", "invoices",
    "orders_missing_milestones", "duplicate_side_effects", "orders_not_converged",
    "deliveries_abandoned")},
        **{name: (FLOW_SUMMARY, False) for name in (
            "order_to_shipment", "milestone_to_erp_lag", "pod_to_invoice_lag")}}
TIMELINE = {"bucket_s": ("number", True), "end_s": ("number", True),
            "messages": (("list", "number"), True), "in_flight": (("list", "number"), True),
            "backlog": (("list", "number"), True),
            "lag_max_s": (("map", ("list", "number?")), True),
            "faults": (("list", {"kind": ("str", True), "where": ("str", True),
                                 "from_s": ("number", True), "to_s": ("number", True)}), True)}
EVIDENCE = {"kind": ("str", True), "summary": ("str", True), "system": ("str?", False),
            "data": ("object", False), "focus": ("bool", False)}
VIOLATION = {"invariant": ("str", True), "message": ("str", False),
             "evidence": (("list", EVIDENCE), False)}
INCONCLUSIVE = {"invariant": ("str", True), "message": ("str", False),
                "harness_lag": ({"worst_sim_seconds": ("number", True),
                                 "worst_wall_ms": ("number", True), "at": ("number", True),
                                 "bound_sim_seconds": ("number", True),
                                 "cause": ("str", False)}, True)}
EARLIER = {"inconclusive": (("list", INCONCLUSIVE), True),
           "live": ({"pace": ({"scale": ("number", True)}, True)}, True)}
RUN = {"scenario": ("str", True), "seed": ("int", True), "target": ("str", True),
       "passed": ("bool", True), "violated": (("list", "str"), True),
       "ledger_hash": ("str", False), "messages": ("int", False),
       "ledger_entries": ("int", False), "sim_seconds": ("number", False),
       "wall_seconds": ("number", False), "checked": (("list", "str"), False),
       "kpis": (KPIS, False), "timeline": (TIMELINE, False),
       "violations": (("list", VIOLATION), False), "outcome": ("str", False),
       "inconclusive": (("list", INCONCLUSIVE), False),
       "earlier": (("list", EARLIER), False),
       "violation_counts": (("map", "int"), False)}
NAMES = {"str": "a string", "str?": "a string or null", "int": "an integer",
         "number": "a finite number", "number?": "a finite number or null",
         "bool": "true or false", "object": "an object"}


def _problem(value: Any, spec: Any, where: str) -> str | None:
    """What is wrong with `value` at `where` (a field path), or None."""
    if isinstance(spec, str):
        return None if _is(value, spec) else f"{where or 'the run'}: expected {NAMES[spec]}, " \
                                               f"found {_kind(value)}"
    if isinstance(spec, tuple):
        shape, inner = spec
        if shape == "list":
            if not isinstance(value, list | tuple):  # tuples: a document not yet JSON
                return f"{where}: expected a list, found {_kind(value)}"
            items: Any = ((f"{where}[{i}]", item) for i, item in enumerate(value))
        else:
            if not isinstance(value, dict):
                return f"{where}: expected an object, found {_kind(value)}"
            items = ((f"{where}.{key}", item) for key, item in value.items())
        for path, item in items:
            problem = _problem(item, inner, path)
            if problem is not None:
                return problem
        return None
    if not isinstance(value, dict):
        return f"{where or 'the run'}: expected an object, found {_kind(value)}"
    for name, (inner, required) in spec.items():
        path = f"{where}.{name}".lstrip(".")
        if name not in value:
            if required:
                return f"{path}: missing"
            continue
        problem = _problem(value[name], inner, path)
        if problem is not None:
            return problem
    return _timeline_problem(value, where) if spec is TIMELINE else None


def _timeline_problem(timeline: dict[str, Any], where: str) -> str | None:
    """What the charts need beyond the types: one number per bucket in every series."""
    count, width = len(timeline["messages"]), timeline["bucket_s"]
    if not 0 < width <= 366 * 86400:
        return f"{where}.bucket_s: expected a bucket width of more than 0 s and at most 366 " \
               f"days, found {width:g}"
    if not 1 <= count <= MAX_BUCKETS:
        return f"{where}.messages: expected 1 to {MAX_BUCKETS} buckets, found {count}"
    series = {"in_flight": timeline["in_flight"], "backlog": timeline["backlog"],
              **{f"lag_max_s.{name}": values for name, values in timeline["lag_max_s"].items()}}
    for name, values in series.items():
        if len(values) != count:
            return (f"{where}.{name}: expected one value per bucket ({count}, as messages), "
                    f"found {len(values)}")
    unknown = [name for name in timeline["lag_max_s"] if name not in FLOW_NAMES]
    if unknown:
        return (f"{where}.lag_max_s: unknown flow {unknown[0]!r}; the flows are "
                f"{', '.join(FLOW_NAMES)}")
    return None


def _is(value: Any, name: str) -> bool:
    if name.endswith("?") and value is None:
        return True
    name = name.rstrip("?")
    if name == "str":
        return isinstance(value, str)
    if name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value))
    if name == "bool":
        return isinstance(value, bool)
    return isinstance(value, dict)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value!r}"[:60]
    return {str: "a string", list: "a list", dict: "an object"}.get(type(value), "a value")


def _label(run: dict[str, Any]) -> str:
    """` (scenario seed N on target)` when those fields are as they should be."""
    scenario, seed, target = run.get("scenario"), run.get("seed"), run.get("target")
    if _is(scenario, "str") and _is(seed, "int") and _is(target, "str"):
        return f" ({scenario} seed {seed} on {target})"[:120]
    return ""


def write_html(runs: list[dict[str, Any]], path: Path, title: str = "Seatrial report") -> None:
    """Whole or not at all (seatrial.report.files); ReportWriteError names the path."""
    write_report(path, render(runs, title))


def render(runs: list[dict[str, Any]], title: str) -> str:
    failed = sum(not run["passed"] and run.get("outcome") != "inconclusive" for run in runs)
    unsure = sum(run.get("outcome") == "inconclusive" for run in runs)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p id="summary">{len(runs)} run(s): {len(runs) - failed - unsure} held, {failed} '
        f'violated{f", {unsure} inconclusive" if unsure else ""}. '
        "Simulated time starts on Monday 5 January 2026, 06:00 UTC.</p>",
        _scorecard(runs),
        '<section id="runs"><h2>Runs</h2>',
        *(_run(index, run, not run["passed"] and len(runs) <= OPEN_UP_TO)
          for index, run in enumerate(runs)),
        "</section></body></html>",
    ]
    return "\n".join(parts)


def _scorecard(runs: list[dict[str, Any]]) -> str:
    """Scenarios down, targets across (as in the terminal): two builds side by side."""
    card = scorecard(runs)
    head = "".join(f"<th>{escape(target)}</th>" for target in card.targets)
    rows = []
    for scenario in card.scenarios:
        cells = []
        for target in card.targets:
            cell = card.cell(target, scenario)
            if cell is None:
                cells.append('<td class="none">-</td>')
                continue
            seeds = ", ".join(str(s) for s in cell.seeds)
            state = cell.state
            cells.append(f'<td class="{state}" title="seeds {seeds}">{escape(cell.text())}</td>')
        rows.append(f"<tr><th>{escape(scenario)}</th>{''.join(cells)}</tr>")
    return (f'<section id="scorecard"><h2>Scorecard</h2><table class="scorecard"><tr>'
            f"<th>scenario</th>{head}</tr>{''.join(rows)}</table></section>")


def _run(index: int, run: dict[str, Any], opened: bool) -> str:
    state = ("held" if run["passed"] else "violated" if run["violated"] else "inconclusive")
    verdict = {"held": "held", "violated": "violated: " + ", ".join(run["violated"]),
               "inconclusive": "inconclusive: the harness fell behind"}[state]
    timeline = run.get("timeline")
    charts = _timeline(timeline) if timeline else "<p>No timeline in this report.</p>"
    return (
        f'<details class="run" id="run-{index}" data-scenario="{escape(run["scenario"])}" '
        f'data-seed="{run["seed"]}" data-target="{escape(run["target"])}" '
        f'data-passed="{str(run["passed"]).lower()}"{" open" if opened else ""}>'
        f'<summary><h2>{escape(run["scenario"])} seed {run["seed"]} on '
        f'{escape(run["target"])}</h2> <span class="verdict-{state}">{escape(verdict)}</span>'
        f'</summary><p>ledger {escape(str(run.get("ledger_hash", ""))[:16])}, '
        f'{run.get("messages", 0):,} messages, {run.get("sim_seconds", 0) / 3600:.1f} h '
        f"simulated</p>{_kpis(run.get('kpis') or {})}{charts}{_violations(run)}"
        f"{_inconclusive(run)}{_reruns(run)}</details>")


def _kpis(kpis: dict[str, Any]) -> str:
    rows = []
    for key, name in KPI_ROWS:
        if key not in kpis:
            continue
        value = kpis[key]
        if isinstance(value, dict):
            value = (f"{value['count']} flows; p50 {_duration(value['p50_s'])}, p95 "
                     f"{_duration(value['p95_s'])}, max {_duration(value['max_s'])}")
        rows.append(f"<tr><th>{escape(name)}</th><td>{escape(str(value))}</td></tr>")
    return f'<table class="kpis">{"".join(rows)}</table>'


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


# --- the timeline -------------------------------------------------------------------------------

WIDTH, HEIGHT, LEFT, TOP, BOTTOM = 880, 160, 56, 20, 22


def _timeline(timeline: dict[str, Any]) -> str:
    width, count = timeline["bucket_s"], len(timeline["messages"])
    faults = timeline["faults"]
    legend = "".join(f'<span title="{f["from_s"]}s to {f["to_s"]}s">▮ {escape(f["kind"])} on '
                     f'{escape(f["where"])}</span>' for f in faults)
    lags = timeline["lag_max_s"]
    return (
        '<h3>Timeline</h3>'
        f'<p class="legend">Buckets of {_duration(width)}; fault windows shaded: '
        f'{legend or "no faults"}</p>'
        + _chart("messages", "messages sent per bucket (webhook deliveries and API calls)",
                 {"messages": timeline["messages"]}, width, count, faults, bars=True)
        + _chart("in_flight", "most messages in flight at once",
                 {"in flight": timeline["in_flight"]}, width, count, faults)
        + _chart("backlog", "order backlog: released, neither shipped nor cancelled",
                 {"backlog": timeline["backlog"]}, width, count, faults)
        + _chart("lag", "worst sync lag per business flow (seconds), by when the flow began",
                 {FLOW_NAMES[name]: series for name, series in lags.items()}, width, count,
                 faults, dots=True))


def _chart(name: str, title: str, series: dict[str, list[float | None]], width: float,
           count: int, faults: list[dict[str, Any]], bars: bool = False,
           dots: bool = False) -> str:
    plot_w, plot_h = WIDTH - LEFT - 10, HEIGHT - TOP - BOTTOM
    top = max((v for values in series.values() for v in values if v is not None), default=0)
    top = top or 1

    def x(index: float) -> float:
        return LEFT + plot_w * index / count

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    out = [f'<svg class="chart" data-chart="{name}" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>"]
    for fault in faults:
        x1, x2 = x(fault["from_s"] / width), x(min(fault["to_s"] / width, count))
        out.append(f'<rect class="fault" x="{x1:.1f}" y="{TOP}" width="{max(x2 - x1, 1):.1f}" '
                   f'height="{plot_h}"><title>{escape(fault["kind"])} on '
                   f'{escape(fault["where"])}</title></rect>')
    out.append(f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" '
               f'y2="{TOP + plot_h}"/><line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" '
               f'y2="{TOP + plot_h}"/>')
    out.append(f'<text x="{LEFT - 4}" y="{TOP + 9}" text-anchor="end">{_number(top)}</text>'
               f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end">0</text>')
    for tick in range(0, count, max(1, count // 6)):
        out.append(f'<text x="{x(tick):.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
                   f'{to_datetime(tick * width).strftime("%a %H:%M")}</text>')
    for colour, (label, values) in zip(COLOURS, series.items(), strict=False):
        if bars:
            bar = max(plot_w / count - 1, 1)
            out.extend(f'<rect x="{x(i):.1f}" y="{y(v):.1f}" width="{bar:.1f}" '
                       f'height="{TOP + plot_h - y(v):.1f}" fill="{colour}"/>'
                       for i, v in enumerate(values) if v)
        elif dots:
            out.extend(f'<circle cx="{x(i + 0.5):.1f}" cy="{y(v):.1f}" r="2.5" '
                       f'fill="{colour}"><title>{escape(label)}: {_duration(v)}</title>'
                       "</circle>" for i, v in enumerate(values) if v is not None)
        else:
            points = " ".join(f"{x(i + 1):.1f},{y(v or 0):.1f}" for i, v in enumerate(values))
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
                       f'points="{x(0):.1f},{y(0):.1f} {points}"/>')
    keys = "".join(f'<tspan fill="{c}">● {escape(label)}  </tspan>'
                   for c, label in zip(COLOURS, series, strict=False))
    out.append(f'<text x="{LEFT}" y="{TOP - 7}">{keys}</text></svg>')
    return "".join(out)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:g}"


# --- violations and their sequence diagrams -----------------------------------------------------

def _inconclusive(run: dict[str, Any]) -> str:
    """The violations the harness's own lag may explain, each with its lag figures."""
    items = "".join(
        f'<li data-invariant="{escape(v["invariant"])}">{escape(v["invariant"])}: '
        f'{escape(v.get("message", ""))}; {escape(lag_sentence(v["harness_lag"]))}</li>'
        for v in run.get("inconclusive") or ())
    return f'<h3>Inconclusive</h3><ul class="inconclusive">{items}</ul>' if items else ""


def _reruns(run: dict[str, Any]) -> str:
    """The earlier attempts --retry-inconclusive played again, at what pace, and why."""
    earlier = run.get("earlier")
    return f'<p class="reruns">{escape(reruns_sentence(earlier))}</p>' if earlier else ""


def _violations(run: dict[str, Any]) -> str:
    """Per violated invariant, its first violation with the sequence diagram of its evidence
    chain and the chain as text; the rest by their message (up to LISTED), then a count."""
    by_invariant: dict[str, list[dict[str, Any]]] = {}
    for violation in run.get("violations") or ():
        by_invariant.setdefault(violation["invariant"], []).append(violation)
    counts = run.get("violation_counts") or {}
    out = []
    for invariant, found in by_invariant.items():
        first, rest = found[0], found[1:LISTED + 1]
        evidence = first.get("evidence") or []
        chain = "".join(f"<li{' class=focus' if entry.get('focus') else ''}>"
                        f"{escape(entry['summary'])}</li>" for entry in evidence)
        out.append(f'<div class="violation" data-invariant="{escape(invariant)}">'
                   f"<h3>{escape(invariant)}</h3><p>{escape(first.get('message', ''))}</p>"
                   f"{_sequence(evidence) if evidence else ''}"
                   f'{f"<ol class=chain>{chain}</ol>" if chain else ""}</div>')
        more = max(counts.get(invariant, 0), len(found)) - 1
        if more:
            listed = "".join(f"<li>{escape(v.get('message', ''))}</li>" for v in rest)
            unlisted = more - len(rest)
            tail = (f"<p>and {unlisted} more: the JSON report has every one</p>"
                    if unlisted else "")
            out.append(f'<details class="more"><summary>{more} more violation(s) of '
                       f"{escape(invariant)}</summary><ul>{listed}</ul>{tail}</details>")
    return f'<h3>Violations</h3>{"".join(out)}' if out else ""


ROW, LANE_W, HEAD = 22, 150, 30


def _lane(entry: dict[str, Any]) -> str:
    """The system's lane; what the SUT saw or did itself (a transport error, a crash) is on
    the SUT's."""
    system = entry.get("system")
    return system if system in LANE_NAMES and entry["kind"] not in SUT_SIDE else "sut"


def _sequence(evidence: list[dict[str, Any]]) -> str:
    """Lanes left to right (ERP, TMS, last-mile, SUT); one row per message, in chain order,
    each labelled with the message as the evidence chain names it."""
    label_x = 90 + LANE_W * len(LANES)
    width, height = label_x + 560, HEAD + ROW * len(evidence) + 10
    lane_x = {lane: 90 + LANE_W * i + LANE_W / 2 for i, lane in enumerate(LANES)}
    out = [f'<svg class="sequence" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="message sequence">',
           '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" '
           'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>']
    for lane, cx in lane_x.items():
        out.append(f'<text x="{cx:.0f}" y="16" text-anchor="middle" font-weight="bold">'
                   f'{LANE_NAMES[lane]}</text><line class="lane" x1="{cx:.0f}" y1="{HEAD - 6}" '
                   f'x2="{cx:.0f}" y2="{height - 4}"/>')
    for row, entry in enumerate(evidence):
        cy = HEAD + ROW * row + ROW / 2
        kind, lane = entry["kind"], _lane(entry)
        summary = entry["summary"]
        when, _, said = summary.partition(" ")
        clock, _, said = said.partition(" ")
        focus = ' font-weight="bold"' if entry.get("focus") else ""
        out.append(f'<g class="message" data-kind="{escape(kind)}"><text x="4" '
                   f'y="{cy + 4:.0f}" fill="#666">{escape(when)} {escape(clock)}</text>')
        if kind == OMITTED:  # messages the chain left out: a gap across every lane
            out.append(f'<line x1="90" y1="{cy:.0f}" x2="{label_x - 20}" y2="{cy:.0f}" '
                       'stroke="#999" stroke-dasharray="2,4"/>')
        elif kind in TO_SUT or kind in FROM_SUT:
            x1, x2 = ((lane_x[lane], lane_x["sut"]) if kind in TO_SUT
                      else (lane_x["sut"], lane_x[lane]))
            lost = kind == "response" and entry.get("data", {}).get("delivered") is False
            style = ' class="lost"' if lost else ""  # answered, but it never reached the SUT
            out.append(f'<line x1="{x1:.0f}" y1="{cy:.0f}" x2="{x2:.0f}" y2="{cy:.0f}" '
                       f'stroke="#333"{style} marker-end="url(#arrow)"/>')
        else:  # something that happened at one system: a dot on its lane
            colour = "#b91c1c" if kind in ("fault", "crash", "error", "abandon") else "#333"
            out.append(f'<circle cx="{lane_x[lane]:.0f}" cy="{cy:.0f}" r="4" '
                       f'fill="{colour}"/>')
        out.append(f'<text class="label" x="{label_x}" y="{cy + 4:.0f}"{focus}>'
                   f"{escape(said)}</text></g>")
    out.append("</svg>")
    return "".join(out)
