package llamaspark.model.quant;

/**
 * IEEE half (binary16) and bfloat16 conversions as ggml does them: float to half rounds to
 * nearest even (F16C's {@code vcvtps2ph} with rounding mode 0, and ggml's bit-trick fallback),
 * NaN becomes the quiet NaN 0x7E00; float to bfloat16 rounds to nearest even and keeps NaN quiet.
 * Java 17 has no {@code Float.floatToFloat16}, hence these.
 */
public final class Halfs {
    private Halfs() {
    }

    /** The float value of half-precision bits {@code h} (exact). */
    public static float halfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            // zero or subnormal: mant * 2^-24, exact in float
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * {@link #halfToFloat} by table lookup (256 KiB, built once): what the quantized kernels use
     * for block scales, where the arithmetic version's branches cost a third of a Q8_0 dot.
     */
    public static float halfToFloatFast(int h) {
        return HalfTable.VALUES[h & 0xFFFF];
    }

    private static final class HalfTable {
        static final float[] VALUES = new float[1 << 16];

        static {
            for (int h = 0; h < VALUES.length; h++) {
                VALUES[h] = halfToFloat(h);
            }
        }
    }

    /** Half-precision bits of {@code f}, rounded to nearest even; overflow gives infinity. */
    public static short floatToHalf(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int ax = x & 0x7FFFFFFF;
        if (ax > 0x7F800000) {
            return (short) 0x7E00; // ggml's NaN
        }
        if (ax >= 0x477FF000) {
            // >= 65520 (halfway past the largest half) rounds to infinity
            return (short) (sign | 0x7C00);
        }
        if (ax < 0x38800000) {
            // below the smallest normal half 2^-14: a subnormal, units of 2^-24; rint is exact
            // enough because |f| * 2^24 < 1024 is computed exactly in float
            int m = (int) Math.rint(Float.intBitsToFloat(ax) * 0x1p24f);
            return (short) (sign | m);
        }
        // normal: drop 13 mantissa bits with round to nearest even (a carry may bump the exponent)
        int e = ax - (112 << 23);
        int r = (e + 0xFFF + ((e >>> 13) & 1)) >>> 13;
        return (short) (sign | r);
    }

    /** The float value of bfloat16 bits {@code b} (exact). */
    public static float bf16ToFloat(int b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** ggml's {@code ggml_compute_fp32_to_bf16}: round to nearest even, NaN forced quiet. */
    public static short floatToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7FFF + ((u >>> 16) & 1))) >>> 16);
    }
}
