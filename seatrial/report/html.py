"""The HTML report: one self-contained file (inline CSS and SVG, no script, nothing fetched).

A scorecard of targets x scenarios; then per run its KPIs, a timeline over simulated time
(messages, in flight, order backlog, worst lag per business flow, fault windows shaded) and
each violation with a message-sequence diagram of its evidence chain (ERP, TMS, last-mile and
the SUT as lanes), the chain's messages also listed in order as text.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from seatrial.model.envelope import to_datetime
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
svg{display:block;margin:6px 0;font:11px system-ui,sans-serif}
svg .axis{stroke:#999}svg .grid{stroke:#eee}svg .fault{fill:#f59e0b;fill-opacity:.18}
svg .lane{stroke:#bbb;stroke-dasharray:4 3}svg .lost{stroke-dasharray:5 4}
.violation{border-left:4px solid #b91c1c;padding:2px 10px;margin:10px 0}
ol.chain{font:12px ui-monospace,monospace;color:#333}.legend span{margin-right:14px}
"""


class ReportError(Exception):
    """A JSON document the report cannot read; the message names the problem and the fix."""


def runs_of(document: Any, source: str) -> list[dict[str, Any]]:
    """The runs of a `seatrial run --json` report or a `seatrial calibrate --json` report."""
    if isinstance(document, dict) and isinstance(document.get("runs"), list):
        runs = document["runs"]
    elif isinstance(document, dict) and isinstance(document.get("implementations"), list):
        runs = [run for row in document["implementations"] for run in row.get("runs", [])]
    else:
        raise ReportError(f"{source}: not a Seatrial JSON report; give the file that `seatrial "
                          "run --json` or `seatrial calibrate --json` wrote")
    for number, run in enumerate(runs, 1):
        missing = [k for k in ("scenario", "seed", "target", "passed", "violated")
                   if not isinstance(run, dict) or k not in run]
        if missing:
            raise ReportError(f"{source}: run {number} lacks {', '.join(missing)}; was the "
                              "file written by this version of Seatrial?")
    return runs


def write_html(runs: list[dict[str, Any]], path: Path, title: str = "Seatrial report") -> None:
    path.write_text(render(runs, title), encoding="utf-8")


def render(runs: list[dict[str, Any]], title: str) -> str:
    failed = sum(not run["passed"] for run in runs)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p id="summary">{len(runs)} run(s): {len(runs) - failed} held, {failed} violated. '
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
            state = "held" if cell.passed else "violated"
            cells.append(f'<td class="{state}" title="seeds {seeds}">{escape(cell.text())}</td>')
        rows.append(f"<tr><th>{escape(scenario)}</th>{''.join(cells)}</tr>")
    return (f'<section id="scorecard"><h2>Scorecard</h2><table class="scorecard"><tr>'
            f"<th>scenario</th>{head}</tr>{''.join(rows)}</table></section>")


def _run(index: int, run: dict[str, Any], opened: bool) -> str:
    state = "held" if run["passed"] else "violated"
    verdict = "held" if run["passed"] else "violated: " + ", ".join(run["violated"])
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
        f"simulated</p>{_kpis(run.get('kpis') or {})}{charts}{_violations(run)}</details>")


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
        chain = "".join(f"<li>{escape(entry['summary'])}</li>" for entry in evidence)
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
        out.append(f'<g class="message" data-kind="{escape(kind)}"><text x="4" '
                   f'y="{cy + 4:.0f}" fill="#666">{escape(when)} {escape(clock)}</text>')
        if kind in TO_SUT or kind in FROM_SUT:
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
        out.append(f'<text class="label" x="{label_x}" y="{cy + 4:.0f}">{escape(said)}</text>'
                   "</g>")
    out.append("</svg>")
    return "".join(out)
