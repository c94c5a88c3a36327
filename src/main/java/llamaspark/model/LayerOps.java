package llamaspark.model;

/**
 * The work of a layer besides the matrix products, where most of the exponentials are: causal
 * attention of one token, the SwiGLU activation, and softmax. Two kinds:
 * scalar in run.c's order, and SIMD ({@code llamaspark.model.kernel.VectorOps}). One instance per
 * thread: they keep scratch buffers.
 */
public interface LayerOps {

    /** In-place softmax of x[off, off + n). */
    void softmax(float[] x, int off, int n);

    /** out[i] = silu(h[gateOff + i]) * h[upOff + i] for i < n. */
    void swiglu(float[] out, int outOff, float[] h, int gateOff, int upOff, int n);

    /**
     * Attention of the query q[qOff, qOff + QD) of {@code slot} at {@code pos} over that slot's
     * cached positions 0..pos; writes the QD = HN * HD outputs of all heads to out[outOff...].
     */
    void attend(KvCache cache, int layer, int slot, int pos, float[] q, int qOff, float[] out, int outOff);
}
