package llamaspark.tokenizer;

import java.io.Serializable;

/**
 * Merge table keyed by the pair of token ids (left << 32 | right): open addressing with linear
 * probing over primitive arrays, so a lookup in the BPE loop allocates nothing.
 */
final class PairMergeMap implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final long EMPTY = -1L;

    private final long[] keys;   // [capacity]
    private final int[] ranks;   // [capacity]
    private final int[] merged;  // [capacity]
    private final int mask;
    private int size;

    PairMergeMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        ranks = new int[capacity];
        merged = new int[capacity];
        mask = capacity - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    /** Keeps the first (lowest-rank) entry of a pair listed twice, as Hugging Face does. */
    void putIfAbsent(int left, int right, int rank, int mergedId) {
        long k = key(left, right);
        int i = slot(k);
        while (keys[i] != EMPTY) {
            if (keys[i] == k) {
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = k;
        ranks[i] = rank;
        merged[i] = mergedId;
        size++;
    }

    /** Slot of the pair, or -1 if the pair does not merge. */
    int find(int left, int right) {
        long k = key(left, right);
        int i = slot(k);
        while (true) {
            long at = keys[i];
            if (at == k) {
                return i;
            }
            if (at == EMPTY) {
                return -1;
            }
            i = (i + 1) & mask;
        }
    }

    int rankAt(int slot) {
        return ranks[slot];
    }

    int mergedAt(int slot) {
        return merged[slot];
    }

    int size() {
        return size;
    }
}
