package llamaspark.progress;

import java.time.Duration;
import llamaspark.BadInputException;
import picocli.CommandLine.Option;

/** The progress line's options (a picocli mixin shared by the job and batch). */
public final class ProgressOptions {
    /** Pace on a terminal and into a log or pipe when no --progress-interval is given. */
    static final Duration TERMINAL = Duration.ofSeconds(2), LOG = Duration.ofSeconds(30);

    @Option(names = "--quiet", description = "print no progress lines")
    public boolean quiet;

    @Option(names = "--progress-interval", paramLabel = "SECONDS",
            description = "seconds between progress lines; default 2 on a terminal, 30 into a log or pipe")
    public Double intervalSeconds;

    public void validate() {
        if (intervalSeconds != null && !(intervalSeconds > 0)) {
            throw new BadInputException("--progress-interval", intervalSeconds + " must be > 0");
        }
    }

    /** The pace: the option, else by whether this JVM writes to a terminal. */
    public Duration interval(boolean terminal) {
        if (intervalSeconds != null) {
            return Duration.ofNanos(Math.max(1_000_000L, Math.round(intervalSeconds * 1e9)));
        }
        return terminal ? TERMINAL : LOG;
    }

    /** Whether this JVM's output goes to a terminal (Java 17: stdin and stdout both are). */
    public static boolean onTerminal() {
        return System.console() != null;
    }
}
