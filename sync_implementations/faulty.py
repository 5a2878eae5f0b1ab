"""Faulty sync implementations: the reference with exactly one realistic defect each.

Every class here is `ReferenceSync` with one method overridden, written the way a team that
shipped the bug would have written it. Each is a target (`seatrial run --target faulty-...`)
that the scenario catalogue must catch; `defect` says in one line what is wrong, and
`exists_for` names the invariant that exists to catch it (`seatrial calibrate` fails when only
another invariant does: then the one meant for it is blind).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from seatrial.sdk import IO, Call, Event, Handler, Response, Webhook
from seatrial.sync_implementations.reference import (
    ERP_ORDER,
    FROM_LASTMILE,
    FROM_TMS,
    RANK,
    ReferenceSync,
)


class DedupeByBusinessKey(ReferenceSync):
    """Dedupes on what the event is about instead of which event it is."""

    name = "faulty-dedupe-business-key"
    defect = "dedupes on order id + event type, not event_id: later milestones are dropped"
    exists_for = "converge"

    def dedupe_key(self, event: Event) -> str:
        return f"{event.order_id}:{event.type}"


class RetryWithoutKey(ReferenceSync):
    """Rebuilds each retry as a fresh request, and the Idempotency-Key is lost on the way."""

    name = "faulty-retry-without-key"
    defect = "retries without the Idempotency-Key: a lost response becomes a second effect"
    exists_for = "effect-once"

    def retry(self, call: Call) -> Call:
        return call._replace(idempotency_key=None)


class IgnoresRetryAfter(ReferenceSync):
    """Treats a 429 like any other error: its own exponential backoff, not the server's word."""

    name = "faulty-ignore-retry-after"
    defect = "on 429 backs off by its own schedule and ignores Retry-After"
    exists_for = "rate-limit-respected"

    def throttle(self, system: str, response: Response, backoff: float, io: IO) -> None:
        self.paused_until[system] = io.now + timedelta(seconds=backoff)


class ArrivalOrder(ReferenceSync):
    """Writes whatever stage the latest message maps to, skipping only no-op writes."""

    name = "faulty-arrival-order"
    defect = "applies milestones in arrival order (no lifecycle rank check): status goes back"
    exists_for = "status-monotonic"

    def advance(self, state: dict[str, Any], status: str, event: Event, io: IO) -> Handler:
        if status != state["status"]:
            yield from self.write_status(state, status, event, io)


class EstimateMovesStatus(ReferenceSync):
    """Maps an estimate's status code like any milestone's, so an ETA at the hub reads HUB."""

    name = "faulty-estimate-moves-status"
    defect = "an estimate (EST) writes the stage it estimates: an ETA moves the ERP status"
    exists_for = "actual-over-estimate"

    def estimated_status(self, state: dict[str, Any], payload: dict[str, Any]) -> str:
        return FROM_TMS.get(payload.get("status_code"), state["status"])


class InvoiceOnCompletion(ReferenceSync):
    """Takes "completed with details" to mean delivered, failed attempts included."""

    name = "faulty-invoice-on-completion"
    defect = "treats any taskCompleted as delivered, without checking success or POD"
    exists_for = "invoice-after-POD"

    def delivered(self, details: dict[str, Any]) -> bool:
        return bool(details)


class NoTaskCancel(ReferenceSync):
    """Cancels the shipment on order cancellation but leaves the delivery task running."""

    name = "faulty-no-task-cancel"
    defect = "does not cancel the delivery task when the order is cancelled"
    exists_for = "cancel-compensates"

    def cancel_task(self, task_id: str, corr: str | None, io: IO) -> Handler:
        # TODO: last-mile cancel endpoint; the TMS cancel stops the parcel anyway
        yield from ()


class NoRetryOn503(ReferenceSync):
    """Retries the status codes of the usual `status_forcelist`, which leaves out 503."""

    name = "faulty-no-retry-503"
    defect = "does not retry 503: writes during a maintenance window are parked, not queued"
    exists_for = "shipment-per-order"

    def transient(self, status: int) -> bool:
        return status in (429, 500, 502, 504)


class UnvalidatedPayload(ReferenceSync):
    """Trusts the source's payload shape: a malformed message throws inside the worker."""

    name = "faulty-unvalidated-payload"
    defect = "does not validate payloads: a poison message kills its order's worker"
    exists_for = "poison-isolated"

    def validate(self, event: Event, payload: Any) -> None:
        pass  # the sources are trusted systems; their payloads are always well formed


class TrustsGateway(ReferenceSync):
    """Leaves signature checks to an API gateway that is not in front of it."""

    name = "faulty-unsigned-accepted"
    defect = "does not verify webhook signatures or timestamps: forged webhooks are applied"
    exists_for = "signed-only"

    def authenticate(self, webhook: Webhook, io: IO) -> bool:
        return True  # the gateway verifies signatures before anything reaches us


class ChargesWithoutKey(ReferenceSync):
    """Assumes the ERP dedupes freight postings by statement id; it does not."""

    name = "faulty-charges-no-key"
    defect = "posts freight charges without an Idempotency-Key: a lost response posts twice"
    exists_for = "charges-reconcile"

    def charges_key(self, statement_id: str) -> str | None:
        return None  # the ERP rejects a second posting of the same statement


class CorrelationPerMessage(ReferenceSync):
    """Traces each message on its own: the event id goes out as the correlation id."""

    name = "faulty-correlation-per-message"
    defect = "sends the event id as X-Correlation-ID, not the order's correlation id"
    exists_for = "correlation-propagated"

    def correlation(self, event: Event) -> str | None:
        return event.event_id


class RetractionUndoes(ReferenceSync):
    """Reads a retraction as "undo": the ERP goes back to the stage before the retracted one."""

    name = "faulty-retraction-undoes"
    defect = "on a retraction writes the previous stage back: the ERP status moves backwards"
    exists_for = "status-monotonic"

    def retracted(self, event: Event, state: dict[str, Any], io: IO) -> Handler:
        payload = event.payload
        stage = FROM_TMS.get(payload.get("status_code")) or FROM_LASTMILE.get(
            payload.get("trigger"))
        if stage is None or stage != state["status"]:
            return
        previous = ERP_ORDER[RANK[stage] - 1]
        yield from self.write_status(state, previous, event, io, key=f"retract-{event.event_id}")


class SchemaV1Only(ReferenceSync):
    """Validates against the v1 schema only: a source's switch to 2.0 looks like poison."""

    name = "faulty-schema-v1-only"
    defect = "ignores schema_version: every 2.0 payload is parked as malformed"
    exists_for = "converge"
    #: the last mile's schema 2.0 is the canonical envelope's: Onfleet's payloads have none
    needs = ("lastmile", "canonical")

    def upgrade(self, event: Event) -> Any:
        return event.payload  # schema_version has always been 1.0


class RawEventTimeOrder(ReferenceSync):
    """Guards against stale milestones by event time, comparing the times as they arrive."""

    name = "faulty-raw-event-time"
    defect = "orders milestones by raw event_time: naive carrier-local times crash the compare"
    exists_for = "converge"

    def advance(self, state: dict[str, Any], status: str, event: Event, io: IO) -> Handler:
        if RANK[status] <= RANK[state["status"]]:
            return
        as_of: datetime | None = state.get("as_of")
        if as_of is not None and event.event_time < as_of:
            return  # stale: something newer was applied already
        yield from self.links(io).erp.write_status(
            event.order_id, {"status": status, "classifier": "ACT",
                             "shipment_id": state["shipment"],
                             "event_time": self.event_time(event).isoformat()},
            f"status-{event.order_id}-{status}", self.correlation(event))
        state["status"], state["as_of"] = status, event.event_time


class LatestChangeWins(ReferenceSync):
    """Takes each address change at its word: the address in the event is the new one."""

    name = "faulty-latest-change-wins"
    defect = ("applies the address in each order.changed as it arrives: an older change that "
              "arrives late overwrites a newer address")
    exists_for = "converge"
    #: an event that carries the address: SAP's business events are thin (keys only), so
    #: in sap-s4 every implementation reads the order back and this defect cannot show
    needs = ("erp", "canonical")

    def current_address(self, event: Event, payload: dict[str, Any], io: IO) -> Handler:
        yield from ()
        return payload["ship_to"]


class EtaAsDelivered(ReferenceSync):
    """Shows the customer the driver's ETA as the delivery: the parcel is "delivered" once its
    arrival is forecast."""

    name = "faulty-eta-as-delivered"
    defect = "writes DLV as an actual on the last mile's ETA: delivered hours before the door"
    exists_for = "status-follows-facts"

    def estimate(self, state: dict[str, Any], event: Event, payload: dict, io: IO) -> Handler:
        if payload.get("trigger") == "taskEta":
            yield from self.advance(state, "DLV", event, io)
        else:
            yield from super().estimate(state, event, payload, io)


class AnyPhotoIsProof(ReferenceSync):
    """Takes whatever the driver captured, a photo or a signature, as proof of delivery."""

    name = "faulty-any-photo-is-proof"
    defect = ("invoices when a completion carries any photo: a failed attempt's photo of the "
              "door releases the invoice")
    exists_for = "invoice-after-POD"

    def delivered(self, details: dict[str, Any]) -> bool:
        return bool(details.get("pod") or details.get("photos"))


class LocalTimeAsUtc(ReferenceSync):
    """Guards against stale milestones by event time, and reads a time without an offset as
    UTC, as `datetime.replace(tzinfo=UTC)` fixes the naive-versus-aware crash."""

    name = "faulty-local-time-as-utc"
    defect = ("reads event times without an offset as UTC and drops milestones older than the "
              "last applied: a carrier's local time an hour ahead hides the next stage")
    exists_for = "stages-converge"

    def advance(self, state: dict[str, Any], status: str, event: Event, io: IO) -> Handler:
        if RANK[status] <= RANK[state["status"]]:
            return
        moment = event.event_time
        stamp = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
        if stamp < state.get("as_of", stamp):
            return  # stale: something newer was applied already
        yield from self.write_status(state, status, event, io)
        state["as_of"] = stamp


class DayLongReplayWindow(ReferenceSync):
    """Checks webhook signatures, with the replay window widened to a day after a provider's
    drifting clock got good deliveries refused."""

    name = "faulty-day-long-replay-window"
    defect = ("accepts signed webhooks up to a day old: a captured delivery replayed an hour "
              "later is applied")
    exists_for = "signed-only"

    def authenticate(self, webhook: Webhook, io: IO) -> bool:
        source = self.links(io).of(webhook.event.source)
        return source is not None and source.authentic(webhook, tolerance=86400)


class RetryDropsCorrelation(ReferenceSync):
    """Rebuilds each retry from its method, path, body and key; the correlation header is not
    carried over."""

    name = "faulty-retry-drops-correlation"
    defect = "retries without X-Correlation-ID: the retried calls fall out of the order's trace"
    exists_for = "correlation-propagated"

    def retry(self, call: Call) -> Call:
        return Call(call.system, call.method, call.path, call.json, call.params,
                    call.idempotency_key, timeout=call.timeout)


class DedupeByScanning(ReferenceSync):
    """Keeps the event ids it has taken in a durable list per event type, a table per webhook
    topic without an index, and scans it for each delivery."""

    name = "faulty-dedupe-by-scanning"
    defect = ("dedupes by scanning a list of every event id taken of that type: each delivery "
              "costs more than the last, and a peak day runs ever slower")
    exists_for = "cost-flat"

    def taken(self, event: Event, io: IO, *, take: bool = False) -> bool:
        table = f"seen-list/{event.type}"
        listed = io.store.get(table, [])
        key = self.dedupe_key(event)
        if key in listed:
            return True
        if take:
            listed.append(key)
            io.store.put(table, listed)
        return False


class RetryAfterSecondsOnly(ReferenceSync):
    """Reads `Retry-After` itself, as a hand-rolled client often does: an integer number of
    seconds, else its own backoff. RFC 9110 allows an HTTP-date there too; given one, it comes
    back when its backoff says, before the date."""

    name = "faulty-retry-after-seconds-only"
    defect = ("parses Retry-After only as whole seconds: an HTTP-date falls back to its own, "
              "shorter backoff")
    exists_for = "rate-limit-respected"

    def throttle(self, system: str, response: Response, backoff: float, io: IO) -> None:
        value = response.headers.get("retry-after", "")
        until = io.now + timedelta(seconds=int(value) if value.isdigit() else backoff)
        self.paused_until[system] = max(until, self.paused_until.get(system, until))
