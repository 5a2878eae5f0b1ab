"""Our sync implementation as its own HTTP process, as Seatrial runs it live
(`seatrial run --target-cmd "python3 sync_server.py"`; Seatrial's docs/live-protocol.md).

Python's standard library only, so it shows the whole protocol in one file and any language can
copy it: Seatrial starts it with PORT and the SEATRIAL_* settings in the environment, waits for
GET /health, delivers signed webhooks to POST /webhooks/{erp,tms,lastmile}, and judges what it
calls on the three APIs. It speaks the canonical dialects, and keeps the ERP, TMS and last-mile
platform in step as Seatrial's reference does, so the first run holds every invariant of a
scenario without crash faults: replace the business logic (`Sync`) with your own, or port the
protocol parts (receipt, `Api`) to your service's language.

Kept in memory: a crash/restart fault loses it. A real service keeps its dedupe records and
per-order state durably (SEATRIAL_STATE_DIR is a directory for that, per run).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import queue
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SYSTEMS = ("erp", "tms", "lastmile")
REQUIRED = ("SEATRIAL_ERP_URL", "SEATRIAL_TMS_URL", "SEATRIAL_LASTMILE_URL",
            "SEATRIAL_CLIENT_ID", "SEATRIAL_CLIENT_SECRET", "SEATRIAL_ERP_WEBHOOK_SECRET",
            "SEATRIAL_TMS_WEBHOOK_SECRET", "SEATRIAL_LASTMILE_WEBHOOK_SECRET")
TOLERANCE = 300  # wall seconds: Standard Webhooks' replay window
ATTEMPTS = 10  # per API call: 5xx, 429, timeouts and dropped connections are retried

# ERP logistics statuses by rank: never write one lower than the last (two endings).
RANK = {"REL": 0, "PLN": 1, "PCK": 2, "ITR": 3, "HUB": 4, "OFD": 5, "DLV": 6, "RTN": 6}
FROM_TMS = {"XB": "PLN", "X3": "PLN", "AF": "PCK", "X6": "ITR", "X4": "HUB", "A3": "RTN"}
FROM_LASTMILE = {"taskStarted": "OFD", "taskArrival": "OFD", "taskReturned": "RTN"}


class Api:
    """One system's API: a bearer token from its /oauth/token, retries with backoff and the
    same Idempotency-Key, Seatrial's exact Retry-After honoured."""

    def __init__(self, system: str, settings: dict[str, str]) -> None:
        self.base = settings[f"SEATRIAL_{system.upper()}_URL"].rstrip("/")
        self.client = (settings["SEATRIAL_CLIENT_ID"], settings["SEATRIAL_CLIENT_SECRET"])
        self.token: str | None = None

    def _token(self) -> str:
        if self.token is None:
            form = urllib.parse.urlencode({"grant_type": "client_credentials",
                                           "client_id": self.client[0],
                                           "client_secret": self.client[1]}).encode()
            with urllib.request.urlopen(f"{self.base}/oauth/token", form, timeout=10) as answer:
                self.token = json.load(answer)["access_token"]
        return self.token

    def call(self, method: str, path: str, body: object = None, key: str | None = None,
             corr: str | None = None, accept: tuple[int, ...] = ()) -> object:
        """The answer's JSON; None for a status in `accept` (e.g. 409: too late to cancel)."""
        pause = 0.2
        for _ in range(ATTEMPTS):
            try:
                headers = {"Authorization": f"Bearer {self._token()}",
                           "Content-Type": "application/json"}
                if key:
                    headers["Idempotency-Key"] = key
                if corr:
                    headers["X-Correlation-ID"] = corr
                data = None if body is None else json.dumps(body).encode()
                request = urllib.request.Request(self.base + path, data, headers, method=method)
                with urllib.request.urlopen(request, timeout=10) as answer:
                    return json.loads(answer.read() or b"null")
            except urllib.error.HTTPError as error:
                if error.code in accept:
                    return None
                if error.code == 401:  # expired token: get another
                    self.token = None
                elif error.code != 429 and error.code < 500:
                    raise
                wait = error.headers.get("x-seatrial-retry-after") or \
                    error.headers.get("retry-after")
                if wait and wait.replace(".", "", 1).isdigit():
                    pause = float(wait)
            except (urllib.error.URLError, TimeoutError, ConnectionError):
                pass  # lost, refused or hung: the same request again, same key
            time.sleep(pause)
            pause = min(pause * 2, 5.0)
        raise RuntimeError(f"{method} {path}: no answer after {ATTEMPTS} attempts")


class Sync:
    """The business logic: what each event means for the three systems, per order."""

    def __init__(self, settings: dict[str, str]) -> None:
        self.erp, self.tms, self.lastmile = (Api(system, settings) for system in SYSTEMS)
        self.orders: dict[str, dict] = {}

    def handle(self, event: dict) -> None:
        order = self.orders.setdefault(event.get("order_id") or "", {
            "status": "REL", "shipment": None, "task": None, "ship_to": None,
            "cancelled": False, "invoiced": False, "charges": set(), "eta_recorded": None})
        corr = event.get("correlation_id")
        payload = event.get("payload") or {}
        if "retracted_event_id" in payload:
            return  # a retraction never moves a status
        handler = getattr(self, "on_" + event["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"unknown event type {event['type']!r}")
        handler(event, payload, order, corr)

    def on_order_released(self, event, _payload, order, corr) -> None:
        if order["cancelled"] or order["shipment"]:
            return
        record = self.erp.call("GET", f"/orders/{event['order_id']}", corr=corr)
        if record["status"] == "CNL":
            order["cancelled"] = True
            return
        order["ship_to"] = record["ship_to"]
        shipment = self.tms.call("POST", "/shipments", {
            "order_id": event["order_id"], "ship_to": record["ship_to"],
            "lines": record["lines"]}, key=f"shipment-{event['order_id']}", corr=corr)
        order["shipment"] = shipment["id"]
        self.advance(event, order, "PLN", corr)

    def on_order_cancelled(self, _event, _payload, order, corr) -> None:
        order["cancelled"] = True
        if order["shipment"]:
            self.tms.call("POST", f"/shipments/{order['shipment']}/cancel",
                          {"reason": "order cancelled"}, key=f"cancel-{order['shipment']}",
                          corr=corr, accept=(409,))
        if order["task"]:
            self.lastmile.call("POST", f"/tasks/{order['task']}/cancel",
                               {"reason": "order cancelled"}, key=f"cancel-{order['task']}",
                               corr=corr, accept=(409,))

    def on_order_changed(self, event, payload, order, corr) -> None:
        order["ship_to"] = payload["ship_to"]  # a task created later goes there
        if order["task"] and not order["cancelled"]:
            self.lastmile.call("POST", f"/tasks/{order['task']}/destination", payload["ship_to"],
                               key=f"destination-{event['event_id']}", corr=corr,
                               accept=(409,))

    def on_shipment_status(self, event, payload, order, corr) -> None:
        if event.get("shipment_id") != order["shipment"]:
            return  # not the shipment we created
        code = payload["status_code"]
        if event["classifier"] != "ACT":  # an estimate never moves the status
            if code == "X4" and RANK[order["status"]] < RANK["HUB"]:
                self.estimate(event, payload, order, corr)
            return
        if code in FROM_TMS:
            self.advance(event, order, FROM_TMS[code], corr)
        if code == "X4" and not order["cancelled"] and not order["task"]:
            task = self.lastmile.call("POST", "/tasks", {
                "shipment_id": order["shipment"], "order_id": event["order_id"],
                "destination": order["ship_to"]}, key=f"task-{order['shipment']}", corr=corr)
            order["task"] = task["id"]

    def on_shipment_charges_finalized(self, event, payload, order, corr) -> None:
        statement = payload["statement_id"]
        if statement in order["charges"]:
            return
        self.erp.call("POST", f"/orders/{event['order_id']}/freight-charges", {
            "statement_id": statement, "shipment_id": event["shipment_id"],
            "lines": payload["lines"], "total": payload["total"]},
            key=f"charges-{statement}", corr=corr)
        order["charges"].add(statement)

    def on_task_updated(self, event, payload, order, corr) -> None:
        if event.get("task_id") != order["task"]:
            return
        trigger = payload["trigger"]
        if event["classifier"] != "ACT":
            if trigger == "taskEta" and RANK[order["status"]] < RANK["DLV"]:
                self.estimate(event, payload, order, corr)
            return
        if trigger in FROM_LASTMILE:
            self.advance(event, order, FROM_LASTMILE[trigger], corr)
        details = payload.get("completion_details") or {}
        if trigger != "taskCompleted" or not (details.get("success") and details.get("pod")):
            return
        self.advance(event, order, "DLV", corr)
        if order["cancelled"] or order["invoiced"]:
            return
        self.erp.call("POST", f"/orders/{event['order_id']}/invoice", {
            "pod_reference": details["pod"].get("photo"), "task_id": event["task_id"]},
            key=f"invoice-{event['order_id']}", corr=corr)
        order["invoiced"] = True

    def advance(self, event, order, status, corr) -> None:
        """The ERP's logistics status, forward only (by rank)."""
        if RANK[status] <= RANK[order["status"]]:
            return
        self.erp.call("POST", f"/orders/{event['order_id']}/logistics-status", {
            "status": status, "classifier": "ACT", "shipment_id": order["shipment"],
            "event_time": event["event_time"]}, key=f"status-{event['order_id']}-{status}",
            corr=corr)
        order["status"] = status

    def estimate(self, event, payload, order, corr) -> None:
        """An ETA for the ERP, the newest only; it never moves the status."""
        recorded = event["recorded_time"]
        if order["eta_recorded"] is not None and recorded <= order["eta_recorded"]:
            return
        self.erp.call("POST", f"/orders/{event['order_id']}/logistics-status", {
            "status": order["status"], "classifier": "EST", "eta": payload.get("eta"),
            "event_time": event["event_time"]}, key=f"eta-{event['event_id']}", corr=corr)
        order["eta_recorded"] = recorded


class Service:
    """Receipt: verify, dedupe by event_id, queue, acknowledge; one worker applies events in
    the order they came (a poison event is logged and skipped, never blocks the rest)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.queue: queue.Queue = queue.Queue()
        self.settings: dict[str, str] | None = None
        self.seen: set[str] = set()
        self.sync: Sync | None = None
        threading.Thread(target=self._work, daemon=True).start()

    def configure(self, settings: dict[str, str]) -> str | None:
        """A new run: forget everything. Why the settings cannot be used, or None."""
        missing = [name for name in REQUIRED if not settings.get(name)]
        if missing:
            return f"missing settings: {', '.join(missing)}"
        for system in SYSTEMS:
            name = f"SEATRIAL_{system.upper()}_DIALECT"
            if settings.get(name, "canonical") != "canonical":
                return f"{name}: this skeleton speaks only the canonical dialect"
        with self.lock:
            self.settings, self.seen, self.sync = settings, set(), Sync(settings)
        return None

    def authentic(self, system: str, headers, body: bytes) -> bool:
        """Standard Webhooks: HMAC-SHA256 of id.timestamp.body, a recent timestamp."""
        ident, stamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
        signatures = headers.get("webhook-signature") or ""
        if not ident or not stamp or not stamp.isdigit() or self.settings is None:
            return False
        if abs(time.time() - int(stamp)) > TOLERANCE:
            return False
        secret = self.settings[f"SEATRIAL_{system.upper()}_WEBHOOK_SECRET"]
        key = base64.b64decode(secret.removeprefix("whsec_"))
        digest = hmac.new(key, f"{ident}.{stamp}.".encode() + body, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(digest).decode()
        return any(hmac.compare_digest(given, expected) for given in signatures.split())

    def receive(self, event: dict) -> None:
        with self.lock:
            if event["event_id"] in self.seen:
                return  # a duplicate delivery: done already
            self.seen.add(event["event_id"])
            self.queue.put((self.sync, event))

    def _work(self) -> None:
        while True:
            sync, event = self.queue.get()
            if sync is not self.sync:
                continue  # queued in an earlier run
            try:
                sync.handle(event)
            except Exception as error:  # parked: the rest go on
                print(f"parked {event.get('event_id')}: {error!r}", file=sys.stderr, flush=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    service: Service  # set by main(): one per process

    def setup(self) -> None:
        super().setup()
        # the head and the body go out apart: without this, Nagle's algorithm holds each body
        # for the client's delayed ACK (~40 ms a delivery)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/health":
            self._answer(200, {"status": "ok"})
        else:
            self._answer(404, {"detail": f"no {self.path}"})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/seatrial/configure":
            secret = os.environ.get("SEATRIAL_CONTROL_SECRET")
            given = self.headers.get("Authorization") or ""
            if not secret or not hmac.compare_digest(given, f"Bearer {secret}"):
                return self._answer(401, {"detail": "send the control secret as a bearer"})
            try:
                settings = json.loads(body)
            except ValueError:
                settings = None
            if not isinstance(settings, dict):
                return self._answer(400, {"detail": "send a JSON object of settings"})
            why = self.service.configure({k: str(v) for k, v in settings.items()})
            return self._answer(422, {"detail": why}) if why else self._answer(200, {})
        system = self.path.removeprefix("/webhooks/")
        if system not in SYSTEMS:
            return self._answer(404, {"detail": f"no {self.path}"})
        if not self.service.authentic(system, self.headers, body):
            return self._answer(401, {"detail": "missing, wrong or stale signature"})
        try:
            event = json.loads(body)
            if not isinstance(event, dict) or not isinstance(event.get("event_id"), str):
                raise ValueError("not an event envelope with a string event_id")
        except ValueError as error:
            return self._answer(400, {"detail": str(error)})
        self.service.receive(event)
        self._answer(200, {})

    def log_message(self, *_args) -> None:
        pass  # quiet: Seatrial's ledger records every call


def main() -> None:
    Handler.service = service = Service()
    if os.environ.get("SEATRIAL_ERP_URL"):  # started by Seatrial: the settings are here
        why = service.configure(dict(os.environ))
        if why:
            sys.exit(f"sync_server: {why}")
    port = int(os.environ.get("PORT", "9000"))
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
