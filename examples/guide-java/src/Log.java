import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;

/**
 * Parked work and errors go to stderr (Seatrial's sut.log, removed with the run) and to a file
 * outside SEATRIAL_STATE_DIR that outlives the run: $GUIDE_JAVA_LOG_DIR (default
 * /tmp/guide-java-logs), one file per port.
 */
final class Log {
    private final PrintStream file;
    private final String tag;

    Log(String port) {
        tag = "[guide-java:" + port + "] ";
        PrintStream f = null;
        try {
            String dir = System.getenv().getOrDefault("GUIDE_JAVA_LOG_DIR", "/tmp/guide-java-logs");
            Path d = Paths.get(dir);
            Files.createDirectories(d);
            f = new PrintStream(new FileOutputStream(d.resolve("sut-" + port + ".log").toFile(), true), true, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            System.err.println(tag + "no log file: " + e);
        }
        file = f;
    }

    private void line(String level, String msg) {
        String l = Instant.now() + " " + level + " " + msg;
        System.err.println(tag + l);
        if (file != null) file.println(l);
    }

    void info(String msg) { line("INFO", msg); }

    void park(String eventId, String orderId, String why) { line("PARK", "event " + eventId + " order " + orderId + ": " + why); }

    void error(String msg, Throwable t) {
        line("ERROR", msg);
        if (t != null) t.printStackTrace();
    }
}
