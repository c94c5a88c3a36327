package llamaspark.job;

import llamaspark.BadInputException;
import picocli.CommandLine.Option;

/** How the engine runs (a picocli mixin shared by the job, batch, generate and bench). */
public final class EngineOptions {
    @Option(names = {"--batch-size", "-B"}, defaultValue = "64",
            description = "rows generated together (per task in the job; lowered with a message when their KV caches do not fit)."
                    + " Default: ${DEFAULT-VALUE}, where larger batches stopped paying in jobs/scaling-bench (README)")
    public int batchSize;

    @Option(names = "--threads", defaultValue = "0",
            description = "threads one step may use; 0: the cores (the job: spark.task.cpus per task; one JVM: all of them). Default: ${DEFAULT-VALUE}")
    public int threads;

    public void validate() {
        if (batchSize < 1) {
            throw new BadInputException("--batch-size", batchSize + " must be >= 1");
        }
        if (threads < 0) {
            throw new BadInputException("--threads", threads + " must be >= 0");
        }
    }

    /** The thread count, {@code cores} for 0. */
    public int threads(int cores) {
        return threads > 0 ? threads : Math.max(1, cores);
    }
}
