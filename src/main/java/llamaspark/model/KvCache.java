package llamaspark.model;

import llamaspark.model.kernel.Simd;

/**
 * Keys and values of every position seen so far, per layer and slot, laid out so that the
 * attention of one token streams through its sequence's memory once, front to back. Keys come in
 * blocks of BLOCK positions (a vector's lanes, {@link Simd#LANES}: 8 or 16); a block holds, for
 * each kv head, all HD components position-interleaved ([block][kv head][d][BLOCK]), so the
 * scores of BLOCK positions are one vector pass over d, each score
 * summed over d in order as run.c does. Values are run.c's [t][kv head * HD].
 */
public final class KvCache {
    /** Positions per key block: one vector's lanes. */
    public static final int BLOCK = Simd.LANES;

    private final int kvDim;        // KVD = KVHN * HD
    private final int headDim;      // HD
    private final int seqLen;       // L
    private final int blocks;       // key blocks per slot, ceil(L / BLOCK)
    private final float[][] keys;   // [layer][slot][block][KVHN][HD][BLOCK]
    private final float[][] values; // [layer][slot][block * BLOCK = position][KVHN][HD]

    public KvCache(LlamaConfig c, int slots) {
        this.kvDim = c.kvDim();
        this.headDim = c.headDim();
        this.seqLen = c.seqLen();
        this.blocks = (seqLen + BLOCK - 1) / BLOCK;
        long perLayer = (long) slots * blocks * BLOCK * kvDim;
        if (perLayer > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + slots + " slots x seq_len " + seqLen
                    + " x kv_dim " + kvDim + " exceeds one Java array per layer; use a smaller batch");
        }
        keys = new float[c.layers()][(int) perLayer];
        values = new float[c.layers()][(int) perLayer];
    }

    /** Positions rounded up to whole key blocks. */
    public static int paddedLength(int positions) {
        return (positions + BLOCK - 1) / BLOCK * BLOCK;
    }

    /** Stores the key and value vectors (KVD = KVHN * HD each) of {@code slot} at {@code pos}. */
    public void store(int layer, int slot, int pos, float[] src, int keyOff, int valueOff) {
        float[] k = keys[layer];
        int kb = keyBlock(slot, pos / BLOCK) + pos % BLOCK;
        for (int i = 0; i < kvDim; i++) {
            k[kb + i * BLOCK] = src[keyOff + i]; // i = kvh * HD + d
        }
        System.arraycopy(src, valueOff, values[layer], valueRow(slot, pos), kvDim);
    }

    public float[] keys(int layer) {
        return keys[layer];
    }

    public float[] values(int layer) {
        return values[layer];
    }

    /**
     * Offset of key block {@code block} of {@code slot}: component d of kv head h at position
     * block * 8 + j is at {@code keyBlock + (h * HD + d) * 8 + j}.
     */
    public int keyBlock(int slot, int block) {
        return (slot * blocks + block) * BLOCK * kvDim;
    }

    /** Offset of the value vector of {@code slot} at {@code pos}: component d of kv head h is at + h * HD + d. */
    public int valueRow(int slot, int pos) {
        return (slot * blocks * BLOCK + pos) * kvDim;
    }

    public int kvDim() {
        return kvDim;
    }

    public int headDim() {
        return headDim;
    }

    public int seqLen() {
        return seqLen;
    }
}
