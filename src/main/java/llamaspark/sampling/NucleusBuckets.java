package llamaspark.sampling;

import java.util.Arrays;
import llamaspark.model.kernel.Simd;

/**
 * The fast path's nucleus: the tokens at or above a cutoff grouped into at most
 * {@link #MAX_BUCKETS} buckets by the high bits of their probability (most probable bucket
 * first), each bucket's mass summed in double precision in the same pass that computes
 * the probabilities ({@link Probabilities#normalizeAndCount}). Only the buckets a pick walks
 * through token by token (where the nucleus ends and where the coin lands) are fetched, their
 * probabilities divided again from the exponentials, and sorted, in run.c's order: descending
 * probability, equal probabilities by index. 4096
 * buckets (measured against 1024, 2048 and 8192 on the random 15M model's logits) keep the
 * bucket walks short and the two fetched buckets small: a flat 32000-token distribution has
 * some 40 tokens in its fullest bucket. Reused from row to row; one instance per thread.
 */
final class NucleusBuckets {
    static final int MAX_BUCKETS = 4096;

    static {
        // Buckets are stored as shorts.
        if (MAX_BUCKETS + Simd.LANES > Short.MAX_VALUE) {
            throw new AssertionError("buckets do not fit a short");
        }
    }
    private static final int SMALL = 16;

    /**
     * Probability mass of each bucket (0: empty, as the cutoff is positive); the LANES buckets
     * from {@code buckets} on (one per vector lane) collect what is below the cutoff [MAX_BUCKETS + LANES].
     */
    final double[] mass = new double[MAX_BUCKETS + Simd.LANES];
    /** Each token's bucket, a spare one for tokens below the cutoff (all below 2^15) [VS]. */
    final short[] bucketOf;
    /** Scratch: a chunk of probabilities widened to double [Probabilities.CHUNK]. */
    final double[] widened = new double[Probabilities.CHUNK];
    /** Cumulative mass of the buckets before each, for a bisection [MAX_BUCKETS + 1]. */
    final double[] before = new double[MAX_BUCKETS + 1];
    /** Two slots of (descending probability bits, token) of a fetched bucket, ascending = run.c's order [2, VS]. */
    private final long[][] keys;
    private final int[] loaded = new int[2];
    private final int[] indices;
    private final long[] scratch = new long[SMALL];
    private int buckets;
    private int low;
    private int shift;
    /** The softmax's sum: a probability is exponential / sum. */
    private float sum;

    NucleusBuckets(int vocabSize) {
        keys = new long[2][vocabSize];
        bucketOf = new short[vocabSize];
        indices = new int[vocabSize];
    }

    /**
     * Sets the buckets up for probabilities (exponential / sum) in [cutoff, max] and clears them;
     * returns the number of buckets. Bucket b holds the bits {@code low + (buckets - 1 - b) << shift} onwards.
     */
    int reset(float cutoff, float max, float sum) {
        this.sum = sum;
        low = Float.floatToRawIntBits(cutoff);
        int high = Math.max(low, Float.floatToRawIntBits(max));
        shift = 0;
        while (((high - low) >>> shift) >= MAX_BUCKETS) {
            shift++;
        }
        buckets = ((high - low) >>> shift) + 1;
        Arrays.fill(mass, 0, buckets + Simd.LANES, 0.0);
        return buckets;
    }

    int low() {
        return low;
    }

    int shift() {
        return shift;
    }

    int buckets() {
        return buckets;
    }

    float sum() {
        return sum;
    }

    /**
     * Fetches bucket b's tokens (found in {@link #bucketOf}, their exponentials in
     * exps[off, off + n)) into slot 0, in run.c's order; returns how many.
     */
    int load(int b, float[] exps, int off, int n, Probabilities ops) {
        int found = ops.indicesOfBuckets(bucketOf, n, b, b, indices);
        fill(0, found, 0, found, exps, off);
        return found;
    }

    /** {@link #load} of two different buckets in one pass: b0 into slot 0, b1 into slot 1. */
    void loadTwo(int b0, int b1, float[] exps, int off, int n, Probabilities ops) {
        int found = ops.indicesOfBuckets(bucketOf, n, b0, b1, indices);
        // Bucket b0's tokens to the front; the swaps disturb index order, which sorting the keys restores.
        int in0 = 0;
        for (int j = 0; j < found; j++) {
            if (bucketOf[indices[j]] == b0) {
                int t = indices[j];
                indices[j] = indices[in0];
                indices[in0++] = t;
            }
        }
        fill(0, in0, 0, in0, exps, off);
        fill(1, found - in0, in0, found, exps, off);
    }

    /** Keys of the tokens indices[from, to), their probabilities divided as the counting pass divided them. */
    private void fill(int slot, int size, int from, int to, float[] exps, int off) {
        long[] k = keys[slot];
        for (int j = from; j < to; j++) {
            k[j - from] = key(Float.floatToRawIntBits(exps[off + indices[j]] / sum), indices[j]);
        }
        sort(k, size);
        loaded[slot] = size;
    }

    int token(int slot, int rank) {
        return (int) keys[slot][rank];
    }

    float probability(int slot, int rank) {
        return Float.intBitsToFloat(Integer.MAX_VALUE - (int) (keys[slot][rank] >>> 32));
    }

    /** How many tokens slot holds. */
    int loaded(int slot) {
        return loaded[slot];
    }

    private static long key(int probabilityBits, int token) {
        return ((long) (Integer.MAX_VALUE - probabilityBits) << 32) | token;
    }

    /** Small buckets are rank-sorted without branches (keys are distinct), large ones by Arrays.sort. */
    private void sort(long[] k, int size) {
        if (size < 2) {
            return;
        }
        if (size > SMALL) {
            Arrays.sort(k, 0, size);
            return;
        }
        long[] tmp = scratch;
        System.arraycopy(k, 0, tmp, 0, size);
        for (int i = 0; i < size; i++) {
            long ki = tmp[i];
            int rank = 0;
            for (int j = 0; j < size; j++) {
                rank += tmp[j] < ki ? 1 : 0;
            }
            k[rank] = ki;
        }
    }
}
