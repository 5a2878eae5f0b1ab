"""Faulty sync implementations for the ERP's `sap-s4` dialect: the reference with one recovery
left out of its SAP connector (`connectors/erp_sap_s4.py`), each caught where the ERP speaks
sap-s4 under the fault it exists for (the scenarios `sap-*`). As in `faulty`, `defect` says in
one line what is wrong and `exists_for` names the invariant meant to catch it."""

from __future__ import annotations

from typing import Any

from seatrial.sdk import Call, Handler
from seatrial.sync_implementations.connectors import Connectors, Parked, odata_batch, speaking
from seatrial.sync_implementations.connectors.erp_sap_s4 import SERVICE, SapErp
from seatrial.sync_implementations.reference import ReferenceSync


class _TokenKept(SapErp):
    def _fetch(self, corr: str | None) -> Handler:
        if self.io.store.get("faulty/fetched"):
            raise Parked("CSRF token refused, and this one never fetches another")
        self.io.store.put("faulty/fetched", True)
        return (yield from super()._fetch(corr))


class KeepsItsToken(ReferenceSync):
    """Fetches a CSRF token once and keeps it for the life of the process, as a client that
    caches it beside its Basic credentials: when the session ends, every write is refused 403
    and given up."""

    name = "faulty-sap-keeps-its-token"
    defect = "fetches one CSRF token and never another: after the session ends every write is lost"
    exists_for = "converge"
    needs = ("erp", "sap-s4")

    def connectors(self) -> Connectors:
        return speaking("erp", "sap-s4", _TokenKept)


class _EtagTrusted(SapErp):
    def _exchange(self, call: Call, recheck: Any) -> Handler:
        answer = yield from super()._exchange(call, recheck)
        if answer.status_code == 412:
            raise Parked(f"{call.method} {call.path}: ETag stale, and this one never reads again")
        return answer


class TrustsItsEtag(ReferenceSync):
    """Writes once with the ETag it read, and takes a 412 (another user changed the order in
    between) as the write's final refusal, never reading the order again."""

    name = "faulty-sap-trusts-its-etag"
    defect = "gives a write up on 412 Precondition Failed instead of reading the order again"
    exists_for = "converge"
    needs = ("erp", "sap-s4")

    def connectors(self) -> Connectors:
        return speaking("erp", "sap-s4", _EtagTrusted)


class _ReadsAgainOnce(SapErp):
    def _exchange(self, call: Call, recheck: Any) -> Handler:
        answer = yield from super()._exchange(call, recheck)
        stale = f"faulty/stale/{call.path}"
        if answer.status_code == 412:
            if self.io.store.get(stale):
                raise Parked(f"{call.method} {call.path}: ETag stale again, and this one gives up")
            self.io.store.put(stale, True)
        elif answer.ok:
            self.io.store.delete(stale)
        return answer


class ReadsAgainOnce(ReferenceSync):
    """Reads the order again after a 412, but only once for a write: where other users keep
    changing an order, the second ETag goes stale too and the write is given up. One conflict
    at a time (an address change racing a status write) never shows it."""

    name = "faulty-sap-reads-again-once"
    defect = "reads an order again after one 412, gives the write up on a second"
    exists_for = "converge"
    needs = ("erp", "sap-s4")

    def connectors(self) -> Connectors:
        return speaking("erp", "sap-s4", _ReadsAgainOnce)


class _BatchTrusted(SapErp):
    def _exchange(self, call: Call, recheck: Any) -> Handler:
        if not self.batched or call.params:
            return (yield from super()._exchange(call, recheck))
        content, kind = odata_batch.changeset(call, SERVICE)
        answer = yield from self.send(self.io.erp.request(
            "POST", f"{SERVICE}/$batch", content=content,
            headers={**self._headers(), "content-type": kind},
            idempotency_key=call.idempotency_key, correlation_id=call.correlation_id),
            accept=(403,), recheck=recheck)
        self.io.store.delete(f"sap-s4/etag/{call.path.split(chr(39))[1]}")
        return answer


class TrustsTheBatch(ReferenceSync):
    """Takes a `$batch`'s 202 Accepted for the write's success and never reads its changeset's
    answer: a changeset that failed as a whole (409) or on a stale ETag (412) is a write lost."""

    name = "faulty-sap-trusts-the-batch"
    defect = "takes a $batch's 202 for success without reading its changeset's answer"
    exists_for = "stages-converge"
    needs = ("erp", "sap-s4")

    def connectors(self) -> Connectors:
        return speaking("erp", "sap-s4", _BatchTrusted)


class _LockFinal(SapErp):
    def _exchange(self, call: Call, recheck: Any) -> Handler:
        answer = yield from super()._exchange(call, recheck)
        if answer.status_code == 409:
            raise Parked(f"{call.method} {call.path}: 409, and this one never sends it again")
        return answer


class GivesUpOnLocks(ReferenceSync):
    """Reads each changeset's answer, but takes a changeset refused as a whole (409: the
    document is being processed by another user) for a final refusal."""

    name = "faulty-sap-gives-up-on-locks"
    defect = "gives a write up when its $batch changeset fails as a whole (409), never resends"
    exists_for = "converge"
    needs = ("erp", "sap-s4")

    def connectors(self) -> Connectors:
        return speaking("erp", "sap-s4", _LockFinal)


class _NotFoundIsGone(SapErp):
    readable_within = 0.0


class TakesNotFoundAsGone(ReferenceSync):
    """Takes a 404 for an order a business event announced as "no such order": a thin event
    that outruns its data costs the order."""

    name = "faulty-sap-not-found-is-gone"
    defect = "takes a 404 for an order an event announced as no such order, never reads again"
    exists_for = "shipment-per-order"
    needs = ("erp", "sap-s4")

    def connectors(self) -> Connectors:
        return speaking("erp", "sap-s4", _NotFoundIsGone)
