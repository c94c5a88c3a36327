package llamaspark.job;

import java.util.ArrayList;
import java.util.List;
import llamaspark.BadInputException;
import llamaspark.sampling.SamplingParams;
import picocli.CommandLine.Option;

/**
 * The per-row generation parameters as command-line options (a picocli mixin), shared by the
 * Spark job and its in-process twin so both read rows the same way.
 */
public final class RowDefaults {
    @Option(names = "--seed", defaultValue = "42", description = "job seed: a row without its own seed gets one derived from this and its id")
    long seed;

    @Option(names = "--max-new-tokens", defaultValue = "256", description = "default per row. Default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "1.0", description = "default per row (0 = greedy). Default: ${DEFAULT-VALUE}")
    float temperature;

    @Option(names = "--top-p", defaultValue = "0.9", description = "default per row. Default: ${DEFAULT-VALUE}")
    float topP;

    @Option(names = "--top-k", defaultValue = "0", description = "default per row (0 = off)")
    int topK;

    @Option(names = "--min-p", defaultValue = "0", description = "default per row (0 = off)")
    float minP;

    @Option(names = "--stop", description = "default stop string (repeatable)")
    List<String> stop = new ArrayList<>();

    /** Rejects out-of-range defaults, naming the option. */
    public void validate() {
        if (maxNewTokens < 0) {
            throw new BadInputException("--max-new-tokens", maxNewTokens + " must be >= 0");
        }
        new SamplingParams(temperature, topP, topK, minP, seed).validate("options");
    }

    public JobDefaults toJobDefaults() {
        return new JobDefaults(maxNewTokens, temperature, topP, topK, minP, seed, List.copyOf(stop));
    }
}
