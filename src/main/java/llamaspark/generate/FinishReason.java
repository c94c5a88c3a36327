package llamaspark.generate;

import java.util.Locale;

/** Why a row stopped generating. */
public enum FinishReason {
    /** max_new_tokens reached, or the model's seq_len is full. */
    LENGTH,
    /** The model ended the sequence: it sampled EOS, or BOS (which run.c treats as a delimiter). */
    EOS,
    /** A stop string appeared in the completion. */
    STOP;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
