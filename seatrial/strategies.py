"""Hypothesis strategies over scenarios, for property tests of your own: the space `seatrial
explore` searches (`seatrial.explore.strategies` says how it is drawn and why it shrinks as it
does).

    from hypothesis import given, settings
    from seatrial.strategies import scenarios

    @settings(max_examples=20, deadline=None)
    @given(scenarios())
    def test_no_order_ships_twice(seatrial, scenario):   # `seatrial`: the pytest fixture
        judged = seatrial.run(scenario, target="mysync.app:MySync")
        assert "shipment-per-order" not in judged.violated

`scenarios(dialects)` draws whole scenarios (workload, faults, expectations) in the given
dialects (`seatrial.scenario.Dialects`, canonical by default); `faults(duration, dialects)`
draws the fault list alone, for a scenario of your own.
"""

from seatrial.explore.strategies import faults, scenarios
from seatrial.scenario import Dialects

__all__ = ["Dialects", "faults", "scenarios"]
