package llamaspark.progress;

/**
 * How far a run is at one moment: what the progress line is made of. Counts that a run does not
 * have (the total before the prompts are read, tasks and executors in one JVM) are -1.
 *
 * @param nanos time since the run started
 */
public record Progress(long nanos, long rowsDone, long rowsFailed, long rowsTotal, long tokens,
                       int runningTasks, int executors) {
    /** Before anything happened. */
    public static Progress start(long rowsTotal) {
        return new Progress(0, 0, 0, rowsTotal, 0, -1, -1);
    }

    public double seconds() {
        return nanos / 1e9;
    }

    /** Tokens per second since {@code earlier} (0 when no time passed). */
    public double tokensPerSecondSince(Progress earlier) {
        double dt = seconds() - earlier.seconds();
        return dt > 0 ? (tokens - earlier.tokens) / dt : 0.0;
    }

    /** Tokens per second over the whole run. */
    public double tokensPerSecond() {
        return tokensPerSecondSince(start(rowsTotal));
    }

    /**
     * Seconds until the last row, at the run's average pace in rows so far; NaN while that is
     * unknown (no total, no row done yet). 0 once every row is done.
     */
    public double etaSeconds() {
        if (rowsTotal < 0 || rowsDone <= 0 || nanos <= 0) {
            return rowsTotal >= 0 && rowsDone >= rowsTotal ? 0.0 : Double.NaN;
        }
        return Math.max(0, rowsTotal - rowsDone) * seconds() / rowsDone;
    }
}
