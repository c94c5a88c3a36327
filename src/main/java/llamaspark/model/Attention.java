package llamaspark.model;

/**
 * Causal grouped-query attention of one token over its own sequence's cache: for each query
 * head h (sharing kv head h / (HN / KVHN)), scores q.k_t / sqrt(HD) for t <= pos, softmax, and
 * the score-weighted sum of the values, all in run.c's order of operations.
 */
final class Attention {
    private final int heads;
    private final int headDim;
    private final int kvGroup;
    private final float sqrtHeadDim;
    private final float[] scores;

    Attention(LlamaConfig c) {
        heads = c.heads();
        headDim = c.headDim();
        kvGroup = c.kvGroup();
        sqrtHeadDim = (float) Math.sqrt(headDim);
        scores = new float[c.seqLen()];
    }

    /** Writes the attention output of all heads (D values) for the query at {@code q[qOff...]}. */
    void attend(KvCache cache, int layer, int slot, int pos, float[] q, int qOff, float[] out, int outOff) {
        float[] keys = cache.keys(layer), values = cache.values(layer);
        int L = cache.seqLen(), KVD = cache.kvDim(), HD = headDim, T = pos + 1;
        float[] att = scores;
        for (int h = 0; h < heads; h++) {
            int kvh = h / kvGroup;
            java.util.Arrays.fill(att, 0, T, 0.0f);
            int kRow = cache.keyBase(slot) + kvh * HD * L;
            for (int d = 0; d < HD; d++, kRow += L) {
                float qd = q[qOff + h * HD + d];
                for (int t = 0; t < T; t++) {
                    att[t] += qd * keys[kRow + t];
                }
            }
            for (int t = 0; t < T; t++) {
                att[t] /= sqrtHeadDim;
            }
            LlamaMath.softmax(att, 0, T);
            int o = outOff + h * HD;
            java.util.Arrays.fill(out, o, o + HD, 0.0f);
            int vRow = cache.valueBase(slot) + kvh * HD;
            for (int t = 0; t < T; t++, vRow += KVD) {
                float a = att[t];
                for (int d = 0; d < HD; d++) {
                    out[o + d] += a * values[vRow + d];
                }
            }
        }
    }
}
