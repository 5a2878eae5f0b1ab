"""A world is built from its parts (seatrial.world.ports) and never configured afterwards: no
module assigns an attribute of a world, or of one of its parts, from outside it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from seatrial.catalogue import catalogue
from seatrial.world import World

ROOTS = ("seatrial", "simulators", "sync_implementations", "tests", "bench")
#: what a world holds: configuring any of these from outside is building it after the fact
PARTS = {"dispatcher", "transport", "receiver", "drive", "faults", "ledger", "tms", "lastmile",
         "erp", "secrets", "env", "recording", "player", "host"}
REPO = Path(__file__).resolve().parent.parent


def world_assignments(tree: ast.AST) -> list[int]:
    """Lines assigning `<...>world.<attr>` or `<...>world.<part>.<attr>`, once per target: the
    world reached by a name `world` (or `*_world`), or as `.world` of something (a stack's,
    a drive's own `self.world`). A world's own constructor writes `self.<attr>`: not matched."""
    found = []
    for node in ast.walk(tree):
        targets = (node.targets if isinstance(node, ast.Assign) else
                   [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else [])
        for target in targets:
            for each in (target.elts if isinstance(target, ast.Tuple) else [target]):
                if isinstance(each, ast.Attribute) and reaches_world(each.value):
                    found.append(node.lineno)
    return found


def reaches_world(node: ast.expr) -> bool:
    """`world`, `x.world`, `world.<part>`, `x.world.<part>` (and `*_world` names)."""
    if isinstance(node, ast.Attribute) and node.attr in PARTS:
        node = node.value
    if isinstance(node, ast.Name):
        return node.id == "world" or node.id.endswith("_world")
    return isinstance(node, ast.Attribute) and node.attr == "world"


def test_no_module_configures_a_world_after_building_it():
    offenders = [f"{path.relative_to(REPO)}:{line}"
                 for root in ROOTS for path in sorted((REPO / root).rglob("*.py"))
                 for line in world_assignments(ast.parse(path.read_text(), str(path)))]
    assert offenders == [], "give the part to World(...) instead: " + ", ".join(offenders)


@pytest.mark.parametrize("source", [
    "world.dispatcher.host = AcceptAll()",
    "stack.world.transport.grace = 1.0",
    "self.world.dispatcher.secrets, x = {}, 1",
    "world.tms.on_created = world.lastmile.on_created = None",
    "world.release_order = f",
])
def test_the_check_catches_configuration_after_the_fact(source):
    assert set(world_assignments(ast.parse(source))) == {1}


def test_a_world_is_built_whole():
    """What live mode used to set afterwards is given at construction (seatrial.live.stack)."""
    world = World(catalogue()["happy-path"])
    assert world.channel.receiver is world.receiver
    assert world.channel.signing.secrets == world.secrets
