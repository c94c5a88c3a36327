package llamaspark.job;

import java.io.Serializable;
import java.util.List;
import llamaspark.generate.GenerationRequest;
import llamaspark.sampling.SamplingParams;

/** The generation parameters of rows that do not set their own. */
public record JobDefaults(int maxNewTokens, float temperature, float topP, int topK, float minP, long seed,
                          List<String> stop) implements Serializable {

    /**
     * The request for a prompt row: its own parameters where it has them, these defaults
     * elsewhere, and a seed derived from the job seed and its id when it has none.
     */
    public GenerationRequest requestFor(PromptRow p) {
        SamplingParams s = new SamplingParams(
                p.temperature() != null ? p.temperature() : temperature,
                p.topP() != null ? p.topP() : topP,
                p.topK() != null ? p.topK() : topK,
                p.minP() != null ? p.minP() : minP,
                p.seed() != null ? p.seed() : RowSeeds.derive(seed, p.id()));
        return new GenerationRequest(p.id(), p.prompt(), s,
                p.maxNewTokens() != null ? p.maxNewTokens() : maxNewTokens, p.stop() != null ? p.stop() : stop);
    }
}
