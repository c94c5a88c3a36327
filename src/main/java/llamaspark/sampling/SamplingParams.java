package llamaspark.sampling;

import java.io.Serializable;
import llamaspark.BadInputException;

/**
 * How one row picks its next token. temperature 0 is greedy (first argmax, as run.c).
 * Otherwise logits are divided by the temperature and softmaxed, then the candidates are
 * narrowed by min-p (probability at least minP times the top one), top-k (the k most likely) and
 * top-p (the nucleus: the most likely tokens until their cumulative probability first exceeds
 * topP, with run.c's cutoff and tie order), and one coin from the row's own generator picks among
 * them in proportion to probability. With only top-p set this is exactly run.c's sampler.
 * topP outside (0, 1), topK 0 and minP 0 each mean "off".
 */
public record SamplingParams(float temperature, float topP, int topK, float minP, long seed) implements Serializable {

    public static SamplingParams greedy() {
        return new SamplingParams(0f, 1f, 0, 0f, 0L);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    public boolean nucleus() {
        return topP > 0f && topP < 1f;
    }

    /** Rejects out-of-range values, naming the field (prefixed by {@code source}, e.g. a row id). */
    public SamplingParams validate(String source) {
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new BadInputException(source, "temperature=" + temperature + " must be a finite number >= 0");
        }
        if (!(topP >= 0f && topP <= 1f)) {
            throw new BadInputException(source, "top_p=" + topP + " must be in [0, 1]");
        }
        if (topK < 0) {
            throw new BadInputException(source, "top_k=" + topK + " must be >= 0 (0 = off)");
        }
        if (!(minP >= 0f && minP <= 1f)) {
            throw new BadInputException(source, "min_p=" + minP + " must be in [0, 1]");
        }
        return this;
    }

    public SamplingParams withSeed(long newSeed) {
        return new SamplingParams(temperature, topP, topK, minP, newSeed);
    }
}
