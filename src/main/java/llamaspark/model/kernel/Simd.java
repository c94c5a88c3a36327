package llamaspark.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one vector width every SIMD kernel uses: 512-bit where the JVM offers it (AVX-512), else
 * 256-bit; {@code -Dllamaspark.vector.bits=256} forces 256. One width for the whole JVM because JDK
 * 17's Vector API boxes every vector once two float shapes run in one process (its shared type
 * profiles go polymorphic: measured 1.1 against 180 GFLOP/s). The constants are static finals, so
 * the JIT folds them and each kernel compiles for this width only.
 *
 * <p>Each output of a matrix product is one lane's own sum over k, so products, attention and the
 * run.c-order path give the same bits at either width; sums across lanes (the fused softmax's
 * total, the fused single-row quant dots) follow the lane count, so the fused path's sampled bits
 * can differ between a 256-bit and a 512-bit machine.
 */
public final class Simd {
    /** Bits per vector: 256 or 512. */
    public static final int BITS = bits();
    /** Floats per vector (8 or 16). */
    public static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    /** Ints per vector, same shape. */
    public static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(BITS));
    /** Doubles per vector (half the lanes), same shape. */
    public static final VectorSpecies<Double> D = VectorSpecies.of(double.class, VectorShape.forBitSize(BITS));
    /** One byte per float lane (64 or 128 bits), for int8 quants widened to floats. */
    public static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(BITS / 4));
    /** Floats per vector. */
    public static final int LANES = BITS / 32;

    private Simd() {
    }

    private static int bits() {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        String forced = System.getProperty("llamaspark.vector.bits");
        if (forced != null && forced.equals("256")) {
            return 256;
        }
        return preferred >= 512 ? 512 : 256;
    }
}
