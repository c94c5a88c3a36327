package llamaspark.profile;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Calls, total, minimum and maximum time per {@link Stage}. Timing a stage is two
 * {@code System.nanoTime()} calls and four array updates: no allocation. Profiles add up
 * ({@link #merge}), so per-task profiles from many executors combine into one cluster-wide table.
 * Not thread-safe: one profile per generating thread, merged afterwards.
 */
public final class StageProfile implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final int N = Stage.values().length;

    private final boolean enabled;
    private final long[] calls = new long[N];
    private final long[] totalNanos = new long[N];
    private final long[] minNanos = new long[N];
    private final long[] maxNanos = new long[N];

    public StageProfile() {
        this(true);
    }

    private StageProfile(boolean enabled) {
        this.enabled = enabled;
        Arrays.fill(minNanos, Long.MAX_VALUE);
    }

    /** A profile that records nothing and costs (almost) nothing. */
    public static StageProfile disabled() {
        return new StageProfile(false);
    }

    public boolean enabled() {
        return enabled;
    }

    /** A start mark for {@link #stop}. */
    public long start() {
        return enabled ? System.nanoTime() : 0L;
    }

    /** Records one call of {@code stage} that began at {@code startMark}. */
    public void stop(Stage stage, long startMark) {
        if (enabled) {
            record(stage, System.nanoTime() - startMark);
        }
    }

    /**
     * Records one call of {@code stage} that began at {@code startMark} and returns the start mark
     * of the stage that follows it, so back-to-back stages read the clock once between them.
     */
    public long lap(Stage stage, long startMark) {
        if (!enabled) {
            return 0L;
        }
        long now = System.nanoTime();
        record(stage, now - startMark);
        return now;
    }

    public void record(Stage stage, long nanos) {
        int i = stage.ordinal();
        calls[i]++;
        totalNanos[i] += nanos;
        if (nanos < minNanos[i]) minNanos[i] = nanos;
        if (nanos > maxNanos[i]) maxNanos[i] = nanos;
    }

    /** Adds {@code other}'s calls and times into this profile. */
    public StageProfile merge(StageProfile other) {
        for (int i = 0; i < N; i++) {
            calls[i] += other.calls[i];
            totalNanos[i] += other.totalNanos[i];
            minNanos[i] = Math.min(minNanos[i], other.minNanos[i]);
            maxNanos[i] = Math.max(maxNanos[i], other.maxNanos[i]);
        }
        return this;
    }

    public void reset() {
        Arrays.fill(calls, 0);
        Arrays.fill(totalNanos, 0);
        Arrays.fill(minNanos, Long.MAX_VALUE);
        Arrays.fill(maxNanos, 0);
    }

    public long calls(Stage s) {
        return calls[s.ordinal()];
    }

    public long totalNanos(Stage s) {
        return totalNanos[s.ordinal()];
    }

    /** 0 when the stage never ran. */
    public long minNanos(Stage s) {
        return calls[s.ordinal()] == 0 ? 0 : minNanos[s.ordinal()];
    }

    public long maxNanos(Stage s) {
        return maxNanos[s.ordinal()];
    }

    public double totalMillis(Stage s) {
        return totalNanos(s) / 1e6;
    }

    public StageProfile copy() {
        return new StageProfile(enabled).merge(this);
    }
}
