package llamaspark.model;

/**
 * The element-wise and reduction steps of the forward pass, in float32 and in run.c's order of
 * operations (sequential sums, no fused multiply-add), so that logits match llama2.c bit for bit.
 * {@code (float) Math.exp(x)} stands in for C's {@code expf}: both are correctly rounded for the
 * values seen here.
 */
public final class LlamaMath {
    public static final float RMS_EPS = LlamaConfig.LLAMA2C_RMS_EPS;

    private LlamaMath() {
    }

    /** out = weight * (x / sqrt(mean(x^2) + eps)) over n elements. */
    public static void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n) {
        rmsnorm(out, outOff, x, xOff, weight, n, RMS_EPS);
    }

    /** As above with epsilon {@code eps} (the model's). */
    public static void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n, float eps) {
        float ss = 0.0f;
        for (int j = 0; j < n; j++) {
            float v = x[xOff + j];
            ss += v * v;
        }
        ss /= n;
        ss += eps;
        ss = 1.0f / (float) Math.sqrt(ss);
        for (int j = 0; j < n; j++) {
            out[outOff + j] = weight[j] * (ss * x[xOff + j]);
        }
    }

    /** In-place softmax of x[off, off + n). */
    public static void softmax(float[] x, int off, int n) {
        float max = x[off];
        for (int i = 1; i < n; i++) {
            if (x[off + i] > max) {
                max = x[off + i];
            }
        }
        float sum = 0.0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        for (int i = 0; i < n; i++) {
            x[off + i] /= sum;
        }
    }

    /** out[i] = silu(gate[i]) * up[i]: the SwiGLU activation. */
    public static void swiglu(float[] out, int outOff, float[] h, int gateOff, int upOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = h[gateOff + i];
            v *= 1.0f / (1.0f + (float) Math.exp(-v));
            v *= h[upOff + i];
            out[outOff + i] = v;
        }
    }

    /** x[i] += y[i]: the residual connection. */
    public static void accumulate(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            x[xOff + i] += y[yOff + i];
        }
    }
}
