package llamaspark.model.gguf;

/** The metadata value types of GGUF (gguf.h's {@code gguf_type}), with their ids as stored. */
public enum GgufValueType {
    UINT8(0), INT8(1), UINT16(2), INT16(3), UINT32(4), INT32(5), FLOAT32(6), BOOL(7), STRING(8),
    ARRAY(9), UINT64(10), INT64(11), FLOAT64(12);

    private final int id;

    GgufValueType(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    /** The type with id {@code id}, or null if GGUF defines none. */
    public static GgufValueType fromId(int id) {
        for (GgufValueType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /** The name used in error messages and by the gguf Python package: uint8, float32, string... */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
