package llamaspark.model.gguf;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import llamaspark.model.quant.Dequantizer;

/**
 * Reads a GGUF tensor row by row as float32, mapping the file a window of whole rows at a time:
 * a ByteBuffer holds at most 2 GiB, a tensor may be larger, and the file larger still.
 */
public final class TensorRows {
    /** Largest window mapped at once; windows hold whole rows. */
    static final long WINDOW_BYTES = 1L << 30;

    /** Receives one dequantized row (the array is reused for the next row). */
    @FunctionalInterface
    public interface RowSink {
        void row(long row, float[] values);
    }

    private TensorRows() {
    }

    /** Dequantizes rows {@code [first, first + count)} of {@code t} in order into {@code sink}. */
    public static void read(FileChannel ch, GgufTensorInfo t, long first, long count, RowSink sink) throws IOException {
        long cols = t.cols();
        if (cols > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(t.name() + ": rows of " + cols + " values do not fit an array");
        }
        long rowBytes = t.type().rowBytes(cols);
        long rowsPerWindow = Math.max(1, WINDOW_BYTES / rowBytes);
        float[] line = new float[(int) cols];
        for (long r = first; r < first + count; r += rowsPerWindow) {
            long rows = Math.min(rowsPerWindow, first + count - r);
            MappedByteBuffer window = ch.map(FileChannel.MapMode.READ_ONLY, t.fileOffset() + r * rowBytes, rows * rowBytes);
            window.order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < rows; i++) {
                Dequantizer.dequantizeRow(t.type(), window, i * rowBytes, line, 0, (int) cols);
                sink.row(r + i, line);
            }
        }
    }

    /** The whole tensor as one float array (norm weights and other small tensors). */
    public static float[] readAll(FileChannel ch, GgufTensorInfo t) throws IOException {
        long n = t.elements();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(t.name() + " has " + n + " values, more than one array holds");
        }
        float[] all = new float[(int) n];
        int cols = (int) t.cols();
        read(ch, t, 0, t.rows(), (row, values) -> System.arraycopy(values, 0, all, (int) row * cols, cols));
        return all;
    }
}
