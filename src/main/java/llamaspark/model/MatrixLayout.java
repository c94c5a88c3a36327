package llamaspark.model;

import java.io.Serializable;
import java.nio.FloatBuffer;

/**
 * How a weight matrix W[rows=out, cols=in] is laid out in memory: in panels of {@code width}
 * consecutive rows, each panel stored column by column, so that a SIMD kernel reads the
 * {@code width} outputs of one input column from one contiguous run. Width 1 is plain row-major
 * order (the checkpoint's own order, and what EJML uses). The last panel is zero-padded.
 */
public record MatrixLayout(int width) implements Serializable {

    public static final MatrixLayout ROW_MAJOR = new MatrixLayout(1);

    public MatrixLayout {
        if (width < 1) {
            throw new IllegalArgumentException("panel width must be >= 1, got " + width);
        }
    }

    public static MatrixLayout panels(int width) {
        return width == 1 ? ROW_MAJOR : new MatrixLayout(width);
    }

    public boolean rowMajor() {
        return width == 1;
    }

    public int panelCount(int rows) {
        return (rows + width - 1) / width;
    }

    public long size(int rows, int cols) {
        return (long) panelCount(rows) * width * cols;
    }

    public int index(int row, int col, int cols) {
        return (row / width) * width * cols + col * width + row % width;
    }

    /** Reads rows x cols floats in row-major order from {@code src} into {@code dst} at row {@code row0}. */
    public void fill(FloatBuffer src, float[] dst, int row0, int rows, int cols) {
        if (rowMajor()) {
            src.get(dst, row0 * cols, rows * cols);
            return;
        }
        float[] line = new float[cols];
        for (int r = row0; r < row0 + rows; r++) {
            src.get(line);
            int base = (r / width) * width * cols + r % width;
            for (int c = 0; c < cols; c++) {
                dst[base + c * width] = line[c];
            }
        }
    }

    @Override
    public String toString() {
        return rowMajor() ? "row-major" : "panels of " + width;
    }
}
