package llamaspark.job;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the driver's wall time goes, phase by phase: the Spark job's own cost around the tasks
 * (reading prompts, scheduling, writing outputs) beside the generation itself. Each
 * {@link #lap(String)} closes the phase that ran since the previous lap.
 */
final class DriverPhases {
    private final Map<String, Double> seconds = new LinkedHashMap<>();
    private long last = System.nanoTime();

    /** Ends the running phase under {@code name} (added up if the name comes again). */
    void lap(String name) {
        long now = System.nanoTime();
        seconds.merge(name, (now - last) / 1e9, Double::sum);
        last = now;
    }

    /** Phase -> seconds, in the order the phases first ran. */
    Map<String, Double> seconds() {
        return new LinkedHashMap<>(seconds);
    }
}
