package llamaspark.model;

import java.io.Serializable;
import llamaspark.BadInputException;

/**
 * RoPE frequency scaling of a long-context model: Hugging Face's {@code rope_scaling}.
 * {@code llama3} (Llama 3.1/3.2) scales low frequencies by {@code factor}, keeps high ones and
 * blends the band between (wavelengths between originalContext / highFreqFactor and
 * originalContext / lowFreqFactor); {@code linear} divides every frequency by {@code factor}.
 */
public record RopeScaling(String type, float factor, float lowFreqFactor, float highFreqFactor,
                          int originalContext) implements Serializable {
    public static final String LLAMA3 = "llama3";
    public static final String LINEAR = "linear";

    public static RopeScaling llama3(float factor, float lowFreqFactor, float highFreqFactor, int originalContext) {
        return new RopeScaling(LLAMA3, factor, lowFreqFactor, highFreqFactor, originalContext);
    }

    public static RopeScaling linear(float factor) {
        return new RopeScaling(LINEAR, factor, 0, 0, 0);
    }

    /** Rejects values the formulas cannot use, naming {@code source}. */
    public RopeScaling validate(String source) {
        if (!(factor > 0) || Float.isInfinite(factor)) {
            throw new BadInputException(source, "rope_scaling.factor=" + factor + " must be a positive number");
        }
        if (type.equals(LLAMA3)) {
            if (!(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor)) {
                throw new BadInputException(source, "rope_scaling low_freq_factor=" + lowFreqFactor
                        + " and high_freq_factor=" + highFreqFactor + " must satisfy 0 < low < high");
            }
            if (originalContext <= 0) {
                throw new BadInputException(source, "rope_scaling.original_max_position_embeddings="
                        + originalContext + " must be positive");
            }
        } else if (!type.equals(LINEAR)) {
            throw new BadInputException(source, "rope_scaling type '" + type
                    + "' is not supported; expected llama3 or linear");
        }
        return this;
    }
}
