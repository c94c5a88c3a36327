package llamaspark.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import llamaspark.BadInputException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ProgressLineTest {
    private static final long S = 1_000_000_000L;

    @Test
    void lineHasCountsRatesAndEta() {
        Progress before = new Progress(20 * S, 10, 1, 100, 2000, 2, 3);
        Progress now = new Progress(30 * S, 25, 2, 100, 3500, 2, 3);
        // 1500 tokens in 10 s now, 3500 in 30 s overall; 25 rows in 30 s -> 75 rows take 90 s.
        assertEquals("progress: rows 25/100 (25.0%), failed 2, tokens 3500, 150.0 tok/s now, 116.7 overall, "
                + "2 tasks on 3 executors, elapsed 0:00:30, ETA 0:01:30", ProgressLine.format(now, before));
    }

    @Test
    void etaIsUnknownUntilThereIsATotalAndARowThenZeroAtTheEnd() {
        assertTrue(Double.isNaN(new Progress(5 * S, 3, 0, -1, 10, 1, 1).etaSeconds()), "no total yet");
        assertTrue(Double.isNaN(new Progress(5 * S, 0, 0, 10, 0, 1, 1).etaSeconds()), "no row yet");
        assertEquals(0.0, new Progress(5 * S, 10, 0, 10, 10, 0, 1).etaSeconds());
        // 1000 rows in an hour: the other 3000 take three more.
        assertEquals(3 * 3600, new Progress(3600 * S, 1000, 0, 4000, 0, 1, 1).etaSeconds(), 1e-6);
        String line = ProgressLine.format(new Progress(7 * S, 3, 0, -1, 10, 1, 1), Progress.start(-1));
        assertTrue(line.startsWith("progress: rows 3/?, failed 0, tokens 10,"), line);
        assertTrue(line.endsWith(", 1 task on 1 executor, elapsed 0:00:07, ETA ?"), line);
    }

    @Test
    void oneJvmLineAndBarLeaveOutTasksAndExecutors() {
        Progress now = new Progress(4 * S, 5, 0, 20, 400, -1, -1);
        assertEquals("progress: rows 5/20 (25.0%), failed 0, tokens 400, 100.0 tok/s now, 100.0 overall, "
                + "elapsed 0:00:04, ETA 0:00:12", ProgressLine.format(now, Progress.start(20)));
        assertEquals("[##########..............................] rows 5/20 (25.0%), failed 0, tokens 400, "
                + "100.0 tok/s now, 100.0 overall, elapsed 0:00:04, ETA 0:00:12", ProgressLine.bar(now, Progress.start(20), 40));
        assertTrue(ProgressLine.bar(new Progress(S, 0, 0, -1, 0, -1, -1), Progress.start(-1), 4).startsWith("[....] rows 0/?"));
        assertTrue(ProgressLine.bar(new Progress(S, 9, 0, 9, 0, -1, -1), Progress.start(9), 4).startsWith("[####] rows 9/9 (100.0%)"));
    }

    @Test
    void clockCountsHoursPastADay() {
        assertEquals("0:00:00", ProgressLine.clock(0.4));
        assertEquals("1:01:01", ProgressLine.clock(3661));
        assertEquals("27:46:40", ProgressLine.clock(100000));
    }

    @Test
    void optionsPaceQuietAndBadValues() {
        ProgressOptions o = new ProgressOptions();
        new CommandLine(o).parseArgs();
        assertEquals(Duration.ofSeconds(2), o.interval(true));
        assertEquals(Duration.ofSeconds(30), o.interval(false));
        new CommandLine(o).parseArgs("--progress-interval", "0.25");
        assertEquals(Duration.ofMillis(250), o.interval(false));
        new CommandLine(o).parseArgs("--progress-interval", "0");
        BadInputException e = assertThrows(BadInputException.class, o::validate);
        assertEquals("--progress-interval: 0.0 must be > 0", e.getMessage());

        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        new CommandLine(o).parseArgs("--quiet", "--progress-interval", "0.001");
        try (ProgressPrinter p = ProgressPrinter.start(o, () -> Progress.start(1), new PrintStream(buf, true), false)) {
            sleep(50);
        }
        assertEquals("", buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void printerPrintsAtItsPaceAndTheLastLineOnClose() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        AtomicLong rows = new AtomicLong();
        long t0 = System.nanoTime();
        try (ProgressPrinter p = ProgressPrinter.start(() -> new Progress(System.nanoTime() - t0, rows.get(), 0, 10, 0, -1, -1),
                new PrintStream(buf, true), Duration.ofMillis(20), false)) {
            for (int i = 0; i < 10; i++) {
                sleep(15);
                rows.incrementAndGet();
            }
        }
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertTrue(lines.length >= 3, String.join("\n", lines));
        assertTrue(lines[lines.length - 1].startsWith("progress: rows 10/10 (100.0%)"), lines[lines.length - 1]);
        assertTrue(lines[0].startsWith("progress: rows ") && !lines[0].startsWith("progress: rows 10/"), lines[0]);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
