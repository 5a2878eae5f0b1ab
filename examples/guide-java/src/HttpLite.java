import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A minimal HTTP/1.1 client over plain sockets, with a keep-alive pool per host.
 *
 * Why not java.net.http.HttpClient: after a 429 no request may reach the system before its
 * Retry-After, and a request sent on the 429's own keep-alive connection counts at once
 * (live-protocol.md, "Faults"). HttpClient returns that connection to its shared pool before the
 * caller has seen the 429, so another thread can put a request on it first. Here a connection
 * that carried a 429 (or timed out, or broke) is closed, never reused, and every call has one
 * overall deadline (the client timeout) covering connect, write and read.
 */
final class HttpLite {
    static final class Resp {
        final int status;
        final Map<String, String> headers; // lower-case names
        final byte[] body;
        final long receivedNanos;
        Resp(int status, Map<String, String> headers, byte[] body, long receivedNanos) {
            this.status = status;
            this.headers = headers;
            this.body = body;
            this.receivedNanos = receivedNanos;
        }
        String text() { return new String(body, StandardCharsets.UTF_8); }
        String header(String n) { return headers.get(n.toLowerCase(Locale.ROOT)); }
    }

    static final class Target {
        final String host;
        final int port;
        final String prefix; // path prefix of the base URL, without a trailing slash
        final String hostHeader;
        Target(String baseUrl) {
            URI u = URI.create(baseUrl);
            if (!"http".equalsIgnoreCase(u.getScheme())) {
                throw new IllegalArgumentException("only http:// base URLs are supported: " + baseUrl);
            }
            host = u.getHost();
            port = u.getPort() > 0 ? u.getPort() : 80;
            String p = u.getRawPath() == null ? "" : u.getRawPath();
            while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
            prefix = p;
            hostHeader = u.getPort() > 0 ? host + ":" + port : host;
        }
        String key() { return host + ":" + port; }
    }

    private static final class Conn {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        long idleSince;
        Conn(Socket s) throws IOException {
            socket = s;
            in = new BufferedInputStream(s.getInputStream(), 16384);
            out = s.getOutputStream();
        }
        void close() {
            try { socket.close(); } catch (IOException ignored) { }
        }
    }

    /** Idle connections older than this are dropped (uvicorn closes idle ones after 5 s). */
    private static final long MAX_IDLE_NANOS = 2_000_000_000L;

    private final Map<String, ConcurrentLinkedDeque<Conn>> pools = new ConcurrentHashMap<>();

    /**
     * Sends one request and reads its answer within timeoutNanos. Throws IOException
     * (SocketTimeoutException for the deadline) when no complete answer came.
     */
    Resp send(Target t, String method, String path, List<String[]> headers, byte[] body, long timeoutNanos)
            throws IOException {
        long deadline = System.nanoTime() + timeoutNanos;
        ConcurrentLinkedDeque<Conn> pool = pools.computeIfAbsent(t.key(), k -> new ConcurrentLinkedDeque<>());
        byte[] head = buildHead(t, method, path, headers, body);
        // A pooled connection the server has closed meanwhile fails before a byte of the answer:
        // then the request never reached the server and is sent again on a fresh connection.
        while (true) {
            Conn c = pool.pollFirst();
            if (c == null) break;
            if (System.nanoTime() - c.idleSince > MAX_IDLE_NANOS || c.socket.isClosed()) {
                c.close();
                continue;
            }
            int[] got = new int[1];
            try {
                Resp r = exchange(c, head, body, method, deadline, got);
                finish(pool, c, r);
                return r;
            } catch (IOException e) {
                c.close();
                if (got[0] > 0 || e instanceof SocketTimeoutException) throw e;
                // stale: try another
            }
        }
        Conn c = connect(t, deadline);
        int[] got = new int[1];
        try {
            Resp r = exchange(c, head, body, method, deadline, got);
            finish(pool, c, r);
            return r;
        } catch (IOException e) {
            c.close();
            throw e;
        }
    }

    private static void finish(ConcurrentLinkedDeque<Conn> pool, Conn c, Resp r) {
        String conn = r.header("connection");
        boolean close = r.status == 429 || (conn != null && conn.toLowerCase(Locale.ROOT).contains("close"));
        if (close) {
            c.close();
        } else {
            c.idleSince = System.nanoTime();
            pool.offerFirst(c);
        }
    }

    private static Conn connect(Target t, long deadline) throws IOException {
        long ms = remainingMs(deadline);
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(t.host, t.port), (int) Math.max(1, Math.min(ms, Integer.MAX_VALUE)));
            return new Conn(s);
        } catch (IOException e) {
            try { s.close(); } catch (IOException ignored) { }
            throw e;
        }
    }

    private static long remainingMs(long deadline) throws SocketTimeoutException {
        long rem = deadline - System.nanoTime();
        if (rem <= 0) throw new SocketTimeoutException("client timeout");
        return Math.max(1, (rem + 999_999) / 1_000_000);
    }

    private static byte[] buildHead(Target t, String method, String path, List<String[]> headers, byte[] body) {
        StringBuilder b = new StringBuilder(256);
        b.append(method).append(' ').append(t.prefix).append(path).append(" HTTP/1.1\r\n");
        b.append("Host: ").append(t.hostHeader).append("\r\n");
        for (String[] h : headers) b.append(h[0]).append(": ").append(h[1]).append("\r\n");
        if (body != null) {
            b.append("Content-Length: ").append(body.length).append("\r\n");
        } else if (!method.equals("GET")) {
            b.append("Content-Length: 0\r\n");
        }
        b.append("\r\n");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Resp exchange(Conn c, byte[] head, byte[] body, String method, long deadline, int[] got)
            throws IOException {
        c.socket.setSoTimeout((int) Math.min(remainingMs(deadline), Integer.MAX_VALUE));
        if (body != null && body.length > 0 && head.length + body.length < 65536) {
            byte[] all = new byte[head.length + body.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(body, 0, all, head.length, body.length);
            c.out.write(all);
        } else {
            c.out.write(head);
            if (body != null && body.length > 0) c.out.write(body);
        }
        c.out.flush();
        // status line
        String status = readLine(c, deadline, got);
        if (!status.startsWith("HTTP/1.")) throw new IOException("bad status line: " + status);
        int sp = status.indexOf(' ');
        int code;
        try {
            code = Integer.parseInt(status.substring(sp + 1, Math.min(status.length(), sp + 4)));
        } catch (RuntimeException e) {
            throw new IOException("bad status line: " + status);
        }
        Map<String, String> hs = new TreeMap<>();
        while (true) {
            String line = readLine(c, deadline, got);
            if (line.isEmpty()) break;
            int colon = line.indexOf(':');
            if (colon <= 0) continue;
            String n = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String v = line.substring(colon + 1).trim();
            hs.merge(n, v, (a, b2) -> a + ", " + b2);
        }
        long received = System.nanoTime();
        byte[] respBody;
        if (method.equals("HEAD") || code == 204 || code == 304 || (code >= 100 && code < 200)) {
            respBody = new byte[0];
        } else if (hs.containsKey("transfer-encoding") && hs.get("transfer-encoding").toLowerCase(Locale.ROOT).contains("chunked")) {
            respBody = readChunked(c, deadline, got);
        } else if (hs.containsKey("content-length")) {
            int n;
            try {
                n = Integer.parseInt(hs.get("content-length").trim());
            } catch (NumberFormatException e) {
                throw new IOException("bad content-length");
            }
            respBody = readN(c, n, deadline, got);
        } else {
            respBody = readToEof(c, deadline, got);
            hs.put("connection", "close");
        }
        return new Resp(code, hs, respBody, received);
    }

    private static int read1(Conn c, long deadline, int[] got) throws IOException {
        c.socket.setSoTimeout((int) Math.min(remainingMs(deadline), Integer.MAX_VALUE));
        int b = c.in.read();
        if (b < 0) throw new EOFException("connection closed after " + got[0] + " bytes");
        got[0]++;
        return b;
    }

    private static String readLine(Conn c, long deadline, int[] got) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        while (true) {
            int x = read1(c, deadline, got);
            if (x == '\n') break;
            if (x != '\r') b.write(x);
            if (b.size() > 65536) throw new IOException("header line too long");
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static byte[] readN(Conn c, int n, long deadline, int[] got) throws IOException {
        byte[] buf = new byte[n];
        int off = 0;
        while (off < n) {
            c.socket.setSoTimeout((int) Math.min(remainingMs(deadline), Integer.MAX_VALUE));
            int r = c.in.read(buf, off, n - off);
            if (r < 0) throw new EOFException("body cut short");
            off += r;
            got[0] += r;
        }
        return buf;
    }

    private static byte[] readChunked(Conn c, long deadline, int[] got) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String line = readLine(c, deadline, got);
            int semi = line.indexOf(';');
            String hex = (semi >= 0 ? line.substring(0, semi) : line).trim();
            int n;
            try {
                n = Integer.parseInt(hex, 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size");
            }
            if (n == 0) {
                while (!readLine(c, deadline, got).isEmpty()) { /* trailers */ }
                return out.toByteArray();
            }
            out.write(readN(c, n, deadline, got));
            readLine(c, deadline, got);
        }
    }

    private static byte[] readToEof(Conn c, long deadline, int[] got) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (true) {
            c.socket.setSoTimeout((int) Math.min(remainingMs(deadline), Integer.MAX_VALUE));
            int r = c.in.read(buf);
            if (r < 0) return out.toByteArray();
            out.write(buf, 0, r);
            got[0] += r;
        }
    }
}
