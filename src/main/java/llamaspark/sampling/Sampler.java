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
 *
 * <p>The fused backend's sampler (see {@link #forBackend}) takes the same steps in exact
 * arithmetic but sums in double precision, bucket by bucket ({@link NucleusBuckets}): the same
 * token as run.c's order given the same probabilities except where float rounding of run.c's
 * running sum moves a boundary, in a fraction of the time.
 */
public final class Sampler {
    private final int vocabSize;
    private final RankedCandidates candidates;
    /** The fast path's buckets; null on run.c's path. */
    private final NucleusBuckets buckets;
    /** Running probability sums over the ranked candidates, for the final pick [VS]. */
    private final float[] cdf;
    private final Probabilities ops;

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

    /** A sampler on {@code ops}' probabilities, summing the nucleus by buckets or in run.c's rank order. */
    Sampler(int vocabSize, Probabilities ops, boolean byBuckets) {
        this.vocabSize = vocabSize;
        this.candidates = new RankedCandidates(vocabSize);
        this.buckets = byBuckets ? new NucleusBuckets(vocabSize) : null;
        this.cdf = new float[vocabSize];
        this.ops = ops;
    }

    /** Samples from {@code logits[off, off + VS)}, which it overwrites (with probabilities, or on the fused path exponentials). */
    public int sample(float[] logits, int off, SamplingParams p, RunCRandom rng, StageProfile prof) {
        return sample(logits, off, false, 0f, p, rng, prof);
    }

    /**
     * {@link #sample(float[], int, SamplingParams, RunCRandom, StageProfile)} of a row whose
     * largest logit, as {@link Math#max} takes it, is {@code max} (the classifier's
     * {@link llamaspark.model.kernel.MatmulKernel#matmulWithRowMax}): the SIMD samplers start
     * from it instead of a pass over the row (the same picks, the same bits); run.c's ignores it.
     */
    public int sample(float[] logits, int off, float max, SamplingParams p, RunCRandom rng, StageProfile prof) {
        return sample(logits, off, true, max, p, rng, prof);
    }

    private int sample(float[] logits, int off, boolean knownMax, float max, SamplingParams p, RunCRandom rng,
                       StageProfile prof) {
        if (p.isGreedy()) {
            long t = prof.start();
            int best = knownMax ? ops.argmax(logits, off, vocabSize, max) : ops.argmax(logits, off, vocabSize);
            prof.stop(Stage.ARGMAX, t);
            return best;
        }
        long t = prof.start();
        float temperature = p.temperature();
        if (temperature != 1.0f) { // x / 1 is x: the division changes nothing then
            for (int i = 0; i < vocabSize; i++) {
                logits[off + i] /= temperature;
            }
            max /= temperature; // dividing by a positive number keeps the largest the largest, to the bit
        }
        boolean filtered = p.nucleus() || p.topK() > 0 || p.minP() > 0f;
        if (buckets != null && filtered && p.topK() == 0) {
            // Top-k needs the exact ranks of the first k candidates: it takes run.c's path below.
            float sum = knownMax ? ops.exponentials(logits, off, vocabSize, max) : ops.exponentials(logits, off, vocabSize);
            // The largest exponential is exp(0) = 1 exactly, so the largest probability is 1 / sum.
            float cutoff = cutoff(p, 1.0f / sum);
            buckets.reset(cutoff, 1.0f / sum, sum);
            ops.normalizeAndCount(logits, off, vocabSize, sum, cutoff, buckets);
            float coin = rng.nextFloat();
            prof.stop(Stage.TOP_P_LOGITS, t);
            t = prof.start();
            int next = sampleByBuckets(logits, off, p, coin);
            prof.stop(Stage.SAMPLING, t);
            return next;
        }
        ops.softmax(logits, off, vocabSize);
        float coin = rng.nextFloat();
        int n = filtered ? rankCandidates(logits, off, p) : 0;
        prof.stop(Stage.TOP_P_LOGITS, t);

        t = prof.start();
        int next = n == 0 ? sampleAll(logits, off, coin) : sampleInRankOrder(n, p, coin);
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

    /** run.c's cutoff (1 - p) / (VS - 1) for the nucleus, raised to min-p times the largest probability. */
    private float cutoff(SamplingParams p, float max) {
        float cutoff = p.nucleus() ? (1.0f - p.topP()) / (vocabSize - 1) : 0.0f;
        return p.minP() > 0f ? Math.max(cutoff, p.minP() * max) : cutoff;
    }

    /** Ranks the candidates that pass the cutoffs; returns how many may be picked (top-k). */
    private int rankCandidates(float[] probs, int off, SamplingParams p) {
        float max = ops.max(probs, off, vocabSize);
        int n = candidates.collect(probs, off, vocabSize, cutoff(p, max), max);
        return p.topK() > 0 ? Math.min(n, p.topK()) : n;
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
     * The same pick over the buckets {@link Probabilities#normalizeAndCount} filled from the
     * exponentials in exps (each probability is exps[i] / sum, divided again where needed): the sums
     * taken over whole buckets (in double precision), and only the bucket where the nucleus ends
     * and the one where the coin lands fetched, sorted and walked token by token. The kept mass
     * is known to within the last bucket's before that bucket is walked, so the coin's bucket
     * is usually known too, and both are fetched in one pass.
     */
    private int sampleByBuckets(float[] exps, int off, SamplingParams p, float coin) {
        NucleusBuckets nb = buckets;
        double[] mass = nb.mass, before = nb.before;
        double limit = p.nucleus() ? p.topP() : Double.POSITIVE_INFINITY;
        double kept = 0;
        int last = -1, b = 0, count = nb.buckets();
        // Four buckets a round: their running sums hang off one add to kept instead of a chain of
        // four (thousands of buckets; each add waits for the one before). Still non-decreasing.
        for (; b + 4 <= count; b += 4) {
            double m01 = mass[b] + mass[b + 1], m012 = m01 + mass[b + 2], m0123 = m01 + (mass[b + 2] + mass[b + 3]);
            double k1 = kept + mass[b], k2 = kept + m01, k3 = kept + m012, k4 = kept + m0123;
            before[b] = kept;
            before[b + 1] = k1;
            before[b + 2] = k2;
            before[b + 3] = k3;
            if (k4 > limit) { // the nucleus ends in one of these four
                last = k1 > limit ? b : k2 > limit ? b + 1 : k3 > limit ? b + 2 : b + 3;
                kept = before[last];
                break;
            }
            kept = k4;
        }
        for (; last < 0 && b < count; b++) {
            before[b] = kept;
            if (kept + mass[b] > limit) {
                last = b;
                break;
            }
            kept += mass[b];
        }
        if (last < 0) {
            // The whole distribution above the cutoff is kept (min-p alone, or p reached only by rounding).
            last = nb.buckets() - 1;
            while (last > 0 && mass[last] == 0) {
                last--;
            }
            if (mass[last] == 0) { // nothing above the cutoff: only NaN probabilities do that
                for (int i = 0; i < vocabSize; i++) { // run.c's scan over the probabilities, as before the buckets
                    exps[off + i] /= nb.sum();
                }
                return argmax(exps, off, vocabSize);
            }
            int c = bucketOf(coin * kept, last);
            return walk(0, nb.load(c, exps, off, vocabSize, ops), before[c], coin * kept);
        }
        int lo = bucketOf(coin * before[last], last), hi = bucketOf(coin * (before[last] + mass[last]), last);
        boolean both = lo == hi && lo < last;
        if (both) {
            nb.loadTwo(last, lo, exps, off, vocabSize, ops);
        } else {
            nb.load(last, exps, off, vocabSize, ops);
        }
        // The nucleus ends where the running sum in rank order first exceeds p (the whole bucket if only rounding put it over).
        int size = nb.loaded(0), lastRank = size - 1;
        for (int i = 0; i < size; i++) {
            kept += nb.probability(0, i);
            if (kept > limit) {
                lastRank = i;
                break;
            }
        }
        double r = coin * kept;
        int c = bucketOf(r, last);
        if (c == last) {
            return walk(0, lastRank + 1, before[last], r);
        }
        if (both && c == lo) {
            return walk(1, nb.loaded(1), before[c], r);
        }
        return walk(0, nb.load(c, exps, off, vocabSize, ops), before[c], r);
    }

    /** The last bucket b <= max with before[b] <= r: where a running sum first exceeds r. */
    private int bucketOf(double r, int max) {
        double[] before = buckets.before;
        int lo = 0, hi = max;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (before[mid] <= r) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** The first of a slot's first n tokens whose running sum from {@code cumulative} exceeds r (rounding: the n-th). */
    private int walk(int slot, int n, double cumulative, double r) {
        for (int i = 0; i < n; i++) {
            cumulative += buckets.probability(slot, i);
            if (r < cumulative) {
                return buckets.token(slot, i);
            }
        }
        return buckets.token(slot, n - 1);
    }
}
