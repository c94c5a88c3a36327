package llamaspark.model.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import llamaspark.model.Workers;
import llamaspark.model.kernel.PanelTiles;

/**
 * Matrix products with a quantized weight read straight from its (mapped) buffers:
 * {@code out[N, O] = x[N, K] * W[O, K]^T}, no float32 copy of W. Each panel of 16 weight rows is
 * decoded once into a small float scratch in the float kernel's panel layout ([K][16]) and then
 * multiplied into every row of the batch by the same 6 x 16 tile micro-kernel as
 * {@code VectorKernel}, so a batch of 32 pays for decoding once. Batches of 8 rows or more
 * instead put 8 rows of x in the vector lanes and broadcast each weight, so the panel is decoded
 * row by row ([16][K]) with no transposition, Q8_0 with vector byte-to-float conversions. In run.c's order
 * ({@code fused = false}) every output is the sequential sum of rounded products over the
 * dequantized weights, bit for bit the float kernel's result on those weights. The fused kind
 * uses FMA, and for a single row of Q8_0/Q4_0 skips the scratch: it multiplies each block's
 * quants into x and scales the block's sum once (within float rounding of the reference).
 * Scratch is per worker thread, allocated when a larger K first appears.
 */
public abstract class QuantKernel extends PanelTiles {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;

    private final Workers workers;
    private final Split split = new Split();
    private final float[][] tail;
    /** Per worker: a decoded panel of 16 weight rows, [K][16]. */
    private final float[][] panel;
    /** Per worker: one decoded weight row, [K]. */
    private final float[][] row;
    /** Per worker: one row's bytes, copied out of the buffer in bulk (vector loads from a heap array are the fast ones). */
    private final byte[][] bytes;
    /** For {@code rows >= LANES}: x transposed in blocks of 8 rows, [block][k][8], zero past the last row. */
    private float[] xt = new float[0];

    /** A kernel in run.c's order ({@code fused = false}) or with fused multiply-adds. */
    public static QuantKernel create(boolean fused, Workers workers) {
        return fused ? new Fused(workers) : new RunCOrder(workers);
    }

    private QuantKernel(Workers workers) {
        this.workers = workers;
        int n = workers == null ? 1 : workers.size();
        tail = new float[n][PANEL];
        panel = new float[n][0];
        row = new float[n][0];
        bytes = new byte[n][0];
    }

    /** Whether a single row takes the fused decode-and-dot path for this type. */
    abstract boolean fusedRow(GgmlType t);

    /** Whether each dot product is summed in order k = 0..K-1 without FMA, as run.c does. */
    public abstract boolean runcOrder();

    public abstract String name();

    private static final class RunCOrder extends QuantKernel {
        RunCOrder(Workers workers) {
            super(workers);
        }

        @Override
        protected FloatVector madd(FloatVector w, FloatVector b, FloatVector acc) {
            return acc.add(w.mul(b));
        }

        @Override
        boolean fusedRow(GgmlType t) {
            return false;
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

    private static final class Fused extends QuantKernel {
        Fused(Workers workers) {
            super(workers);
        }

        @Override
        protected FloatVector madd(FloatVector w, FloatVector b, FloatVector acc) {
            return w.fma(b, acc);
        }

        @Override
        boolean fusedRow(GgmlType t) {
            return t == GgmlType.Q8_0 || t == GgmlType.Q4_0;
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

    /** {@code out[n * O + o] = sum_k x[n * K + k] * W[o, k]} for n < rows. */
    public void matmul(float[] out, float[] x, int rows, QuantMatrix w) {
        matmul(out, w.rows(), 0, x, rows, w);
    }

    /**
     * {@code out[n * stride + col + o] = sum_k x[n * K + k] * W[o, k]} for n < rows: W's outputs
     * land in columns [col, col + O) of rows of {@code stride} (e.g. wk's part of a q|k|v row).
     */
    public void matmul(float[] out, int stride, int col, float[] x, int rows, QuantMatrix w) {
        int K = w.cols();
        if (rows >= LANES) {
            packLanes(x, rows, K);
        } else if (rows >= TILE) {
            pack(x, rows / TILE, K);
        }
        int panels = (w.rows() + PANEL - 1) / PANEL;
        if (workers == null || workers.size() == 1 || panels < 4 * workers.size()) {
            multiply(out, stride, col, x, rows, w, 0, panels, 0);
            return;
        }
        split.stride = stride;
        split.col = col;
        split.out = out;
        split.x = x;
        split.rows = rows;
        split.w = w;
        workers.run(split);
        split.out = null;
        split.x = null;
        split.w = null;
    }

    private void packLanes(float[] x, int rows, int K) {
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

    private final class Split implements Workers.Job {
        float[] out;
        int stride;
        int col;
        float[] x;
        int rows;
        QuantMatrix w;

        @Override
        public void run(int worker, int workers) {
            int panels = (w.rows() + PANEL - 1) / PANEL;
            multiply(out, stride, col, x, rows, w, Workers.from(panels, worker, workers), Workers.from(panels, worker + 1, workers), worker);
        }
    }

    /** Panels [p0, p1) of the product, on worker {@code wk}'s scratch. */
    private void multiply(float[] out, int stride, int col, float[] x, int rows, QuantMatrix w, int p0, int p1, int wk) {
        int O = w.rows(), K = w.cols();
        if (bytes[wk].length < PANEL * w.rowBytes()) {
            bytes[wk] = new byte[PANEL * w.rowBytes()];
        }
        byte[] q = bytes[wk];
        if (rows == 1 && fusedRow(w.type()) && FusedRows.supports(w.type(), K)) {
            for (int p = p0; p < p1; p++) {
                int o0 = p * PANEL, n = Math.min(PANEL, O - o0);
                copyRows(w, o0, n, q);
                FusedRows.dot(w.type(), q, w.rowBytes(), n, x, K, out, col + o0);
            }
            return;
        }
        if (panel[wk].length < PANEL * K) {
            panel[wk] = new float[PANEL * K];
            row[wk] = new float[K];
        }
        float[] a = panel[wk];
        if (rows >= LANES) {
            multiplyLanes(out, stride, col, rows, w, p0, p1, wk, a, q);
            return;
        }
        for (int p = p0; p < p1; p++) {
            int o0 = p * PANEL;
            decodePanel(w, o0, a, row[wk], q);
            panel(out, col + o0, stride, Math.min(PANEL, O - o0), x, rows, a, 0, K, tail[wk]);
        }
    }

    /**
     * Batches of 8 rows or more: the vector lanes are 8 rows of x (packed by {@link #packLanes})
     * and each weight is broadcast, so a panel is decoded row by row into a[r * K + k] with no
     * transposition. Each output is still the sum over k = 0..K-1 in order with the same madd,
     * so the results are those of the panel-lane kernel bit for bit.
     */
    private void multiplyLanes(float[] out, int stride, int col, int rows, QuantMatrix w, int p0, int p1, int wk, float[] a, byte[] q) {
        int O = w.rows(), K = w.cols(), blocks = (rows + LANES - 1) / LANES;
        for (int p = p0; p < p1; p++) {
            int o0 = p * PANEL;
            decodeRows(w, o0, a, q);
            int valid = Math.min(PANEL, O - o0), c0 = col + o0;
            int b = 0;
            for (; b + 2 <= blocks; b += 2) {
                for (int r = 0; r < valid; r += 4) {
                    outs4x2(out, stride, c0 + r, rows, b, a, r * K, K, valid - r, wk);
                }
            }
            if (b < blocks) {
                for (int r = 0; r < valid; r += 4) {
                    outs4x1(out, stride, c0 + r, rows, b, a, r * K, K, valid - r, wk);
                }
            }
        }
    }

    /**
     * Weight rows o0..o0+15 dequantized into a[r * K + k]; rows past the matrix are zero. Q8_0
     * converts 8 quants at a time (Byte64 to Float256 only, then q * d as ggml): the bench's
     * bytes allocated per decode step stayed 0, no boxing in the other kernels.
     */
    private static void decodeRows(QuantMatrix w, int o0, float[] a, byte[] q) {
        int K = w.cols(), valid = Math.min(PANEL, w.rows() - o0);
        GgmlType t = w.type();
        if (t == GgmlType.Q8_0 || t == GgmlType.Q4_0) {
            copyRows(w, o0, valid, q);
        }
        for (int r = 0; r < PANEL; r++) {
            if (r >= valid) {
                java.util.Arrays.fill(a, r * K, (r + 1) * K, 0f);
            } else if (t == GgmlType.Q8_0) {
                int p = r * w.rowBytes();
                for (int k = r * K, end = k + K; k < end; k += 32, p += 34) {
                    FloatVector d = FloatVector.broadcast(S, half(q, p));
                    for (int j = 0; j < 32; j += LANES) {
                        ((FloatVector) ByteVector.fromArray(B8, q, p + 2 + j).convertShape(VectorOperators.B2F, S, 0)).mul(d).intoArray(a, k + j);
                    }
                }
            } else if (t == GgmlType.Q4_0) {
                int p = r * w.rowBytes();
                for (int k = r * K, end = k + K; k < end; k += 32, p += 18) {
                    float d = half(q, p);
                    for (int j = 0; j < 16; j++) {
                        int v = q[p + 2 + j] & 0xFF;
                        a[k + j] = ((v & 0x0F) - 8) * d;
                        a[k + j + 16] = ((v >>> 4) - 8) * d;
                    }
                }
            } else {
                w.dequantizeRow(o0 + r, a, r * K);
            }
        }
    }

    /** Outputs o..o+3 (of which {@code left} are real) for x rows 8b..8b+15. */
    private void outs4x2(float[] out, int stride, int o, int rows, int b, float[] a, int w0, int K, int left, int wk) {
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
        column(c00, out, stride, o, n0, rows, wk);
        column(c01, out, stride, o, n1, rows, wk);
        if (left > 1) {
            column(c10, out, stride, o + 1, n0, rows, wk);
            column(c11, out, stride, o + 1, n1, rows, wk);
        }
        if (left > 2) {
            column(c20, out, stride, o + 2, n0, rows, wk);
            column(c21, out, stride, o + 2, n1, rows, wk);
        }
        if (left > 3) {
            column(c30, out, stride, o + 3, n0, rows, wk);
            column(c31, out, stride, o + 3, n1, rows, wk);
        }
    }

    /** Outputs o..o+3 for x rows 8b..8b+7. */
    private void outs4x1(float[] out, int stride, int o, int rows, int b, float[] a, int w0, int K, int left, int wk) {
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
        column(c0, out, stride, o, n0, rows, wk);
        if (left > 1) {
            column(c1, out, stride, o + 1, n0, rows, wk);
        }
        if (left > 2) {
            column(c2, out, stride, o + 2, n0, rows, wk);
        }
        if (left > 3) {
            column(c3, out, stride, o + 3, n0, rows, wk);
        }
    }

    /** Output column o of x rows n0..n0+7 (those below {@code rows}). */
    private void column(FloatVector c, float[] out, int stride, int o, int n0, int rows, int wk) {
        if (n0 >= rows) {
            return;
        }
        float[] t = tail[wk];
        c.intoArray(t, 0);
        for (int l = 0, n = Math.min(LANES, rows - n0), i = n0 * stride + o; l < n; l++, i += stride) {
            out[i] = t[l];
        }
    }

    /** The bytes of rows o0..o0+n-1 into q[0, n * rowBytes), in one bulk copy unless they straddle two chunks. */
    static void copyRows(QuantMatrix w, int o0, int n, byte[] q) {
        int rb = w.rowBytes();
        if (w.chunk(o0) == w.chunk(o0 + n - 1)) {
            w.chunk(o0).get(w.offset(o0), q, 0, n * rb);
            return;
        }
        for (int r = 0; r < n; r++) {
            w.chunk(o0 + r).get(w.offset(o0 + r), q, r * rb, rb);
        }
    }

    /**
     * Weight rows o0..o0+15 dequantized into a[k * 16 + r]; rows past the matrix are zero.
     * Q8_0 and Q4_0 are decoded straight into the panel by scalar code (ggml's q * d, the same
     * float products): a Vector API decode paid the same again in the strided copy. (Batches of
     * 8+ rows take {@link #decodeRows}, which needs no transposition.)
     */
    private static void decodePanel(QuantMatrix w, int o0, float[] a, float[] tmp, byte[] q) {
        int K = w.cols(), valid = Math.min(PANEL, w.rows() - o0);
        GgmlType t = w.type();
        if (t == GgmlType.Q8_0 || t == GgmlType.Q4_0) {
            copyRows(w, o0, valid, q);
        }
        for (int r = 0; r < PANEL; r++) {
            if (r >= valid) {
                for (int k = 0, i = r; k < K; k++, i += PANEL) {
                    a[i] = 0;
                }
            } else if (t == GgmlType.Q8_0) {
                q8_0(q, r * w.rowBytes(), K, a, r);
            } else if (t == GgmlType.Q4_0) {
                q4_0(q, r * w.rowBytes(), K, a, r);
            } else {
                w.dequantizeRow(o0 + r, tmp, 0);
                for (int k = 0, i = r; k < K; k++, i += PANEL) {
                    a[i] = tmp[k];
                }
            }
        }
    }

    /** A Q8_0 row's bytes at q[p...] into panel column r: a[k * 16 + r] = q * d. */
    private static void q8_0(byte[] q, int p, int K, float[] a, int r) {
        for (int k = 0; k < K; k += 32, p += 34) {
            float d = half(q, p);
            for (int j = 0, i = k * PANEL + r; j < 32; j++, i += PANEL) {
                a[i] = q[p + 2 + j] * d;
            }
        }
    }

    /** A Q4_0 row into panel column r: byte j holds value j (low nibble) and j + 16 (high), each minus 8. */
    private static void q4_0(byte[] q, int p, int K, float[] a, int r) {
        for (int k = 0; k < K; k += 32, p += 18) {
            float d = half(q, p);
            for (int j = 0, i = k * PANEL + r; j < 16; j++, i += PANEL) {
                int v = q[p + 2 + j] & 0xFF;
                a[i] = ((v & 0x0F) - 8) * d;
                a[i + 16 * PANEL] = ((v >>> 4) - 8) * d;
            }
        }
    }

    private static float half(byte[] q, int p) {
        return Halfs.halfToFloatFast((q[p] & 0xFF) | (q[p + 1] & 0xFF) << 8);
    }
}
