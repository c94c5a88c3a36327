package llamaspark.progress;

import java.util.Locale;

/**
 * The one progress line of the job's driver and of {@code batch}: rows done / total, failed,
 * tokens, tokens/s now (since the previous line) and overall, running tasks and executors when
 * there are any, elapsed time and ETA. {@link #bar} is the same with a bar in front, for a
 * terminal.
 */
public final class ProgressLine {
    private ProgressLine() {
    }

    /** e.g. {@code progress: rows 12/100 (12.0%), failed 0, tokens 3456, 130.2 tok/s now, 120.5 overall, 2 tasks on 2 executors, elapsed 0:00:30, ETA 0:03:40}. */
    public static String format(Progress now, Progress previous) {
        return "progress: " + body(now, previous);
    }

    /** {@link #format} with a bar of {@code width} cells before it: {@code [#####.....] rows ...}. */
    public static String bar(Progress now, Progress previous, int width) {
        int filled = now.rowsTotal() > 0 ? (int) Math.min(width, width * now.rowsDone() / now.rowsTotal())
                : now.rowsTotal() == 0 ? width : 0;
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + body(now, previous);
    }

    private static String body(Progress now, Progress previous) {
        StringBuilder sb = new StringBuilder();
        sb.append("rows ").append(now.rowsDone()).append('/');
        if (now.rowsTotal() >= 0) {
            sb.append(now.rowsTotal());
            if (now.rowsTotal() > 0) {
                sb.append(String.format(Locale.ROOT, " (%.1f%%)", 100.0 * now.rowsDone() / now.rowsTotal()));
            }
        } else {
            sb.append('?');
        }
        sb.append(", failed ").append(now.rowsFailed());
        sb.append(", tokens ").append(now.tokens());
        sb.append(String.format(Locale.ROOT, ", %.1f tok/s now, %.1f overall",
                now.tokensPerSecondSince(previous), now.tokensPerSecond()));
        if (now.runningTasks() >= 0) {
            sb.append(", ").append(now.runningTasks()).append(now.runningTasks() == 1 ? " task" : " tasks");
        }
        if (now.executors() >= 0) {
            sb.append(now.runningTasks() >= 0 ? " on " : ", ").append(now.executors())
                    .append(now.executors() == 1 ? " executor" : " executors");
        }
        sb.append(", elapsed ").append(clock(now.seconds()));
        sb.append(", ETA ").append(clock(now.etaSeconds()));
        return sb.toString();
    }

    /** h:mm:ss, or ? when unknown. */
    static String clock(double seconds) {
        if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
}
