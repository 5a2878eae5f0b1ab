"""Faulty sync implementations for a consumer's contract with its source: when to answer a
message (ack, or 2xx) and what to answer one it cannot use. They were found on the broker
channel (docs/broker.md), where a consumer's answer is the whole contract, and they show on
webhooks too: the handler's answer is the same code there (returns: 2xx; raises: 5xx, the
provider retries). As in `faulty`, `defect` says in one line what is wrong and `exists_for`
names the invariant meant to catch it."""

from __future__ import annotations

from seatrial.sdk import IO, DurableStore, Event
from seatrial.sync_implementations.reference import HANDLERS, ReferenceSync


class RequeuesPoison(ReferenceSync):
    """Reads each payload as it arrives and leaves one it cannot read to the broker, for a
    later that never comes: the handler raises and the consumer nacks it with requeue, as
    Spring AMQP's listener container does by default (`defaultRequeueRejected`). The broker
    puts it back at the head of the queue and delivers it again at once, until the queue's
    delivery limit dead-letters it (a webhook provider retries it on its schedule)."""

    name = "faulty-requeue-forever"
    defect = ("nacks a message it cannot read with requeue: a poison message is redelivered "
              "at once, again and again, instead of being parked")
    exists_for = "poison-isolated"

    def on_event(self, event: Event, io: IO) -> None:
        if event.type in HANDLERS:
            self.readable(event, io)  # Parked escapes: the consumer nacks it, requeue
        super().on_event(event, io)


class AcksBeforeDurable(ReferenceSync):
    """Hands each event to its order's worker through a queue in process memory and acks at
    once: fast, and it spares the database a write per message. A crash or a deploy takes the
    queue with it, and the broker will never redeliver what was acked."""

    name = "faulty-ack-before-durable"
    defect = ("acks a message once it is queued in process memory: a crash loses acked events, "
              "which the broker never redelivers: orders waiting for their shipment never get one")
    exists_for = "shipment-per-order"

    def __init__(self) -> None:
        super().__init__()
        self.queued = DurableStore()  # in process memory: no crash spares it

    def inboxes(self, io: IO) -> DurableStore:
        return self.queued

