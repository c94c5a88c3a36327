package llamaspark.sampling;

import java.util.Arrays;
import llamaspark.model.LayerOps;
import llamaspark.model.LlamaMath;
import llamaspark.profile.Stage;
import llamaspark.profile.StageProfile;

/**
 * Picks the next token of a row from its logits, following run.c's sampler to the bit: argmax
 * for temperature 0; otherwise temperature, sequential softmax, one coin per token, and for the
 * nucleus run.c's cutoff (1 - p) / (VS - 1), a descending sort that keeps equal probabilities in
 * index order, truncation where the running sum first exceeds p, and the first candidate whose
 * running sum exceeds coin * kept mass. Scratch buffers are reused; one instance per thread.
 */
public final class Sampler {
    private final int vocabSize;
    private final long[] candidates;
    private final LayerOps ops;

    /** A sampler with run.c's scalar softmax. */
    public Sampler(int vocabSize) {
        this(vocabSize, null);
    }

    /** A sampler whose softmax is {@code ops}' (null: run.c's scalar one). */
    public Sampler(int vocabSize, LayerOps ops) {
        this.vocabSize = vocabSize;
        this.candidates = new long[vocabSize];
        this.ops = ops;
    }

    /** Samples from {@code logits[off, off + VS)}, which it overwrites with probabilities. */
    public int sample(float[] logits, int off, SamplingParams p, RunCRandom rng, StageProfile prof) {
        if (p.isGreedy()) {
            long t = prof.start();
            int best = argmax(logits, off, vocabSize);
            prof.stop(Stage.ARGMAX, t);
            return best;
        }
        long t = prof.start();
        for (int i = 0; i < vocabSize; i++) {
            logits[off + i] /= p.temperature();
        }
        if (ops != null) {
            ops.softmax(logits, off, vocabSize);
        } else {
            LlamaMath.softmax(logits, off, vocabSize);
        }
        float coin = rng.nextFloat();
        int n = p.nucleus() || p.topK() > 0 || p.minP() > 0f ? rankCandidates(logits, off, p) : 0;
        prof.stop(Stage.TOP_P_LOGITS, t);

        t = prof.start();
        int next = n == 0 ? sampleAll(logits, off, coin) : sampleCandidates(logits, off, n, p, coin);
        prof.stop(Stage.SAMPLING, t);
        return next;
    }

    /** Index of the first largest value (run.c's strict '>'). */
    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        float max = x[off];
        for (int i = 1; i < n; i++) {
            if (x[off + i] > max) {
                max = x[off + i];
                best = i;
            }
        }
        return best;
    }

    /** run.c's sample_mult: first index whose running probability sum exceeds the coin. */
    private int sampleAll(float[] probs, int off, float coin) {
        float cdf = 0.0f;
        for (int i = 0; i < vocabSize; i++) {
            cdf += probs[off + i];
            if (coin < cdf) {
                return i;
            }
        }
        return vocabSize - 1;
    }

    /**
     * Collects the candidates that pass the cutoffs, most probable first, equal probabilities in
     * index order (run.c's stable qsort), packed as (descending probability bits, index) keys.
     */
    private int rankCandidates(float[] probs, int off, SamplingParams p) {
        float cutoff = p.nucleus() ? (1.0f - p.topP()) / (vocabSize - 1) : 0.0f;
        if (p.minP() > 0f) {
            float max = probs[off + argmax(probs, off, vocabSize)];
            cutoff = Math.max(cutoff, p.minP() * max);
        }
        int n = 0;
        for (int i = 0; i < vocabSize; i++) {
            float prob = probs[off + i];
            if (prob >= cutoff) {
                candidates[n++] = ((long) (Integer.MAX_VALUE - Float.floatToRawIntBits(prob)) << 32) | i;
            }
        }
        Arrays.sort(candidates, 0, n);
        return p.topK() > 0 ? Math.min(n, p.topK()) : n;
    }

    /** run.c's sample_topp over the first n ranked candidates. */
    private int sampleCandidates(float[] probs, int off, int n, SamplingParams p, float coin) {
        float cumulative = 0.0f;
        int last = n - 1;
        for (int i = 0; i < n; i++) {
            cumulative += probs[off + index(i)];
            if (p.nucleus() && cumulative > p.topP()) {
                last = i;
                break;
            }
        }
        float r = coin * cumulative;
        float cdf = 0.0f;
        for (int i = 0; i <= last; i++) {
            cdf += probs[off + index(i)];
            if (r < cdf) {
                return index(i);
            }
        }
        return index(last);
    }

    private int index(int rank) {
        return (int) candidates[rank];
    }
}
