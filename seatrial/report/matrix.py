"""The calibration report in the terminal: detection matrix, mutation score, false positives."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from seatrial.calibrate import Calibration
from seatrial.judge.invariants import NAMES

CELL_WIDTH = 14  # a scenario column at most; about three invariant codes a line


def abbreviations(names: list[str] | tuple[str, ...] = NAMES) -> dict[str, str]:
    """Short codes for invariants (initials: shipment-per-order -> SPO); a name whose initials
    are taken keeps its full name."""
    codes: dict[str, str] = {}
    for name in names:
        code = "".join(part[0] for part in name.split("-") if part).upper()
        codes[name] = code if code and code not in codes.values() else name
    return codes


def render(console: Console, calibration: Calibration) -> None:
    used = [name for row in calibration.rows for names in row.violated.values() for name in names]
    codes = abbreviations([*NAMES, *sorted(set(used) - set(NAMES))])
    seeds = {len(s) for s in calibration.seeds.values()}
    per = f"{seeds.pop()} seed(s) each" if len(seeds) == 1 else "seeds per scenario vary"
    table = Table(title=f"Detection matrix: {len(calibration.rows)} implementation(s) x "
                        f"{len(calibration.scenarios)} scenario(s), {per}",
                  title_justify="left", show_lines=True)
    table.add_column("implementation / defect", min_width=24, max_width=34)
    table.add_column("caught")
    for scenario in calibration.scenarios:  # headers break at hyphens, cells after commas
        table.add_column(scenario.replace("-", "-\n"), max_width=CELL_WIDTH)
    for row in calibration.rows:
        reference = row.implementation.is_reference
        defect = row.defect or ("(the reference: must hold everything)" if reference
                                else "(no defect documented)")
        label = f"[bold]{escape(row.name)}[/]\n[dim]{escape(defect)}[/]"
        if reference:
            caught = "[red]FALSE\nPOSITIVE[/]" if row.caught else "[green]clean[/]"
        else:
            caught = "[green]yes[/]" if row.caught else "[red]NO[/]"
        cells = []
        for scenario in calibration.scenarios:
            names = row.violated[scenario]
            if not names:
                cells.append("[dim]-[/]")
                continue
            text = escape(", ".join(codes[name] for name in names))
            cells.append(f"[red]{text}[/]" if reference else text)
        table.add_row(label, caught, *cells)
    console.print(table)
    shown = [name for name in codes if name in set(used)]
    if shown:
        console.print("[dim]" + escape("  ".join(f"{codes[n]}={n}" for n in shown
                                                  if codes[n] != n)) + "[/]")

    caught, total = calibration.score
    ratio = f" ({caught / total:.0%})" if total else ""
    console.print(f"\n[bold]Mutation score[/]: {caught}/{total} faulty implementation(s) "
                  f"caught{ratio}")
    for row in calibration.faulty:
        if not row.caught:
            console.print(f"  [red]escaped[/] {escape(row.name)}: {escape(row.defect or '')}")
        elif not row.caught_as_meant:
            console.print(f"  [red]caught by luck[/] {escape(row.name)}: never by "
                          f"{escape(row.implementation.exists_for or '')}, the invariant it "
                          "exists for")

    for impl in calibration.left_out:
        system, dialect = impl.needs or ("", "")
        console.print(f"  [yellow]left out[/] {escape(impl.name)}: its defect needs the "
                      f"{system} speaking {dialect}, and no scenario here does (add --dialect "
                      f"{system}={dialect}, or calibrate it on its own scenarios)",
                      highlight=False)

    if calibration.reference is None:
        console.print("[bold]False positives[/]: reference not run (see --only)")
    elif not calibration.false_positives:
        runs = len(calibration.reference.runs)
        console.print(f"[bold]False positives[/]: none (reference held in all {runs} run(s))")
    else:
        positives = calibration.false_positives
        console.print(f"[bold]False positives[/]: {len(positives)} reference run(s) with "
                      "violations")
        for positive in positives:
            console.print(f"  [red]{escape(positive['scenario'])}[/] seed {positive['seed']}: "
                          f"{escape(', '.join(positive['invariants']))}", highlight=False)

    escaped, positives = len(calibration.escaped), len(calibration.false_positives)
    lucky = len(calibration.missed_as_meant)
    if calibration.passed:
        console.print(f"\n[green]calibrated: all {total} faulty implementation(s) caught, "
                      "reference clean[/]")
    else:
        problems = [f"{escaped} faulty implementation(s) escaped"] if escaped else []
        problems += [f"{lucky} caught only by another invariant than their own"] if lucky else []
        problems += [f"{positives} false positive run(s)"] if positives else []
        console.print(f"\n[red]not calibrated: {', '.join(problems)}[/]")
