import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON parser and printer. Objects are LinkedHashMap, arrays ArrayList, strings String,
 * true/false Boolean, null {@link #NULL}, and numbers {@link Num}, which keeps the number's text
 * as it came: an Idempotency-Key's body must be the same JSON on every retry, and `1` and `1.0`
 * differ there, so a number is never reformatted.
 */
final class Json {
    private Json() {}

    /** JSON null (Java null means "absent" in lookups). */
    static final Object NULL = new Object() {
        @Override public String toString() { return "null"; }
    };

    static final class Num {
        final String raw;
        Num(String raw) { this.raw = raw; }
        double value() { return Double.parseDouble(raw); }
        boolean isInteger() { return raw.indexOf('.') < 0 && raw.indexOf('e') < 0 && raw.indexOf('E') < 0; }
        @Override public boolean equals(Object o) { return o instanceof Num && ((Num) o).raw.equals(raw); }
        @Override public int hashCode() { return raw.hashCode(); }
        @Override public String toString() { return raw; }
    }

    static final class ParseError extends Exception {
        ParseError(String m) { super(m); }
    }

    static Object parse(String s) throws ParseError {
        Parser p = new Parser(s);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.i != s.length()) throw new ParseError("trailing characters at " + p.i);
        return v;
    }

    private static final class Parser {
        final String s;
        int i;
        Parser(String s) { this.s = s; }

        void ws() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++; else break;
            }
        }

        Object value(int depth) throws ParseError {
            if (depth > 200) throw new ParseError("too deep");
            if (i >= s.length()) throw new ParseError("unexpected end");
            char c = s.charAt(i);
            switch (c) {
                case '{': return object(depth);
                case '[': return array(depth);
                case '"': return string();
                case 't': lit("true"); return Boolean.TRUE;
                case 'f': lit("false"); return Boolean.FALSE;
                case 'n': lit("null"); return NULL;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return number();
                    throw new ParseError("unexpected '" + c + "' at " + i);
            }
        }

        void lit(String w) throws ParseError {
            if (!s.startsWith(w, i)) throw new ParseError("bad literal at " + i);
            i += w.length();
        }

        Map<String, Object> object(int depth) throws ParseError {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == '}') { i++; return m; }
            while (true) {
                ws();
                if (i >= s.length() || s.charAt(i) != '"') throw new ParseError("expected key at " + i);
                String k = string();
                ws();
                if (i >= s.length() || s.charAt(i) != ':') throw new ParseError("expected ':' at " + i);
                i++;
                ws();
                m.put(k, value(depth + 1));
                ws();
                if (i >= s.length()) throw new ParseError("unexpected end in object");
                char c = s.charAt(i++);
                if (c == '}') return m;
                if (c != ',') throw new ParseError("expected ',' or '}' at " + (i - 1));
            }
        }

        List<Object> array(int depth) throws ParseError {
            List<Object> a = new ArrayList<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == ']') { i++; return a; }
            while (true) {
                ws();
                a.add(value(depth + 1));
                ws();
                if (i >= s.length()) throw new ParseError("unexpected end in array");
                char c = s.charAt(i++);
                if (c == ']') return a;
                if (c != ',') throw new ParseError("expected ',' or ']' at " + (i - 1));
            }
        }

        String string() throws ParseError {
            i++; // opening quote
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) throw new ParseError("unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c == '\\') {
                    if (i >= s.length()) throw new ParseError("bad escape");
                    char e = s.charAt(i++);
                    switch (e) {
                        case '"': b.append('"'); break;
                        case '\\': b.append('\\'); break;
                        case '/': b.append('/'); break;
                        case 'b': b.append('\b'); break;
                        case 'f': b.append('\f'); break;
                        case 'n': b.append('\n'); break;
                        case 'r': b.append('\r'); break;
                        case 't': b.append('\t'); break;
                        case 'u':
                            if (i + 4 > s.length()) throw new ParseError("bad \\u escape");
                            try {
                                b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            } catch (NumberFormatException ex) {
                                throw new ParseError("bad \\u escape");
                            }
                            i += 4;
                            break;
                        default: throw new ParseError("bad escape \\" + e);
                    }
                } else if (c < 0x20) {
                    throw new ParseError("control character in string");
                } else {
                    b.append(c);
                }
            }
        }

        Num number() throws ParseError {
            int st = i;
            if (s.charAt(i) == '-') i++;
            int digits = 0;
            while (i < s.length() && Character.isDigit(s.charAt(i))) { i++; digits++; }
            if (digits == 0) throw new ParseError("bad number at " + st);
            if (i < s.length() && s.charAt(i) == '.') {
                i++;
                int fd = 0;
                while (i < s.length() && Character.isDigit(s.charAt(i))) { i++; fd++; }
                if (fd == 0) throw new ParseError("bad number at " + st);
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
                int ed = 0;
                while (i < s.length() && Character.isDigit(s.charAt(i))) { i++; ed++; }
                if (ed == 0) throw new ParseError("bad number at " + st);
            }
            return new Num(s.substring(st, i));
        }
    }

    static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(v, b);
        return b.toString();
    }

    @SuppressWarnings("unchecked")
    static void write(Object v, StringBuilder b) {
        if (v == null || v == NULL) {
            b.append("null");
        } else if (v instanceof String) {
            quote((String) v, b);
        } else if (v instanceof Num) {
            b.append(((Num) v).raw);
        } else if (v instanceof Boolean) {
            b.append(((Boolean) v) ? "true" : "false");
        } else if (v instanceof Integer || v instanceof Long) {
            b.append(v.toString());
        } else if (v instanceof Map) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) {
                if (!first) b.append(',');
                first = false;
                quote(e.getKey(), b);
                b.append(':');
                write(e.getValue(), b);
            }
            b.append('}');
        } else if (v instanceof List) {
            b.append('[');
            boolean first = true;
            for (Object o : (List<Object>) v) {
                if (!first) b.append(',');
                first = false;
                write(o, b);
            }
            b.append(']');
        } else {
            throw new IllegalArgumentException("not JSON: " + v.getClass());
        }
    }

    static void quote(String s, StringBuilder b) {
        b.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                case '\b': b.append("\\b"); break;
                case '\f': b.append("\\f"); break;
                default:
                    if (c < 0x20 || (c >= 0xD800 && c <= 0xDFFF)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        b.append('"');
    }

    // ---- lookups -------------------------------------------------------------------------

    /** The value at a path of object keys, or null when any step is absent or not an object. */
    @SuppressWarnings("unchecked")
    static Object at(Object v, String... path) {
        Object cur = v;
        for (String k : path) {
            if (!(cur instanceof Map)) return null;
            cur = ((Map<String, Object>) cur).get(k);
            if (cur == null) return null;
        }
        return cur;
    }

    static String str(Object v) { return v instanceof String ? (String) v : null; }

    @SuppressWarnings("unchecked")
    static Map<String, Object> obj(Object v) { return v instanceof Map ? (Map<String, Object>) v : null; }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int k = 0; k + 1 < kv.length; k += 2) m.put((String) kv[k], kv[k + 1]);
        return m;
    }
}
