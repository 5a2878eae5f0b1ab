import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Calls to the three systems: OAuth2 tokens, backoff and retries, timeouts sized to the pace,
 * and a hold per system after a 429 (protocol-guide.md, "Retries, timeouts and the pace").
 */
final class Api {
    enum Sys {
        ERP("erp"), TMS("tms"), LASTMILE("lastmile");
        final String name;
        Sys(String n) { name = n; }
    }

    /** The work was given up (a final 4xx, two simulated days without an answer, or told to stop). */
    static final class Parked extends Exception {
        Parked(String m) { super(m); }
    }

    /** The run this call belonged to was replaced by a new configuration. */
    static final class Stale extends RuntimeException {
        Stale() { super("stale run"); }
    }

    private final HttpLite http = new HttpLite();
    private final HttpLite.Target[] targets = new HttpLite.Target[3];
    private final Limiter[] limiters = {new Limiter(), new Limiter(), new Limiter()};
    private final Token[] tokens = {new Token(), new Token(), new Token()};
    private final String clientId;
    private final String clientSecret;
    final double scale;
    private final long timeoutNanos;
    private volatile boolean stopped;

    Api(String erp, String tms, String lastmile, String clientId, String clientSecret, double scale) {
        targets[0] = new HttpLite.Target(erp);
        targets[1] = new HttpLite.Target(tms);
        targets[2] = new HttpLite.Target(lastmile);
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.scale = scale;
        // the scenarios' clients give up after 30 simulated seconds; never below 0.25 wall s
        this.timeoutNanos = (long) (Math.max(30.0 / scale, 0.25) * 1e9);
    }

    void stop() { stopped = true; }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    // ---- the per-system hold after a 429, and pacing while throttled ------------------------

    private static final class Waiter implements Comparable<Waiter> {
        final int prio;
        final long seq;
        final long n;
        Waiter(int prio, long seq, long n) { this.prio = prio; this.seq = seq; this.n = n; }
        @Override public int compareTo(Waiter o) {
            if (prio != o.prio) return Integer.compare(prio, o.prio);
            if (seq != o.seq) return Long.compare(seq, o.seq);
            return Long.compare(n, o.n);
        }
    }

    /**
     * After a 429 the whole system waits until its Retry-After (the exact
     * x-seatrial-retry-after when given). While a system is throttled (a 429 in the last few
     * wall seconds) its calls go out at most two at a time, in priority order (the release
     * flow's ERP read and TMS create first, then older events first), so that when the hold ends
     * they do not all hit an empty bucket at once.
     */
    private static final class Limiter {
        volatile long holdUntil;       // System.nanoTime()
        volatile long throttledUntil;  // System.nanoTime()
        private final PriorityQueue<Waiter> queue = new PriorityQueue<>();
        private int inFlight;
        private long counter;
        private static final int MAX_IN_FLIGHT = 2;

        boolean acquire(int prio, long seq) throws InterruptedException {
            if (System.nanoTime() - throttledUntil >= 0) return false;
            synchronized (this) {
                Waiter w = new Waiter(prio, seq, counter++);
                queue.add(w);
                while (queue.peek() != w || inFlight >= MAX_IN_FLIGHT) wait();
                queue.poll();
                inFlight++;
                notifyAll();
            }
            return true;
        }

        void release(boolean gated) {
            if (!gated) return;
            synchronized (this) {
                inFlight--;
                notifyAll();
            }
        }

        void waitHold() throws InterruptedException {
            while (true) {
                long d = holdUntil - System.nanoTime();
                if (d <= 0) return;
                Thread.sleep(d / 1_000_000, (int) (d % 1_000_000));
            }
        }

        synchronized void hold(long untilNanos, long throttleNanos) {
            if (untilNanos - holdUntil > 0) holdUntil = untilNanos;
            long t = System.nanoTime() + throttleNanos;
            if (t - throttledUntil > 0) throttledUntil = t;
        }
    }

    // ---- tokens -----------------------------------------------------------------------------

    private static final class Token {
        String value;
        long refreshAt; // nanoTime
    }

    private String token(Sys s, int prio, long seq, BooleanSupplier abort) throws Parked, InterruptedException {
        Token t = tokens[s.ordinal()];
        synchronized (t) {
            if (t.value != null && System.nanoTime() - t.refreshAt < 0) return t.value;
            String form = "grant_type=client_credentials&client_id=" + enc(clientId) + "&client_secret=" + enc(clientSecret);
            List<String[]> hs = new ArrayList<>();
            hs.add(new String[] {"Content-Type", "application/x-www-form-urlencoded"});
            hs.add(new String[] {"Accept", "application/json"});
            HttpLite.Resp r = loop(s, "POST", "/oauth/token", hs, form.getBytes(StandardCharsets.UTF_8), prio, seq, false, abort);
            if (r.status != 200) throw new Parked("token: HTTP " + r.status + " " + r.text());
            try {
                Object j = Json.parse(r.text());
                String tok = Json.str(Json.at(j, "access_token"));
                Object exp = Json.at(j, "expires_in");
                double life = exp instanceof Json.Num ? ((Json.Num) exp).value() : 3600;
                if (tok == null) throw new Parked("token: no access_token");
                t.value = tok;
                // fetch a new one shortly before it expires (a 401 also refreshes it)
                t.refreshAt = System.nanoTime() + (long) (Math.max(0.5, life * 0.8) * 1e9);
                return tok;
            } catch (Json.ParseError e) {
                throw new Parked("token: not JSON");
            }
        }
    }

    private void dropToken(Sys s, String old) {
        Token t = tokens[s.ordinal()];
        synchronized (t) {
            if (old != null && old.equals(t.value)) t.value = null;
        }
    }

    // ---- calls ------------------------------------------------------------------------------

    /** One API call with retries until a definite answer (2xx or a 4xx other than 401/429). */
    HttpLite.Resp call(Sys s, String method, String path, String corr, String idemKey, String body,
                       int prio, long seq, BooleanSupplier abort) throws Parked, InterruptedException {
        List<String[]> hs = new ArrayList<>();
        hs.add(new String[] {"Accept", "application/json"});
        if (corr != null) hs.add(new String[] {"X-Correlation-ID", corr});
        if (idemKey != null) hs.add(new String[] {"Idempotency-Key", idemKey});
        byte[] b = null;
        if (body != null) {
            hs.add(new String[] {"Content-Type", "application/json"});
            b = body.getBytes(StandardCharsets.UTF_8);
        }
        return loop(s, method, path, hs, b, prio, seq, true, abort);
    }

    private static final double TWO_DAYS = 2 * 86400.0;

    private HttpLite.Resp loop(Sys s, String method, String path, List<String[]> baseHeaders, byte[] body,
                               int prio, long seq, boolean auth, BooleanSupplier abort)
            throws Parked, InterruptedException {
        long start = System.nanoTime();
        int attempt = 0;
        int authFailures = 0;
        String lastProblem = "";
        Limiter lim = limiters[s.ordinal()];
        HttpLite.Target target = targets[s.ordinal()];
        while (true) {
            if (stopped) throw new Stale();
            if (abort != null && abort.getAsBoolean()) throw new Parked("stopped: " + lastProblem);
            double simElapsed = (System.nanoTime() - start) / 1e9 * scale;
            if (simElapsed > TWO_DAYS) throw new Parked("no definite answer for 2 simulated days: " + lastProblem);
            List<String[]> hs = baseHeaders;
            String tok = null;
            if (auth) {
                tok = token(s, prio, seq, abort);
                hs = new ArrayList<>(baseHeaders);
                hs.add(new String[] {"Authorization", "Bearer " + tok});
            }
            boolean gated = lim.acquire(prio, seq);
            HttpLite.Resp r = null;
            IOException err = null;
            try {
                lim.waitHold();
                r = http.send(target, method, path, hs, body, timeoutNanos);
            } catch (IOException e) {
                err = e;
            } finally {
                lim.release(gated);
            }
            if (err != null) {
                lastProblem = method + " " + path + ": " + err;
                sleepSim(backoff(attempt++));
                continue;
            }
            int st = r.status;
            if (st == 429) {
                double wait = retryAfterSeconds(r);
                lim.hold(r.receivedNanos + (long) (wait * 1e9) + 1_000_000L, (long) (Math.max(2.0, 120.0 / scale) * 1e9));
                lastProblem = method + " " + path + ": 429";
                continue;
            }
            if (st == 401 && auth) {
                dropToken(s, tok);
                lastProblem = method + " " + path + ": 401 " + r.text();
                if (++authFailures > 2) sleepSim(backoff(attempt++));
                continue;
            }
            if (st >= 500) {
                lastProblem = method + " " + path + ": " + st;
                String x = r.header("x-seatrial-retry-after");
                double waitSim = backoff(attempt++);
                if (x != null) {
                    try {
                        // an outage that says when it ends: wait for that (advice), at most 10 sim min at a time
                        double w = Double.parseDouble(x.trim()) * scale;
                        waitSim = Math.min(Math.max(w, waitSim), 600.0) * (1.0 + 0.1 * ThreadLocalRandom.current().nextDouble());
                    } catch (NumberFormatException ignored) { }
                }
                sleepSim(waitSim);
                continue;
            }
            return r;
        }
    }

    /** Simulated seconds to wait before retry number attempt (0-based): 1 s doubling to 10 min, with jitter. */
    private static double backoff(int attempt) {
        double base = Math.min(600.0, Math.pow(2, Math.min(attempt, 20)));
        return base * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble());
    }

    private void sleepSim(double simSeconds) throws InterruptedException {
        double wall = simSeconds / scale;
        long nanos = (long) (wall * 1e9);
        if (nanos <= 0) return;
        Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    }

    /** The wait a 429 asks for, in wall seconds: x-seatrial-retry-after, else Retry-After (seconds or HTTP-date). */
    static double retryAfterSeconds(HttpLite.Resp r) {
        String x = r.header("x-seatrial-retry-after");
        if (x != null) {
            try {
                return Math.max(0, Double.parseDouble(x.trim()));
            } catch (NumberFormatException ignored) { }
        }
        String ra = r.header("retry-after");
        if (ra != null) {
            ra = ra.trim();
            try {
                return Math.max(0, Double.parseDouble(ra));
            } catch (NumberFormatException ignored) { }
            try {
                ZonedDateTime until = ZonedDateTime.parse(ra, DateTimeFormatter.RFC_1123_DATE_TIME);
                long ms = until.toInstant().toEpochMilli() - System.currentTimeMillis();
                return Math.max(0, ms / 1000.0);
            } catch (RuntimeException ignored) { }
        }
        return 1.0;
    }
}
