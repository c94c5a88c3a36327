package llamaspark.model;

import java.util.Arrays;

/**
 * {@link LayerOps} as run.c computes them: scalar float32, sequential sums, {@code expf} as
 * {@code (float) Math.exp}. The reference for the SIMD version, and what the EJML backend uses.
 */
public final class ScalarOps implements LayerOps {
    private final int heads;
    private final int headDim;
    private final int kvGroup;
    private final float sqrtHeadDim;
    private final float[] scores; // attention scores of one head [L padded to 8]

    public ScalarOps(LlamaConfig c) {
        heads = c.heads();
        headDim = c.headDim();
        kvGroup = c.kvGroup();
        sqrtHeadDim = (float) Math.sqrt(headDim);
        scores = new float[KvCache.paddedLength(c.seqLen())];
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        LlamaMath.softmax(x, off, n);
    }

    @Override
    public void swiglu(float[] out, int outOff, float[] h, int gateOff, int upOff, int n) {
        LlamaMath.swiglu(out, outOff, h, gateOff, upOff, n);
    }

    @Override
    public void attend(KvCache cache, int layer, int slot, int pos, float[] q, int qOff, float[] out, int outOff) {
        int HD = headDim, T = pos + 1;
        float[] att = scores;
        for (int h = 0; h < heads; h++) {
            int kv = h / kvGroup * HD, qh = qOff + h * HD;
            for (int t = 0; t < T; t++) {
                float score = 0.0f;
                for (int d = 0; d < HD; d++) {
                    score += q[qh + d] * cache.key(layer, slot, t, kv + d);
                }
                att[t] = score / sqrtHeadDim;
            }
            LlamaMath.softmax(att, 0, T);
            int o = outOff + h * HD;
            Arrays.fill(out, o, o + HD, 0.0f);
            for (int t = 0; t < T; t++) {
                float a = att[t];
                for (int d = 0; d < HD; d++) {
                    out[o + d] += a * cache.value(layer, slot, t, kv + d);
                }
            }
        }
    }
}
