package llamaspark.model.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import llamaspark.model.kernel.Simd;

/**
 * A single row of x against Q8_0 / Q4_0 weight rows, decoded and dotted in one pass (the fused
 * kind's N = 1 path, where decode is bound by reading the weights): per 32-value block, the
 * quants times x summed in the vector's lanes (8 or 16, {@link Simd}), then scaled once by the
 * block's d with an FMA. Two weight rows go together so their chains overlap. The width is
 * {@link Simd}'s, as every other kernel's: two float shapes in one JVM make the JIT box vectors
 * (measured: 236 kB allocated per decode step).
 */
final class FusedRows {
    private static final VectorSpecies<Float> F = Simd.F;
    /** One byte per float lane. */
    private static final VectorSpecies<Byte> B = Simd.B;
    /** A Q4_0 block's 16 bytes. */
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final int LANES = Simd.LANES;

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

    /** LANES int8 quants at byte p as floats. */
    private static FloatVector i8(byte[] q, int p) {
        return (FloatVector) ByteVector.fromArray(B, q, p).convertShape(VectorOperators.B2F, F, 0);
    }

    private static float half(byte[] q, int p) {
        return Halfs.halfToFloatFast((q[p] & 0xFF) | (q[p + 1] & 0xFF) << 8);
    }

    /** sum over one Q8_0 block's 32 quants at byte p of q * x[k..k+32), in the lanes. */
    private static FloatVector q8Block(byte[] q, int p, float[] x, int k) {
        if (LANES == 16) {
            FloatVector s = i8(q, p).mul(FloatVector.fromArray(F, x, k));
            return i8(q, p + 16).fma(FloatVector.fromArray(F, x, k + 16), s);
        }
        FloatVector s = i8(q, p).mul(FloatVector.fromArray(F, x, k));
        s = i8(q, p + 8).fma(FloatVector.fromArray(F, x, k + 8), s);
        FloatVector t = i8(q, p + 16).mul(FloatVector.fromArray(F, x, k + 16));
        t = i8(q, p + 24).fma(FloatVector.fromArray(F, x, k + 24), t);
        return s.add(t);
    }

    private static void q8Pair(byte[] q, int a, int b, float[] x, int K, float[] out, int o) {
        FloatVector accA = FloatVector.zero(F), accB = FloatVector.zero(F);
        for (int k = 0; k < K; k += 32, a += 34, b += 34) {
            accA = q8Block(q, a + 2, x, k).fma(FloatVector.broadcast(F, half(q, a)), accA);
            accB = q8Block(q, b + 2, x, k).fma(FloatVector.broadcast(F, half(q, b)), accB);
        }
        out[o] = accA.reduceLanes(VectorOperators.ADD);
        out[o + 1] = accB.reduceLanes(VectorOperators.ADD);
    }

    private static float q8(byte[] q, int a, float[] x, int K) {
        FloatVector acc = FloatVector.zero(F);
        for (int k = 0; k < K; k += 32, a += 34) {
            acc = q8Block(q, a + 2, x, k).fma(FloatVector.broadcast(F, half(q, a)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** The same for a Q4_0 block's 16 bytes at p: byte j holds value j (low nibble) and j + 16 (high), each minus 8. */
    private static FloatVector q4Block(byte[] q, int p, float[] x, int k) {
        ByteVector v = ByteVector.fromArray(B16, q, p);
        ByteVector lo = v.and((byte) 0x0F).sub((byte) 8);
        ByteVector hi = v.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8);
        if (LANES == 16) {
            FloatVector s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, k));
            return ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, k + 16), s);
        }
        FloatVector s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, k));
        s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, k + 8), s);
        FloatVector t = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, k + 16));
        t = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, k + 24), t);
        return s.add(t);
    }

    private static void q4Pair(byte[] q, int a, int b, float[] x, int K, float[] out, int o) {
        FloatVector accA = FloatVector.zero(F), accB = FloatVector.zero(F);
        for (int k = 0; k < K; k += 32, a += 18, b += 18) {
            accA = q4Block(q, a + 2, x, k).fma(FloatVector.broadcast(F, half(q, a)), accA);
            accB = q4Block(q, b + 2, x, k).fma(FloatVector.broadcast(F, half(q, b)), accB);
        }
        out[o] = accA.reduceLanes(VectorOperators.ADD);
        out[o + 1] = accB.reduceLanes(VectorOperators.ADD);
    }

    private static float q4(byte[] q, int a, float[] x, int K) {
        FloatVector acc = FloatVector.zero(F);
        for (int k = 0; k < K; k += 32, a += 18) {
            acc = q4Block(q, a + 2, x, k).fma(FloatVector.broadcast(F, half(q, a)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
