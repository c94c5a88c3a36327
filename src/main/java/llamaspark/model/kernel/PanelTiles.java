package llamaspark.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tile micro-kernels of both SIMD kernels, against a panel of PANEL weight rows (two
 * vectors of {@link Simd}'s width: 16 rows at 256 bits, 32 at 512): {@link VectorKernel} runs them on its packed float32 panels, {@code QuantKernel}
 * on a panel it has just decoded. Every output is one lane's sum over k = 0..K-1 in order with
 * {@link #madd}, which the kind of tiles fixes: a rounded multiply then a rounded add (run.c's
 * sum, bit for bit) or one fused multiply-add. The kinds are subclasses rather than a flag, so
 * the JIT never merges vectors from two code paths (which would box them).
 *
 * <p>Two shapes. With the panel in the lanes ([K][PANEL], from a[wBase]) x[n, k] is broadcast
 * into the panel's outputs: TILE rows share each loaded weight vector (8 x 32 at 512 bits, 6 x 16
 * at 256; their inputs are repacked by {@link #pack} so a tile's broadcasts of one k are
 * adjacent), and a single row takes two panels at once. With LANES rows of x in the lanes
 * (repacked by {@link #packLanes}) each weight of a panel stored row by row ([PANEL][K]) is
 * broadcast instead, so a quantized panel needs no
 * transposition; the sums are the same, bit for bit.
 */
public abstract class PanelTiles {
    private static final VectorSpecies<Float> S = Simd.F;
    public static final int LANES = Simd.LANES;
    /** Output rows of W per panel. */
    public static final int PANEL = 2 * LANES;
    /** Floats of the scratch {@code tail} each caller passes: a tile's outputs of one panel, [8][PANEL]. */
    public static final int TAIL_SIZE = 8 * PANEL;
    /**
     * Rows of x per register tile: 8 at 512 bits (16 accumulators, two weight vectors and a
     * broadcast use 19 of AVX-512's 32 registers), 6 at 256 bits (15 of AVX2's 16).
     */
    public static final int TILE = LANES == 16 ? 8 : 6;

    /** x repacked in tiles of TILE rows, [tile][k][TILE], so a tile's broadcasts read one contiguous run. */
    private float[] packed = new float[0];
    /** x transposed in blocks of LANES rows, [block][k][LANES], zero past the last row. */
    private float[] xt = new float[0];

    /** Tiles in run.c's order ({@code fused = false}) or with fused multiply-adds. */
    public static PanelTiles create(boolean fused) {
        return fused ? new Fused() : new RunCOrder();
    }

    private PanelTiles() {
    }

    /** acc + w * b. */
    abstract FloatVector madd(FloatVector w, FloatVector b, FloatVector acc);

    /** Whether each dot product is summed in order k = 0..K-1 without FMA, as run.c does. */
    public abstract boolean runcOrder();

    /** The backend's name: "vector" or "vector-fma". */
    public abstract String name();

    /** Multiply, round, add, round: run.c's order. */
    private static final class RunCOrder extends PanelTiles {
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
    private static final class Fused extends PanelTiles {
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

    /**
     * Repacks the rows of x [rows, K] into {@link #packed} in tiles of TILE, the last tile padded
     * with zero rows: a partial tile runs the whole tile's code, whose zero rows are not stored.
     */
    public void pack(float[] x, int rows, int K) {
        int tiles = (rows + TILE - 1) / TILE;
        if (packed.length < tiles * TILE * K) {
            packed = new float[tiles * TILE * K];
        }
        float[] p = packed;
        for (int t = 0; t < tiles; t++) {
            int base = t * TILE * K;
            for (int r = 0; r < TILE; r++) {
                int n = t * TILE + r, src = n * K;
                for (int k = 0; k < K; k++) {
                    p[base + k * TILE + r] = n < rows ? x[src + k] : 0f;
                }
            }
        }
    }

    /**
     * Every row of x [rows, K] against the panel at a[wBase]: row n's {@code valid} outputs land at
     * out[n * stride + c0...]. Two rows or more go in whole tiles (x from {@link #packed}, packed
     * for these rows; the last tile's padding rows are computed and dropped), so every batch runs
     * the one tile code that is always warm: a rarely run remainder shape compiled cold left its
     * multiply-adds as virtual calls, which box their vectors.
     */
    public void panel(float[] out, int c0, int stride, int valid, float[] x, int rows, float[] a, int wBase, int K,
                         float[] tail) {
        if (rows == 1) {
            row1(out, c0, valid, x, 0, a, wBase, K, tail);
            return;
        }
        for (int t = 0, n0 = 0; n0 < rows; t++, n0 += TILE) {
            int n = Math.min(TILE, rows - n0);
            if (TILE == 8) {
                rows8(out, n0 * stride + c0, stride, valid, n, packed, t * TILE * K, a, wBase, K, tail);
            } else {
                rows6(out, n0 * stride + c0, stride, valid, n, packed, t * TILE * K, a, wBase, K, tail);
            }
        }
    }

    /** Six rows (the first n real), their x values packed six per k from xp[xBase]. */
    private void rows6(float[] out, int o, int stride, int valid, int n, float[] xp, int xBase, float[] a, int wBase, int K,
                       float[] tail) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int xi = xBase, end = xBase + 6 * K, wi = wBase; xi < end; xi += 6, wi += PANEL) {
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
        boolean whole = valid == PANEL && n == TILE;
        float[] d = whole ? out : tail;
        int d0 = whole ? o : 0, ds = whole ? stride : PANEL;
        c00.intoArray(d, d0);
        c01.intoArray(d, d0 + LANES);
        c10.intoArray(d, d0 + ds);
        c11.intoArray(d, d0 + ds + LANES);
        c20.intoArray(d, d0 + 2 * ds);
        c21.intoArray(d, d0 + 2 * ds + LANES);
        c30.intoArray(d, d0 + 3 * ds);
        c31.intoArray(d, d0 + 3 * ds + LANES);
        c40.intoArray(d, d0 + 4 * ds);
        c41.intoArray(d, d0 + 4 * ds + LANES);
        c50.intoArray(d, d0 + 5 * ds);
        c51.intoArray(d, d0 + 5 * ds + LANES);
        copyTail(whole, tail, n, out, o, stride, valid);
    }

    /** Eight rows (the first n real), their x values packed eight per k from xp[xBase]. */
    private void rows8(float[] out, int o, int stride, int valid, int n, float[] xp, int xBase, float[] a, int wBase, int K,
                       float[] tail) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S), c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int xi = xBase, end = xBase + 8 * K, wi = wBase; xi < end; xi += 8, wi += PANEL) {
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
            b = FloatVector.broadcast(S, xp[xi + 6]);
            c60 = madd(w0, b, c60);
            c61 = madd(w1, b, c61);
            b = FloatVector.broadcast(S, xp[xi + 7]);
            c70 = madd(w0, b, c70);
            c71 = madd(w1, b, c71);
        }
        // Stored in place, or for a last, partial panel or tile into tail and copied: no call
        // takes a vector (a call C2 leaves out of this large method would box all sixteen).
        boolean whole = valid == PANEL && n == TILE;
        float[] d = whole ? out : tail;
        int d0 = whole ? o : 0, ds = whole ? stride : PANEL;
        c00.intoArray(d, d0);
        c01.intoArray(d, d0 + LANES);
        c10.intoArray(d, d0 + ds);
        c11.intoArray(d, d0 + ds + LANES);
        c20.intoArray(d, d0 + 2 * ds);
        c21.intoArray(d, d0 + 2 * ds + LANES);
        c30.intoArray(d, d0 + 3 * ds);
        c31.intoArray(d, d0 + 3 * ds + LANES);
        c40.intoArray(d, d0 + 4 * ds);
        c41.intoArray(d, d0 + 4 * ds + LANES);
        c50.intoArray(d, d0 + 5 * ds);
        c51.intoArray(d, d0 + 5 * ds + LANES);
        c60.intoArray(d, d0 + 6 * ds);
        c61.intoArray(d, d0 + 6 * ds + LANES);
        c70.intoArray(d, d0 + 7 * ds);
        c71.intoArray(d, d0 + 7 * ds + LANES);
        copyTail(whole, tail, n, out, o, stride, valid);
    }

    /** Unless the tile was stored in place: rows r < n of its outputs, [n][PANEL] in tail, to out[o + r * stride...], valid of each. */
    private static void copyTail(boolean whole, float[] tail, int n, float[] out, int o, int stride, int valid) {
        if (!whole) {
            for (int r = 0; r < n; r++) {
                System.arraycopy(tail, r * PANEL, out, o + r * stride, valid);
            }
        }
    }

    /** One row, x from x[x0]. */
    void row1(float[] out, int o, int valid, float[] x, int x0, float[] a, int wBase, int K, float[] tail) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
        for (int k = 0, wi = wBase; k < K; k++, wi += PANEL) {
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            c0 = madd(FloatVector.fromArray(S, a, wi), b, c0);
            c1 = madd(FloatVector.fromArray(S, a, wi + LANES), b, c1);
        }
        // In place, or through tail for a matrix's last, partial panel (masked stores are not
        // compiled to vector code on AVX2); no call takes a vector, as in the tiles.
        boolean whole = valid == PANEL;
        float[] d = whole ? out : tail;
        int d0 = whole ? o : 0;
        c0.intoArray(d, d0);
        c1.intoArray(d, d0 + LANES);
        if (!whole) {
            System.arraycopy(tail, 0, out, o, valid);
        }
    }

    /**
     * One row against two adjacent panels (at a[wBase] and a[wBase + PANEL K]): four independent sums
     * keep the adder busy. {@code valid0} and {@code valid1} outputs of each (valid0 is always PANEL:
     * only the matrix's last panel is partial).
     */
    void row1Panels2(float[] out, int o, int valid0, int valid1, float[] x, int x0, float[] a, int wBase, int K,
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
        // The first panel is whole (a second follows it); the second in place or through tail, as in row1.
        c0.intoArray(out, o);
        c1.intoArray(out, o + LANES);
        boolean whole = valid1 == PANEL;
        float[] d = whole ? out : tail;
        int d0 = whole ? o + PANEL : 0;
        c2.intoArray(d, d0);
        c3.intoArray(d, d0 + LANES);
        if (!whole) {
            System.arraycopy(tail, 0, out, o + PANEL, valid1);
        }
    }

    /** Repacks x [rows, K] into {@link #xt}, LANES rows per block, for {@link #lanes}. */
    public void packLanes(float[] x, int rows, int K) {
        int blocks = (rows + LANES - 1) / LANES;
        if (xt.length < blocks * LANES * K) {
            xt = new float[blocks * LANES * K];
        }
        float[] p = xt;
        for (int b = 0; b < blocks; b++) {
            int base = b * LANES * K;
            for (int l = 0; l < LANES; l++) {
                int n = b * LANES + l;
                if (n < rows) {
                    for (int k = 0, src = n * K; k < K; k++) {
                        p[base + k * LANES + l] = x[src + k];
                    }
                } else {
                    for (int k = 0; k < K; k++) {
                        p[base + k * LANES + l] = 0;
                    }
                }
            }
        }
    }

    /**
     * Every row of x (packed by {@link #packLanes}) against the {@code valid} weight rows stored row
     * by row at a[r * K + k]: row n's outputs land at out[n * stride + c0...]. Two blocks of LANES
     * rows at a time, four weight rows each.
     */
    public void lanes(float[] out, int c0, int stride, int valid, int rows, float[] a, int K, float[] tail) {
        int blocks = (rows + LANES - 1) / LANES;
        int b = 0;
        for (; b + 2 <= blocks; b += 2) {
            for (int r = 0; r < valid; r += 4) {
                outs4x2(out, stride, c0 + r, rows, b, a, r * K, K, valid - r, tail);
            }
        }
        if (b < blocks) {
            for (int r = 0; r < valid; r += 4) {
                outs4x1(out, stride, c0 + r, rows, b, a, r * K, K, valid - r, tail);
            }
        }
    }

    /** Outputs o..o+3 (of which {@code left} are real) for x rows 8b..8b+15. */
    private void outs4x2(float[] out, int stride, int o, int rows, int b, float[] a, int w0, int K, int left, float[] tail) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        float[] xp = xt;
        int w1 = w0 + K, w2 = w1 + K, w3 = w2 + K;
        for (int k = 0, x0 = b * LANES * K, x1 = x0 + LANES * K; k < K; k++, x0 += LANES, x1 += LANES) {
            FloatVector v0 = FloatVector.fromArray(S, xp, x0);
            FloatVector v1 = FloatVector.fromArray(S, xp, x1);
            FloatVector m = FloatVector.broadcast(S, a[w0 + k]);
            c00 = madd(m, v0, c00);
            c01 = madd(m, v1, c01);
            m = FloatVector.broadcast(S, a[w1 + k]);
            c10 = madd(m, v0, c10);
            c11 = madd(m, v1, c11);
            m = FloatVector.broadcast(S, a[w2 + k]);
            c20 = madd(m, v0, c20);
            c21 = madd(m, v1, c21);
            m = FloatVector.broadcast(S, a[w3 + k]);
            c30 = madd(m, v0, c30);
            c31 = madd(m, v1, c31);
        }
        int n0 = b * LANES, n1 = n0 + LANES;
        column(c00, out, stride, o, n0, rows, tail);
        column(c01, out, stride, o, n1, rows, tail);
        if (left > 1) {
            column(c10, out, stride, o + 1, n0, rows, tail);
            column(c11, out, stride, o + 1, n1, rows, tail);
        }
        if (left > 2) {
            column(c20, out, stride, o + 2, n0, rows, tail);
            column(c21, out, stride, o + 2, n1, rows, tail);
        }
        if (left > 3) {
            column(c30, out, stride, o + 3, n0, rows, tail);
            column(c31, out, stride, o + 3, n1, rows, tail);
        }
    }

    /** Outputs o..o+3 for x rows 8b..8b+7. */
    private void outs4x1(float[] out, int stride, int o, int rows, int b, float[] a, int w0, int K, int left, float[] tail) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
        float[] xp = xt;
        int w1 = w0 + K, w2 = w1 + K, w3 = w2 + K;
        for (int k = 0, x0 = b * LANES * K; k < K; k++, x0 += LANES) {
            FloatVector v0 = FloatVector.fromArray(S, xp, x0);
            c0 = madd(FloatVector.broadcast(S, a[w0 + k]), v0, c0);
            c1 = madd(FloatVector.broadcast(S, a[w1 + k]), v0, c1);
            c2 = madd(FloatVector.broadcast(S, a[w2 + k]), v0, c2);
            c3 = madd(FloatVector.broadcast(S, a[w3 + k]), v0, c3);
        }
        int n0 = b * LANES;
        column(c0, out, stride, o, n0, rows, tail);
        if (left > 1) {
            column(c1, out, stride, o + 1, n0, rows, tail);
        }
        if (left > 2) {
            column(c2, out, stride, o + 2, n0, rows, tail);
        }
        if (left > 3) {
            column(c3, out, stride, o + 3, n0, rows, tail);
        }
    }

    /** Output column o of x rows n0..n0+7 (those below {@code rows}). */
    private static void column(FloatVector c, float[] out, int stride, int o, int n0, int rows, float[] tail) {
        if (n0 >= rows) {
            return;
        }
        c.intoArray(tail, 0);
        for (int l = 0, n = Math.min(LANES, rows - n0), i = n0 * stride + o; l < n; l++, i += stride) {
            out[i] = tail[l];
        }
    }
}
