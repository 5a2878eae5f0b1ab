"""Invariants: one module per rule, each reading only the ledger and the simulators' records.

Every module of this package is an invariant: its `NAME`, its `ORDER` (where it stands in
reports) and `check(observation)`. Adding one is adding a module; nothing here lists them.
"""

from __future__ import annotations

import importlib
import pkgutil

MODULES = tuple(sorted(
    (importlib.import_module(f"{__name__}.{info.name}")
     for info in pkgutil.iter_modules(__path__)),
    key=lambda module: module.ORDER))
NAMES = tuple(module.NAME for module in MODULES)
