package llamaspark.model.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import llamaspark.model.Workers;
import llamaspark.model.kernel.PanelTiles;
import llamaspark.model.kernel.Simd;

/**
 * Matrix products with a quantized weight read straight from its (mapped) buffers:
 * {@code out[N, O] = x[N, K] * W[O, K]^T}, no float32 copy of W. Each panel of PANEL weight rows
 * (16 or 32, two vectors) is decoded once into a small float scratch in the float kernel's panel
 * layout ([K][PANEL]) and then
 * multiplied into every row of the batch by the float kernel's {@link PanelTiles}, so a batch of
 * 32 pays for decoding once. Batches of LANES rows or more instead put LANES rows of x in the vector
 * lanes and broadcast each weight, so the panel is decoded row by row ([PANEL][K]) with no transposition,
 * Q8_0 with vector byte-to-float conversions. In run.c's order ({@code fused = false}) every output is the sequential sum of rounded products over the
 * dequantized weights, bit for bit the float kernel's result on those weights. The fused kind
 * uses FMA, and for a single row of Q8_0/Q4_0 skips the scratch: it multiplies each block's
 * quants into x and scales the block's sum once (within float rounding of the reference).
 * Scratch is per worker thread, allocated when a larger K first appears.
 */
public final class QuantKernel {
    private static final VectorSpecies<Float> S = Simd.F;
    private static final VectorSpecies<Byte> B8 = Simd.B;
    static final int LANES = PanelTiles.LANES;
    static final int PANEL = PanelTiles.PANEL;

    private final PanelTiles tiles;
    private final Workers workers;
    private final Split split = new Split();
    private final float[][] tail;
    /** Per worker: a decoded panel of PANEL weight rows, [K][PANEL]. */
    private final float[][] panel;
    /** Per worker: one decoded weight row, [K]. */
    private final float[][] row;
    /** Per worker: one row's bytes, copied out of the buffer in bulk (vector loads from a heap array are the fast ones). */
    private final byte[][] bytes;

    /** A kernel in run.c's order ({@code fused = false}) or with fused multiply-adds. */
    public static QuantKernel create(boolean fused, Workers workers) {
        return new QuantKernel(workers, fused);
    }

    private QuantKernel(Workers workers, boolean fused) {
        this.tiles = PanelTiles.create(fused);
        this.workers = workers;
        int n = workers == null ? 1 : workers.size();
        tail = new float[n][PanelTiles.TAIL_SIZE];
        panel = new float[n][0];
        row = new float[n][0];
        bytes = new byte[n][0];
    }

    /** Whether a single row takes the fused decode-and-dot path for this type. */
    private boolean fusedRow(GgmlType t) {
        return !runcOrder() && (t == GgmlType.Q8_0 || t == GgmlType.Q4_0);
    }

    /** Whether each dot product is summed in order k = 0..K-1 without FMA, as run.c does. */
    public boolean runcOrder() {
        return tiles.runcOrder();
    }

    public String name() {
        return tiles.name();
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
            tiles.packLanes(x, rows, K);
        } else if (rows >= 2) {
            tiles.pack(x, rows, K);
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
            tiles.panel(out, col + o0, stride, Math.min(PANEL, O - o0), x, rows, a, 0, K, tail[wk]);
        }
    }

    /**
     * Batches of LANES rows or more: the vector lanes are LANES rows of x (packed by {@link #packLanes})
     * and each weight is broadcast, so a panel is decoded row by row into a[r * K + k] with no
     * transposition. Each output is still the sum over k = 0..K-1 in order with the same madd,
     * so the results are those of the panel-lane kernel bit for bit.
     */
    private void multiplyLanes(float[] out, int stride, int col, int rows, QuantMatrix w, int p0, int p1, int wk, float[] a, byte[] q) {
        int O = w.rows(), K = w.cols();
        for (int p = p0; p < p1; p++) {
            int o0 = p * PANEL;
            decodeRows(w, o0, a, q);
            tiles.lanes(out, col + o0, stride, Math.min(PANEL, O - o0), rows, a, K, tail[wk]);
        }
    }

    /**
     * Weight rows o0..o0+PANEL-1 dequantized into a[r * K + k]; rows past the matrix are zero.
     * Q8_0 converts LANES quants at a time (bytes of one lane each to a float vector of
     * {@link Simd}'s width only, then q * d as ggml): the bench's
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
     * Weight rows o0..o0+PANEL-1 dequantized into a[k * PANEL + r]; rows past the matrix are zero.
     * Q8_0 and Q4_0 are decoded straight into the panel by scalar code (ggml's q * d, the same
     * float products): a Vector API decode paid the same again in the strided copy. (Batches of
     * LANES+ rows take {@link #decodeRows}, which needs no transposition.)
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

    /** A Q8_0 row's bytes at q[p...] into panel column r: a[k * PANEL + r] = q * d. */
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
