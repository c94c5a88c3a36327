package llamaspark.model.quant;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * A weight W[rows, cols] (PyTorch Linear order: one row per output) of one {@link GgmlType},
 * stored as consecutive rows of {@code type.rowBytes(cols)} bytes in one or more read-only
 * little-endian buffers (usually a memory map). Every chunk holds whole rows, all chunks but the
 * last the same number, so a tensor of any size is addressed with int offsets within a chunk.
 */
public final class QuantMatrix {
    /** Largest chunk {@link #map} creates; package-private so tests can force small chunks. */
    static long maxChunkBytes = 1L << 30;

    private final GgmlType type;
    private final int rows; // O
    private final int cols; // K
    private final int rowBytes;
    private final int rowsPerChunk;
    private final ByteBuffer[] chunks;

    /**
     * W over {@code chunks}, each starting at its first row (from its position); all but the last
     * hold the same number of whole rows.
     */
    public QuantMatrix(GgmlType type, int rows, int cols, ByteBuffer... chunks) {
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        long rb = type.rowBytes(cols);
        if (rb > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a " + type + " row of " + cols + " values exceeds 2 GiB");
        }
        this.rowBytes = (int) rb;
        if (chunks.length == 0) {
            throw new IllegalArgumentException("no chunks");
        }
        this.chunks = new ByteBuffer[chunks.length];
        for (int i = 0; i < chunks.length; i++) {
            this.chunks[i] = chunks[i].slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }
        this.rowsPerChunk = chunks.length == 1 ? rows : this.chunks[0].capacity() / rowBytes;
        long lastRows = rows - (long) rowsPerChunk * (chunks.length - 1);
        for (int i = 0; i < chunks.length - 1; i++) {
            if (this.chunks[i].capacity() != (long) rowsPerChunk * rowBytes) {
                throw new IllegalArgumentException("chunk " + i + " of " + this.chunks[i].capacity()
                        + " bytes does not hold " + rowsPerChunk + " rows of " + rowBytes + " bytes");
            }
        }
        if (rowsPerChunk <= 0 || lastRows <= 0 || lastRows > rowsPerChunk
                || this.chunks[chunks.length - 1].capacity() < lastRows * rowBytes) {
            throw new IllegalArgumentException(type + " [" + rows + ", " + cols + "]: " + chunks.length
                    + " chunks do not hold " + rows + " rows of " + rowBytes + " bytes");
        }
    }

    /** W held in one heap buffer of {@code rows * type.rowBytes(cols)} bytes. */
    public static QuantMatrix of(GgmlType type, int rows, int cols, ByteBuffer heapBytes) {
        return new QuantMatrix(type, rows, cols, heapBytes);
    }

    /**
     * Maps the tensor at byte {@code offset} of {@code ch} read-only, in chunks of at most
     * {@link #maxChunkBytes} bytes of whole rows (so tensors past 2 GiB work).
     */
    public static QuantMatrix map(FileChannel ch, long offset, GgmlType type, int rows, int cols) throws IOException {
        long rb = type.rowBytes(cols);
        long perChunk = Math.max(1, maxChunkBytes / rb);
        int n = (int) ((rows + perChunk - 1) / perChunk);
        ByteBuffer[] chunks = new ByteBuffer[n];
        for (int i = 0; i < n; i++) {
            long r0 = i * perChunk, r1 = Math.min(rows, r0 + perChunk);
            chunks[i] = ch.map(FileChannel.MapMode.READ_ONLY, offset + r0 * rb, (r1 - r0) * rb);
        }
        return new QuantMatrix(type, rows, cols, chunks);
    }

    public GgmlType type() {
        return type;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int rowBytes() {
        return rowBytes;
    }

    /** The buffer holding {@code row}. */
    public ByteBuffer chunk(int row) {
        return chunks[row / rowsPerChunk];
    }

    /** The byte offset of {@code row} in {@link #chunk}. */
    public int offset(int row) {
        return (row % rowsPerChunk) * rowBytes;
    }

    int chunkCount() {
        return chunks.length;
    }

    /** Row {@code row} as floats into {@code dst[off .. off + cols)} (ggml's dequantization). */
    public void dequantizeRow(int row, float[] dst, int off) {
        Dequantizer.dequantizeRow(type, chunk(row), offset(row), dst, off, cols);
    }
}
