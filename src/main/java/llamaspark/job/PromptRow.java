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

    /**
     * What the row asks for (id, prompt, its own parameters, its input error), hashed: a finished
     * row of an earlier attempt is reused only for an input row with the same fingerprint.
     */
    public String fingerprint() {
        try {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            for (Object v : new Object[] {id, prompt, maxNewTokens, temperature, topP, topK, minP, seed, stop, inputError}) {
                String s = v == null ? "\u0000null" : v.toString();
                d.update(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                d.update((byte) 0x1f);
            }
            return java.util.HexFormat.of().formatHex(d.digest(), 0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static PromptRow error(String id, String source, String message) {
        return new PromptRow(id, null, null, null, null, null, null, null, null, source, message);
    }
}
