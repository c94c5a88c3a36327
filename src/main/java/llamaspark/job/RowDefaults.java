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
    @Option(names = "--seed", defaultValue = "42", description = "job seed: a row without its own seed gets one derived from this and its id. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--max-new-tokens", defaultValue = "100", description = "tokens generated per row at most, unless the row sets max_new_tokens. Default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = {"--temperature", "-t"}, defaultValue = "1.0", description = "sampling temperature (0 = greedy), unless the row sets one. Default: ${DEFAULT-VALUE}")
    float temperature;

    @Option(names = {"--top-p", "-p"}, defaultValue = "0.9", description = "nucleus sampling threshold (1 = off), unless the row sets one. Default: ${DEFAULT-VALUE}")
    float topP;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens (0 = off), unless the row sets top_k. Default: ${DEFAULT-VALUE}")
    int topK;

    @Option(names = "--min-p", defaultValue = "0", description = "keep tokens at least min-p times as likely as the top one (0 = off), unless the row sets min_p. Default: ${DEFAULT-VALUE}")
    float minP;

    @Option(names = "--stop", description = "stop string (repeatable), unless the row sets stop")
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
