package llamaspark.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import llamaspark.model.MatrixLayout;
import llamaspark.model.WeightMatrix;
import llamaspark.model.Workers;
import llamaspark.model.quant.QuantKernel;
import llamaspark.model.quant.QuantMatrix;

/**
 * The SIMD kernel, on the JDK's Vector API. Weights are stored in panels of 16 output rows (two
 * 256-bit vectors), column by column: for each input k the kernel broadcasts x[n, k] and
 * multiplies it into the panel's 16 outputs at once. Each lane so accumulates its own dot product
 * in order k = 0..K-1; with {@code fused = false} each step is a rounded multiply then a rounded
 * add, which is run.c's sequential sum bit for bit. {@code fused = true} uses one fused
 * multiply-add (one rounding; twice the arithmetic throughput, not bit-identical to run.c).
 *
 * <p>Six rows share each loaded weight vector (a 6 x 16 tile: 12 accumulators, two weight
 * vectors and a broadcast fill the 16 AVX2 registers); their inputs are first repacked so the
 * six broadcasts of one k are adjacent. A single row takes two panels at a time,
 * so four independent sums hide the add latency. With {@link Workers}, the panels are split
 * between threads; each output is still computed by the same code, so results do not depend on
 * the thread count.
 *
 * <p>A quantized matrix ({@link WeightMatrix#quantized()}) goes to a {@link QuantKernel} of the same
 * kind, which decodes its blocks into the same panels: each stacked part writes its own columns.
 */
public abstract class VectorKernel implements MatmulKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    static final int LANES = 8;
    public static final int PANEL = 2 * LANES;
    private static final MatrixLayout LAYOUT = MatrixLayout.panels(PANEL);

    private final Workers workers;
    private final QuantKernel quant;
    private final Split split = new Split();
    private final float[] tail = new float[PANEL];
    /** x repacked in tiles of 6 rows, [tile][k][6], so a tile's broadcasts read one contiguous run. */
    private float[] packed = new float[0];

    /** A kernel in run.c's order ({@code fused = false}) or with fused multiply-adds. */
    public static VectorKernel create(boolean fused, Workers workers) {
        return fused ? new Fused(workers) : new RunCOrder(workers);
    }

    private VectorKernel(Workers workers, boolean fused) {
        this.workers = workers;
        this.quant = QuantKernel.create(fused, workers);
    }

    /**
     * acc + w * b. The two kinds are subclasses rather than a flag, so the JIT never merges
     * vectors from two code paths (which would box them).
     */
    abstract FloatVector madd(FloatVector w, FloatVector b, FloatVector acc);

    /** Multiply, round, add, round: run.c's order. */
    private static final class RunCOrder extends VectorKernel {
        RunCOrder(Workers workers) {
            super(workers, false);
        }

        @Override
        FloatVector madd(FloatVector w, FloatVector b, FloatVector acc) {
            return acc.add(w.mul(b));
        }

        @Override
        public boolean runcOrder() {
            return true;
        }

        @Override
        public String name() {
            return "vector";
        }
    }

    /** One fused multiply-add: one rounding. */
    private static final class Fused extends VectorKernel {
        Fused(Workers workers) {
            super(workers, true);
        }

        @Override
        FloatVector madd(FloatVector w, FloatVector b, FloatVector acc) {
            return w.fma(b, acc);
        }

        @Override
        public boolean runcOrder() {
            return false;
        }

        @Override
        public String name() {
            return "vector-fma";
        }
    }

    @Override
    public MatrixLayout layout() {
        return LAYOUT;
    }

    @Override
    public void matmul(float[] out, float[] x, int rows, WeightMatrix w) {
        if (w.quantized()) {
            int col = 0;
            for (QuantMatrix part : w.parts()) {
                quant.matmul(out, w.rows(), col, x, rows, part);
                col += part.rows();
            }
            return;
        }
        if (w.layout().width() != PANEL) {
            throw new IllegalArgumentException("vector kernel needs panels of " + PANEL + ", got " + w.layout());
        }
        int K = w.cols();
        int tiles = rows / TILE;
        if (tiles > 0) {
            pack(x, tiles, K);
        }
        int panels = LAYOUT.panelCount(w.rows());
        if (workers == null || workers.size() == 1 || panels < 4 * workers.size()) {
            multiply(out, x, rows, w, 0, panels);
            return;
        }
        split.out = out;
        split.x = x;
        split.rows = rows;
        split.w = w;
        workers.run(split);
        split.out = null;
        split.x = null;
        split.w = null;
    }

    private static final int TILE = 6;

    private void pack(float[] x, int tiles, int K) {
        if (packed.length < tiles * TILE * K) {
            packed = new float[tiles * TILE * K];
        }
        float[] p = packed;
        for (int t = 0; t < tiles; t++) {
            int base = t * TILE * K;
            for (int r = 0; r < TILE; r++) {
                int src = (t * TILE + r) * K;
                for (int k = 0; k < K; k++) {
                    p[base + k * TILE + r] = x[src + k];
                }
            }
        }
    }

    /** One matmul handed to the workers: each takes a contiguous run of panels (pairs kept together). */
    private final class Split implements Workers.Job {
        float[] out;
        float[] x;
        int rows;
        WeightMatrix w;

        @Override
        public void run(int worker, int workers) {
            int pairs = (LAYOUT.panelCount(w.rows()) + 1) / 2;
            int p0 = 2 * Workers.from(pairs, worker, workers);
            int p1 = Math.min(2 * Workers.from(pairs, worker + 1, workers), LAYOUT.panelCount(w.rows()));
            multiply(out, x, rows, w, p0, p1);
        }
    }

    /** Panels [p0, p1) of the product. */
    private void multiply(float[] out, float[] x, int rows, WeightMatrix w, int p0, int p1) {
        int O = w.rows(), K = w.cols();
        float[] a = w.data();
        if (rows == 1) {
            int p = p0;
            for (; p + 2 <= p1; p += 2) {
                row1Panels2(out, x, 0, a, p * PANEL * K, K, p * PANEL, O);
            }
            if (p < p1) {
                row1(out, x, 0, a, p * PANEL * K, K, p * PANEL, O);
            }
            return;
        }
        int tiles = rows / TILE;
        for (int p = p0; p < p1; p++) {
            int wBase = p * PANEL * K, o0 = p * PANEL;
            for (int t = 0; t < tiles; t++) {
                rows6(out, packed, t * TILE * K, t * TILE, a, wBase, K, o0, O);
            }
            int n = tiles * TILE;
            for (; n + 2 <= rows; n += 2) {
                rows2(out, x, n, a, wBase, K, o0, O);
            }
            if (n < rows) {
                row1(out, x, n, a, wBase, K, o0, O);
            }
        }
    }

    /** Rows n..n+5 against one panel; their x values come packed, six per k. */
    private void rows6(float[] out, float[] xp, int xBase, int n, float[] a, int wBase, int K, int o0, int O) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int xi = xBase, end = xBase + TILE * K, wi = wBase; xi < end; xi += TILE, wi += PANEL) {
            FloatVector w0 = FloatVector.fromArray(S, a, wi);
            FloatVector w1 = FloatVector.fromArray(S, a, wi + LANES);
            FloatVector b = FloatVector.broadcast(S, xp[xi]);
            c00 = madd(w0, b, c00);
            c01 = madd(w1, b, c01);
            b = FloatVector.broadcast(S, xp[xi + 1]);
            c10 = madd(w0, b, c10);
            c11 = madd(w1, b, c11);
            b = FloatVector.broadcast(S, xp[xi + 2]);
            c20 = madd(w0, b, c20);
            c21 = madd(w1, b, c21);
            b = FloatVector.broadcast(S, xp[xi + 3]);
            c30 = madd(w0, b, c30);
            c31 = madd(w1, b, c31);
            b = FloatVector.broadcast(S, xp[xi + 4]);
            c40 = madd(w0, b, c40);
            c41 = madd(w1, b, c41);
            b = FloatVector.broadcast(S, xp[xi + 5]);
            c50 = madd(w0, b, c50);
            c51 = madd(w1, b, c51);
        }
        int valid = Math.min(PANEL, O - o0), o = n * O + o0;
        store(c00, c01, out, o, valid);
        store(c10, c11, out, o + O, valid);
        store(c20, c21, out, o + 2 * O, valid);
        store(c30, c31, out, o + 3 * O, valid);
        store(c40, c41, out, o + 4 * O, valid);
        store(c50, c51, out, o + 5 * O, valid);
    }

    private void rows2(float[] out, float[] x, int n, float[] a, int wBase, int K, int o0, int O) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        int x0 = n * K;
        for (int k = 0, wi = wBase; k < K; k++, wi += PANEL) {
            FloatVector w0 = FloatVector.fromArray(S, a, wi);
            FloatVector w1 = FloatVector.fromArray(S, a, wi + LANES);
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            c00 = madd(w0, b, c00);
            c01 = madd(w1, b, c01);
            b = FloatVector.broadcast(S, x[x0 + K + k]);
            c10 = madd(w0, b, c10);
            c11 = madd(w1, b, c11);
        }
        int valid = Math.min(PANEL, O - o0), o = n * O + o0;
        store(c00, c01, out, o, valid);
        store(c10, c11, out, o + O, valid);
    }

    private void row1(float[] out, float[] x, int n, float[] a, int wBase, int K, int o0, int O) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
        int x0 = n * K;
        for (int k = 0, wi = wBase; k < K; k++, wi += PANEL) {
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            c0 = madd(FloatVector.fromArray(S, a, wi), b, c0);
            c1 = madd(FloatVector.fromArray(S, a, wi + LANES), b, c1);
        }
        store(c0, c1, out, n * O + o0, Math.min(PANEL, O - o0));
    }

    /** One row against two adjacent panels: four independent sums keep the adder busy. */
    private void row1Panels2(float[] out, float[] x, int n, float[] a, int wBase, int K, int o0, int O) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
        int x0 = n * K, w2 = wBase + PANEL * K;
        for (int k = 0; k < K; k++) {
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            int wi = wBase + k * PANEL, wj = w2 + k * PANEL;
            c0 = madd(FloatVector.fromArray(S, a, wi), b, c0);
            c1 = madd(FloatVector.fromArray(S, a, wi + LANES), b, c1);
            c2 = madd(FloatVector.fromArray(S, a, wj), b, c2);
            c3 = madd(FloatVector.fromArray(S, a, wj + LANES), b, c3);
        }
        int o = n * O + o0;
        store(c0, c1, out, o, Math.min(PANEL, O - o0));
        store(c2, c3, out, o + PANEL, Math.min(PANEL, O - o0 - PANEL));
    }

    /**
     * Stores a panel's 16 outputs of one row; the last panel of a matrix may hold fewer. Those go
     * through a scratch row (only one thread ever holds the last panel): masked stores are not
     * compiled to vector code on AVX2, and anything that is not makes the JIT box vectors.
     */
    private void store(FloatVector lo, FloatVector hi, float[] out, int off, int valid) {
        if (valid == PANEL) {
            lo.intoArray(out, off);
            hi.intoArray(out, off + LANES);
        } else if (valid > 0) {
            lo.intoArray(tail, 0);
            hi.intoArray(tail, LANES);
            System.arraycopy(tail, 0, out, off, valid);
        }
    }
}
