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

    /** Whether each dot product is summed in order k = 0..K-1 without fused multiply-add, as run.c does. */
    boolean runcOrder();

    String name();
}
