package llamaspark.job;

import java.io.Serializable;
import java.util.List;
import llamaspark.chat.ChatMessage;

/**
 * One input prompt as read from a prompt file, before defaults are applied: the per-row
 * parameters are null where the row does not set them. A row carries either {@code prompt} (text)
 * or {@code messages} (a chat, rendered with the model's chat template where the model is open).
 * A row that could not be parsed carries {@code inputError} (naming file and line) instead.
 *
 * @param addGenerationPrompt the chat template's {@code add_generation_prompt}; null = true
 * @param request             the OpenAI batch request the row came from ({@code --input-format
 *                            openai-batch}; one row per choice), else null
 */
public record PromptRow(String id, String prompt, List<ChatMessage> messages, Boolean addGenerationPrompt,
                        Integer maxNewTokens, Float temperature, Float topP,
                        Integer topK, Float minP, Long seed, List<String> stop, String source,
                        String inputError, BatchRequest request) implements Serializable {

    /**
     * Where a row of an OpenAI batch file came from: its {@code custom_id} (null when the line had
     * none), which of its {@code n} choices the row is, its {@code url} and {@code body.model}.
     */
    public record BatchRequest(String customId, int choice, String url, String model) implements Serializable {
    }

    /** A plain text prompt row. */
    public static PromptRow text(String id, String prompt, String source) {
        return new PromptRow(id, prompt, null, null, null, null, null, null, null, null, null, source, null, null);
    }

    /**
     * What the row asks for (id, prompt or messages, its own parameters, its input error, its
     * batch request), hashed: a finished row of an earlier attempt is reused only for an input row
     * with the same fingerprint. Fields a plain prompt row does not have are left out, so its
     * fingerprint is what it was before chat rows existed.
     */
    public String fingerprint() {
        try {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            for (Object v : new Object[] {id, prompt, maxNewTokens, temperature, topP, topK, minP, seed, stop, inputError}) {
                update(d, v);
            }
            if (messages != null || addGenerationPrompt != null || request != null) {
                update(d, messages == null ? null : messages.stream().map(m -> m.role() + "\u001e" + m.content()).toList());
                update(d, addGenerationPrompt);
                update(d, request);
            }
            return java.util.HexFormat.of().formatHex(d.digest(), 0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void update(java.security.MessageDigest d, Object v) {
        String s = v == null ? "\u0000null" : v.toString();
        d.update(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        d.update((byte) 0x1f);
    }

    public static PromptRow error(String id, String source, String message) {
        return error(id, source, message, null);
    }

    public static PromptRow error(String id, String source, String message, BatchRequest request) {
        return new PromptRow(id, null, null, null, null, null, null, null, null, null, null, source, message, request);
    }
}
