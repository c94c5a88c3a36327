package llamaspark.model.quant;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * ggml's reference quantizers ({@code quantize_row_*_ref} in ggml-quants.c, what
 * {@code llama-quantize} runs without an importance matrix), reproduced float operation by float
 * operation so the bytes equal llama.cpp's. Block layouts are described in {@link Dequantizer}.
 * Not thread-safe for K-quants only in the sense that each call uses its own scratch.
 */
public final class Quantizer {
    private Quantizer() {
    }

    private static final float GROUP_MAX_EPS = 1e-15f;

    /**
     * Encodes {@code src[off .. off + n)} as type {@code t} into {@code dst} from absolute byte
     * {@code dstOff} ({@code t.rowBytes(n)} bytes).
     */
    public static void quantizeRow(GgmlType t, float[] src, int off, int n, ByteBuffer dst, int dstOff) {
        long bytes = t.rowBytes(n);
        if (dstOff < 0 || dstOff + bytes > dst.limit()) {
            throw new IndexOutOfBoundsException(t + " row of " + n + " values at byte " + dstOff
                    + " does not fit a buffer of " + dst.limit() + " bytes");
        }
        ByteBuffer b = dst.order() == ByteOrder.LITTLE_ENDIAN ? dst : dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int nb = n / t.blockSize();
        switch (t) {
            case F32:
                for (int i = 0; i < n; i++) {
                    b.putFloat(dstOff + 4 * i, src[off + i]);
                }
                break;
            case F16:
                for (int i = 0; i < n; i++) {
                    b.putShort(dstOff + 2 * i, Halfs.floatToHalf(src[off + i]));
                }
                break;
            case BF16:
                for (int i = 0; i < n; i++) {
                    b.putShort(dstOff + 2 * i, Halfs.floatToBf16(src[off + i]));
                }
                break;
            case Q8_0:
                for (int i = 0; i < nb; i++) {
                    q8_0(src, off + 32 * i, b, dstOff + 34 * i);
                }
                break;
            case Q4_0:
                for (int i = 0; i < nb; i++) {
                    q4_0(src, off + 32 * i, b, dstOff + 18 * i);
                }
                break;
            case Q4_K: {
                KScratch s = new KScratch();
                for (int i = 0; i < nb; i++) {
                    q4_K(src, off + 256 * i, b, dstOff + 144 * i, s);
                }
                break;
            }
            case Q6_K: {
                KScratch s = new KScratch();
                for (int i = 0; i < nb; i++) {
                    q6_K(src, off + 256 * i, b, dstOff + 210 * i, s);
                }
                break;
            }
            default:
                throw new IllegalArgumentException("no quantizer for " + t);
        }
    }

    /** ggml's nearest_int: round to nearest even through the 1.5 * 2^23 trick (|f| < 2^22). */
    static int nearestInt(float f) {
        float v = f + 12582912.f;
        return (Float.floatToRawIntBits(v) & 0x007FFFFF) - 0x00400000;
    }

    /** C's roundf: half away from zero. */
    static int roundf(float f) {
        double a = Math.floor(Math.abs((double) f) + 0.5);
        return (int) (f < 0 ? -a : a);
    }

    static void q8_0(float[] x, int o, ByteBuffer y, int p) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[o + j]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        y.putShort(p, Halfs.floatToHalf(d));
        for (int j = 0; j < 32; j++) {
            y.put(p + 2 + j, (byte) roundf(x[o + j] * id));
        }
    }

    static void q4_0(float[] x, int o, ByteBuffer y, int p) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        y.putShort(p, Halfs.floatToHalf(d));
        for (int j = 0; j < 16; j++) {
            float x0 = x[o + j] * id, x1 = x[o + 16 + j] * id;
            int q0 = Math.min(15, (byte) (int) (x0 + 8.5f));
            int q1 = Math.min(15, (byte) (int) (x1 + 8.5f));
            y.put(p + 2 + j, (byte) (q0 | (q1 << 4)));
        }
    }

    /** Per-call scratch of the K-quant quantizers (ggml keeps these on the stack). */
    private static final class KScratch {
        final int[] L = new int[256];
        final int[] laux = new int[32];
        final float[] weights = new float[32];
        final float[] mins = new float[16];
        final float[] scales = new float[16];
        final float[] theMin = new float[1];
    }

    /**
     * make_qkx2_quants: an asymmetric (scale, min) fit of n values to 0..nmax minimizing the
     * weighted error over a small search of scales; returns the scale, stores -min in theMin[0].
     */
    static float makeQkx2(int n, int nmax, float[] x, int xo, float[] w, int[] L, int lo, float[] theMin,
            int[] laux, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xo], max = x[xo];
        float sumW = w[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float xi = x[xo + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            sumW += w[i];
            sumX += w[i] * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                L[lo + i] = 0;
            }
            theMin[0] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * (x[xo + i] - min));
            L[lo + i] = Math.max(0, Math.min(nmax, l));
            float diff = scale * L[lo + i] + min - x[xo + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += w[i] * diff;
        }
        if (nstep < 1) {
            theMin[0] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = nearestInt(iscale * (x[xo + i] - min));
                l = Math.max(0, Math.min(nmax, l));
                laux[i] = l;
                float wi = w[i];
                sumL += wi * l;
                sumL2 += wi * l * l;
                sumXL += wi * l * x[xo + i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[xo + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    curError += w[i] * diff;
                }
                if (curError < bestError) {
                    for (int i = 0; i < n; i++) {
                        L[lo + i] = laux[i];
                    }
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    static void q4_K(float[] x, int o, ByteBuffer y, int p, KScratch s) {
        int[] L = s.L;
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[o + 32 * j + l] * x[o + 32 * j + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                s.weights[l] = avX + Math.abs(x[o + 32 * j + l]);
            }
            s.scales[j] = makeQkx2(32, 15, x, o + 32 * j, s.weights, L, 32 * j, s.theMin, s.laux, -1.f, 0.1f, 20, false);
            s.mins[j] = s.theMin[0];
            if (s.scales[j] > maxScale) {
                maxScale = s.scales[j];
            }
            if (s.mins[j] > maxMin) {
                maxMin = s.mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
        float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
        int sc = p + 4;
        for (int j = 0; j < 12; j++) {
            y.put(sc + j, (byte) 0);
        }
        for (int j = 0; j < 8; j++) {
            // ggml stores nearest_int's result in a uint8_t before clamping
            int ls = Math.min(63, nearestInt(invScale * s.scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * s.mins[j]) & 0xFF);
            if (j < 4) {
                y.put(sc + j, (byte) ls);
                y.put(sc + j + 4, (byte) lm);
            } else {
                y.put(sc + j + 4, (byte) ((ls & 0xF) | ((lm & 0xF) << 4)));
                y.put(sc + j - 4, (byte) (y.get(sc + j - 4) | ((ls >>> 4) << 6)));
                y.put(sc + j, (byte) (y.get(sc + j) | ((lm >>> 4) << 6)));
            }
        }
        short dh = Halfs.floatToHalf(maxScale / 63.f), mh = Halfs.floatToHalf(maxMin / 63.f);
        y.putShort(p, dh);
        y.putShort(p + 2, mh);
        float dd = Halfs.halfToFloat(dh), dmin = Halfs.halfToFloat(mh);
        for (int j = 0; j < 8; j++) {
            float d = dd * Dequantizer.scaleK4(y, sc, j);
            if (d == 0) {
                continue;
            }
            float dm = dmin * Dequantizer.minK4(y, sc, j);
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[o + 32 * j + ii] + dm) / d);
                L[32 * j + ii] = Math.max(0, Math.min(15, l));
            }
        }
        int q = p + 16;
        for (int j = 0; j < 256; j += 64, q += 32) {
            for (int l = 0; l < 32; l++) {
                y.put(q + l, (byte) (L[j + l] | (L[j + l + 32] << 4)));
            }
        }
    }

    /**
     * make_qx_quants with rmse_type 1 and no importance weights: a symmetric fit of n values to
     * -nmax..nmax-1 (stored + nmax in L) with weights x^2, searching 18 scales around nmax / max.
     */
    static float makeQx(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                L[lo + i] = 0;
            }
            return 0.f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = nearestInt(iscale * xi);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lo + i] = l + nmax;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                int l = nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    int l = nearestInt(iscale * x[xo + i]);
                    L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    static void q6_K(float[] x, int o, ByteBuffer y, int p, KScratch s) {
        int[] L = s.L;
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = makeQx(16, 32, x, o + 16 * ib, L, 16 * ib);
            s.scales[ib] = scale;
            float abs = Math.abs(scale);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scale;
            }
        }
        if (maxAbsScale < GROUP_MAX_EPS) {
            for (int j = 0; j < 210; j++) {
                y.put(p + j, (byte) 0);
            }
            return;
        }
        float iscale = -128.f / maxScale;
        short dh = Halfs.floatToHalf(1 / iscale);
        y.putShort(p + 208, dh);
        int sc = p + 192;
        for (int ib = 0; ib < 16; ib++) {
            y.put(sc + ib, (byte) Math.min(127, nearestInt(iscale * s.scales[ib])));
        }
        float dd = Halfs.halfToFloat(dh);
        for (int j = 0; j < 16; j++) {
            float d = dd * y.get(sc + j);
            if (d == 0) {
                continue;
            }
            for (int ii = 0; ii < 16; ii++) {
                int l = nearestInt(x[o + 16 * j + ii] / d);
                l = Math.max(-32, Math.min(31, l));
                L[16 * j + ii] = l + 32;
            }
        }
        int ql = p, qh = p + 128;
        for (int j = 0; j < 256; j += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; l++) {
                int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                y.put(ql + l, (byte) (q1 | (q3 << 4)));
                y.put(ql + l + 32, (byte) (q2 | (q4 << 4)));
                y.put(qh + l, (byte) ((L[j + l] >>> 4) | ((L[j + l + 32] >>> 4) << 2)
                        | ((L[j + l + 64] >>> 4) << 4) | ((L[j + l + 96] >>> 4) << 6)));
            }
        }
    }
}
