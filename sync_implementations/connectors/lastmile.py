"""The last-mile platform in Seatrial's canonical API: delivery tasks created, re-addressed
and cancelled, deduped by Idempotency-Key; its webhooks are one standing subscription."""

from __future__ import annotations

from typing import Any

from seatrial.sdk import Handler
from seatrial.sync_implementations.connectors.base import Connector


class LastMile(Connector):
    def what_changed(self, task_id: str, payload: dict[str, Any], corr: str | None) -> Handler:
        """The event's payload with its trigger saying what happened to the task: here it
        always does."""
        yield from ()
        return payload

    def create_task(self, order_id: str, shipment_id: str, destination: dict[str, Any],
                    key: str | None, corr: str | None) -> Handler:
        """The task's id (None when the answer holds none: a caller that takes any answer)."""
        task = (yield from self.send(self.io.lastmile.post(
            "/tasks", json={"shipment_id": shipment_id, "order_id": order_id,
                            "destination": destination},
            idempotency_key=key, correlation_id=corr))).json()
        return task.get("id") if isinstance(task, dict) else None

    def change_destination(self, task_id: str, address: dict[str, Any], key: str | None,
                           corr: str | None) -> Handler:
        """409 is an answer: the task is finished, too late to re-address."""
        yield from self.send(self.io.lastmile.post(
            f"/tasks/{task_id}/destination", json=address, idempotency_key=key,
            correlation_id=corr), accept=(409,))

    def cancel_task(self, task_id: str, key: str | None, corr: str | None) -> Handler:
        """409 is an answer: the parcel is delivered or returned already."""
        yield from self.send(self.io.lastmile.post(
            f"/tasks/{task_id}/cancel", json={"reason": "order cancelled"},
            idempotency_key=key, correlation_id=corr), accept=(409,))
