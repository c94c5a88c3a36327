package llamaspark.sampling;

import llamaspark.model.kernel.Backend;
import llamaspark.model.kernel.VectorSoftmax;
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
    private final RankedCandidates candidates;
    /** Running probability sums over the ranked candidates, for the final pick [VS]. */
    private final float[] cdf;
    private final Probabilities ops;
    /** How candidates are ranked and the nucleus summed: chosen once, with the backend. */
    private final Nucleus nucleus;

    /** run.c's sampler: scalar softmax, nucleus summed token by token in rank order. */
    public Sampler(int vocabSize) {
        this(vocabSize, Probabilities.scalar(), false);
    }

    /**
     * The sampler that goes with a backend's logits: EJML's is run.c's scalar one; vector's has a
     * SIMD softmax of the same bits; vector-fma's has the fused softmax and sums the nucleus
     * bucket by bucket (the same tokens in exact arithmetic, different float rounding, a
     * fraction of the work).
     */
    public static Sampler forBackend(int vocabSize, Backend backend) {
        switch (backend) {
            case EJML:
                return new Sampler(vocabSize);
            case VECTOR:
                return new Sampler(vocabSize, Probabilities.vector(VectorSoftmax.runCOrder()), false);
            default:
                return new Sampler(vocabSize, Probabilities.vector(VectorSoftmax.fused()), true);
        }
    }

    private Sampler(int vocabSize, Probabilities ops, boolean byBuckets) {
        this.vocabSize = vocabSize;
        this.candidates = new RankedCandidates(vocabSize);
        this.cdf = new float[vocabSize];
        this.ops = ops;
        this.nucleus = byBuckets ? new BucketNucleus() : new RankOrderNucleus();
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
        ops.softmax(logits, off, vocabSize);
        float coin = rng.nextFloat();
        int n = p.nucleus() || p.topK() > 0 || p.minP() > 0f ? rankCandidates(logits, off, p) : 0;
        prof.stop(Stage.TOP_P_LOGITS, t);

        t = prof.start();
        int next = n == 0 ? sampleAll(logits, off, coin) : nucleus.pick(n, p, coin);
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

    /** Collects the candidates that pass the cutoffs; returns how many may be picked (top-k). */
    private int rankCandidates(float[] probs, int off, SamplingParams p) {
        float cutoff = p.nucleus() ? (1.0f - p.topP()) / (vocabSize - 1) : 0.0f;
        float max = ops.max(probs, off, vocabSize);
        if (p.minP() > 0f) {
            cutoff = Math.max(cutoff, p.minP() * max);
        }
        int n = nucleus.rank(probs, off, cutoff, max, p);
        return p.topK() > 0 ? Math.min(n, p.topK()) : n;
    }

    /** Ranks the candidates above a cutoff and picks one of the first n by the coin. */
    private interface Nucleus {
        int rank(float[] probs, int off, float cutoff, float max, SamplingParams p);

        int pick(int n, SamplingParams p, float coin);
    }

    /** run.c's order: every candidate ranked, the nucleus summed token by token in rank order. */
    private class RankOrderNucleus implements Nucleus {
        @Override
        public int rank(float[] probs, int off, float cutoff, float max, SamplingParams p) {
            return candidates.collect(probs, off, vocabSize, cutoff, max);
        }

        @Override
        public int pick(int n, SamplingParams p, float coin) {
            return sampleInRankOrder(n, p, coin);
        }
    }

    /**
     * Candidates counted into probability buckets and the nucleus summed bucket by bucket. Top-k
     * needs the exact ranks of the first k candidates, so it walks in rank order.
     */
    private final class BucketNucleus extends RankOrderNucleus {
        @Override
        public int rank(float[] probs, int off, float cutoff, float max, SamplingParams p) {
            return p.topK() > 0 ? super.rank(probs, off, cutoff, max, p)
                    : candidates.histogram(probs, off, vocabSize, cutoff, max);
        }

        @Override
        public int pick(int n, SamplingParams p, float coin) {
            return p.topK() > 0 ? super.pick(n, p, coin) : sampleByBuckets(p, coin);
        }
    }

    /**
     * run.c's sample_topp over the first n ranked candidates: the running sum in rank order up to
     * where it first exceeds p, then the first candidate whose running sum exceeds coin times the
     * kept mass (found by bisection: the running sums never decrease). Buckets are sorted only as
     * far as the sum goes.
     */
    private int sampleInRankOrder(int n, SamplingParams p, float coin) {
        float cumulative = 0.0f;
        int last = n - 1;
        scan:
        for (int b = 0; b < candidates.buckets() && candidates.bucketStart(b) < n; b++) {
            candidates.sortBucket(b);
            for (int i = candidates.bucketStart(b), end = Math.min(candidates.bucketEnd(b), n); i < end; i++) {
                cumulative += candidates.probability(i);
                cdf[i] = cumulative;
                if (p.nucleus() && cumulative > p.topP()) {
                    last = i;
                    break scan;
                }
            }
        }
        float r = coin * cumulative;
        int lo = 0, hi = last;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (r < cdf[mid]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return candidates.token(lo);
    }

    /**
     * The same pick, with the sums taken over whole buckets (in double precision) and only the two
     * buckets where the nucleus ends and where the coin lands sorted and walked token by token.
     */
    private int sampleByBuckets(SamplingParams p, float coin) {
        double limit = p.nucleus() ? p.topP() : Double.POSITIVE_INFINITY;
        double kept = 0;
        int lastBucket = -1, last = candidates.count() - 1;
        for (int b = 0; b < candidates.buckets(); b++) {
            double mass = candidates.bucketMass(b);
            if (kept + mass > limit) {
                candidates.loadBucket(b, ops);
                for (int i = candidates.bucketStart(b); i < candidates.bucketEnd(b); i++) {
                    kept += candidates.probability(i);
                    if (kept > limit) {
                        last = i;
                        break;
                    }
                }
                lastBucket = b;
                break;
            }
            kept += mass;
        }
        double r = coin * kept, cumulative = 0;
        for (int b = 0; b < candidates.buckets(); b++) {
            double mass = candidates.bucketMass(b);
            if (cumulative + mass > r || b == lastBucket) {
                if (b != lastBucket) {
                    candidates.loadBucket(b, ops);
                }
                int end = b == lastBucket ? last + 1 : candidates.bucketEnd(b);
                for (int i = candidates.bucketStart(b); i < end; i++) {
                    cumulative += candidates.probability(i);
                    if (r < cumulative) {
                        return candidates.token(i);
                    }
                }
                return candidates.token(end - 1);
            }
            cumulative += mass;
        }
        return candidates.token(last);
    }
}
