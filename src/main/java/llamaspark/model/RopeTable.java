package llamaspark.model;

/**
 * Rotary position embedding on adjacent pairs (x[2j], x[2j+1]) of each head, as llama2.c does
 * it: angle pos * freq[j], computed in float32 like run.c, once per position. The frequencies are
 * the model's ({@link RopeFrequencies}): llama2.c's 1 / theta^(2j / HD), or scaled (Llama 3.1).
 */
public final class RopeTable {
    private final int headDim;
    private final float[] cos;   // [L][HD/2]
    private final float[] sin;   // [L][HD/2]

    public RopeTable(int headDim, int seqLen) {
        this(headDim, seqLen, LlamaConfig.LLAMA2C_ROPE_THETA);
    }

    public RopeTable(int headDim, int seqLen, float theta) {
        this(RopeFrequencies.plain(headDim, theta), seqLen);
    }

    /** @param freq the per-pair frequencies of a head [HD/2] */
    public RopeTable(float[] freq, int seqLen) {
        this.headDim = 2 * freq.length;
        int half = freq.length;
        cos = new float[seqLen * half];
        sin = new float[seqLen * half];
        for (int pos = 0; pos < seqLen; pos++) {
            for (int j = 0; j < half; j++) {
                float angle = pos * freq[j];
                cos[pos * half + j] = (float) Math.cos(angle);
                sin[pos * half + j] = (float) Math.sin(angle);
            }
        }
    }

    /** Rotates the n values x[off, off + n) (whole heads) for position {@code pos}. */
    public void rotate(float[] x, int off, int n, int pos) {
        int half = headDim / 2;
        int base = pos * half;
        for (int i = 0; i < n; i += 2) {
            int j = base + (i % headDim) / 2;
            float fcr = cos[j], fci = sin[j];
            float v0 = x[off + i], v1 = x[off + i + 1];
            x[off + i] = v0 * fcr - v1 * fci;
            x[off + i + 1] = v0 * fci + v1 * fcr;
        }
    }
}
