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
 * {@code batch-size=64}) and the command line.
 */
@Command(name = "llamaspark-job", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Spark batch generation: prompts in, generations and cluster-wide stage timings out (Parquet).")
public final class JobOptions {
    @Option(names = "--defaults", description = "job defaults file (properties)")
    Path defaults;

    @Option(names = "--prompts", split = ",", description = "prompt files, directories or globs (.txt, .jsonl, .csv, .parquet)")
    List<String> prompts = new ArrayList<>();

    @Option(names = "--input-format", defaultValue = "prompts",
            description = "prompts (.txt/.jsonl/.csv/.parquet rows) or openai-batch (.jsonl OpenAI batch requests). Default: ${DEFAULT-VALUE}")
    String inputFormat;

    @Option(names = "--output-format", defaultValue = "parquet",
            description = "parquet, or openai-batch: also DIR/openai-batch.jsonl, one OpenAI batch output line per request. Default: ${DEFAULT-VALUE}")
    String outputFormat;

    @Option(names = "--out", description = "output directory (must not exist unless --overwrite); default out/job-<time>")
    String out;

    @Option(names = "--overwrite", description = "replace an existing output directory (only once the new one is complete)")
    boolean overwrite;

    @Option(names = {"--fresh", "--restart"}, description = "discard the finished rows an unfinished earlier run at this --out left, instead of resuming it")
    boolean fresh;

    @Option(names = "--max-error-rate", defaultValue = "0.1",
            description = "exit with code 3 (after writing everything) when more than this fraction of rows failed. Default: ${DEFAULT-VALUE}")
    double maxErrorRate;

    @Option(names = "--checkpoint-rows", defaultValue = "256", description = "a task makes its finished rows durable every this many rows... Default: ${DEFAULT-VALUE}")
    int checkpointRows;

    @Option(names = "--checkpoint-seconds", defaultValue = "30", description = "...or every this many seconds, whichever comes first. Default: ${DEFAULT-VALUE}")
    double checkpointSeconds;

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
        openAiInput();
        openAiOutput();
        if (partitions < 0) {
            throw new BadInputException("--partitions", partitions + " must be >= 0");
        }
        rows.validate();
        progress.validate();
        if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) {
            throw new BadInputException("--max-error-rate", maxErrorRate + " must be in [0, 1]");
        }
        if (checkpointRows < 1) {
            throw new BadInputException("--checkpoint-rows", checkpointRows + " must be >= 1");
        }
        if (!(checkpointSeconds > 0)) {
            throw new BadInputException("--checkpoint-seconds", checkpointSeconds + " must be > 0");
        }
    }

    /** Whether --input-format is openai-batch (else prompts); names the option when it is neither. */
    boolean openAiInput() {
        return format("--input-format", inputFormat, "prompts");
    }

    /** Whether --output-format is openai-batch (else parquet). */
    boolean openAiOutput() {
        return format("--output-format", outputFormat, "parquet");
    }

    /** True for openai-batch, false for {@code other}; anything else is a mistake. */
    public static boolean format(String option, String value, String other) {
        if ("openai-batch".equals(value)) {
            return true;
        }
        if (other.equals(value)) {
            return false;
        }
        throw new BadInputException(option, "'" + value + "' is not a format; expected " + other + " or openai-batch");
    }

    JobDefaults jobDefaults() {
        return rows.toJobDefaults();
    }
}
