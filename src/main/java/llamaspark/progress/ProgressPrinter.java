package llamaspark.progress;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Prints a {@link ProgressLine} every interval from a daemon thread, and the last one on
 * {@link #close}. As plain lines (logs, pipes, the job's driver) or as one bar redrawn with
 * {@code \r} (batch on a terminal). {@link #QUIET} prints nothing.
 */
public final class ProgressPrinter implements AutoCloseable {
    /** A printer that prints nothing (--quiet). */
    public static final ProgressPrinter QUIET = new ProgressPrinter();

    private static final int BAR_WIDTH = 24;

    private final Supplier<Progress> source;
    private final PrintStream out;
    private final boolean bar;
    private final ScheduledExecutorService timer;
    private Progress previous;
    private boolean closed;

    private ProgressPrinter() {
        source = null;
        out = null;
        bar = false;
        timer = null;
        closed = true;
    }

    private ProgressPrinter(Supplier<Progress> source, PrintStream out, Duration interval, boolean bar) {
        this.source = source;
        this.out = out;
        this.bar = bar;
        this.previous = source.get();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "llamaspark-progress");
            t.setDaemon(true);
            return t;
        });
        long nanos = interval.toNanos();
        timer.scheduleAtFixedRate(this::print, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    /** Starts printing what {@code source} says every {@code interval}; {@code bar}: redraw one line. */
    public static ProgressPrinter start(Supplier<Progress> source, PrintStream out, Duration interval, boolean bar) {
        return new ProgressPrinter(source, out, interval, bar);
    }

    /** Starts as the options say: nothing when quiet, else at their pace; a bar only if asked and on a terminal. */
    public static ProgressPrinter start(ProgressOptions options, Supplier<Progress> source, PrintStream out, boolean barOnTerminal) {
        if (options.quiet) {
            return QUIET;
        }
        boolean terminal = ProgressOptions.onTerminal();
        return start(source, out, options.interval(terminal), barOnTerminal && terminal);
    }

    private synchronized void print() {
        if (closed) {
            return;
        }
        Progress now = source.get();
        if (bar) {
            out.print("\r" + ProgressLine.bar(now, previous, BAR_WIDTH) + "\u001b[K");
        } else {
            out.println(ProgressLine.format(now, previous));
        }
        out.flush();
        previous = now;
    }

    /** Stops the timer and prints the final line. */
    @Override
    public void close() {
        if (timer == null) {
            return;
        }
        timer.shutdownNow();
        synchronized (this) {
            if (closed) {
                return;
            }
            print();
            closed = true;
            if (bar) {
                out.println();
            }
        }
    }
}
