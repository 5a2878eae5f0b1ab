"""The import graph between packages: no cycle, and the judge and the simulators stay upstream.

A package here is each top-level module or subpackage of seatrial and of each folder installed
as a subpackage of it (pyproject.toml's package-dir: simulators/ as seatrial.simulators...):
seatrial.cli, seatrial.judge, seatrial.world, seatrial.live, seatrial.simulators.erp,
seatrial.sync_implementations.reference... Every import counts, at module level or inside a
function (a deferred import is a dependency all the same), except those under
`if TYPE_CHECKING:`, which never run. The graph is grimp's, built from the source.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from pathlib import Path

import grimp
import pytest
from grimp.application.config import settings

REPOSITORY = Path(__file__).resolve().parents[1]
# Each root of the graph and its folder: seatrial and the folders installed under it.
ROOTS = {"seatrial": REPOSITORY / "seatrial"} | {
    name: REPOSITORY / folder for name, folder in tomllib.loads(
        (REPOSITORY / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"].items()}
Edges = dict[str, set[str]]


class SourceFolders:
    """grimp's package finder for ROOTS: each root's folder in the repository. (grimp's own
    takes top-level packages only, and an editable install does not put simulators/ in
    seatrial's __path__.)"""

    def determine_package_directories(self, package_name: str, file_system) -> set[str]:
        return {str(ROOTS[package_name])}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    finder = settings.PACKAGE_FINDER
    settings.configure(PACKAGE_FINDER=SourceFolders())
    try:
        return grimp.build_graph(*ROOTS, exclude_type_checking_imports=True, cache_dir=None)
    finally:
        settings.configure(PACKAGE_FINDER=finder)


def package(module: str) -> str:
    """The innermost root holding `module` and its next name: seatrial.judge.invariants.converge
    -> seatrial.judge; seatrial.simulators.erp.core -> seatrial.simulators.erp;
    seatrial -> seatrial."""
    root = max((name for name in ROOTS if module == name or module.startswith(name + ".")),
               key=len)
    return ".".join(module.split(".")[:root.count(".") + 2])


def test_every_root_is_in_the_graph(graph):
    assert {"seatrial.simulators.erp.core", "seatrial.sync_implementations.reference",
            "seatrial.loadtests.black_friday", "seatrial.contract_files"} <= graph.modules


def package_imports(graph: grimp.ImportGraph) -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) -> each import behind it, as `module:line`."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if package(importer) != package(imported):
                for detail in graph.get_import_details(importer=importer, imported=imported):
                    found[(package(importer), package(imported))].append(
                        f"{importer}:{detail['line_number']} imports {imported}")
    return found


def cycles(edges: Edges) -> list[list[str]]:
    """Every set of nodes that reach each other (strongly connected components of more than one
    node, Tarjan's algorithm, iteratively), each sorted; two packages importing each other are
    the smallest."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    nodes = sorted(set(edges) | {n for targets in edges.values() for n in targets})
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(edges.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return sorted(found)


def test_the_cycle_finder_finds_pairs_and_longer_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": {"d"}}) == [
        ["a", "b", "c"], ["d", "e"]]


def test_no_import_cycle_between_packages(graph):
    imports = package_imports(graph)
    edges: Edges = defaultdict(set)
    for importer, imported in imports:
        edges[importer].add(imported)
    assert {"seatrial.judge", "seatrial.world", "seatrial.run",
            "seatrial.simulators.erp"} <= set(edges)
    problems = []
    for members in cycles(edges):
        problems.append("cycle between " + ", ".join(members) + ":")
        problems += [f"  {where}" for (importer, imported), wheres in sorted(imports.items())
                     if importer in members and imported in members for where in wheres]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("played", ["seatrial.world", "seatrial.live", "seatrial.run",
                                    "seatrial.eventlog", "seatrial.transport", "seatrial.sdk",
                                    "seatrial.sync_implementations"])
def test_the_judge_reads_what_a_run_left_behind_not_what_played_it(graph, played):
    """It is handed an observation (scenario, ledger, the three cores' records, end time).
    It reads the scenario, and so the fault kinds' models (`seatrial.faults.kinds`: a fault's
    window decides when converge's deadline starts), but nothing that played the run."""
    chain = graph.find_shortest_chain(importer="seatrial.judge", imported=played,
                                      as_packages=True)
    assert chain is None, " -> ".join(chain)


def test_the_simulators_know_no_scenario(graph):
    """Each lifecycle reads its workload through a small protocol of its own."""
    chain = graph.find_shortest_chain(importer="seatrial.simulators",
                                      imported="seatrial.scenario",
                                      as_packages=True)
    assert chain is None, " -> ".join(chain)
