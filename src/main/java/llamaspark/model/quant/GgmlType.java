package llamaspark.model.quant;

/**
 * The tensor element types of GGML/GGUF files that the engine reads, with ggml's type ids and
 * block geometry: a row of {@code cols} values is {@code cols / blockSize} blocks of
 * {@code blockBytes} bytes each (ggml.c's {@code type_traits}).
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),   // f16 scale d, 16 bytes of 4-bit quants
    Q8_0(8, 32, 34),   // f16 scale d, 32 int8 quants
    Q4_K(12, 256, 144), // f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of 4-bit quants
    Q5_K(13, 256, 176), // f16 d, f16 dmin, 12 bytes scales, 32 bytes high bits, 128 bytes low nibbles
    Q6_K(14, 256, 210), // 128 bytes low 4 bits, 64 bytes high 2 bits, 16 int8 scales, f16 d
    BF16(30, 1, 2);

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** ggml's numeric type id, as stored in a GGUF tensor info. */
    public int id() {
        return id;
    }

    /** Values per block. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    public boolean quantized() {
        return blockSize > 1;
    }

    /** Bytes of a row of {@code cols} values; {@code cols} must be a multiple of the block size. */
    public long rowBytes(long cols) {
        if (cols % blockSize != 0) {
            throw new IllegalArgumentException(this + " rows must hold a multiple of " + blockSize
                    + " values, got " + cols);
        }
        return cols / blockSize * blockBytes;
    }

    /** The type with ggml id {@code id}, or null when the engine does not read it. */
    public static GgmlType fromId(int id) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }
}
