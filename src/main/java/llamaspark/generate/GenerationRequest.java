package llamaspark.generate;

import java.io.Serializable;
import java.util.List;
import llamaspark.sampling.SamplingParams;

/**
 * One prompt to complete: a text to tokenize, or ready-made token ids ({@code promptTokens},
 * BOS included; when given, {@code prompt} is only a label). {@code maxNewTokens} counts generated
 * tokens only; generation also stops at the model's seq_len. {@code stop} strings end the
 * completion before their first occurrence.
 */
public record GenerationRequest(String id, String prompt, int[] promptTokens, SamplingParams sampling,
                                int maxNewTokens, List<String> stop) implements Serializable {

    public GenerationRequest {
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    public GenerationRequest(String id, String prompt, SamplingParams sampling, int maxNewTokens, List<String> stop) {
        this(id, prompt, null, sampling, maxNewTokens, stop);
    }
}
