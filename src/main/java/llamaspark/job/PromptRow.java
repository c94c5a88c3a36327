package llamaspark.job;

import java.io.Serializable;
import java.util.List;

/**
 * One input prompt as read from a prompt file, before defaults are applied: the per-row
 * parameters are null where the row does not set them. A row that could not be parsed carries
 * {@code inputError} (naming file and line) instead of a prompt.
 */
public record PromptRow(String id, String prompt, Integer maxNewTokens, Float temperature, Float topP,
                        Integer topK, Float minP, Long seed, List<String> stop, String source,
                        String inputError) implements Serializable {

    public static PromptRow error(String id, String source, String message) {
        return new PromptRow(id, null, null, null, null, null, null, null, null, source, message);
    }
}
