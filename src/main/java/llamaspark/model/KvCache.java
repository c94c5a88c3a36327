package llamaspark.model;

import llamaspark.model.kernel.Simd;

/**
 * Keys and values of every position seen so far, per layer and slot, laid out so that the
 * attention of one token streams through its sequence's memory once, front to back. Keys come in
 * blocks of BLOCK positions (a vector's lanes, {@link Simd#LANES}: 8 or 16); a block holds, for
 * each kv head, all HD components position-interleaved ([block][kv head][d][BLOCK]), so the
 * scores of BLOCK positions are one vector pass over d, each score
 * summed over d in order as run.c does. Values are run.c's [t][kv head * HD].
 *
 * <p>In half precision ({@link KvPrecision#F16}) each int holds two halves, low 16 bits first, so
 * that one int load widens to two float vectors with shifts alone: keys pair components d and d + 1
 * of a position ([block][kv head][d / 2][BLOCK]), values pair positions t and t + 1 of a component
 * ([t / 2][kv head * HD]), the two positions attention's weighted sum takes per pass. Halves
 * round to nearest even and saturate at ±65504.
 */
public final class KvCache {
    /** Positions per key block: one vector's lanes. */
    public static final int BLOCK = Simd.LANES;

    private final KvPrecision precision;
    private final int kvDim;        // KVD = KVHN * HD
    private final int headDim;      // HD
    private final int seqLen;       // L
    private final int blocks;       // key blocks per slot, ceil(L / BLOCK)
    private final int perValue;     // values per array element: 1 (f32) or 2 (f16)
    private final float[][] keys;   // f32: [layer][slot][block][KVHN][HD][BLOCK], else null
    private final float[][] values; // f32: [layer][slot][block * BLOCK = position][KVHN][HD], else null
    private final int[][] halfKeys;   // f16: [layer][slot][block][KVHN][HD / 2][BLOCK] (d, d + 1), else null
    private final int[][] halfValues; // f16: [layer][slot][block * BLOCK / 2 = position / 2][KVHN][HD] (t, t + 1), else null

    /** A float32 cache. */
    public KvCache(LlamaConfig c, int slots) {
        this(c, slots, KvPrecision.F32);
    }

    public KvCache(LlamaConfig c, int slots, KvPrecision precision) {
        this.precision = precision;
        this.kvDim = c.kvDim();
        this.headDim = c.headDim();
        this.seqLen = c.seqLen();
        this.blocks = (seqLen + BLOCK - 1) / BLOCK;
        this.perValue = precision == KvPrecision.F16 ? 2 : 1;
        if (precision == KvPrecision.F16 && headDim % 2 != 0) {
            throw new IllegalArgumentException("a half-precision KV cache pairs head components; head size " + headDim + " is odd");
        }
        long perLayer = (long) slots * blocks * BLOCK * kvDim / perValue;
        if (perLayer > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + slots + " slots x seq_len " + seqLen
                    + " x kv_dim " + kvDim + " exceeds one Java array per layer; use a smaller batch");
        }
        boolean half = precision == KvPrecision.F16;
        keys = half ? null : new float[c.layers()][(int) perLayer];
        values = half ? null : new float[c.layers()][(int) perLayer];
        halfKeys = half ? new int[c.layers()][(int) perLayer] : null;
        halfValues = half ? new int[c.layers()][(int) perLayer] : null;
    }

    /** Positions rounded up to whole key blocks. */
    public static int paddedLength(int positions) {
        return (positions + BLOCK - 1) / BLOCK * BLOCK;
    }

    public KvPrecision precision() {
        return precision;
    }

    /** Stores the key and value vectors (KVD = KVHN * HD each) of {@code slot} at {@code pos}. */
    public void store(int layer, int slot, int pos, float[] src, int keyOff, int valueOff) {
        int kb = keyBlock(slot, pos / BLOCK) + pos % BLOCK;
        if (precision == KvPrecision.F16) {
            int[] k = halfKeys[layer], v = halfValues[layer];
            int row = valuePair(slot, pos), valueShift = (pos & 1) * 16;
            for (int i = 0; i < kvDim; i++) { // i = kvh * HD + d; HD is even, so i / 2 = kvh * HD / 2 + d / 2
                k[kb + i / 2 * BLOCK] = withHalf(k[kb + i / 2 * BLOCK], (i & 1) * 16, src[keyOff + i]);
                v[row + i] = withHalf(v[row + i], valueShift, src[valueOff + i]);
            }
            return;
        }
        float[] k = keys[layer];
        for (int i = 0; i < kvDim; i++) {
            k[kb + i * BLOCK] = src[keyOff + i]; // i = kvh * HD + d
        }
        System.arraycopy(src, valueOff, values[layer], valueRow(slot, pos), kvDim);
    }

    /**
     * {@code pair} with its half at {@code shift} (0 or 16) replaced by {@code x} rounded to half,
     * saturating at ±65504: a key or value past the half's range is a large number, not infinity,
     * which would turn its whole row of scores to NaN.
     */
    private static int withHalf(int pair, int shift, float x) {
        return pair & ~(0xFFFF << shift) | Half.fromFloat(Math.max(-Half.MAX, Math.min(Half.MAX, x))) << shift;
    }

    /** Float32 keys of a layer (null for a half cache). */
    public float[] keys(int layer) {
        return keys[layer];
    }

    /** Float32 values of a layer (null for a half cache). */
    public float[] values(int layer) {
        return values[layer];
    }

    /** Half keys of a layer, two per int (a half cache only). */
    public int[] halfKeys(int layer) {
        return halfKeys[layer];
    }

    /** Half values of a layer, two positions per int (a half cache only). */
    public int[] halfValues(int layer) {
        return halfValues[layer];
    }

    /**
     * Offset of key block {@code block} of {@code slot} in this cache's key array: in float32,
     * component d of kv head h at position block * BLOCK + j is at
     * {@code keyBlock + (h * HD + d) * BLOCK + j}; in half precision, the int holding it (with
     * component d ^ 1) is at {@code keyBlock + (h * HD + d) / 2 * BLOCK + j}.
     */
    public int keyBlock(int slot, int block) {
        return (slot * blocks + block) * BLOCK * (kvDim / perValue);
    }

    /** Offset of the float32 value vector of {@code slot} at {@code pos}: component d of kv head h is at + h * HD + d. */
    public int valueRow(int slot, int pos) {
        return (slot * blocks * BLOCK + pos) * kvDim;
    }

    /**
     * Offset of the half values of {@code slot} at {@code pos} and its pair (pos ^ 1): component d of
     * kv head h is the int at + h * HD + d, the even position in its low half.
     */
    public int valuePair(int slot, int pos) {
        return (slot * blocks * BLOCK / 2 + pos / 2) * kvDim;
    }

    /** Key component {@code i} (= kv head * HD + d) of {@code slot} at {@code pos}, as a float. */
    public float key(int layer, int slot, int pos, int i) {
        int block = keyBlock(slot, pos / BLOCK) + pos % BLOCK;
        if (precision == KvPrecision.F16) {
            return Half.toFloat(halfKeys[layer][block + i / 2 * BLOCK] >>> (i & 1) * 16);
        }
        return keys[layer][block + i * BLOCK];
    }

    /** Value component {@code i} (= kv head * HD + d) of {@code slot} at {@code pos}, as a float. */
    public float value(int layer, int slot, int pos, int i) {
        if (precision == KvPrecision.F16) {
            return Half.toFloat(halfValues[layer][valuePair(slot, pos) + i] >>> (pos & 1) * 16);
        }
        return values[layer][valueRow(slot, pos) + i];
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
