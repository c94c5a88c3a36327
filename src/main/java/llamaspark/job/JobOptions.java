package llamaspark.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import llamaspark.BadInputException;
import llamaspark.model.kernel.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The job's command line. Defaults come, in increasing priority, from these annotations, the
 * job defaults file ({@code --defaults}, keys are the option names without dashes, e.g.
 * {@code batch-size=32}) and the command line.
 */
@Command(name = "llamaspark-job", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Spark batch generation: prompts in, generations and cluster-wide stage timings out (Parquet).")
public final class JobOptions {
    @Option(names = "--defaults", description = "job defaults file (properties)")
    Path defaults;

    @Option(names = "--prompts", split = ",", description = "prompt files, directories or globs (.txt, .jsonl, .csv, .parquet)")
    List<String> prompts = new ArrayList<>();

    @Option(names = "--model", description = "llama2.c .bin or the study's .npz, readable by the driver")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin or tokenizer.model.np")
    Path tokenizer;

    @Option(names = "--out", description = "output directory (must not exist unless --overwrite); default out/job-<time>")
    String out;

    @Option(names = "--overwrite", description = "replace an existing output directory (only once the new one is complete)")
    boolean overwrite;

    @Option(names = "--partitions", defaultValue = "0", description = "prompt partitions (0: the cluster's default parallelism)")
    int partitions;

    @Option(names = "--batch-size", defaultValue = "32", description = "rows generated together per task. Default: ${DEFAULT-VALUE}")
    int batchSize;

    @Option(names = "--threads", defaultValue = "0",
            description = "threads per task (0: the cores Spark gives each task, spark.task.cpus)")
    int threads;

    @Option(names = "--backend", defaultValue = "vector", description = "vector, vector-fma or ejml. Default: ${DEFAULT-VALUE}")
    String backend;

    @Mixin
    RowDefaults rows = new RowDefaults();

    @Option(names = "--heads", defaultValue = "0", description = "attention heads (only for .npz models)")
    int heads;

    @Option(names = "--seq-len", defaultValue = "0", description = "context length (only for .npz models)")
    int seqLen;

    /** Checks what can be checked before Spark starts; names the option at fault. */
    void validate() {
        if (prompts.isEmpty()) {
            throw new BadInputException("--prompts", "no prompt files given");
        }
        if (model == null) {
            throw new BadInputException("--model", "no model given");
        }
        if (tokenizer == null) {
            throw new BadInputException("--tokenizer", "no tokenizer given");
        }
        if (batchSize < 1) {
            throw new BadInputException("--batch-size", batchSize + " must be >= 1");
        }
        if (threads < 0) {
            throw new BadInputException("--threads", threads + " must be >= 0");
        }
        if (partitions < 0) {
            throw new BadInputException("--partitions", partitions + " must be >= 0");
        }
        backend();
        rows.validate();
    }

    Backend backend() {
        return Backend.parse(backend);
    }

    JobDefaults jobDefaults() {
        return rows.toJobDefaults();
    }
}
