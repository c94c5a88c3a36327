package llamaspark.model.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import llamaspark.model.KvCache;
import llamaspark.model.LayerOps;
import llamaspark.model.LlamaConfig;

/**
 * {@link LayerOps} on the Vector API. In run.c order ({@code fused = false}) every lane does
 * exactly run.c's float operations in run.c's order, and exponentials are computed in double
 * precision and rounded to float, which equals {@code (float) Math.exp} (checked over millions of
 * inputs) at a tenth of its cost; sums that run.c does sequentially stay sequential. With
 * {@code fused = true}: fused multiply-adds, a polynomial exponential, lane-wise sums; still the
 * same bits on every run.
 *
 * <p>Attention vectorises over positions for the scores (keys are cached transposed) and over the
 * head dimension for the weighted sum of values, so each lane still sums in run.c's order.
 */
public final class VectorOps implements LayerOps {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Double> D4 = DoubleVector.SPECIES_256;
    private static final int LANES = 8;

    private final boolean fused;
    private final int heads;
    private final int headDim;
    private final int kvGroup;
    private final float sqrtHeadDim;
    /** Attention scores of all heads, [HN][L padded]. */
    private final float[] scores;
    private final int stride;
    private final float[] lanes = new float[LANES];

    public VectorOps(LlamaConfig c, boolean fused) {
        this.fused = fused;
        heads = c.heads();
        headDim = c.headDim();
        kvGroup = c.kvGroup();
        sqrtHeadDim = (float) Math.sqrt(headDim);
        scores = new float[heads * KvCache.paddedLength(c.seqLen())];
        stride = KvCache.paddedLength(c.seqLen());
    }

    private static FloatVector madd(FloatVector a, FloatVector b, FloatVector acc, boolean fma) {
        return fma ? a.fma(b, acc) : acc.add(a.mul(b));
    }

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
        x = x.max(-87.3f).min(88.3f);
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

    /**
     * x[i] = exp(x[i] - shift) for i < n; returns their sum when {@code sum} is set. In run.c
     * order: exponentials in double precision rounded to float (C's expf of the float difference)
     * and one sequential float sum, which runs beside the vector work in the same loop.
     */
    private float expShifted(float[] x, int off, int n, float shift, boolean sum) {
        int i = 0;
        float total = 0.0f;
        if (fused) {
            FloatVector vsum = FloatVector.zero(F);
            for (int bound = F.loopBound(n); i < bound; i += LANES) {
                FloatVector e = fastExp(FloatVector.fromArray(F, x, off + i).sub(shift));
                e.intoArray(x, off + i);
                vsum = vsum.add(e);
            }
            // A fixed lane order: the API leaves the order of a float reduction open.
            vsum.intoArray(lanes, 0);
            for (float lane : lanes) {
                total += lane;
            }
        } else {
            // Whole 256-bit float vectors only: mixing vector shapes in one JVM defeats the JIT.
            for (int bound = F.loopBound(n); i < bound; i += LANES) {
                FloatVector d = FloatVector.fromArray(F, x, off + i).sub(shift);
                DoubleVector lo = ((DoubleVector) d.convertShape(VectorOperators.F2D, D4, 0)).lanewise(VectorOperators.EXP);
                DoubleVector hi = ((DoubleVector) d.convertShape(VectorOperators.F2D, D4, 1)).lanewise(VectorOperators.EXP);
                // Each half lands in its own lanes, zeros elsewhere; adding the zeros is exact.
                ((FloatVector) lo.convertShape(VectorOperators.D2F, F, 0))
                        .add((FloatVector) hi.convertShape(VectorOperators.D2F, F, -1)).intoArray(x, off + i);
                if (sum) {
                    for (int j = off + i; j < off + i + LANES; j++) {
                        total += x[j];
                    }
                }
            }
        }
        for (; i < n; i++) {
            x[off + i] = fused ? fastExp(FloatVector.broadcast(F, x[off + i] - shift)).lane(0)
                    : (float) Math.exp(x[off + i] - shift);
            total += x[off + i];
        }
        return total;
    }

    @Override
    public float max(float[] x, int off, int n) {
        FloatVector vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            vmax = vmax.max(FloatVector.fromArray(F, x, off + i));
        }
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        return max;
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        int bound = F.loopBound(n), i;
        float max = max(x, off, n);
        float sum = expShifted(x, off, n, max, true);
        FloatVector vsum = FloatVector.broadcast(F, sum);
        for (i = 0; i < bound; i += LANES) {
            FloatVector.fromArray(F, x, off + i).div(vsum).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] /= sum;
        }
    }

    @Override
    public void swiglu(float[] out, int outOff, float[] h, int gateOff, int upOff, int n) {
        int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector.fromArray(F, h, gateOff + i).neg().intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = -h[gateOff + i];
        }
        expShifted(out, outOff, n, 0.0f, false);
        FloatVector one = FloatVector.broadcast(F, 1.0f);
        for (i = 0; i < bound; i += LANES) {
            FloatVector g = FloatVector.fromArray(F, h, gateOff + i);
            FloatVector e = FloatVector.fromArray(F, out, outOff + i);
            g.mul(one.div(one.add(e))).mul(FloatVector.fromArray(F, h, upOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            float v = h[gateOff + i];
            v *= 1.0f / (1.0f + out[outOff + i]);
            out[outOff + i] = v * h[upOff + i];
        }
    }

    @Override
    public int indicesInRange(float[] x, int off, int n, float lo, float hi, int[] out, int outOff) {
        int c = outOff, i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            if (v.compare(VectorOperators.GE, lo).and(v.compare(VectorOperators.LT, hi)).anyTrue()) {
                for (int j = i; j < i + LANES; j++) {
                    float e = x[off + j];
                    if (e >= lo && e < hi) {
                        out[c++] = j;
                    }
                }
            }
        }
        for (; i < n; i++) {
            float e = x[off + i];
            if (e >= lo && e < hi) {
                out[c++] = i;
            }
        }
        return c - outOff;
    }

    /**
     * Streams through the slot's keys block by block (all heads), then its values position by
     * position (all heads), so each token reads its cache once, front to back.
     */
    @Override
    public void attend(KvCache cache, int layer, int slot, int pos, float[] q, int qOff, float[] out, int outOff) {
        int T = pos + 1;
        scores(cache, cache.keys(layer), slot, q, qOff, T);
        for (int h = 0; h < heads; h++) {
            softmax(scores, h * stride, T);
        }
        weightedValues(cache, cache.values(layer), slot, T, out, outOff);
    }

    /**
     * scores[h][t] = (q_h . k_t) / sqrt(HD) for t < T, one key block (8 positions) per vector:
     * each lane sums over d in order. The last block may hold positions beyond T (never used).
     */
    private void scores(KvCache cache, float[] keys, int slot, float[] q, int qOff, int T) {
        int blocks = (T + LANES - 1) / LANES, HD = headDim;
        boolean fma = fused;
        FloatVector scale = FloatVector.broadcast(F, sqrtHeadDim);
        for (int b = 0; b < blocks; b++) {
            int block = cache.keyBlock(slot, b);
            int h = 0;
            for (; h + 2 <= heads; h += 2) {
                int k0 = block + (h / kvGroup) * HD * LANES, k1 = block + ((h + 1) / kvGroup) * HD * LANES;
                int q0 = qOff + h * HD, q1 = q0 + HD;
                FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F);
                for (int d = 0; d < HD; d++) {
                    s0 = madd(FloatVector.broadcast(F, q[q0 + d]), FloatVector.fromArray(F, keys, k0 + d * LANES), s0, fma);
                    s1 = madd(FloatVector.broadcast(F, q[q1 + d]), FloatVector.fromArray(F, keys, k1 + d * LANES), s1, fma);
                }
                s0.div(scale).intoArray(scores, h * stride + b * LANES);
                s1.div(scale).intoArray(scores, (h + 1) * stride + b * LANES);
            }
            if (h < heads) {
                int k0 = block + (h / kvGroup) * HD * LANES, q0 = qOff + h * HD;
                FloatVector s0 = FloatVector.zero(F);
                for (int d = 0; d < HD; d++) {
                    s0 = madd(FloatVector.broadcast(F, q[q0 + d]), FloatVector.fromArray(F, keys, k0 + d * LANES), s0, fma);
                }
                s0.div(scale).intoArray(scores, h * stride + b * LANES);
            }
        }
    }

    /**
     * out_h[d] = sum over t < T of scores[h][t] * v_t[h][d], accumulated in {@code out} position
     * by position, so each lane sums over t in order as run.c does.
     */
    private void weightedValues(KvCache cache, float[] values, int slot, int T, float[] out, int outOff) {
        int HD = headDim, D = heads * HD, vector = HD / LANES * LANES;
        boolean fma = fused;
        java.util.Arrays.fill(out, outOff, outOff + D, 0.0f);
        for (int t = 0; t < T; t++) {
            int row = cache.valueRow(slot, t);
            for (int h = 0; h < heads; h++) {
                float a = scores[h * stride + t];
                FloatVector w = FloatVector.broadcast(F, a);
                int v = row + (h / kvGroup) * HD, o = outOff + h * HD, d = 0;
                for (; d < vector; d += LANES) {
                    madd(w, FloatVector.fromArray(F, values, v + d), FloatVector.fromArray(F, out, o + d), fma)
                            .intoArray(out, o + d);
                }
                for (; d < HD; d++) {
                    out[o + d] = fma ? Math.fma(a, values[v + d], out[o + d]) : out[o + d] + a * values[v + d];
                }
            }
        }
    }
}
