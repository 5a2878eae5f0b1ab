"""The physical world between systems: goods reach the hub, parcels get delivered.

No API carries these; a truck does. The TMS and last-mile lifecycles meet here, so a delivery
cannot start before the goods are at the hub, and charges are final only once the last mile
has settled the parcel (delivered, or returned).
"""

from __future__ import annotations

import simpy


class Handoff:
    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._at_hub: dict[str, simpy.Event] = {}
        self._settled: dict[str, simpy.Event] = {}

    def at_hub(self, shipment_id: str) -> simpy.Event:
        return self._event(self._at_hub, shipment_id)

    def settled(self, shipment_id: str) -> simpy.Event:
        return self._event(self._settled, shipment_id)

    def _event(self, table: dict[str, simpy.Event], key: str) -> simpy.Event:
        event = table.get(key)
        if event is None:
            event = table[key] = self.env.event()
        return event

    @staticmethod
    def happen(event: simpy.Event) -> None:
        if not event.triggered:
            event.succeed()
