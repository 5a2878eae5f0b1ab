"""Invariants: one module per rule, each reading only the ledger and the simulators' records.

Every module of this package is an invariant: its `NAME`, its `ORDER` (where it stands in
reports) and `check(observation)`. Adding one is adding a module; nothing here lists them.
A dialect may own more (`Dialect.invariants`, in its folder): judged where a system speaks it.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TYPE_CHECKING

from seatrial.model.envelope import SYSTEMS
from seatrial.simulators.dialect import dialect, dialects

if TYPE_CHECKING:
    from seatrial.scenario import Scenario

MODULES = tuple(sorted(
    (importlib.import_module(f"{__name__}.{info.name}")
     for info in pkgutil.iter_modules(__path__)),
    key=lambda module: module.ORDER))
NAMES = tuple(module.NAME for module in MODULES)
#: every dialect's own invariants, by name
OWN = {module.NAME: module for system in SYSTEMS for spoken in dialects(system).values()
       for module in spoken.invariants}


def judged(scenario: Scenario) -> tuple[ModuleType, ...]:
    """The invariants a scenario can be judged by: every general one, and those of the
    dialects its systems speak, in report order."""
    own = [module for system in SYSTEMS
           for module in dialect(system, getattr(scenario.dialects, system)).invariants]
    return tuple(sorted((*MODULES, *own), key=lambda module: module.ORDER))
