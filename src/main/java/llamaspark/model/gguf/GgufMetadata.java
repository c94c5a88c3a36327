package llamaspark.model.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import llamaspark.BadInputException;

/**
 * A GGUF file's key-value metadata, in file order, each value with its GGUF type. Scalars are
 * boxed at a Java width that holds them: uint8 Short, int8 Byte, uint16 Integer, int16 Short,
 * uint32 Long, int32 Integer, uint64/int64 Long (uint64 as raw bits), float32 Float, float64
 * Double, bool Boolean, string String, array {@link GgufArray}. The typed accessors fail with one
 * line naming the file and the key.
 */
public final class GgufMetadata {
    /** A value and the GGUF type it was stored as. */
    public record Value(GgufValueType type, Object value) {
    }

    private final String source;
    private final Map<String, Value> values;

    GgufMetadata(String source, LinkedHashMap<String, Value> values) {
        this.source = source;
        this.values = Collections.unmodifiableMap(values);
    }

    /** The file the metadata came from, as errors name it. */
    public String source() {
        return source;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public Map<String, Value> entries() {
        return values;
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** The raw entry, or null. */
    public Value get(String key) {
        return values.get(key);
    }

    public String string(String key) {
        return (String) require(key, "a string", GgufValueType.STRING).value();
    }

    public String string(String key, String fallback) {
        return has(key) ? string(key) : fallback;
    }

    /** Any integer type whose value fits in an int. */
    public int int32(String key) {
        long v = integer(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw bad(key, "is " + v + ", expected a value that fits in 32 bits");
        }
        return (int) v;
    }

    public int int32(String key, int fallback) {
        return has(key) ? int32(key) : fallback;
    }

    /** Any integer type (uint64 values past Long.MAX_VALUE are rejected). */
    public long integer(String key) {
        Value v = require(key, "an integer", GgufValueType.UINT8, GgufValueType.INT8, GgufValueType.UINT16,
                GgufValueType.INT16, GgufValueType.UINT32, GgufValueType.INT32, GgufValueType.UINT64,
                GgufValueType.INT64);
        long x = ((Number) v.value()).longValue();
        if (v.type() == GgufValueType.UINT64 && x < 0) {
            throw bad(key, "is " + Long.toUnsignedString(x) + ", too large");
        }
        return x;
    }

    /** float32 or float64, as a float. */
    public float float32(String key) {
        Value v = require(key, "a float", GgufValueType.FLOAT32, GgufValueType.FLOAT64);
        return ((Number) v.value()).floatValue();
    }

    public float float32(String key, float fallback) {
        return has(key) ? float32(key) : fallback;
    }

    public boolean bool(String key) {
        return (Boolean) require(key, "a bool", GgufValueType.BOOL).value();
    }

    public GgufArray array(String key, GgufValueType elementType) {
        GgufArray a = (GgufArray) require(key, "an array of " + elementType.label(), GgufValueType.ARRAY).value();
        if (a.elementType() != elementType) {
            throw bad(key, "is an array of " + a.elementType().label() + ", expected an array of "
                    + elementType.label());
        }
        return a;
    }

    public String[] stringArray(String key) {
        return (String[]) array(key, GgufValueType.STRING).values();
    }

    public float[] floatArray(String key) {
        return (float[]) array(key, GgufValueType.FLOAT32).values();
    }

    /** An array of int32 (what llama.cpp's converters write for token types). */
    public int[] intArray(String key) {
        return (int[]) array(key, GgufValueType.INT32).values();
    }

    private Value require(String key, String expected, GgufValueType... types) {
        Value v = values.get(key);
        if (v == null) {
            throw bad(key, "is missing (expected " + expected + ")");
        }
        for (GgufValueType t : types) {
            if (v.type() == t) {
                return v;
            }
        }
        String actual = v.type() == GgufValueType.ARRAY ? v.value().toString() : v.type().label();
        throw bad(key, "is " + (v.type() == GgufValueType.ARRAY ? "an " : "a ") + actual + ", expected " + expected);
    }

    private BadInputException bad(String key, String problem) {
        return new BadInputException(source, "metadata key '" + key + "' " + problem);
    }

    @Override
    public String toString() {
        return values.size() + " metadata keys";
    }
}
