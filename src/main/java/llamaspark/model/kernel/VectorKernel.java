package llamaspark.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import llamaspark.model.MatrixLayout;
import llamaspark.model.WeightMatrix;

/**
 * The SIMD kernel, on the JDK's Vector API. Weights are stored in panels of 16 output rows
 * (two 256-bit vectors), column by column: for each input k the kernel broadcasts x[n, k] and
 * multiplies it into the 16 outputs of the panel at once. Each lane therefore accumulates its
 * own dot product in order k = 0..K-1; with {@code fused = false} every step is a rounded
 * multiply then a rounded add, which is bit for bit run.c's sequential sum. {@code fused = true}
 * uses one fused multiply-add instead (one rounding, faster, not bit-identical to run.c).
 * Rows are processed four at a time so each weight vector loaded serves four rows.
 */
public final class VectorKernel implements MatmulKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    static final int LANES = 8;
    public static final int PANEL = 2 * LANES;
    private static final MatrixLayout LAYOUT = MatrixLayout.panels(PANEL);

    private final boolean fused;

    public VectorKernel(boolean fused) {
        this.fused = fused;
    }

    @Override
    public MatrixLayout layout() {
        return LAYOUT;
    }

    @Override
    public boolean runcOrder() {
        return !fused;
    }

    @Override
    public String name() {
        return fused ? "vector-fma" : "vector";
    }

    @Override
    public void matmul(float[] out, float[] x, int rows, WeightMatrix w) {
        if (w.layout().width() != PANEL) {
            throw new IllegalArgumentException("vector kernel needs panels of " + PANEL + ", got " + w.layout());
        }
        int O = w.rows(), K = w.cols();
        float[] a = w.data();
        int panels = (O + PANEL - 1) / PANEL;
        for (int p = 0; p < panels; p++) {
            int o0 = p * PANEL;
            int wBase = o0 * K;
            int valid = Math.min(PANEL, O - o0);
            int n = 0;
            for (; n + 4 <= rows; n += 4) {
                panelRows4(out, x, n, a, wBase, K, O, o0, valid);
            }
            for (; n < rows; n++) {
                panelRow1(out, x, n, a, wBase, K, O, o0, valid);
            }
        }
    }

    private void panelRows4(float[] out, float[] x, int n, float[] a, int wBase, int K, int O, int o0, int valid) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        int x0 = n * K, x1 = x0 + K, x2 = x1 + K, x3 = x2 + K;
        if (fused) {
            for (int k = 0, wi = wBase; k < K; k++, wi += PANEL) {
                FloatVector w0 = FloatVector.fromArray(S, a, wi);
                FloatVector w1 = FloatVector.fromArray(S, a, wi + LANES);
                FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
                c00 = w0.fma(b, c00);
                c01 = w1.fma(b, c01);
                b = FloatVector.broadcast(S, x[x1 + k]);
                c10 = w0.fma(b, c10);
                c11 = w1.fma(b, c11);
                b = FloatVector.broadcast(S, x[x2 + k]);
                c20 = w0.fma(b, c20);
                c21 = w1.fma(b, c21);
                b = FloatVector.broadcast(S, x[x3 + k]);
                c30 = w0.fma(b, c30);
                c31 = w1.fma(b, c31);
            }
        } else {
            for (int k = 0, wi = wBase; k < K; k++, wi += PANEL) {
                FloatVector w0 = FloatVector.fromArray(S, a, wi);
                FloatVector w1 = FloatVector.fromArray(S, a, wi + LANES);
                FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
                c00 = c00.add(w0.mul(b));
                c01 = c01.add(w1.mul(b));
                b = FloatVector.broadcast(S, x[x1 + k]);
                c10 = c10.add(w0.mul(b));
                c11 = c11.add(w1.mul(b));
                b = FloatVector.broadcast(S, x[x2 + k]);
                c20 = c20.add(w0.mul(b));
                c21 = c21.add(w1.mul(b));
                b = FloatVector.broadcast(S, x[x3 + k]);
                c30 = c30.add(w0.mul(b));
                c31 = c31.add(w1.mul(b));
            }
        }
        int o = n * O + o0;
        store(c00, c01, out, o, valid);
        store(c10, c11, out, o + O, valid);
        store(c20, c21, out, o + 2 * O, valid);
        store(c30, c31, out, o + 3 * O, valid);
    }

    private void panelRow1(float[] out, float[] x, int n, float[] a, int wBase, int K, int O, int o0, int valid) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
        int x0 = n * K;
        if (fused) {
            for (int k = 0, wi = wBase; k < K; k++, wi += PANEL) {
                FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
                c0 = FloatVector.fromArray(S, a, wi).fma(b, c0);
                c1 = FloatVector.fromArray(S, a, wi + LANES).fma(b, c1);
            }
        } else {
            for (int k = 0, wi = wBase; k < K; k++, wi += PANEL) {
                FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
                c0 = c0.add(FloatVector.fromArray(S, a, wi).mul(b));
                c1 = c1.add(FloatVector.fromArray(S, a, wi + LANES).mul(b));
            }
        }
        store(c0, c1, out, n * O + o0, valid);
    }

    private static void store(FloatVector lo, FloatVector hi, float[] out, int off, int valid) {
        if (valid == PANEL) {
            lo.intoArray(out, off);
            hi.intoArray(out, off + LANES);
        } else {
            VectorMask<Float> mlo = S.indexInRange(0, valid);
            VectorMask<Float> mhi = S.indexInRange(LANES, valid);
            lo.intoArray(out, off, mlo);
            hi.intoArray(out, off + LANES, mhi);
        }
    }
}
