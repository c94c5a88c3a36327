package llamaspark.model;

import java.io.Serializable;

/** A weight matrix W[rows, cols] (PyTorch Linear order: out features x in features) in a kernel's layout. */
public final class WeightMatrix implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int rows;
    private final int cols;
    private final MatrixLayout layout;
    private final float[] data;

    public WeightMatrix(int rows, int cols, MatrixLayout layout, float[] data) {
        if (data.length != layout.size(rows, cols)) {
            throw new IllegalArgumentException("data holds " + data.length + " floats, layout "
                    + layout + " of " + rows + "x" + cols + " needs " + layout.size(rows, cols));
        }
        this.rows = rows;
        this.cols = cols;
        this.layout = layout;
        this.data = data;
    }

    public static WeightMatrix allocate(int rows, int cols, MatrixLayout layout) {
        long size = layout.size(rows, cols);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(rows + "x" + cols + " matrix exceeds one Java array");
        }
        return new WeightMatrix(rows, cols, layout, new float[(int) size]);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public MatrixLayout layout() {
        return layout;
    }

    /** The backing array, in {@link #layout()} order. Shared, not copied. */
    public float[] data() {
        return data;
    }

    public float get(int row, int col) {
        return data[layout.index(row, col, cols)];
    }

    /** Copies row {@code row} (e.g. one token's embedding) into {@code dst[off, off + cols)}. */
    public void copyRow(int row, float[] dst, int off) {
        if (layout.rowMajor()) {
            System.arraycopy(data, row * cols, dst, off, cols);
            return;
        }
        int w = layout.width();
        int base = (row / w) * w * cols + row % w;
        for (int c = 0; c < cols; c++) {
            dst[off + c] = data[base + c * w];
        }
    }
}
