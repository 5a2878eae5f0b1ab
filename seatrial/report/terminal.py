"""The terminal summary: one row per run, then the evidence of the first violations."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from seatrial.judge.excerpt import excerpt
from seatrial.judge.inconclusive import lag_sentence, reruns_sentence
from seatrial.judge.result import RunResult
from seatrial.report.scorecard import scorecard

EVIDENCE_SHOWN = 3  # violations explained in full per failing run
EVIDENCE_LINES = 8  # evidence lines printed per violation unless --verbose


def summarize(console: Console, results: list[RunResult], verbose: bool = False) -> None:
    table = Table(title=f"Seatrial: {len(results)} run(s)", title_justify="left")
    for column in ("scenario", "seed", "target", "result", "violated invariants", "messages",
                   "sim", "wall"):
        table.add_column(column, justify="right" if column in ("seed", "messages") else "left")
    for r in results:
        verdict = ("[green]held[/]" if r.passed else f"[red]{len(r.violations)} violations[/]"
                   if r.violations else f"[yellow]inconclusive ({len(r.inconclusive)})[/]")
        table.add_row(r.scenario, str(r.seed), r.target, verdict, ", ".join(r.violated()) or "-",
                      f"{r.messages:,}", f"{r.sim_seconds / 3600:.1f}h",
                      f"{r.wall_seconds:.1f}s")
    console.print(table)
    for r in results:
        if r.replay is not None:
            console.print(replay_line(r.replay), highlight=False)
        if r.earlier:
            console.print(f"{r.scenario} seed {r.seed} on {r.target}: {r.outcome} at "
                          f"{r.live['pace']['scale']:g}x "
                          f"{reruns_sentence([a.to_json() for a in r.earlier])}",
                          highlight=False)
    for r in results:
        for unsure in r.inconclusive[:EVIDENCE_SHOWN]:
            console.print(f"\n[bold yellow]{r.scenario}[/] seed {r.seed} on {r.target}: "
                          f"inconclusive [yellow]{unsure['invariant']}[/]: "
                          f"{escape(unsure['message'])}; "
                          f"{lag_sentence(unsure['harness_lag'])}", highlight=False)
        if not r.violations:
            continue
        shown = r.violations if verbose else _one_per_invariant(r)[:EVIDENCE_SHOWN]
        console.print(f"\n[bold red]{r.scenario}[/] seed {r.seed} on {r.target}: "
                      f"{', '.join(r.violated())}")
        for violation in shown:
            console.print(f"  [red]{violation['invariant']}[/]: {escape(violation['message'])}",
                          highlight=False)
            for line in evidence_lines(violation["evidence"], verbose):
                console.print(f"      {line}", markup=False, highlight=False, style="dim")
    if len(results) > 1:
        print_scorecard(console, [{"target": r.target, "scenario": r.scenario, "seed": r.seed,
                                   "passed": r.passed, "violated": r.violated(),
                                   "outcome": r.outcome}
                                  for r in results])
    failed = sum(r.outcome == "failed" for r in results)
    unsure = sum(r.outcome == "inconclusive" for r in results)
    verdict = (f"[red]{failed} failed[/]" if failed else
               f"[yellow]{unsure} inconclusive: the harness fell behind (rerun at a slower "
               "pace)[/]" if unsure else "[green]all invariants held[/]")
    console.print(f"\n{len(results) - failed - unsure} passed, {failed} failed"
                  f"{f', {unsure} inconclusive' if unsure else ''}: {verdict}")


def evidence_lines(evidence: list[dict], verbose: bool) -> list[str]:
    """What to print of an evidence chain: all of it when verbose; else the messages the
    violation is about (its `focus`, e.g. the two ends of a latency's slowest step) with their
    neighbours, or without a focus the chain's last EVIDENCE_LINES lines."""
    lines = [entry["summary"] for entry in evidence]
    focus = [index for index, entry in enumerate(evidence) if entry.get("focus")]
    if verbose or len(lines) <= EVIDENCE_LINES:
        return lines
    if not focus:
        return lines[-EVIDENCE_LINES:]
    return [lines[pick] if isinstance(pick, int) else
            f"... {len(pick)} more line(s) of evidence (--verbose prints them)"
            for pick in excerpt(len(lines), focus, head=0, tail=0, pad=2)]


def print_scorecard(console: Console, runs: list[dict]) -> None:
    """Targets x scenarios, the HTML report's scorecard: each cell the runs held, or the
    invariants violated."""
    card = scorecard(runs)
    table = Table(title="Scorecard", title_justify="left")
    table.add_column("scenario")
    for target in card.targets:
        table.add_column(target)
    for scenario in card.scenarios:
        row = []
        for target in card.targets:
            cell = card.cell(target, scenario)
            row.append("-" if cell is None else
                       f"[{'green' if cell.passed else 'red'}]{escape(cell.text())}[/]")
        table.add_row(scenario, *row)
    console.print(table)


def replay_line(counts: dict[str, int]) -> str:
    """What became of a replayed log's events, in one sentence."""
    return (f"replayed {counts['replayed']:,} recorded events ({counts['late']:,} late, waiting "
            f"for the target's shipment or task); not replayed: "
            f"{counts['caused_by_target']:,} the target's own calls raise, "
            f"{counts['refused']:,} refused by the replay's state (cancelled by then), "
            f"{counts['never_bound']:,} whose shipment or task the target never created; "
            f"{counts['orders_generated']:,} orders not in the log generated from the seed")


def _one_per_invariant(result: RunResult) -> list[dict]:
    seen: dict[str, dict] = {}
    for violation in result.violations:
        seen.setdefault(violation["invariant"], violation)
    return list(seen.values())
