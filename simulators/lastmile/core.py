"""Last-mile domain core: Onfleet-like delivery tasks, attempts and proof of delivery, and the
webhooks a SUT registers through the API (a dialect that has them: `onfleet`; in the canonical
dialect the subscription is standing, so it serves no registration)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from seatrial.model.envelope import rfc3339, to_datetime
from seatrial.simulators.domain import Conflict, Invalid, NotFound, operation
from seatrial.simulators.lastmile.events import CompletionDetails, TaskUpdated

if TYPE_CHECKING:
    from seatrial.simulators.events import EventSource

UNASSIGNED, ASSIGNED, ACTIVE, COMPLETED = 0, 1, 2, 3


@dataclass(slots=True)
class Attempt:
    started_at: float
    completed_at: float | None = None
    success: bool | None = None
    failure_reason: str | None = None


@dataclass(slots=True)
class Task:
    id: str
    shipment_id: str
    order_id: str
    destination: dict[str, Any]
    correlation_id: str
    created_at: float
    idempotency_key: str | None
    state: int = UNASSIGNED
    worker: str | None = None
    cancelled_at: float | None = None
    pod: dict[str, Any] | None = None
    delivered_at: float | None = None
    delivered_to: dict[str, Any] | None = None
    returned_at: float | None = None
    attempts: list[Attempt] = field(default_factory=list)
    #: what a dialect's create carried beyond the canonical fields (recipients, time window,
    #: notes, metadata), kept as sent and echoed back by that dialect; the core never reads it
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return (self.cancelled_at is None and self.delivered_at is None
                and self.returned_at is None)


#: (url, check) -> the SUT's answer to `GET <url>?check=<check>`: (status, body text), status None
#: when nothing answered. The world gives its receiver's (`seatrial.world.ports.Receiver`).
Validate = Callable[[str, str], tuple[int | None, str]]


def _unreachable(_url: str, _check: str) -> tuple[int | None, str]:
    return None, "no SUT behind the webhooks to answer the validation request"


class WebhookRefused(Invalid):
    """A registration whose validation request did not come back as the platform wants."""


@dataclass(slots=True)
class Registration:
    """One webhook a SUT registered: its trigger (the platform's name), where it goes, and
    whether it is still enabled (the delivery channel disables it after consecutive
    failures)."""

    id: str
    name: str
    url: str
    trigger: str
    threshold: int | None
    created_at: float
    enabled: bool = True

    @property
    def key(self) -> str:
        return self.id


@dataclass
class LastMileCore:
    SYSTEM: ClassVar[str] = "lastmile"
    clock: Callable[[], float]
    events: EventSource
    on_created: Callable[[Task], None] = lambda task: None
    validate: Validate = _unreachable
    #: draws the validation requests' check strings (a world gives its seeded stream)
    checks: random.Random = field(default_factory=lambda: random.Random("lastmile.checks"))
    tasks: dict[str, Task] = field(default_factory=dict)
    webhooks: dict[str, Registration] = field(default_factory=dict)
    registered: int = 0  # webhooks ever registered: a deleted one's id is never reused
    #: canonical operations the canonical dialect has no route for (its subscription stands)
    REGISTRATIONS: ClassVar[tuple[str, ...]] = ("register_webhook", "list_webhooks",
                                                "delete_webhook")

    # --- the canonical operations (what a dialect maps its wire requests to) -----------------

    @operation
    def create_task(self, shipment_id: str, order_id: str, destination: dict[str, Any],
                    correlation_id: str | None, idempotency_key: str | None,
                    details: dict[str, Any] | None = None) -> Task:
        task_id = f"T-{len(self.tasks) + 1:06d}"
        task = Task(task_id, shipment_id, order_id, destination,
                    correlation_id or f"lm-{task_id}", self.clock(), idempotency_key,
                    details=details or {})
        self.tasks[task_id] = task
        self.on_created(task)
        return task

    @operation
    def get_task(self, task_id: str) -> Task:
        task = self.tasks.get(task_id)
        if task is None:
            raise NotFound("task", task_id)
        return task

    @operation
    def change_destination(self, task: Task, destination: dict[str, Any]) -> Task:
        if not task.active:
            raise Conflict(f"task {task.id} is finished; its destination can no longer change")
        task.destination = destination
        return task

    @operation
    def cancel_task(self, task: Task) -> Task:
        """Idempotent: an already cancelled task stays as it is."""
        if task.cancelled_at is not None:
            return task
        if task.delivered_at is not None or task.returned_at is not None:
            raise Conflict(f"task {task.id} is already delivered or returned")
        task.cancelled_at = self.clock()
        self._publish(task, "taskCancelled")
        return task

    @operation
    def register_webhook(self, name: str, url: str, trigger: str,
                         threshold: int | None = None) -> Registration:
        """Registered only if `GET <url>?check=<random string>` answers 200 with exactly that
        string (Onfleet's validation: a 204, another body or no answer is refused)."""
        check = self.checks.randbytes(16).hex()
        status, body = self.validate(url, check)
        if status != 200 or body != check:
            said = "nothing answered" if status is None else f"it answered {status}"
            raise WebhookRefused("url", f"the validation request GET {url}?check=<string> must "
                                 f"answer 200 with the string as its body; {said}"
                                 + (f" ({body[:200]})" if status is None else ""))
        self.registered += 1
        made = Registration(f"W-{self.registered:06d}", name, url, trigger, threshold,
                            self.clock())
        self.webhooks[made.id] = made
        return made

    @operation
    def list_webhooks(self) -> list[Registration]:
        return list(self.webhooks.values())

    @operation
    def delete_webhook(self, webhook_id: str) -> Registration:
        found = self.webhooks.pop(webhook_id, None)
        if found is None:
            raise NotFound("webhook", webhook_id)
        return found

    def subscribed(self, trigger: str) -> tuple[Registration, ...]:
        """The enabled webhooks registered for `trigger`, in the order registered."""
        return tuple(w for w in self.webhooks.values() if w.enabled and w.trigger == trigger)

    # --- the platform's own business (driven by the lifecycle) ----------------------------------

    def _publish(self, task: Task, trigger: str, *, classifier: str = "ACT",
                 event_time: float | None = None, eta: str | None = None,
                 completion_details: CompletionDetails | None = None) -> None:
        self.events.publish(TaskUpdated(trigger, task.state, task.worker, eta,
                                        completion_details),
                            task.correlation_id, classifier=classifier, event_time=event_time,
                            order_id=task.order_id, shipment_id=task.shipment_id,
                            task_id=task.id)

    def assign(self, task: Task, worker: str) -> None:
        task.state, task.worker = ASSIGNED, worker
        self._publish(task, "taskAssigned")

    def start(self, task: Task, eta: float) -> None:
        task.state = ACTIVE
        task.attempts.append(Attempt(self.clock()))
        self._publish(task, "taskStarted")
        self._publish(task, "taskEta", classifier="EST", event_time=eta,
                      eta=rfc3339(to_datetime(eta)))

    def arrive(self, task: Task) -> None:
        self._publish(task, "taskArrival")

    def complete(self, task: Task, success: bool, reason: str | None = None,
                 pod: dict[str, Any] | None = None, photos: tuple[str, ...] = (),
                 notes: str | None = None) -> None:
        attempt = task.attempts[-1]
        attempt.completed_at = self.clock()
        attempt.success, attempt.failure_reason = success, reason
        task.state = COMPLETED
        if success:
            task.pod, task.delivered_at = pod, attempt.completed_at
            task.delivered_to = dict(task.destination)
        details = CompletionDetails(success, len(task.attempts), pod if success else None,
                                    None if success else reason, photos, notes)
        self._publish(task, "taskCompleted", completion_details=details)
        if not success:
            task.state = ASSIGNED  # re-attempt on the next delivery window

    def returned(self, task: Task) -> None:
        task.state, task.returned_at = COMPLETED, self.clock()
        self._publish(task, "taskReturned")
