package llamaspark.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import llamaspark.model.MatrixLayout;
import llamaspark.model.WeightMatrix;
import llamaspark.model.Workers;
import llamaspark.model.quant.QuantKernel;
import llamaspark.model.quant.QuantMatrix;

/**
 * The SIMD kernel, on the JDK's Vector API. Weights are stored in panels of PANEL output rows (two
 * vectors of {@link Simd}'s width: 32 rows at 512 bits, 16 at 256), column by column: for each
 * input k the kernel broadcasts x[n, k] and multiplies it into the panel's outputs at once. Each lane so accumulates its own dot product
 * in order k = 0..K-1; with {@code fused = false} each step is a rounded multiply then a rounded
 * add, which is run.c's sequential sum bit for bit. {@code fused = true} uses one fused
 * multiply-add (one rounding; twice the arithmetic throughput, not bit-identical to run.c).
 *
 * <p>The tiles themselves are {@link PanelTiles}: 8 rows (6 at 256 bits) share each loaded weight vector; a
 * single row takes two panels at a time, so four independent sums hide the add latency. With
 * {@link Workers}, the panels are split between threads; each output is still computed by the
 * same code, so results do not depend on the thread count.
 *
 * <p>A quantized matrix ({@link WeightMatrix#quantized()}) goes to a {@link QuantKernel} of the same
 * kind, which decodes its blocks into the same panels: each stacked part writes its own columns.
 */
public final class VectorKernel implements MatmulKernel {
    public static final int PANEL = PanelTiles.PANEL;
    private static final int TILE = PanelTiles.TILE;
    private static final MatrixLayout LAYOUT = MatrixLayout.panels(PANEL);
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int LANES = Simd.LANES;

    private final PanelTiles tiles;
    private final Workers workers;
    private final QuantKernel quant;
    private final Split split = new Split();
    /** Where {@link #touch}'s sums go, so the JIT keeps the loads; its value means nothing. */
    private float sink;
    /** Per worker: the tiles' scratch for a partial panel or tile, [8][PANEL]. */
    private final float[][] tail;
    /** Per worker: each row's running largest output, lane by lane, over its panels [rows * LANES] (grown, never per step). */
    private final float[][] laneMax;
    /** Per worker: each row's largest output over its panels [rows] (grown, never per step). */
    private final float[][] workerMax;

    /** A kernel in run.c's order ({@code fused = false}) or with fused multiply-adds. */
    public static VectorKernel create(boolean fused, Workers workers) {
        return new VectorKernel(workers, fused);
    }

    private VectorKernel(Workers workers, boolean fused) {
        this.tiles = PanelTiles.create(fused);
        this.workers = workers;
        this.quant = QuantKernel.create(fused, workers);
        this.tail = new float[workers == null ? 1 : workers.size()][PanelTiles.TAIL_SIZE];
        this.laneMax = new float[tail.length][0];
        this.workerMax = new float[tail.length][0];
    }

    @Override
    public boolean runcOrder() {
        return tiles.runcOrder();
    }

    @Override
    public String name() {
        return tiles.name();
    }

    @Override
    public MatrixLayout layout() {
        return LAYOUT;
    }

    @Override
    public void matmul(float[] out, float[] x, int rows, WeightMatrix w) {
        product(out, x, rows, w, null);
    }

    /**
     * Takes the maxima panel by panel as the tiles leave them in the first-level cache (batches of
     * two rows or more on float weights); a single row or quantized weights take them after.
     */
    @Override
    public void matmulWithRowMax(float[] out, float[] x, int rows, WeightMatrix w, float[] rowMax) {
        if (rows < 2 || w.quantized()) {
            matmul(out, x, rows, w);
            int O = w.rows();
            for (int n = 0; n < rows; n++) {
                rowMax[n] = MAX.max(out, n * O, O);
            }
            return;
        }
        for (int worker = 0; worker < laneMax.length; worker++) {
            if (workerMax[worker].length < rows) { // a larger batch than before: once, not per step
                laneMax[worker] = new float[rows * LANES];
                workerMax[worker] = new float[rows];
            }
            java.util.Arrays.fill(workerMax[worker], 0, rows, Float.NEGATIVE_INFINITY);
        }
        product(out, x, rows, w, rowMax);
        for (int n = 0; n < rows; n++) {
            float max = workerMax[0][n];
            for (int worker = 1; worker < workerMax.length; worker++) {
                max = Math.max(max, workerMax[worker][n]);
            }
            rowMax[n] = max;
        }
    }

    /** The vector maximum of {@link VectorSoftmax}: the same value in any order. */
    private static final VectorSoftmax MAX = VectorSoftmax.fused();

    /** The product, with each worker's row maxima in {@link #workerMax} when {@code rowMax} is not null. */
    private void product(float[] out, float[] x, int rows, WeightMatrix w, float[] rowMax) {
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
        if (rows >= 2) {
            tiles.pack(x, rows, K);
        }
        boolean maxima = rowMax != null;
        int panels = LAYOUT.panelCount(w.rows());
        if (workers == null || workers.size() == 1 || panels < 4 * workers.size()) {
            multiply(out, x, rows, w, 0, panels, 0, maxima);
            return;
        }
        split.out = out;
        split.x = x;
        split.rows = rows;
        split.w = w;
        split.maxima = maxima;
        workers.run(split);
        split.out = null;
        split.x = null;
        split.w = null;
    }

    /** One matmul handed to the workers: each takes a contiguous run of panels (pairs kept together). */
    private final class Split implements Workers.Job {
        float[] out;
        float[] x;
        int rows;
        WeightMatrix w;
        boolean maxima;

        @Override
        public void run(int worker, int workers) {
            int pairs = (LAYOUT.panelCount(w.rows()) + 1) / 2;
            int p0 = 2 * Workers.from(pairs, worker, workers);
            int p1 = Math.min(2 * Workers.from(pairs, worker + 1, workers), LAYOUT.panelCount(w.rows()));
            multiply(out, x, rows, w, p0, p1, worker, maxima);
        }
    }

    /** Panels [p0, p1) of the product; with {@code maxima}, also the rows' largest outputs of these panels. */
    private void multiply(float[] out, float[] x, int rows, WeightMatrix w, int p0, int p1, int worker, boolean maxima) {
        float[] tail = this.tail[worker];
        int O = w.rows(), K = w.cols();
        float[] a = w.data();
        if (rows == 1) {
            int p = p0;
            for (; p + 2 <= p1; p += 2) {
                tiles.row1Panels2(out, p * PANEL, Math.min(PANEL, O - p * PANEL), Math.min(PANEL, O - p * PANEL - PANEL),
                        x, 0, a, p * PANEL * K, K, tail);
            }
            if (p < p1) {
                tiles.row1(out, p * PANEL, Math.min(PANEL, O - p * PANEL), x, 0, a, p * PANEL * K, K, tail);
            }
            return;
        }
        float touched = 0;
        float[] lanes = laneMax[worker];
        if (maxima) {
            java.util.Arrays.fill(lanes, 0, rows * LANES, Float.NEGATIVE_INFINITY);
        }
        for (int p = p0; p < p1; p++) {
            if (rows >= TILE && p + 1 < p1) {
                touched += touch(a, (p + 1) * PANEL * K, PANEL * K);
            }
            int valid = Math.min(PANEL, O - p * PANEL);
            tiles.panel(out, p * PANEL, O, valid, x, rows, a, p * PANEL * K, K, tail);
            if (maxima) {
                panelMax(out, p * PANEL, O, valid, rows, lanes);
            }
        }
        sink = touched;
        if (maxima) {
            float[] max = workerMax[worker];
            for (int n = 0; n < rows; n++) {
                max[n] = FloatVector.fromArray(F, lanes, n * LANES).reduceLanes(VectorOperators.MAX);
            }
        }
    }

    /** Folds the panel's outputs out[n * O + c0, + valid) into each row's lanes of maxima. */
    private static void panelMax(float[] out, int c0, int O, int valid, int rows, float[] lanes) {
        for (int n = 0, o = c0; n < rows; n++, o += O) {
            if (valid == PANEL) {
                FloatVector.fromArray(F, lanes, n * LANES)
                        .max(FloatVector.fromArray(F, out, o))
                        .max(FloatVector.fromArray(F, out, o + LANES))
                        .intoArray(lanes, n * LANES);
            } else {
                for (int j = 0; j < valid; j++) {
                    lanes[n * LANES + j % LANES] = Math.max(lanes[n * LANES + j % LANES], out[o + j]);
                }
            }
        }
    }

    /**
     * Reads one float of each 64-byte line of a[from, from + n) (the next panel) before the tiles
     * take this one: the loads have no consumer waiting, so many lines are fetched at once, where
     * the tiles' first pass over a panel stalls on each. The step's large matrices come from
     * beyond the caches; measured on the head's shape with the weights out of cache: 6.6-6.9 ms
     * per product against 7.4-7.5 without (a scratch harness, 2026-11-29). Four sums, so no add
     * waits on the one before.
     */
    private static float touch(float[] a, int from, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = from;
        for (int end = from + n - 48; i < end; i += 64) {
            s0 += a[i];
            s1 += a[i + 16];
            s2 += a[i + 32];
            s3 += a[i + 48];
        }
        for (; i < from + n; i += 16) {
            s0 += a[i];
        }
        return s0 + s1 + s2 + s3;
    }
}
