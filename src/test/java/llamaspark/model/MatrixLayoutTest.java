package llamaspark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatrixLayoutTest {

    /** A distinct non-zero value per element, so a misplaced one shows. */
    private static float value(int r, int c) {
        return 1000f * (r + 1) + c + 0.5f;
    }

    private static float[] rowMajor(int rows, int cols) {
        float[] a = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                a[r * cols + c] = value(r, c);
            }
        }
        return a;
    }

    @ParameterizedTest(name = "width {0}, {1}x{2}")
    @CsvSource({"1, 37, 5", "16, 37, 5", "16, 1, 3", "16, 16, 4", "16, 33, 1", "1, 1, 1", "3, 10, 7"})
    void fillPlacesEveryElementWhereIndexSaysAndPadsWithZeros(int width, int rows, int cols) {
        MatrixLayout layout = MatrixLayout.panels(width);
        int panels = (rows + width - 1) / width;
        assertEquals(panels, layout.panelCount(rows));
        assertEquals((long) panels * width * cols, layout.size(rows, cols));

        WeightMatrix m = WeightMatrix.allocate(rows, cols, layout);
        assertEquals(layout.size(rows, cols), m.data().length);
        // in two pieces, as the loaders fill fused matrices
        float[] src = rowMajor(rows, cols);
        int split = rows / 3;
        FloatBuffer buf = FloatBuffer.wrap(src);
        layout.fill(buf, m.data(), 0, split, cols);
        assertEquals(split * cols, buf.position(), "fill consumes exactly its rows");
        layout.fill(buf, m.data(), split, rows - split, cols);
        assertEquals(src.length, buf.position());

        boolean[] used = new boolean[m.data().length];
        float[] row = new float[cols + 2];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = layout.index(r, c, cols);
                assertTrue(i >= 0 && i < used.length, "index(" + r + "," + c + ") = " + i + " out of range");
                assertTrue(!used[i], "index(" + r + "," + c + ") = " + i + " used twice");
                used[i] = true;
                assertEquals(value(r, c), m.data()[i], "data at index(" + r + "," + c + ")");
                assertEquals(value(r, c), m.get(r, c), "get(" + r + "," + c + ")");
                if (width > 1 && c > 0) {
                    assertEquals(layout.index(r, c - 1, cols) + width, i, "columns of a panel are width apart");
                }
            }
            row[0] = -1f;
            row[cols + 1] = -2f;
            m.copyRow(r, row, 1);
            for (int c = 0; c < cols; c++) {
                assertEquals(value(r, c), row[c + 1], "copyRow(" + r + ")[" + c + "]");
            }
            assertEquals(-1f, row[0], "copyRow writes only its own range");
            assertEquals(-2f, row[cols + 1], "copyRow writes only its own range");
        }
        int padding = 0;
        for (int i = 0; i < used.length; i++) {
            if (!used[i]) {
                padding++;
                assertEquals(0, Float.floatToRawIntBits(m.data()[i]), "padding at " + i + " must be +0");
            }
        }
        assertEquals((panels * width - rows) * cols, padding);
    }

    @Test
    void rowMajorIsTheCheckpointOrder() {
        MatrixLayout layout = MatrixLayout.panels(1);
        assertSame(MatrixLayout.ROW_MAJOR, layout);
        assertTrue(layout.rowMajor());
        assertEquals(3 * 5 + 2, layout.index(3, 2, 5));
        WeightMatrix m = WeightMatrix.allocate(4, 5, layout);
        float[] src = rowMajor(4, 5);
        layout.fill(FloatBuffer.wrap(src), m.data(), 0, 4, 5);
        assertEquals(java.util.Arrays.toString(src), java.util.Arrays.toString(m.data()));
    }

    @Test
    void panelOrderIsColumnByColumnWithinAPanel() {
        MatrixLayout layout = MatrixLayout.panels(16);
        // row 17, col 2 of a 20x3 matrix: second panel (48 floats in), column 2 (32 in), lane 1
        assertEquals(16 * 3 + 2 * 16 + 1, layout.index(17, 2, 3));
        assertEquals("panels of 16", layout.toString());
        assertEquals("row-major", MatrixLayout.ROW_MAJOR.toString());
    }

    @Test
    void badWidthsAndSizesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new MatrixLayout(0));
        assertThrows(IllegalArgumentException.class, () -> MatrixLayout.panels(-16));
        assertThrows(IllegalArgumentException.class,
                () -> new WeightMatrix(17, 3, MatrixLayout.panels(16), new float[17 * 3]));
        assertThrows(IllegalArgumentException.class,
                () -> WeightMatrix.allocate(100_000, 100_000, MatrixLayout.ROW_MAJOR));
    }
}
