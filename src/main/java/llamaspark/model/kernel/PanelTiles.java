package llamaspark.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tile micro-kernels both SIMD kernels multiply a weight panel with: 16 output rows
 * of W (two 256-bit vectors), stored column by column ([K][16]) from {@code a[wBase]} on. For each
 * input k a row's x[n, k] is broadcast and multiplied into the panel's 16 outputs at once, so each
 * lane accumulates its own dot product in order k = 0..K-1 with the subclass's {@link #madd}.
 * {@link VectorKernel} runs them on its packed float32 panels, {@code QuantKernel} on a panel it
 * has just decoded.
 *
 * <p>Six rows share each loaded weight vector (a 6 x 16 tile: 12 accumulators, two weight vectors
 * and a broadcast fill the 16 AVX2 registers); their inputs are first repacked ({@link #pack}) so
 * the six broadcasts of one k are adjacent.
 */
public abstract class PanelTiles {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    protected static final int LANES = 8;
    /** Output rows of W per panel. */
    public static final int PANEL = 2 * LANES;
    /** Rows of x per register tile. */
    protected static final int TILE = 6;

    /** x repacked in tiles of 6 rows, [tile][k][6], so a tile's broadcasts read one contiguous run. */
    protected float[] packed = new float[0];

    /**
     * acc + w * b. Each kind of kernel is a subclass rather than a flag, so the JIT never merges
     * vectors from two code paths (which would box them).
     */
    protected abstract FloatVector madd(FloatVector w, FloatVector b, FloatVector acc);

    /** Repacks the first {@code tiles * 6} rows of x [rows, K] into {@link #packed}. */
    protected void pack(float[] x, int tiles, int K) {
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

    /**
     * Every row of x [rows, K] against the panel at a[wBase]: row n's {@code valid} outputs land at
     * out[n * stride + c0...]. Tiles of six (x from {@link #packed}, packed for these rows), then
     * pairs, then a last single row.
     */
    protected void panel(float[] out, int c0, int stride, int valid, float[] x, int rows, float[] a, int wBase, int K,
                         float[] tail) {
        int tiles = rows / TILE;
        for (int t = 0; t < tiles; t++) {
            rows6(out, t * TILE * stride + c0, stride, valid, packed, t * TILE * K, a, wBase, K, tail);
        }
        int n = tiles * TILE;
        for (; n + 2 <= rows; n += 2) {
            rows2(out, n * stride + c0, stride, valid, x, n * K, a, wBase, K, tail);
        }
        if (n < rows) {
            row1(out, n * stride + c0, valid, x, n * K, a, wBase, K, tail);
        }
    }

    /** Six rows, their x values packed six per k from xp[xBase]. */
    private void rows6(float[] out, int o, int stride, int valid, float[] xp, int xBase, float[] a, int wBase, int K,
                       float[] tail) {
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
        store(c00, c01, out, o, valid, tail);
        store(c10, c11, out, o + stride, valid, tail);
        store(c20, c21, out, o + 2 * stride, valid, tail);
        store(c30, c31, out, o + 3 * stride, valid, tail);
        store(c40, c41, out, o + 4 * stride, valid, tail);
        store(c50, c51, out, o + 5 * stride, valid, tail);
    }

    /** Two rows, x from x[x0] (row n) and x[x0 + K] (row n + 1). */
    private void rows2(float[] out, int o, int stride, int valid, float[] x, int x0, float[] a, int wBase, int K,
                       float[] tail) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
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
        store(c00, c01, out, o, valid, tail);
        store(c10, c11, out, o + stride, valid, tail);
    }

    /** One row, x from x[x0]. */
    protected void row1(float[] out, int o, int valid, float[] x, int x0, float[] a, int wBase, int K, float[] tail) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
        for (int k = 0, wi = wBase; k < K; k++, wi += PANEL) {
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            c0 = madd(FloatVector.fromArray(S, a, wi), b, c0);
            c1 = madd(FloatVector.fromArray(S, a, wi + LANES), b, c1);
        }
        store(c0, c1, out, o, valid, tail);
    }

    /**
     * One row against two adjacent panels (at a[wBase] and a[wBase + 16 K]): four independent sums
     * keep the adder busy. {@code valid0} and {@code valid1} outputs of each.
     */
    protected void row1Panels2(float[] out, int o, int valid0, int valid1, float[] x, int x0, float[] a, int wBase, int K,
                               float[] tail) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
        int w2 = wBase + PANEL * K;
        for (int k = 0; k < K; k++) {
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            int wi = wBase + k * PANEL, wj = w2 + k * PANEL;
            c0 = madd(FloatVector.fromArray(S, a, wi), b, c0);
            c1 = madd(FloatVector.fromArray(S, a, wi + LANES), b, c1);
            c2 = madd(FloatVector.fromArray(S, a, wj), b, c2);
            c3 = madd(FloatVector.fromArray(S, a, wj + LANES), b, c3);
        }
        store(c0, c1, out, o, valid0, tail);
        store(c2, c3, out, o + PANEL, valid1, tail);
    }

    /**
     * Stores a panel's 16 outputs of one row; the last panel of a matrix may hold fewer. Those go
     * through {@code tail}, a scratch row of the calling thread: masked stores are not compiled to
     * vector code on AVX2, and anything that is not makes the JIT box vectors.
     */
    private static void store(FloatVector lo, FloatVector hi, float[] out, int off, int valid, float[] tail) {
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
