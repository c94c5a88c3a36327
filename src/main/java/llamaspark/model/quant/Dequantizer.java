package llamaspark.model.quant;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The scalar reference dequantizer: ggml's {@code dequantize_row_*} (ggml-quants.c) for each
 * type, with the same float operations in the same order, so it gives ggml's floats bit for bit.
 * Block layouts (little-endian):
 * <ul>
 * <li>Q8_0 (32 values, 34 bytes): f16 d; int8 q[32]. x = q * d.</li>
 * <li>Q4_0 (32 values, 18 bytes): f16 d; 16 bytes, byte j holds value j (low nibble) and value
 * j + 16 (high nibble). x = (nibble - 8) * d.</li>
 * <li>Q4_K (256 values, 144 bytes): f16 d, f16 dmin, 12 bytes of eight 6-bit (scale, min) pairs,
 * 128 bytes of nibbles: each 32-byte run holds two sub-blocks of 32 (low nibbles, then high).
 * x = (d * scale) * q - (dmin * min).</li>
 * <li>Q5_K (256 values, 176 bytes): as Q4_K plus 32 bytes of fifth bits before the nibbles; bit
 * 2i (2i+1) of qh[l] is the high bit of value l of sub-block 2i (2i+1).</li>
 * <li>Q6_K (256 values, 210 bytes): 128 bytes low nibbles ql, 64 bytes 2-bit highs qh, 16 int8
 * scales, f16 d. Each half of 128 values uses 64 bytes of ql and 32 of qh; x = (d * sc) * (q - 32).</li>
 * </ul>
 */
public final class Dequantizer {
    private Dequantizer() {
    }

    /**
     * Decodes {@code n} values of type {@code t} starting at byte {@code byteOff} of {@code src}
     * into {@code dst[dstOff .. dstOff + n)}. {@code n} must be a multiple of the block size.
     */
    public static void dequantizeRow(GgmlType t, ByteBuffer src, long byteOff, float[] dst, int dstOff, int n) {
        long bytes = t.rowBytes(n);
        if (byteOff < 0 || byteOff + bytes > src.limit()) {
            throw new IndexOutOfBoundsException(t + " row of " + n + " values at byte " + byteOff
                    + " does not fit a buffer of " + src.limit() + " bytes");
        }
        ByteBuffer b = src.order() == ByteOrder.LITTLE_ENDIAN ? src : src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int p = (int) byteOff;
        int nb = n / t.blockSize();
        switch (t) {
            case F32:
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = b.getFloat(p + 4 * i);
                }
                break;
            case F16:
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = Halfs.halfToFloat(b.getShort(p + 2 * i));
                }
                break;
            case BF16:
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = Halfs.bf16ToFloat(b.getShort(p + 2 * i));
                }
                break;
            case Q8_0:
                for (int i = 0; i < nb; i++) {
                    q8_0(b, p + 34 * i, dst, dstOff + 32 * i);
                }
                break;
            case Q4_0:
                for (int i = 0; i < nb; i++) {
                    q4_0(b, p + 18 * i, dst, dstOff + 32 * i);
                }
                break;
            case Q4_K:
                for (int i = 0; i < nb; i++) {
                    q4_K(b, p + 144 * i, dst, dstOff + 256 * i);
                }
                break;
            case Q5_K:
                for (int i = 0; i < nb; i++) {
                    q5_K(b, p + 176 * i, dst, dstOff + 256 * i);
                }
                break;
            case Q6_K:
                for (int i = 0; i < nb; i++) {
                    q6_K(b, p + 210 * i, dst, dstOff + 256 * i);
                }
                break;
            default:
                throw new IllegalArgumentException("no dequantizer for " + t);
        }
    }

    static void q8_0(ByteBuffer b, int p, float[] y, int o) {
        float d = Halfs.halfToFloat(b.getShort(p));
        for (int j = 0; j < 32; j++) {
            y[o + j] = b.get(p + 2 + j) * d;
        }
    }

    static void q4_0(ByteBuffer b, int p, float[] y, int o) {
        float d = Halfs.halfToFloat(b.getShort(p));
        for (int j = 0; j < 16; j++) {
            int q = b.get(p + 2 + j) & 0xFF;
            y[o + j] = ((q & 0x0F) - 8) * d;
            y[o + j + 16] = ((q >>> 4) - 8) * d;
        }
    }

    /** The 6-bit scale of sub-block j (0..7) of a Q4_K/Q5_K block whose 12 scale bytes start at s. */
    static int scaleK4(ByteBuffer b, int s, int j) {
        if (j < 4) {
            return b.get(s + j) & 63;
        }
        return (b.get(s + j + 4) & 0xF) | (((b.get(s + j - 4) & 0xFF) >>> 6) << 4);
    }

    /** The 6-bit min of sub-block j (0..7). */
    static int minK4(ByteBuffer b, int s, int j) {
        if (j < 4) {
            return b.get(s + j + 4) & 63;
        }
        return ((b.get(s + j + 4) & 0xFF) >>> 4) | (((b.get(s + j) & 0xFF) >>> 6) << 4);
    }

    static void q4_K(ByteBuffer b, int p, float[] y, int o) {
        float d = Halfs.halfToFloat(b.getShort(p));
        float min = Halfs.halfToFloat(b.getShort(p + 2));
        int s = p + 4, q = p + 16;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
            float d1 = d * scaleK4(b, s, is), m1 = min * minK4(b, s, is);
            float d2 = d * scaleK4(b, s, is + 1), m2 = min * minK4(b, s, is + 1);
            for (int l = 0; l < 32; l++) {
                y[o + j + l] = d1 * (b.get(q + l) & 0xF) - m1;
            }
            for (int l = 0; l < 32; l++) {
                y[o + j + 32 + l] = d2 * ((b.get(q + l) & 0xFF) >>> 4) - m2;
            }
        }
    }

    static void q5_K(ByteBuffer b, int p, float[] y, int o) {
        float d = Halfs.halfToFloat(b.getShort(p));
        float min = Halfs.halfToFloat(b.getShort(p + 2));
        int s = p + 4, qh = p + 16, ql = p + 48;
        int u1 = 1, u2 = 2;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
            float d1 = d * scaleK4(b, s, is), m1 = min * minK4(b, s, is);
            float d2 = d * scaleK4(b, s, is + 1), m2 = min * minK4(b, s, is + 1);
            for (int l = 0; l < 32; l++) {
                int h = b.get(qh + l);
                y[o + j + l] = d1 * ((b.get(ql + l) & 0xF) + ((h & u1) != 0 ? 16 : 0)) - m1;
            }
            for (int l = 0; l < 32; l++) {
                int h = b.get(qh + l);
                y[o + j + 32 + l] = d2 * (((b.get(ql + l) & 0xFF) >>> 4) + ((h & u2) != 0 ? 16 : 0)) - m2;
            }
        }
    }

    static void q6_K(ByteBuffer b, int p, float[] y, int o) {
        float d = Halfs.halfToFloat(b.getShort(p + 208));
        int ql = p, qh = p + 128, sc = p + 192;
        for (int n = 0; n < 256; n += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int a = b.get(ql + l) & 0xFF, c = b.get(ql + l + 32) & 0xFF, h = b.get(qh + l) & 0xFF;
                int q1 = ((a & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((c & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((a >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((c >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[o + n + l] = d * b.get(sc + is) * q1;
                y[o + n + l + 32] = d * b.get(sc + is + 2) * q2;
                y[o + n + l + 64] = d * b.get(sc + is + 4) * q3;
                y[o + n + l + 96] = d * b.get(sc + is + 6) * q4;
            }
        }
    }
}
