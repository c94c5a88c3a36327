package llamaspark.model.kernel;

import llamaspark.model.MatrixLayout;
import llamaspark.model.WeightMatrix;

/**
 * The one place the forward pass does matrix products: {@code out[N, O] = x[N, K] * W[O, K]^T}
 * for a weight W in PyTorch Linear order. Every output element is computed from its own row of x
 * and column of W^T, so a row's result does not depend on the other rows in the batch.
 */
public interface MatmulKernel {

    /** The layout weight matrices must be stored in for this kernel. */
    MatrixLayout layout();

    /**
     * {@code out[n * O + o] = sum_k x[n * K + k] * W[o, k]} for n < rows, o < O = w.rows(),
     * K = w.cols().
     */
    void matmul(float[] out, float[] x, int rows, WeightMatrix w);

    /**
     * {@link #matmul}, and each row's largest output in rowMax[0, rows) as {@link Math#max} takes
     * it (NaN if the row holds one, 0 over -0): a value that does not depend on the order of the
     * comparisons. The classifier's rows go to the sampler, whose softmax and argmax start from
     * this maximum; a kernel that takes it while each panel of outputs is still in the first-level
     * cache spares the sampler a pass over VS logits from memory. This default takes it after.
     */
    default void matmulWithRowMax(float[] out, float[] x, int rows, WeightMatrix w, float[] rowMax) {
        matmul(out, x, rows, w);
        int O = w.rows();
        for (int n = 0; n < rows; n++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int o = n * O, end = o + O; o < end; o++) {
                max = Math.max(max, out[o]);
            }
            rowMax[n] = max;
        }
    }

    /** Whether each dot product is summed in order k = 0..K-1 without fused multiply-add, as run.c does. */
    boolean runcOrder();

    String name();
}
