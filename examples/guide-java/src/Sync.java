import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * What each event causes (protocol-guide.md, "What each event should cause"). Events of one
 * order are worked one at a time in arrival order; orders go on independently, each on a worker
 * thread of its own while it has work.
 */
final class Sync {
    static final String[] STATUSES = {"REL", "PLN", "PCK", "ITR", "HUB", "OFD", "DLV", "RTN"};

    static int rank(String status) {
        switch (status) {
            case "REL": return 0;
            case "PLN": return 1;
            case "PCK": return 2;
            case "ITR": return 3;
            case "HUB": return 4;
            case "OFD": return 5;
            case "DLV":
            case "RTN": return 6;
            default: return -1;
        }
    }

    /** TMS X12 214 status codes (actuals) to ERP statuses; the others are flags. */
    static String tmsStatus(String code) {
        switch (code) {
            case "XB":
            case "X3": return "PLN";
            case "AF": return "PCK";
            case "X6": return "ITR";
            case "X4": return "HUB";
            case "A3": return "RTN";
            default: return null;
        }
    }

    static final boolean DEBUG = System.getenv("GUIDE_JAVA_DEBUG") != null;
    private final Store store;
    private final Api api;
    private final ExecutorService workers;
    private final Log log;
    private final Map<String, OrderQueue> queues = new ConcurrentHashMap<>();

    Sync(Store store, Api api, ExecutorService workers, Log log) {
        this.store = store;
        this.api = api;
        this.workers = workers;
        this.log = log;
    }

    // ---- per-order queues ---------------------------------------------------------------

    private static final class OrderQueue {
        final ArrayDeque<Store.Pending> items = new ArrayDeque<>();
        boolean running;
    }

    void enqueue(String orderId, Store.Pending p) {
        OrderQueue q = queues.computeIfAbsent(orderId, k -> new OrderQueue());
        boolean start;
        synchronized (q) {
            q.items.add(p);
            start = !q.running;
            if (start) q.running = true;
        }
        if (start) workers.submit(() -> drain(orderId, q));
    }

    private void drain(String orderId, OrderQueue q) {
        while (true) {
            Store.Pending p;
            synchronized (q) {
                p = q.items.poll();
                if (p == null) {
                    q.running = false;
                    return;
                }
            }
            String why = null;
            try {
                handle(p);
            } catch (Api.Parked e) {
                why = e.getMessage();
            } catch (Api.Stale e) {
                return;
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                why = "bug: " + e;
                log.error("event " + p.id + ": " + e, e);
            }
            if (why != null) log.park(p.id, orderId, why);
            store.done(p.id, why);
        }
    }

    // ---- handlers -----------------------------------------------------------------------

    /** A parsed event: its envelope and its payload in schema 1.0 terms. */
    private static final class Ev {
        String id;
        String type;
        String source;
        String classifier;
        String corr;
        String orderId;
        String shipmentId;
        String taskId;
        String eventTime;
        Map<String, Object> payload;
        boolean retraction;
        long seq;
    }

    private void handle(Store.Pending p) throws Api.Parked, InterruptedException {
        Map<String, Object> env = p.ev;
        Ev e = new Ev();
        e.id = p.id;
        e.seq = p.seq;
        e.type = Json.str(env.get("type"));
        e.source = Json.str(env.get("source"));
        e.classifier = Json.str(env.get("classifier"));
        e.orderId = Json.str(env.get("order_id"));
        e.shipmentId = Json.str(env.get("shipment_id"));
        e.taskId = Json.str(env.get("task_id"));
        e.corr = Json.str(env.get("correlation_id"));
        String version = Json.str(env.get("schema_version"));
        Map<String, Object> payload = Json.obj(env.get("payload"));
        if (payload == null) throw new Api.Parked("malformed: payload is not an object");
        if (payload.containsKey("retracted_event_id")
                || (Json.obj(payload.get("data")) != null && Json.obj(payload.get("data")).containsKey("retracted_event_id"))) {
            e.retraction = true;
        }
        if (e.orderId == null) throw new Api.Parked("malformed: no order_id");
        e.eventTime = normaliseTime(Json.str(env.get("event_time")), e.source);
        e.payload = toV1(e.type, version, payload);
        Store.Order o = store.order(e.orderId);
        if (e.corr == null || e.corr.isEmpty()) e.corr = o.corr != null ? o.corr : "corr-" + e.orderId;
        if (o.corr == null && "erp".equals(e.source)) store.set(o, "corr", e.corr);
        if (e.type == null) throw new Api.Parked("malformed: no type");
        if (!typeBelongsTo(e.type, e.source)) throw new Api.Parked("event type " + e.type + " from source " + e.source);
        switch (e.type) {
            case "order.released": onReleased(e, o); break;
            case "order.changed": onChanged(e, o); break;
            case "order.cancelled": onCancelled(e, o); break;
            case "shipment.status": onShipmentStatus(e, o); break;
            case "shipment.charges_finalized": onCharges(e, o); break;
            case "task.updated": onTaskUpdated(e, o); break;
            default: throw new Api.Parked("unknown event type " + e.type);
        }
    }

    private static boolean typeBelongsTo(String type, String source) {
        switch (type) {
            case "order.released":
            case "order.changed":
            case "order.cancelled": return "erp".equals(source);
            case "shipment.status":
            case "shipment.charges_finalized": return "tms".equals(source);
            case "task.updated": return "lastmile".equals(source);
            default: return true; // unknown types are parked below
        }
    }

    /** The payload in schema 1.0 terms (protocol-guide.md, "Payloads in schema 2.0"). */
    private static Map<String, Object> toV1(String type, String version, Map<String, Object> p) throws Api.Parked {
        if (version == null || version.equals("1.0")) return p;
        if (!version.equals("2.0")) throw new Api.Parked("unknown schema_version " + version);
        if ("shipment.status".equals(type)) {
            Map<String, Object> v1 = Json.map(
                    "status_code", Json.at(p, "status", "code"),
                    "reason_code", Json.at(p, "status", "reason"),
                    "carrier", Json.at(p, "carrier", "name"));
            if (p.containsKey("estimatedArrival")) v1.put("eta", p.get("estimatedArrival"));
            return v1;
        }
        if ("task.updated".equals(type)) {
            Map<String, Object> v1 = Json.map(
                    "trigger", p.get("triggerName"),
                    "state", p.get("taskState"),
                    "worker", p.get("workerName"));
            if (p.containsKey("etaTime")) v1.put("eta", p.get("etaTime"));
            Map<String, Object> cd = Json.obj(p.get("completionDetails"));
            if (cd != null) {
                Map<String, Object> c1 = Json.map(
                        "success", cd.get("success"),
                        "attempt", cd.get("attempt"));
                if (cd.containsKey("failureReason")) c1.put("failure_reason", cd.get("failureReason"));
                if (cd.containsKey("proofOfDelivery")) c1.put("pod", cd.get("proofOfDelivery"));
                if (cd.containsKey("photoUploadIds")) c1.put("photos", cd.get("photoUploadIds"));
                if (cd.containsKey("notes")) c1.put("notes", cd.get("notes"));
                v1.put("completion_details", c1);
            } else if (p.containsKey("completionDetails")) {
                v1.put("completion_details", p.get("completionDetails"));
            }
            return v1;
        }
        Map<String, Object> data = Json.obj(p.get("data"));
        if (data == null) throw new Api.Parked("malformed: schema 2.0 payload without data");
        return data;
    }

    /** event_time with the source's offset added when it came without one (TMS CET, others UTC/GMT). */
    static String normaliseTime(String t, String source) {
        if (t == null) return null;
        int tpos = t.indexOf('T');
        if (tpos < 0) return t;
        String time = t.substring(tpos);
        if (time.endsWith("Z") || time.endsWith("z") || time.indexOf('+') >= 0 || time.indexOf('-') >= 0) return t;
        return t + ("tms".equals(source) ? "+01:00" : "+00:00");
    }

    private String orderPath(String orderId) { return "/orders/" + Api.enc(orderId); }

    private static Map<String, Object> json(HttpLite.Resp r) throws Api.Parked {
        try {
            Map<String, Object> m = Json.obj(Json.parse(r.text()));
            if (m == null) throw new Api.Parked("answer is not a JSON object: HTTP " + r.status);
            return m;
        } catch (Json.ParseError ex) {
            throw new Api.Parked("answer is not JSON: HTTP " + r.status);
        }
    }

    private static Api.Parked finalError(String what, HttpLite.Resp r) {
        return new Api.Parked(what + ": HTTP " + r.status + " " + r.text());
    }

    /** GET the order; a status CNL is the cancellation (protocol-guide.md). */
    private Map<String, Object> readOrder(Ev e, Store.Order o, int prio) throws Api.Parked, InterruptedException {
        HttpLite.Resp r = api.call(Api.Sys.ERP, "GET", orderPath(o.id), e.corr, null, null, prio, e.seq, null);
        if (r.status != 200) throw finalError("GET order", r);
        Map<String, Object> ord = json(r);
        Object shipTo = ord.get("ship_to");
        if (Json.obj(shipTo) != null) store.set(o, "shipTo", shipTo);
        if ("CNL".equals(Json.str(ord.get("status"))) && !o.cancelled) {
            store.set(o, "cancelled", true);
            log.info("order " + o.id + " reads CNL: taken as cancelled");
        }
        return ord;
    }

    private void onReleased(Ev e, Store.Order o) throws Api.Parked, InterruptedException {
        if (o.shipmentId != null) {
            // already created (a duplicate, a drift copy, or this event resumed after a restart):
            // finish the PLN write if it never got its answer
            if (o.rank < rank("PLN") && !o.cancelled) writeStatus(e, o, "PLN");
            return;
        }
        String key = "shipment-" + o.id;
        String scoped = "tms:" + key;
        if (!store.hasBody(scoped)) {
            if (o.cancelled) return;
            Map<String, Object> ord = readOrder(e, o, 0);
            if (o.cancelled) {
                cancelWork(e, o);
                return;
            }
            Object shipTo = ord.get("ship_to");
            Object lines = ord.get("lines");
            if (Json.obj(shipTo) == null) throw new Api.Parked("order has no ship_to");
            store.body(scoped, () -> Json.write(Json.map(
                    "order_id", o.id,
                    "ship_to", shipTo,
                    "lines", lines == null ? new ArrayList<>() : lines)));
        }
        // a create already sent is finished with its key even when the order was cancelled meanwhile
        String sid = createShipment(e, o);
        if (o.cancelled) {
            cancelWork(e, o);
            return;
        }
        writeStatus(e, o, "PLN");
        if (sid == null) throw new Api.Parked("no shipment id");
    }

    private String createShipment(Ev e, Store.Order o) throws Api.Parked, InterruptedException {
        String key = "shipment-" + o.id;
        String body = store.body("tms:" + key, () -> { throw new IllegalStateException("no body"); });
        HttpLite.Resp r = api.call(Api.Sys.TMS, "POST", "/shipments", e.corr, key, body, 0, e.seq, null);
        if (r.status != 201 && r.status != 200) throw finalError("POST /shipments", r);
        String id = Json.str(json(r).get("id"));
        if (id == null) throw new Api.Parked("POST /shipments answered no id");
        store.set(o, "shipmentId", id);
        return id;
    }

    private void writeStatus(Ev e, Store.Order o, String status) throws Api.Parked, InterruptedException {
        int rk = rank(status);
        if (o.rank >= 6 || rk <= o.rank) return;
        String key = "status-" + o.id + "-" + status;
        String body = store.body("erp:" + key, () -> {
            Map<String, Object> b = Json.map("status", status, "classifier", "ACT");
            if (o.shipmentId != null) b.put("shipment_id", o.shipmentId);
            if (e.eventTime != null) b.put("event_time", e.eventTime);
            return Json.write(b);
        });
        HttpLite.Resp r = api.call(Api.Sys.ERP, "POST", orderPath(o.id) + "/logistics-status", e.corr, key, body, 1, e.seq, null);
        if (r.status / 100 != 2) throw finalError("write " + status, r);
        if (DEBUG) log.info("write " + status + " " + o.id + " -> " + r.status + " rank " + o.rank);
        if (rk > o.rank) store.set(o, "rank", rk);
    }

    private void onChanged(Ev e, Store.Order o) throws Api.Parked, InterruptedException {
        // the ERP's ship_to is the truth (an older change can arrive after a newer one)
        Map<String, Object> ord = readOrder(e, o, 1);
        if (o.cancelled) {
            cancelWork(e, o);
            return;
        }
        Object shipTo = ord.get("ship_to");
        if (o.taskId == null || Json.obj(shipTo) == null) return; // the task, when made, takes the ERP's ship_to
        String key = "destination-" + e.id;
        String body = store.body("lastmile:" + key, () -> Json.write(shipTo));
        HttpLite.Resp r = api.call(Api.Sys.LASTMILE, "POST", "/tasks/" + Api.enc(o.taskId) + "/destination",
                e.corr, key, body, 1, e.seq, null);
        if (r.status == 409) {
            log.info("order " + o.id + ": destination change too late (409)");
            return;
        }
        if (r.status / 100 != 2) throw finalError("POST destination", r);
    }

    private void onCancelled(Ev e, Store.Order o) throws Api.Parked, InterruptedException {
        if (!o.cancelled) store.set(o, "cancelled", true);
        cancelWork(e, o);
    }

    /** Cancel what can still be stopped: every shipment and task of the order we know of. */
    private void cancelWork(Ev e, Store.Order o) throws Api.Parked, InterruptedException {
        if (o.shipmentId == null && store.hasBody("tms:shipment-" + o.id)) {
            createShipment(e, o); // a create already sent: finish it with its key, then cancel what it made
        }
        List<String> shipments = new ArrayList<>();
        if (o.shipmentId != null) shipments.add(o.shipmentId);
        shipments.addAll(o.otherShipments);
        for (String sid : shipments) {
            if (o.cancelDone.contains(sid)) continue;
            String key = "cancel-" + sid;
            String body = store.body("tms:" + key, () -> "{}");
            HttpLite.Resp r = api.call(Api.Sys.TMS, "POST", "/shipments/" + Api.enc(sid) + "/cancel", e.corr, key, body, 1, e.seq, null);
            if (r.status == 200 || r.status == 409) {
                store.add(o, "cancelDone", sid);
            } else {
                log.park(e.id, o.id, "cancel shipment " + sid + ": HTTP " + r.status + " " + r.text());
            }
        }
        List<String> tasks = new ArrayList<>();
        if (o.taskId != null) tasks.add(o.taskId);
        tasks.addAll(o.otherTasks);
        for (String tid : tasks) {
            if (o.cancelDone.contains(tid)) continue;
            String key = "cancel-" + tid;
            String body = store.body("lastmile:" + key, () -> "{}");
            HttpLite.Resp r = api.call(Api.Sys.LASTMILE, "POST", "/tasks/" + Api.enc(tid) + "/cancel", e.corr, key, body, 1, e.seq, null);
            if (r.status == 200 || r.status == 409) {
                store.add(o, "cancelDone", tid);
            } else {
                log.park(e.id, o.id, "cancel task " + tid + ": HTTP " + r.status + " " + r.text());
            }
        }
    }

    private void onShipmentStatus(Ev e, Store.Order o) throws Api.Parked, InterruptedException {
        Map<String, Object> p = e.payload;
        String code = Json.str(p.get("status_code"));
        if (code == null) throw new Api.Parked("malformed shipment.status: status_code " + p.get("status_code"));
        if (!(p.get("reason_code") instanceof String) && p.containsKey("reason_code") && p.get("reason_code") != Json.NULL) {
            throw new Api.Parked("malformed shipment.status: reason_code");
        }
        if (e.retraction) return; // a retraction changes nothing
        if (e.shipmentId == null) throw new Api.Parked("shipment.status without shipment_id");
        if (!e.shipmentId.equals(o.shipmentId)) {
            store.add(o, "otherShipments", e.shipmentId);
            if (o.cancelled) cancelWork(e, o);
            return; // not the shipment we created for the order
        }
        if (!"ACT".equals(e.classifier)) return; // estimates never move the status (we record no ETAs)
        String status = tmsStatus(code);
        if (status == null) return; // a flag or an unknown code
        writeStatus(e, o, status);
        if (code.equals("X4") && !o.cancelled && o.taskId == null) createTask(e, o);
    }

    private void createTask(Ev e, Store.Order o) throws Api.Parked, InterruptedException {
        String key = "task-" + o.shipmentId;
        String scoped = "lastmile:" + key;
        if (!store.hasBody(scoped)) {
            // the destination is the ship_to the ERP holds now
            try {
                readOrder(e, o, 1);
            } catch (Api.Parked ex) {
                log.info("order " + o.id + ": ERP read before the task failed (" + ex.getMessage() + "); using the ship_to read last");
            }
            if (o.cancelled) {
                cancelWork(e, o);
                return;
            }
            Object shipTo = o.shipTo;
            if (Json.obj(shipTo) == null) throw new Api.Parked("no ship_to known for the task");
            String sid = o.shipmentId;
            store.body(scoped, () -> Json.write(Json.map("shipment_id", sid, "order_id", o.id, "destination", shipTo)));
        }
        String body = store.body(scoped, () -> { throw new IllegalStateException("no body"); });
        HttpLite.Resp r = api.call(Api.Sys.LASTMILE, "POST", "/tasks", e.corr, key, body, 1, e.seq, null);
        if (r.status != 201 && r.status != 200) throw finalError("POST /tasks", r);
        String tid = Json.str(json(r).get("id"));
        if (tid == null) throw new Api.Parked("POST /tasks answered no id");
        store.set(o, "taskId", tid);
        if (o.cancelled) cancelWork(e, o);
    }

    private void onTaskUpdated(Ev e, Store.Order o) throws Api.Parked, InterruptedException {
        Map<String, Object> p = e.payload;
        String trigger = Json.str(p.get("trigger"));
        if (trigger == null) throw new Api.Parked("malformed task.updated: trigger " + p.get("trigger"));
        Object cdRaw = p.get("completion_details");
        if (cdRaw != null && cdRaw != Json.NULL && Json.obj(cdRaw) == null) {
            throw new Api.Parked("malformed task.updated: completion_details");
        }
        if (e.retraction) return;
        if (e.taskId == null) throw new Api.Parked("task.updated without task_id");
        if (!e.taskId.equals(o.taskId)) {
            store.add(o, "otherTasks", e.taskId);
            if (o.cancelled) cancelWork(e, o);
            return;
        }
        if (!"ACT".equals(e.classifier)) return;
        switch (trigger) {
            case "taskStarted":
            case "taskArrival":
                writeStatus(e, o, "OFD");
                break;
            case "taskReturned":
                writeStatus(e, o, "RTN");
                break;
            case "taskCompleted": {
                Map<String, Object> cd = Json.obj(cdRaw);
                if (cd == null) return;
                Map<String, Object> pod = Json.obj(cd.get("pod"));
                String photo = pod == null ? null : Json.str(pod.get("photo"));
                if (!Boolean.TRUE.equals(cd.get("success")) || photo == null) return; // a failed attempt
                writeStatus(e, o, "DLV");
                invoice(e, o, photo);
                break;
            }
            default:
                break; // flags and unknown triggers
        }
    }

    private void invoice(Ev e, Store.Order o, String photo) throws Api.Parked, InterruptedException {
        if (o.invoiced || o.cancelled) return;
        String key = "invoice-" + o.id;
        String body = store.body("erp:" + key, () -> Json.write(Json.map("pod_reference", photo, "task_id", e.taskId)));
        HttpLite.Resp r = api.call(Api.Sys.ERP, "POST", orderPath(o.id) + "/invoice", e.corr, key, body, 1, e.seq,
                () -> o.cancelled);
        if (r.status / 100 != 2) throw finalError("POST invoice", r);
        store.set(o, "invoiced", true);
    }

    private void onCharges(Ev e, Store.Order o) throws Api.Parked, InterruptedException {
        Map<String, Object> p = e.payload;
        String statementId = Json.str(p.get("statement_id"));
        Object lines = p.get("lines");
        Object total = p.get("total");
        if (statementId == null || !(lines instanceof List) || !(total instanceof Json.Num)) {
            throw new Api.Parked("malformed shipment.charges_finalized");
        }
        for (Object l : (List<?>) lines) {
            if (Json.obj(l) == null || !(Json.obj(l).get("amount") instanceof Json.Num)) {
                throw new Api.Parked("malformed shipment.charges_finalized line");
            }
        }
        if (e.retraction) return;
        if (store.statements.contains(statementId)) return;
        String key = "charges-" + statementId;
        String body = store.body("erp:" + key, () -> Json.write(Json.map(
                "statement_id", statementId,
                "shipment_id", e.shipmentId == null ? Json.NULL : e.shipmentId,
                "lines", lines,
                "total", total)));
        HttpLite.Resp r = api.call(Api.Sys.ERP, "POST", orderPath(o.id) + "/freight-charges", e.corr, key, body, 1, e.seq, null);
        if (r.status / 100 != 2) throw finalError("POST freight-charges", r);
        store.statementPosted(statementId);
    }
}
