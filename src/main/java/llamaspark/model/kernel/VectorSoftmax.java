package llamaspark.model.kernel;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax and shifted exponentials on the Vector API, in one of two orders chosen at
 * construction (subclasses, as {@link VectorKernel}'s matmul orders, so no loop tests a flag):
 * run.c's ({@link #runCOrder}: each exponential in double precision rounded to float, which equals
 * {@code (float) Math.exp} at a tenth of its cost, and one sequential float sum) or fused
 * ({@link #fused}: a polynomial exponential from multiply-adds, lane-wise sums; the same bits on
 * every run, interpreted or compiled). Attention and SwiGLU use it through {@link VectorOps}, the
 * sampler for its softmax. One instance per thread: it keeps a scratch buffer.
 */
public abstract class VectorSoftmax {
    static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Double> D = Simd.D;
    static final int LANES = Simd.LANES;

    /** run.c's order: bit for bit {@code LlamaMath.softmax}. */
    public static VectorSoftmax runCOrder() {
        return new RunCOrder();
    }

    /** Fused multiply-adds and a polynomial exponential. */
    public static VectorSoftmax fused() {
        return new Fused();
    }

    private VectorSoftmax() {
    }

    /**
     * x[i] = exp(x[i] - shift) for i < n; returns their sum when {@code sum} is set (otherwise
     * the return value means nothing).
     */
    abstract float expShifted(float[] x, int off, int n, float shift, boolean sum);

    /** The largest of x[off, off + n); four accumulators, so no max waits on the one before (max is exact in any order). */
    public final float max(float[] x, int off, int n) {
        FloatVector m0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), m1 = m0, m2 = m0, m3 = m0;
        int i = 0;
        for (int bound = n - 4 * LANES; i <= bound; i += 4 * LANES) {
            m0 = m0.max(FloatVector.fromArray(F, x, off + i));
            m1 = m1.max(FloatVector.fromArray(F, x, off + i + LANES));
            m2 = m2.max(FloatVector.fromArray(F, x, off + i + 2 * LANES));
            m3 = m3.max(FloatVector.fromArray(F, x, off + i + 3 * LANES));
        }
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            m0 = m0.max(FloatVector.fromArray(F, x, off + i));
        }
        float max = m0.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        return max;
    }

    /**
     * The first half of {@link #softmax}: x[i] = exp(x[i] - max) in place; returns their sum,
     * which {@code softmax} then divides each by (a caller may fuse that division with other work).
     */
    public final float exponentials(float[] x, int off, int n) {
        return expShifted(x, off, n, max(x, off, n), true);
    }

    /** {@link #exponentials(float[], int, int)} for a row whose {@link #max} is known already (the same bits). */
    public final float exponentials(float[] x, int off, int n, float max) {
        return expShifted(x, off, n, max, true);
    }

    /** In-place softmax of x[off, off + n). */
    public final void softmax(float[] x, int off, int n) {
        int bound = F.loopBound(n), i;
        float sum = exponentials(x, off, n);
        FloatVector vsum = FloatVector.broadcast(F, sum);
        for (i = 0; i < bound; i += LANES) {
            FloatVector.fromArray(F, x, off + i).div(vsum).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] /= sum;
        }
    }

    /** Exponentials in double precision rounded to float (C's expf of the float difference), one sequential float sum. */
    private static final class RunCOrder extends VectorSoftmax {
        @Override
        float expShifted(float[] x, int off, int n, float shift, boolean sum) {
            int i = 0;
            float total = 0.0f;
            // Whole float vectors only: mixing vector shapes in one JVM defeats the JIT (see Simd).
            for (int bound = F.loopBound(n); i < bound; i += LANES) {
                FloatVector d = FloatVector.fromArray(F, x, off + i).sub(shift);
                DoubleVector lo = ((DoubleVector) d.convertShape(VectorOperators.F2D, D, 0)).lanewise(VectorOperators.EXP);
                DoubleVector hi = ((DoubleVector) d.convertShape(VectorOperators.F2D, D, 1)).lanewise(VectorOperators.EXP);
                // Each half lands in its own lanes, zeros elsewhere; adding the zeros is exact.
                ((FloatVector) lo.convertShape(VectorOperators.D2F, F, 0))
                        .add((FloatVector) hi.convertShape(VectorOperators.D2F, F, -1)).intoArray(x, off + i);
                if (sum) {
                    for (int j = off + i; j < off + i + LANES; j++) {
                        total += x[j];
                    }
                }
            }
            for (; i < n; i++) {
                x[off + i] = (float) Math.exp(x[off + i] - shift);
                total += x[off + i];
            }
            return total;
        }
    }

    /**
     * The polynomial exponential, summed lane-wise and then over the lanes in a fixed order. Shaped
     * for JDK 17's C2, which in some two-thread runs compiled other shapes with boxed vectors (an
     * allocation per vector): the row's tail goes through fastExp's scalar twin (a second, broadcast
     * vector call lost its intrinsics), and no vector is carried around the loop (the lane sums
     * live in an array; a loop-carried vector sum was boxed).
     */
    private static final class Fused extends VectorSoftmax {
        private final float[] lanes = new float[LANES];

        @Override
        float expShifted(float[] x, int off, int n, float shift, boolean sum) {
            int bound = F.loopBound(n), i = 0;
            Arrays.fill(lanes, 0.0f);
            for (; i < bound; i += LANES) {
                FloatVector e = fastExp(FloatVector.fromArray(F, x, off + i).sub(shift));
                e.intoArray(x, off + i);
                if (sum) {
                    FloatVector.fromArray(F, lanes, 0).add(e).intoArray(lanes, 0);
                }
            }
            // A fixed lane order: the API leaves the order of a float reduction open.
            float total = 0.0f;
            for (float lane : lanes) {
                total += lane;
            }
            for (; i < n; i++) {
                x[off + i] = fastExp(x[off + i] - shift);
                total += x[off + i];
            }
            return total;
        }
    }

    private static final float CLAMP_LOW = -87.3f;
    private static final float CLAMP_HIGH = 88.3f;
    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float to the nearest integer. */
    private static final float ROUNDER = 12582912f;

    /**
     * e^x (x clamped to [-87.3, 88.3]) to about one ulp, from float multiply-adds and integer
     * bit work only: e^x = 2^n * e^r with n = round(x / ln 2), |r| <= ln(2)/2, e^r by its degree-6
     * Taylor polynomial. Unlike the library exponential (SVML when compiled, Math.exp when not),
     * every step is exact IEEE arithmetic, so interpreted and compiled code give the same bits and
     * a row's output never depends on how warm the JIT was.
     */
    private static FloatVector fastExp(FloatVector x) {
        // The clamp as compare and blend: the same values as max then min (NaN stays NaN), where
        // JDK 17 spells the vector max and min with Math.max's -0 and NaN rules in several
        // instructions each (a row of exponentials: 10.3 against 8.1-8.5 us, harness, same bits).
        x = x.blend(CLAMP_LOW, x.compare(VectorOperators.LT, CLAMP_LOW)).blend(CLAMP_HIGH, x.compare(VectorOperators.GT, CLAMP_HIGH));
        // t = n + 1.5 * 2^23 holds n in its low mantissa bits: its bits are 0x4B400000 + n.
        FloatVector t = x.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(1f / 720, 1f / 120);
        p = p.fma(r, FloatVector.broadcast(F, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        IntVector twoToN = ((IntVector) t.reinterpretAsInts()).sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(twoToN.reinterpretAsFloats());
    }

    /** {@link #fastExp(FloatVector)} on one float: the same operations in the same order, so the same bits as a lane. */
    private static float fastExp(float x) {
        x = Math.min(Math.max(x, CLAMP_LOW), CLAMP_HIGH);
        float t = Math.fma(x, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, 1f / 720, 1f / 120);
        p = Math.fma(p, r, 1f / 24);
        p = Math.fma(p, r, 1f / 6);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat((Float.floatToRawIntBits(t) - (0x4B400000 - 127)) << 23);
    }
}
