import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Seatrial sync implementation in Java 17, standard library only.
 *
 * Serves GET /health, POST /webhooks/{erp,tms,lastmile} and POST /seatrial/configure on
 * 127.0.0.1:$PORT; takes its settings from the environment (or the configure body), keeps its
 * state in a journal under $SEATRIAL_STATE_DIR, and works each order's events in order on a
 * worker thread of its own.
 */
public final class Main {
    static final String[] SYSTEMS = {"erp", "tms", "lastmile"};
    static final String[] REQUIRED = {
        "SEATRIAL_ERP_URL", "SEATRIAL_TMS_URL", "SEATRIAL_LASTMILE_URL",
        "SEATRIAL_CLIENT_ID", "SEATRIAL_CLIENT_SECRET",
        "SEATRIAL_ERP_WEBHOOK_SECRET", "SEATRIAL_TMS_WEBHOOK_SECRET", "SEATRIAL_LASTMILE_WEBHOOK_SECRET",
        "SEATRIAL_TIME_SCALE",
    };

    /** Everything that belongs to one run (one configuration). */
    static final class World {
        final byte[][] webhookKeys = new byte[3][];
        final Store store;
        final Api api;
        final Sync sync;
        World(Map<String, String> settings, Path stateDir, ExecutorService workers, Log log) throws IOException {
            for (int i = 0; i < 3; i++) {
                String s = settings.get("SEATRIAL_" + SYSTEMS[i].toUpperCase() + "_WEBHOOK_SECRET");
                webhookKeys[i] = Base64.getDecoder().decode(s.substring("whsec_".length()));
            }
            double scale = Double.parseDouble(settings.get("SEATRIAL_TIME_SCALE"));
            List<Store.Pending> pending = new ArrayList<>();
            store = new Store(stateDir, pending);
            api = new Api(settings.get("SEATRIAL_ERP_URL"), settings.get("SEATRIAL_TMS_URL"),
                    settings.get("SEATRIAL_LASTMILE_URL"), settings.get("SEATRIAL_CLIENT_ID"),
                    settings.get("SEATRIAL_CLIENT_SECRET"), scale);
            sync = new Sync(store, api, workers, log);
            if (!pending.isEmpty()) log.info("restart: " + pending.size() + " event(s) to resume");
            for (Store.Pending p : pending) {
                String orderId = Json.str(p.ev.get("order_id"));
                if (orderId == null) {
                    store.done(p.id, "no order_id");
                } else {
                    sync.enqueue(orderId, p);
                }
            }
        }
    }

    private static volatile World world;
    private static Log log;
    private static ExecutorService workers;
    private static final Object acceptLock = new Object();

    public static void main(String[] args) throws Exception {
        // answer without Nagle's delay (the JDK server otherwise leaves it on)
        System.setProperty("sun.net.httpserver.nodelay", "true");
        String port = System.getenv().getOrDefault("PORT", "8080");
        log = new Log(port);
        AtomicInteger n = new AtomicInteger();
        workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "order-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Map<String, String> env = System.getenv();
        if (missing(env).isEmpty()) {
            String dir = env.get("SEATRIAL_STATE_DIR");
            world = new World(env, dir == null || dir.isEmpty() ? null : Paths.get(dir), workers, log);
        } else {
            log.info("no settings in the environment (missing " + missing(env) + "): waiting for POST /seatrial/configure");
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(port)), 256);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", Main::route);
        server.start();
        log.info("listening on 127.0.0.1:" + port);
    }

    private static List<String> missing(Map<String, String> s) {
        List<String> m = new ArrayList<>();
        for (String k : REQUIRED) {
            String v = s.get(k);
            if (v == null || v.isEmpty()) m.add(k);
        }
        return m;
    }

    private static void route(HttpExchange x) {
        try {
            String path = x.getRequestURI().getPath();
            String method = x.getRequestMethod();
            byte[] body = readBody(x);
            if (path.equals("/health") && method.equals("GET")) {
                send(x, 200, "{\"status\":\"ok\"}");
            } else if (path.startsWith("/webhooks/") && method.equals("POST")) {
                String sys = path.substring("/webhooks/".length());
                int idx = indexOf(sys);
                if (idx < 0) send(x, 404, problem(404, "no such webhook"));
                else webhook(x, idx, body);
            } else if (path.equals("/seatrial/configure") && method.equals("POST")) {
                configure(x, body);
            } else {
                send(x, 404, problem(404, "not found"));
            }
        } catch (Throwable t) {
            log.error("request failed: " + t, t);
            try {
                send(x, 500, problem(500, "internal error"));
            } catch (IOException ignored) { }
        } finally {
            x.close();
        }
    }

    private static int indexOf(String sys) {
        for (int i = 0; i < SYSTEMS.length; i++) if (SYSTEMS[i].equals(sys)) return i;
        return -1;
    }

    private static byte[] readBody(HttpExchange x) throws IOException {
        try (InputStream in = x.getRequestBody()) {
            return in.readAllBytes();
        }
    }

    private static void send(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", status >= 400 ? "application/problem+json" : "application/json");
        x.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            try (OutputStream o = x.getResponseBody()) {
                o.write(b);
            }
        }
    }

    private static String problem(int status, String detail) {
        return Json.write(Json.map("type", "about:blank", "title", detail, "status", status, "detail", detail));
    }

    // ---- webhooks -----------------------------------------------------------------------

    private static void webhook(HttpExchange x, int sysIdx, byte[] body) throws IOException {
        World w = world;
        if (w == null) {
            send(x, 503, problem(503, "not configured yet"));
            return;
        }
        String id = x.getRequestHeaders().getFirst("webhook-id");
        String ts = x.getRequestHeaders().getFirst("webhook-timestamp");
        String sig = x.getRequestHeaders().getFirst("webhook-signature");
        if (!verify(w.webhookKeys[sysIdx], id, ts, sig, body)) {
            send(x, 401, problem(401, "missing or wrong signature, or a stale timestamp"));
            return;
        }
        Map<String, Object> env;
        try {
            env = Json.obj(Json.parse(new String(body, StandardCharsets.UTF_8)));
        } catch (Json.ParseError e) {
            env = null;
        }
        String eventId = env == null ? null : Json.str(env.get("event_id"));
        if (env == null || eventId == null || Json.str(env.get("type")) == null || Json.str(env.get("event_time")) == null) {
            // signed, but no event envelope: parked (2xx), as a malformed message is
            log.park(id, null, "not an event envelope");
            send(x, 202, "{\"parked\":true}");
            return;
        }
        if (!SYSTEMS[sysIdx].equals(env.get("source"))) {
            // an envelope naming another source is not from this one
            send(x, 401, problem(401, "source does not match the webhook path"));
            return;
        }
        Store store = w.store;
        if (store.seen.contains(eventId)) {
            send(x, 200, "{\"duplicate\":true}");
            return;
        }
        synchronized (acceptLock) {
            if (!store.seen.add(eventId)) {
                // fall through to answer: the first delivery was journaled before our lock
            } else {
                String orderId = Json.str(env.get("order_id"));
                if (orderId == null) {
                    store.parkedAtReceipt(eventId, "order_id null");
                    log.park(eventId, null, "order_id null");
                } else {
                    long seq = store.nextSeq();
                    store.accepted(eventId, seq, env);
                    if ("order.cancelled".equals(env.get("type")) && "erp".equals(env.get("source"))) {
                        // remember the cancellation at once: no invoice from now on
                        Store.Order o = store.order(orderId);
                        if (!o.cancelled) store.set(o, "cancelled", true);
                    }
                    w.sync.enqueue(orderId, new Store.Pending(eventId, seq, env));
                }
            }
        }
        send(x, 200, "{\"accepted\":true}");
    }

    private static boolean verify(byte[] key, String id, String ts, String sigHeader, byte[] body) {
        if (id == null || ts == null || sigHeader == null) return false;
        long t;
        try {
            t = Long.parseLong(ts.trim());
        } catch (NumberFormatException e) {
            return false;
        }
        long now = System.currentTimeMillis() / 1000;
        if (Math.abs(now - t) > 300) return false;
        byte[] expected;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
            mac.update(body);
            expected = mac.doFinal();
        } catch (Exception e) {
            return false;
        }
        for (String part : sigHeader.trim().split(" ")) {
            int comma = part.indexOf(',');
            if (comma < 0 || !part.substring(0, comma).equals("v1")) continue;
            byte[] got;
            try {
                got = Base64.getDecoder().decode(part.substring(comma + 1));
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (MessageDigest.isEqual(expected, got)) return true;
        }
        return false;
    }

    // ---- configure (a SUT that is already running) --------------------------------------

    private static void configure(HttpExchange x, byte[] body) throws IOException {
        String secret = System.getenv("SEATRIAL_CONTROL_SECRET");
        String auth = x.getRequestHeaders().getFirst("Authorization");
        boolean ok = secret != null && !secret.isEmpty() && auth != null
                && MessageDigest.isEqual(("Bearer " + secret).getBytes(StandardCharsets.UTF_8), auth.getBytes(StandardCharsets.UTF_8));
        if (!ok) {
            x.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            send(x, 401, problem(401, "the control secret is required"));
            return;
        }
        Map<String, Object> m;
        try {
            m = Json.obj(Json.parse(new String(body, StandardCharsets.UTF_8)));
        } catch (Json.ParseError e) {
            m = null;
        }
        if (m == null) {
            send(x, 400, problem(400, "the body is not a JSON object"));
            return;
        }
        Map<String, String> s = new HashMap<>();
        for (Map.Entry<String, Object> e : m.entrySet()) {
            Object v = e.getValue();
            if (v instanceof String) s.put(e.getKey(), (String) v);
            else if (v instanceof Json.Num) s.put(e.getKey(), ((Json.Num) v).raw);
        }
        List<String> miss = missing(s);
        if (!miss.isEmpty()) {
            send(x, 422, problem(422, "missing settings: " + miss));
            return;
        }
        World old = world;
        try {
            Path dir = null;
            String base = System.getenv("SEATRIAL_STATE_DIR");
            if (base != null && !base.isEmpty()) {
                dir = Paths.get(base, "run-" + System.nanoTime());
                Files.createDirectories(dir);
            }
            World nw = new World(s, dir, workers, log);
            world = nw;
        } catch (RuntimeException e) {
            send(x, 422, problem(422, "malformed setting: " + e.getMessage()));
            return;
        }
        if (old != null) old.api.stop();
        log.info("configured: a new run starts");
        send(x, 200, "{\"configured\":true}");
    }
}
