"""Every fault kind is one module of seatrial/faults/kinds/, and none is left half done: each is
named after its module, explored by `seatrial explore`, and documented in docs/scenarios.md."""

from __future__ import annotations

import pkgutil
import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from seatrial.explore.strategies import scenarios
from seatrial.faults import kinds
from seatrial.faults.kinds import FAULT_KINDS, KINDS
from seatrial.scenario import Dialects, Scenario

SCENARIOS_MD = Path(__file__).resolve().parents[1] / "docs" / "scenarios.md"


def test_every_module_of_the_package_is_a_kind_named_after_it() -> None:
    modules = [module.name for module in pkgutil.iter_modules(kinds.__path__)]
    assert sorted(modules) == sorted(FAULT_KINDS)
    assert len({kind.listed for kind in KINDS.values()}) == len(KINDS)  # one place each
    assert len({kind.explored for kind in KINDS.values()}) == len(KINDS)


def test_an_unknown_kind_is_refused_naming_every_kind_in_order() -> None:
    with pytest.raises(ValueError, match="does not match any of the expected tags: " +
                       ", ".join(f"'{name}'" for name in FAULT_KINDS)):
        Scenario.model_validate({"name": "x", "faults": [{"kind": "jam"}]})


#: Every vendor dialect: a kind only one of them has is drawn only where it is spoken.
VENDORS = Dialects(erp="sap-s4", tms="x12", lastmile="onfleet")


@cache
def explored(examples: int = 300) -> set[str]:
    """The kinds of the faults in the first scenarios `seatrial explore` generates, in
    Seatrial's own dialects and in the vendors', and on the broker."""
    seen: set[str] = set()
    for dialects, channel in ((Dialects(), "webhooks"), (VENDORS, "webhooks"),
                              (Dialects(), "amqp")):

        @settings(database=None, max_examples=examples, phases=[Phase.generate], deadline=None,
                  derandomize=True, suppress_health_check=list(HealthCheck))
        @given(scenarios(dialects, channel))
        def generate(scenario: Scenario) -> None:
            seen.update(fault.kind for fault in scenario.faults)

        generate()
    return seen


@pytest.mark.parametrize("name", FAULT_KINDS)
def test_seatrial_explore_draws_every_kind(name: str) -> None:
    assert KINDS[name].explore is not None, (
        f"fault kind {name!r} has no explore strategy: seatrial explore never tries it; give "
        f"seatrial/faults/kinds/{name}.py one (Kind(explore=...))")
    assert name in explored(), f"seatrial explore never drew a {name!r} fault in 300 scenarios"


@pytest.mark.parametrize("name", FAULT_KINDS)
def test_docs_scenarios_md_has_a_section_for_every_kind(name: str) -> None:
    sections = re.findall(r"^### `([a-z0-9_]+)`$", SCENARIOS_MD.read_text(), re.MULTILINE)
    assert name in sections, (f"fault kind {name!r} has no section in docs/scenarios.md; add "
                              f"one headed ### `{name}`, as the other kinds have")
