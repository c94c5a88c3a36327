package llamaspark.generate;

import java.io.Serializable;

/**
 * What one request produced. {@code completionTokens} are all sampled ids, including a final EOS
 * or BOS that ended the row; {@code completion} is their text without that end marker and cut
 * before a stop string. A request that could not be run has {@code error} set, no tokens, and a
 * null finish reason.
 */
public record GenerationResult(GenerationRequest request, int[] promptTokens, int[] completionTokens,
                               String completion, FinishReason finishReason, String error,
                               long elapsedNanos) implements Serializable {

    public static GenerationResult failed(GenerationRequest request, int[] promptTokens, String error) {
        return new GenerationResult(request, promptTokens, new int[0], null, null, error, 0L);
    }

    public boolean ok() {
        return error == null;
    }

    public String id() {
        return request.id();
    }
}
