import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The durable state: an append-only journal (one JSON record a line) in SEATRIAL_STATE_DIR,
 * replayed into memory at start. Every record is handed to the operating system with one
 * write() before the action it guards goes on (the 2xx to a webhook, the send of a body under an
 * Idempotency-Key), which is what survives a SIGKILL (protocol-guide.md, "Durable state").
 *
 * Records ("t"):
 *   E  an event accepted: {id, seq, ev}
 *   D  an event finished (done or parked): {id, why?}
 *   O  one field of an order's state: {o, f, v}
 *   A  an id added to one of an order's sets: {o, f, v}
 *   K  the body sent under an Idempotency-Key: {k, b}
 *   S  a freight statement posted: {s}
 */
final class Store {
    static final class Order {
        final String id;
        volatile String corr;
        volatile boolean cancelled;
        volatile Object shipTo;
        volatile String shipmentId;
        volatile int rank; // highest ERP status rank written as an actual (0 = none / REL)
        volatile String taskId;
        volatile boolean invoiced;
        final Set<String> otherShipments = ConcurrentHashMap.newKeySet();
        final Set<String> otherTasks = ConcurrentHashMap.newKeySet();
        final Set<String> cancelDone = ConcurrentHashMap.newKeySet(); // shipment/task ids whose cancel got a definite answer
        Order(String id) { this.id = id; }
    }

    static final class Pending {
        final String id;
        final long seq;
        final Map<String, Object> ev;
        Pending(String id, long seq, Map<String, Object> ev) { this.id = id; this.seq = seq; this.ev = ev; }
    }

    final Map<String, Order> orders = new ConcurrentHashMap<>();
    final Set<String> seen = ConcurrentHashMap.newKeySet();
    final Map<String, String> bodies = new ConcurrentHashMap<>();
    final Set<String> statements = ConcurrentHashMap.newKeySet();
    private final FileOutputStream out; // null: in memory only
    private long seqCounter;

    /** Opens (and replays) the journal in dir, or keeps everything in memory when dir is null. */
    Store(Path dir, List<Pending> pendingOut) throws IOException {
        if (dir == null) {
            out = null;
            return;
        }
        Files.createDirectories(dir);
        Path file = dir.resolve("journal.jsonl");
        if (Files.exists(file)) replay(file, pendingOut);
        out = new FileOutputStream(file.toFile(), true);
    }

    private void replay(Path file, List<Pending> pendingOut) throws IOException {
        Map<String, Pending> pending = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (String line : lines) {
            if (line.isEmpty()) continue;
            Map<String, Object> r;
            try {
                r = Json.obj(Json.parse(line));
            } catch (Json.ParseError e) {
                continue; // a record cut short by the crash: it was never acted on
            }
            if (r == null) continue;
            String t = Json.str(r.get("t"));
            if (t == null) continue;
            switch (t) {
                case "E": {
                    String id = Json.str(r.get("id"));
                    long seq = ((Json.Num) r.get("seq")).isInteger() ? Long.parseLong(((Json.Num) r.get("seq")).raw) : 0;
                    seqCounter = Math.max(seqCounter, seq);
                    seen.add(id);
                    pending.put(id, new Pending(id, seq, Json.obj(r.get("ev"))));
                    break;
                }
                case "D":
                    pending.remove(Json.str(r.get("id")));
                    break;
                case "O":
                    applyField(order(Json.str(r.get("o"))), Json.str(r.get("f")), r.get("v"));
                    break;
                case "A":
                    applyAdd(order(Json.str(r.get("o"))), Json.str(r.get("f")), Json.str(r.get("v")));
                    break;
                case "K":
                    bodies.put(Json.str(r.get("k")), Json.str(r.get("b")));
                    break;
                case "S":
                    statements.add(Json.str(r.get("s")));
                    break;
                case "X": // seen but never processed (parked at receipt)
                    seen.add(Json.str(r.get("id")));
                    break;
                default:
                    break;
            }
        }
        pendingOut.addAll(pending.values());
    }

    private void append(Map<String, Object> rec) {
        if (out == null) return;
        byte[] b = (Json.write(rec) + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (this) {
            try {
                out.write(b);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    Order order(String id) {
        return orders.computeIfAbsent(id, Order::new);
    }

    synchronized long nextSeq() {
        return ++seqCounter;
    }

    /** Records an accepted event (before its 2xx). */
    void accepted(String id, long seq, Map<String, Object> ev) {
        append(Json.map("t", "E", "id", id, "seq", new Json.Num(Long.toString(seq)), "ev", ev));
    }

    /** Records an event answered 2xx without processing (parked at receipt). */
    void parkedAtReceipt(String id, String why) {
        append(Json.map("t", "X", "id", id, "why", why));
    }

    void done(String id, String why) {
        if (why == null) append(Json.map("t", "D", "id", id));
        else append(Json.map("t", "D", "id", id, "why", why));
    }

    void set(Order o, String field, Object value) {
        applyField(o, field, value);
        append(Json.map("t", "O", "o", o.id, "f", field, "v", toJson(value)));
    }

    void add(Order o, String field, String value) {
        if (applyAdd(o, field, value)) append(Json.map("t", "A", "o", o.id, "f", field, "v", value));
    }

    void statementPosted(String statementId) {
        if (statements.add(statementId)) append(Json.map("t", "S", "s", statementId));
    }

    /**
     * The body to send under an Idempotency-Key: the one sent before under it if any (a retry,
     * also after a restart, must send the same body), else a new one, recorded before it is sent.
     */
    String body(String scopedKey, Supplier<String> build) {
        String b = bodies.get(scopedKey);
        if (b != null) return b;
        synchronized (this) {
            b = bodies.get(scopedKey);
            if (b != null) return b;
            b = build.get();
            bodies.put(scopedKey, b);
            append(Json.map("t", "K", "k", scopedKey, "b", b));
            return b;
        }
    }

    boolean hasBody(String scopedKey) {
        return bodies.containsKey(scopedKey);
    }

    private static Object toJson(Object v) {
        if (v instanceof Boolean || v instanceof String || v == null || v instanceof Map || v instanceof List
                || v instanceof Json.Num) return v == null ? Json.NULL : v;
        if (v instanceof Integer || v instanceof Long) return new Json.Num(v.toString());
        throw new IllegalArgumentException("unsupported " + v.getClass());
    }

    private static void applyField(Order o, String f, Object v) {
        if (v == Json.NULL) v = null;
        switch (f) {
            case "corr": o.corr = (String) v; break;
            case "cancelled": o.cancelled = Boolean.TRUE.equals(v); break;
            case "shipTo": o.shipTo = v; break;
            case "shipmentId": o.shipmentId = (String) v; break;
            case "rank":
                o.rank = v instanceof Json.Num ? Integer.parseInt(((Json.Num) v).raw) : ((Number) v).intValue();
                break;
            case "taskId": o.taskId = (String) v; break;
            case "invoiced": o.invoiced = Boolean.TRUE.equals(v); break;
            default: break;
        }
    }

    private static boolean applyAdd(Order o, String f, String v) {
        switch (f) {
            case "otherShipments": return o.otherShipments.add(v);
            case "otherTasks": return o.otherTasks.add(v);
            case "cancelDone": return o.cancelDone.add(v);
            default: return false;
        }
    }

    static List<String> listOf(String... xs) {
        List<String> l = new ArrayList<>();
        for (String x : xs) if (x != null) l.add(x);
        return l;
    }

    static Set<String> orderedSet() { return new LinkedHashSet<>(); }
}
