package llamaspark.model;

import java.util.Locale;
import llamaspark.BadInputException;

/**
 * How the KV cache stores keys and values: float32 (every oracle's precision), or IEEE half
 * ({@link Half}, llama.cpp's default cache type), which halves the bytes attention streams per token.
 */
public enum KvPrecision {
    F32("f32", 4),
    F16("f16", 2);

    /** The default: the precision every oracle was made with. */
    public static final String DEFAULT_NAME = "f32";

    private final String cliName;
    private final int bytes;

    KvPrecision(String cliName, int bytes) {
        this.cliName = cliName;
        this.bytes = bytes;
    }

    public String cliName() {
        return cliName;
    }

    /** Bytes per cached value. */
    public int bytes() {
        return bytes;
    }

    public static KvPrecision parse(String s) {
        for (KvPrecision p : values()) {
            if (p.cliName.equals(s.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new BadInputException("--kv-cache", "unknown KV cache type '" + s + "', expected f32 or f16");
    }
}
