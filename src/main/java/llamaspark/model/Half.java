package llamaspark.model;

/**
 * IEEE 754 binary16 ("half", llama.cpp's f16) as the low 16 bits of an int: JDK 17 has no
 * Float.floatToFloat16. Conversion to half rounds to nearest, ties to even, as numpy's
 * {@code astype(float16)} and the F16C instructions do; overflow gives infinity, NaN stays NaN.
 */
public final class Half {
    /** The largest finite half. */
    public static final float MAX = 65504f;
    /** 65504 (the largest half) plus half its ulp: from here on a float rounds to infinity. */
    private static final int ROUNDS_TO_INFINITY = 0x477FF000;
    /** 2^-14, the smallest normal half. */
    private static final int SMALLEST_NORMAL = 0x38800000;
    /** (127 - 15) << 23: the difference of the two exponent biases, in place. */
    private static final int REBIAS = 0x38000000;
    /** 2^(127 - 15): scales a half's bits, read as a float's, to the half's value. */
    private static final float SCALE = 0x1p112f;
    /** A half's exponent field at 31 (infinity or NaN), where a float's bits hold it after the shift by 13. */
    private static final int MAX_EXPONENT_SHIFTED = 0x0F800000;

    private Half() {
    }

    /** The half nearest to {@code f}, ties to even (bits in the low 16 of the result). */
    public static int fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFFFFFF;
        if (abs > 0x7F800000) {
            return sign | 0x7E00 | (abs >>> 13) & 0x3FF; // NaN: quiet, keeping the top payload bits
        }
        if (abs >= ROUNDS_TO_INFINITY) {
            return sign | 0x7C00;
        }
        if (abs >= SMALLEST_NORMAL) {
            int m = abs - REBIAS;
            return sign | (m + 0x0FFF + ((m >>> 13) & 1)) >>> 13; // the 13 dropped bits, ties to even
        }
        // Below 2^-14 a half counts units of 2^-24, the ulp of floats in [0.5, 1): adding 0.5
        // makes the float unit round to that grid (ties to even); 2^-14 itself comes out as 0x400.
        return sign | Float.floatToRawIntBits(Float.intBitsToFloat(abs) + 0.5f) - 0x3F000000;
    }

    /** The value of the half in the low 16 bits of {@code h} (exact: every half is a float). */
    public static float toFloat(int h) {
        int magnitude = (h & 0x7FFF) << 13;
        int bits = magnitude >= MAX_EXPONENT_SHIFTED
                ? magnitude | 0x7F800000                                      // infinity or NaN
                : Float.floatToRawIntBits(Float.intBitsToFloat(magnitude) * SCALE); // normal or subnormal
        return Float.intBitsToFloat(bits | (h & 0x8000) << 16);
    }
}
