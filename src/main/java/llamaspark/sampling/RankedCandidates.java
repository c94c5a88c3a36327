package llamaspark.sampling;

import java.util.Arrays;

/**
 * The tokens whose probability passes a cutoff, grouped for ranking in run.c's order (most
 * probable first, equal probabilities by index) without sorting them all: buckets by the high
 * bits of the probability, most probable bucket first, each sorted only when a reader needs its
 * inner order. A flat 32000-token distribution has a few hundred small buckets; a sharp one puts
 * its nucleus in the first one or two. Each token is a long key, (descending probability bits,
 * index), so ascending keys are run.c's order and the probability comes back from the key.
 *
 * <p>{@link #collect} fills every bucket (a counting sort). Reused from row to row. (The fused
 * backend's sampler counts and sums buckets without filling them: {@link NucleusBuckets}.)
 */
final class RankedCandidates {
    private static final int MAX_BUCKETS = 16384;

    private static final int SMALL = 16;

    private final long[] keys;
    private final long[] scratch = new long[SMALL];
    /** bucketStart[b] .. bucketStart[b + 1]: bucket b, b = 0 the most probable. */
    private final int[] bucketStart = new int[MAX_BUCKETS + 1];
    private int buckets;
    private int count;
    private int low;
    private int high;
    private int shift;

    RankedCandidates(int vocabSize) {
        keys = new long[vocabSize];
    }

    /**
     * Buckets every probs[off + i] >= cutoff; {@code max} is the largest of them. Returns how
     * many passed.
     */
    int collect(float[] probs, int off, int n, float cutoff, float max) {
        count(probs, off, n, cutoff, max);
        int[] start = bucketStart;
        int top = buckets - 1;
        for (int i = 0; i < n; i++) {
            float p = probs[off + i];
            if (p >= cutoff) {
                int bits = Float.floatToRawIntBits(p);
                keys[start[top - ((bits - low) >>> shift)]++] = key(bits, i);
            }
        }
        // Every start has moved to its bucket's end, i.e. the next bucket's start: shift back.
        System.arraycopy(start, 0, start, 1, buckets);
        start[0] = 0;
        return count;
    }

    /** Counts per bucket; leaves bucketStart[b] at the start of bucket b. */
    private void count(float[] probs, int off, int n, float cutoff, float max) {
        low = Float.floatToRawIntBits(cutoff);
        high = Math.max(low, Float.floatToRawIntBits(max));
        // As fine as the table allows over [cutoff, max]: small buckets are cheap to sort.
        shift = 0;
        while (((high - low) >>> shift) >= MAX_BUCKETS) {
            shift++;
        }
        buckets = ((high - low) >>> shift) + 1;
        int top = buckets - 1;
        int[] start = bucketStart;
        Arrays.fill(start, 0, buckets + 1, 0);
        int c = 0;
        for (int i = 0; i < n; i++) {
            float p = probs[off + i];
            if (p >= cutoff) {
                int b = top - ((Float.floatToRawIntBits(p) - low) >>> shift);
                start[b + 1]++;
                c++;
            }
        }
        count = c;
        for (int b = 1; b <= buckets; b++) {
            start[b] += start[b - 1];
        }
    }

    private static long key(int probabilityBits, int token) {
        return ((long) (Integer.MAX_VALUE - probabilityBits) << 32) | token;
    }

    int count() {
        return count;
    }

    int buckets() {
        return buckets;
    }

    int bucketStart(int b) {
        return bucketStart[b];
    }

    int bucketEnd(int b) {
        return bucketStart[b + 1];
    }

    /**
     * Puts bucket b in run.c's order. Small buckets (the usual case) are rank-sorted: each key's
     * place is the number of smaller keys, counted without branches, since the comparisons of
     * an insertion sort on random data are mispredicted half the time. Keys are distinct.
     */
    void sortBucket(int b) {
        int from = bucketStart[b], size = bucketStart[b + 1] - from;
        if (size < 2) {
            return;
        }
        if (size > SMALL) {
            Arrays.sort(keys, from, from + size);
            return;
        }
        long[] k = keys, tmp = scratch;
        System.arraycopy(k, from, tmp, 0, size);
        for (int i = 0; i < size; i++) {
            long ki = tmp[i];
            int rank = 0;
            for (int j = 0; j < size; j++) {
                rank += tmp[j] < ki ? 1 : 0;
            }
            k[from + rank] = ki;
        }
    }

    int token(int rank) {
        return (int) keys[rank];
    }

    float probability(int rank) {
        return Float.intBitsToFloat(Integer.MAX_VALUE - (int) (keys[rank] >>> 32));
    }
}
