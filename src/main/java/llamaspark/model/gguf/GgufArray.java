package llamaspark.model.gguf;

import java.lang.reflect.Array;

/**
 * A GGUF metadata array. {@code values} is a primitive array of the element type's Java width
 * (unsigned types widened: uint8 to short[], uint16 to int[], uint32 to long[]; uint64 stays long[]
 * holding the raw bits), boolean[] for bool, String[] for string and GgufArray[] for nested arrays.
 */
public record GgufArray(GgufValueType elementType, Object values) {

    public int length() {
        return Array.getLength(values);
    }

    /** Element {@code i} boxed, as a scalar of the element type is (see {@link GgufMetadata}). */
    public Object get(int i) {
        return Array.get(values, i);
    }

    @Override
    public String toString() {
        return "array of " + length() + " " + elementType.label();
    }
}
