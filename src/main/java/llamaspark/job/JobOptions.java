package llamaspark.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import llamaspark.BadInputException;
import llamaspark.progress.ProgressOptions;
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

    @Option(names = "--out", description = "output directory (must not exist unless --overwrite); default out/job-<time>")
    String out;

    @Option(names = "--overwrite", description = "replace an existing output directory (only once the new one is complete)")
    boolean overwrite;

    @Option(names = "--partitions", defaultValue = "0", description = "prompt partitions (0: the cluster's default parallelism)")
    int partitions;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Mixin
    EngineOptions engine = new EngineOptions();

    @Mixin
    RowDefaults rows = new RowDefaults();

    @Mixin
    ProgressOptions progress = new ProgressOptions();

    /** Checks what can be checked before Spark starts; names the option at fault. */
    void validate() {
        if (prompts.isEmpty()) {
            throw new BadInputException("--prompts", "no prompt files given");
        }
        model.validate();
        engine.validate();
        if (partitions < 0) {
            throw new BadInputException("--partitions", partitions + " must be >= 0");
        }
        rows.validate();
        progress.validate();
    }

    JobDefaults jobDefaults() {
        return rows.toJobDefaults();
    }
}
