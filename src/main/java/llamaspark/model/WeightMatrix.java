package llamaspark.model;

import llamaspark.model.kernel.Simd;

import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import llamaspark.model.kernel.Simd;
import llamaspark.model.quant.QuantMatrix;

/**
 * A weight matrix W[rows, cols] (PyTorch Linear order: out features x in features), held one of
 * two ways, chosen at load: float32 in a kernel's layout ({@link #data()}), or as one or more
 * {@link QuantMatrix} stacked by rows ({@link #parts()}: e.g. GGUF's wq, wk, wv as one wqkv),
 * read straight from their (mapped) bytes by the vector kernels, which decode them into the same
 * panels as the float layout (two vectors of rows, {@link Simd}). Kernels branch on the kind once per matrix.
 */
public final class WeightMatrix implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final MatrixLayout QUANT_LAYOUT = MatrixLayout.panels(2 * Simd.LANES);

    private final int rows;
    private final int cols;
    private final MatrixLayout layout;
    private final float[] data;
    /** Quantized parts stacked by rows (null for float weights); mapped buffers are not serialized. */
    private final transient QuantMatrix[] parts;

    public WeightMatrix(int rows, int cols, MatrixLayout layout, float[] data) {
        if (data.length != layout.size(rows, cols)) {
            throw new IllegalArgumentException("data holds " + data.length + " floats, layout "
                    + layout + " of " + rows + "x" + cols + " needs " + layout.size(rows, cols));
        }
        this.rows = rows;
        this.cols = cols;
        this.layout = layout;
        this.data = data;
        this.parts = null;
    }

    private WeightMatrix(QuantMatrix[] parts) {
        int r = 0;
        for (QuantMatrix q : parts) {
            if (q.cols() != parts[0].cols()) {
                throw new IllegalArgumentException("stacked parts have " + q.cols() + " and " + parts[0].cols() + " columns");
            }
            r = Math.addExact(r, q.rows());
        }
        this.rows = r;
        this.cols = parts[0].cols();
        this.layout = QUANT_LAYOUT;
        this.data = null;
        this.parts = parts.clone();
    }

    /**
     * W = the parts stacked by rows (part 0's rows first), multiplied straight from their bytes.
     * Its layout is the vector kernels' 16-row panels, which they decode blocks into.
     */
    public static WeightMatrix quantized(QuantMatrix... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("no parts");
        }
        return new WeightMatrix(parts);
    }

    /** Whether this matrix is held as {@link #parts()} rather than float {@link #data()}. */
    public boolean quantized() {
        return parts != null;
    }

    /** The quantized parts stacked by rows; only when {@link #quantized()}. Shared, not copied. */
    public QuantMatrix[] parts() {
        if (parts == null) {
            throw new IllegalStateException("a float matrix has no quantized parts");
        }
        return parts;
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

    /** The backing array, in {@link #layout()} order. Shared, not copied. Only for float matrices. */
    public float[] data() {
        if (data == null) {
            throw new IllegalStateException("a quantized matrix has no float data");
        }
        return data;
    }

    public float get(int row, int col) {
        if (parts != null) {
            float[] r = new float[cols];
            copyRow(row, r, 0);
            return r[col];
        }
        return data[layout.index(row, col, cols)];
    }

    /**
     * Copies row {@code row} (e.g. one token's embedding) into {@code dst[off, off + cols)};
     * a quantized row is dequantized (ggml's values).
     */
    public void copyRow(int row, float[] dst, int off) {
        if (parts != null) {
            int r = row;
            for (QuantMatrix q : parts) {
                if (r < q.rows()) {
                    q.dequantizeRow(r, dst, off);
                    return;
                }
                r -= q.rows();
            }
            throw new IndexOutOfBoundsException("row " + row + " of " + rows);
        }
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

    private void writeObject(ObjectOutputStream out) throws IOException {
        if (parts != null) {
            throw new NotSerializableException("a quantized WeightMatrix reads mapped file bytes: map the file where it is used");
        }
        out.defaultWriteObject();
    }
}
