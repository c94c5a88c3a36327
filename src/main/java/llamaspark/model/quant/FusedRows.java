package llamaspark.model.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A single row of x against Q8_0 / Q4_0 weight rows, decoded and dotted in one pass (the fused
 * kind's N = 1 path, where decode is bound by reading the weights): per 32-value block, the
 * quants times x summed in 16 lanes, then scaled once by the block's d with an FMA. Two weight
 * rows go together so their chains overlap and share the loads of x. 512-bit vectors: one block's
 * 16 int8 (or 16 nibbles) convert to one vector of 16 floats.
 */
final class FusedRows {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;

    private FusedRows() {
    }

    static boolean supports(GgmlType t, int K) {
        return (t == GgmlType.Q8_0 || t == GgmlType.Q4_0) && K % 32 == 0;
    }

    /**
     * out[col + o] = W[o] . x[0, K) for the {@code n} rows o0..o0+n-1 whose bytes are at
     * q[0, n * rowBytes).
     */
    static void dot(GgmlType t, byte[] q, int rowBytes, int n, float[] x, int K, float[] out, int o) {
        int r = 0;
        if (t == GgmlType.Q8_0) {
            for (; r + 2 <= n; r += 2) {
                q8Pair(q, r * rowBytes, (r + 1) * rowBytes, x, K, out, o + r);
            }
            if (r < n) {
                out[o + r] = q8(q, r * rowBytes, x, K);
            }
        } else {
            for (; r + 2 <= n; r += 2) {
                q4Pair(q, r * rowBytes, (r + 1) * rowBytes, x, K, out, o + r);
            }
            if (r < n) {
                out[o + r] = q4(q, r * rowBytes, x, K);
            }
        }
    }

    private static FloatVector i8(byte[] q, int p) {
        return (FloatVector) ByteVector.fromArray(B, q, p).convertShape(VectorOperators.B2F, F, 0);
    }

    private static float half(byte[] q, int p) {
        return Halfs.halfToFloatFast((q[p] & 0xFF) | (q[p + 1] & 0xFF) << 8);
    }

    private static void q8Pair(byte[] q, int a, int b, float[] x, int K, float[] out, int o) {
        FloatVector accA = FloatVector.zero(F), accB = FloatVector.zero(F);
        for (int k = 0; k < K; k += 32, a += 34, b += 34) {
            FloatVector x0 = FloatVector.fromArray(F, x, k), x1 = FloatVector.fromArray(F, x, k + 16);
            FloatVector sA = i8(q, a + 2).mul(x0);
            FloatVector sB = i8(q, b + 2).mul(x0);
            sA = i8(q, a + 18).fma(x1, sA);
            sB = i8(q, b + 18).fma(x1, sB);
            accA = sA.fma(FloatVector.broadcast(F, half(q, a)), accA);
            accB = sB.fma(FloatVector.broadcast(F, half(q, b)), accB);
        }
        out[o] = accA.reduceLanes(VectorOperators.ADD);
        out[o + 1] = accB.reduceLanes(VectorOperators.ADD);
    }

    private static float q8(byte[] q, int a, float[] x, int K) {
        FloatVector acc = FloatVector.zero(F);
        for (int k = 0; k < K; k += 32, a += 34) {
            FloatVector s = i8(q, a + 2).mul(FloatVector.fromArray(F, x, k));
            s = i8(q, a + 18).fma(FloatVector.fromArray(F, x, k + 16), s);
            acc = s.fma(FloatVector.broadcast(F, half(q, a)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Q4_0: byte j of a block holds value j (low nibble) and j + 16 (high), each minus 8. */
    private static void q4Pair(byte[] q, int a, int b, float[] x, int K, float[] out, int o) {
        FloatVector accA = FloatVector.zero(F), accB = FloatVector.zero(F);
        for (int k = 0; k < K; k += 32, a += 18, b += 18) {
            FloatVector x0 = FloatVector.fromArray(F, x, k), x1 = FloatVector.fromArray(F, x, k + 16);
            ByteVector vA = ByteVector.fromArray(B, q, a + 2), vB = ByteVector.fromArray(B, q, b + 2);
            FloatVector sA = lo(vA).mul(x0);
            FloatVector sB = lo(vB).mul(x0);
            sA = hi(vA).fma(x1, sA);
            sB = hi(vB).fma(x1, sB);
            accA = sA.fma(FloatVector.broadcast(F, half(q, a)), accA);
            accB = sB.fma(FloatVector.broadcast(F, half(q, b)), accB);
        }
        out[o] = accA.reduceLanes(VectorOperators.ADD);
        out[o + 1] = accB.reduceLanes(VectorOperators.ADD);
    }

    private static float q4(byte[] q, int a, float[] x, int K) {
        FloatVector acc = FloatVector.zero(F);
        for (int k = 0; k < K; k += 32, a += 18) {
            ByteVector v = ByteVector.fromArray(B, q, a + 2);
            FloatVector s = lo(v).mul(FloatVector.fromArray(F, x, k));
            s = hi(v).fma(FloatVector.fromArray(F, x, k + 16), s);
            acc = s.fma(FloatVector.broadcast(F, half(q, a)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Low nibbles minus 8 (B2I then int arithmetic measured 4x slower on JDK 17). */
    static FloatVector lo(ByteVector v) {
        return (FloatVector) v.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
    }

    static FloatVector hi(ByteVector v) {
        return (FloatVector) v.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8)
                .convertShape(VectorOperators.B2F, F, 0);
    }
}
