package llamaspark.model;

/**
 * Keys and values of every position seen so far, per layer and slot. Keys are stored
 * transposed, [slot][kv head][d][t], so the scores of one query against all positions are a
 * run of contiguous multiply-adds over t (which the JIT vectorises) while each score is still
 * summed over d in order, as run.c does. Values are [slot][t][kv head * HD] as in run.c.
 */
public final class KvCache {
    private final int kvDim;
    private final int seqLen;
    private final float[][] keys;
    private final float[][] values;

    public KvCache(LlamaConfig c, int slots) {
        this.kvDim = c.kvDim();
        this.seqLen = c.seqLen();
        long perLayer = (long) slots * kvDim * seqLen;
        if (perLayer > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + slots + " slots x seq_len " + seqLen
                    + " x kv_dim " + kvDim + " exceeds one Java array per layer; use a smaller batch");
        }
        keys = new float[c.layers()][(int) perLayer];
        values = new float[c.layers()][(int) perLayer];
    }

    /** Stores the key and value vectors (kvDim each) of {@code slot} at {@code pos}. */
    public void store(int layer, int slot, int pos, float[] src, int keyOff, int valueOff) {
        float[] k = keys[layer];
        int kBase = slot * kvDim * seqLen + pos;
        for (int i = 0; i < kvDim; i++) {
            k[kBase + i * seqLen] = src[keyOff + i];
        }
        System.arraycopy(src, valueOff, values[layer], (slot * seqLen + pos) * kvDim, kvDim);
    }

    public float[] keys(int layer) {
        return keys[layer];
    }

    public float[] values(int layer) {
        return values[layer];
    }

    /** Offset of key component d of kv head 0 at t = 0 for {@code slot}; add (kvh * HD + d) * seqLen + t. */
    public int keyBase(int slot) {
        return slot * kvDim * seqLen;
    }

    /** Offset of the value vector of {@code slot} at t = 0; add t * kvDim + kvh * HD + d. */
    public int valueBase(int slot) {
        return slot * seqLen * kvDim;
    }

    public int seqLen() {
        return seqLen;
    }

    public int kvDim() {
        return kvDim;
    }
}
