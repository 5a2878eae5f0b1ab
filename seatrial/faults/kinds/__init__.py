"""Every fault kind, one module each in this package (named after the kind), each declaring its
`Kind`: the scenario model, its effect, its explore strategy (`seatrial.faults.base`).

The kinds are found, not listed: a new module here is a new kind, in a scenario's `faults`
(`AnyFault`), in `FAULT_KINDS`, in the fault layer and in `seatrial explore`.
"""

from __future__ import annotations

import pkgutil
from functools import reduce
from importlib import import_module
from operator import or_
from typing import Annotated

from pydantic import Field

from seatrial.faults.base import Kind


def _found() -> list[Kind]:
    return [import_module(f"{__name__}.{module.name}").KIND
            for module in pkgutil.iter_modules(__path__)]


#: By name, in their `listed` order.
KINDS: dict[str, Kind] = {kind.name: kind for kind in sorted(_found(), key=lambda k: k.listed)}
FAULT_KINDS = tuple(KINDS)
#: Any fault, told apart by its `kind`.
AnyFault = Annotated[reduce(or_, (kind.model for kind in KINDS.values())),
                     Field(discriminator="kind")]
