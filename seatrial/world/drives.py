"""What produces a world's work (`seatrial.world.ports.Drive`), besides a replayed log
(`seatrial.eventlog.player.Player`)."""

from __future__ import annotations

from seatrial.simulators.erp.lifecycle import release_order, release_orders
from seatrial.simulators.erp.orders import OrderFactory
from seatrial.simulators.handoff import Handoff
from seatrial.simulators.lastmile.core import Task
from seatrial.simulators.lastmile.lifecycle import task_lifecycle
from seatrial.simulators.tms.core import Shipment
from seatrial.simulators.tms.lifecycle import shipment_lifecycle
from seatrial.world.ports import Stage


class Arrivals:
    """The simulators' own lifecycles for every shipment and task the target creates; orders
    only when the caller releases them (`release`: a load test's arrivals)."""

    def start(self, world: Stage) -> None:
        self.world = world
        workload = world.scenario.workload
        self.orders = OrderFactory(world.scenario.seed, workload.lines_per_order)
        self.erp_rng = world.stream("erp.lifecycle")
        self.tms_rng, self.lastmile_rng = (world.stream("tms.lifecycle"),
                                           world.stream("lastmile.lifecycle"))
        self.handoff = Handoff(world.env)

    def release(self) -> str:
        """Release the next order now; its id."""
        world = self.world
        return release_order(world.env, world.erp, self.orders, self.erp_rng,
                             world.scenario.workload)

    def created(self, source: str, record: Shipment | Task) -> None:
        world = self.world
        env, workload = world.env, world.scenario.workload
        if isinstance(record, Shipment):
            env.process(shipment_lifecycle(env, world.tms, record, self.handoff, self.tms_rng,
                                           workload))
        else:
            env.process(task_lifecycle(env, world.lastmile, record, self.handoff,
                                       self.lastmile_rng, workload))

    def summary(self) -> None:
        return None


class Lifecycles(Arrivals):
    """The simulators' own lifecycles, orders included: released in a Poisson wave over the
    scenario's duration (the default drive)."""

    def start(self, world: Stage) -> None:
        super().start(world)
        world.env.process(release_orders(world.env, world.erp, self.orders, self.erp_rng,
                                         world.scenario.workload, world.scenario.duration))


class Idle:
    """Nothing moves on its own: whoever holds the world sets its records up (Pact provider
    states)."""

    def created(self, source: str, record: Shipment | Task) -> None:
        pass

    def start(self, world: Stage) -> None:
        pass

    def summary(self) -> None:
        return None
