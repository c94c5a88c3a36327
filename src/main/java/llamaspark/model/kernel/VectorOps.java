package llamaspark.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import llamaspark.model.Half;
import llamaspark.model.KvCache;
import llamaspark.model.KvPrecision;
import llamaspark.model.LayerOps;
import llamaspark.model.LlamaConfig;

/**
 * {@link LayerOps} on the Vector API, in one of two orders chosen at construction (subclasses, as
 * {@link VectorKernel}'s matmul orders). In run.c's order ({@link #create create(c, false)})
 * every lane does exactly run.c's float operations in run.c's order, exponentials as
 * {@link VectorSoftmax#runCOrder}, and sums that run.c does sequentially stay sequential. Fused:
 * fused multiply-adds, {@link VectorSoftmax#fused}'s polynomial exponential, lane-wise sums;
 * still the same bits on every run.
 *
 * <p>Attention vectorises over positions for the scores (keys are cached transposed) and over the
 * head dimension for the weighted sum of values, so each lane still sums in run.c's order.
 */
public abstract class VectorOps implements LayerOps {
    private static final VectorSpecies<Float> F = VectorSoftmax.F;
    private static final VectorSpecies<Integer> I = Simd.I;
    private static final int LANES = VectorSoftmax.LANES;

    private final VectorSoftmax exp;
    private final int heads;          // HN
    private final int headDim;        // HD
    private final int kvGroup;        // HN / KVHN
    private final float sqrtHeadDim;
    private final float[] scores;     // attention scores of all heads [HN][L padded to KvCache.BLOCK]
    private final int stride;         // L padded to KvCache.BLOCK

    /** The SIMD layer operations in run.c's order, or with fused multiply-adds. */
    public static VectorOps create(LlamaConfig c, boolean fused) {
        return fused ? new Fused(c) : new RunCOrder(c);
    }

    private VectorOps(LlamaConfig c, VectorSoftmax exp) {
        this.exp = exp;
        heads = c.heads();
        headDim = c.headDim();
        kvGroup = c.kvGroup();
        sqrtHeadDim = (float) Math.sqrt(headDim);
        stride = KvCache.paddedLength(c.seqLen());
        scores = new float[heads * stride];
    }

    /** acc + a * b, vector. */
    abstract FloatVector madd(FloatVector a, FloatVector b, FloatVector acc);

    /** acc + a * b, one lane. */
    abstract float madd(float a, float b, float acc);

    /** Multiply, round, add, round: run.c's order. */
    private static final class RunCOrder extends VectorOps {
        RunCOrder(LlamaConfig c) {
            super(c, VectorSoftmax.runCOrder());
        }

        @Override
        FloatVector madd(FloatVector a, FloatVector b, FloatVector acc) {
            return acc.add(a.mul(b));
        }

        @Override
        float madd(float a, float b, float acc) {
            return acc + a * b;
        }
    }

    /** One fused multiply-add: one rounding. */
    private static final class Fused extends VectorOps {
        Fused(LlamaConfig c) {
            super(c, VectorSoftmax.fused());
        }

        @Override
        FloatVector madd(FloatVector a, FloatVector b, FloatVector acc) {
            return a.fma(b, acc);
        }

        @Override
        float madd(float a, float b, float acc) {
            return Math.fma(a, b, acc);
        }
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        exp.softmax(x, off, n);
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
        exp.expShifted(out, outOff, n, 0.0f, false);
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

    /**
     * Streams through the slot's keys block by block (all heads), then its values position by
     * position (all heads), so each token reads its cache once, front to back.
     */
    @Override
    public void attend(KvCache cache, int layer, int slot, int pos, float[] q, int qOff, float[] out, int outOff) {
        int T = pos + 1;
        boolean half = cache.precision() == KvPrecision.F16;
        if (half) {
            halfScores(cache, cache.halfKeys(layer), slot, q, qOff, T);
        } else {
            scores(cache, cache.keys(layer), slot, q, qOff, T);
        }
        for (int h = 0; h < heads; h++) {
            exp.softmax(scores, h * stride, T);
        }
        if (half) {
            halfWeightedValues(cache, cache.halfValues(layer), slot, T, out, outOff);
        } else {
            weightedValues(cache, cache.values(layer), slot, T, out, outOff);
        }
    }

    /**
     * scores[h][t] = (q_h . k_t) / sqrt(HD) for t < T, one key block (LANES positions) per vector:
     * each lane sums over d in order. Two blocks and two heads at a time, so four independent
     * sums hide the multiply-add latency. The last block may hold positions beyond T (never used).
     */
    private void scores(KvCache cache, float[] keys, int slot, float[] q, int qOff, int T) {
        int blocks = (T + LANES - 1) / LANES, HD = headDim, blockSize = KvCache.BLOCK * cache.kvDim();
        FloatVector scale = FloatVector.broadcast(F, sqrtHeadDim);
        int b = 0;
        for (; b + 2 <= blocks; b += 2) {
            int block = cache.keyBlock(slot, b);
            int h = 0;
            for (; h + 2 <= heads; h += 2) {
                int k0 = block + (h / kvGroup) * HD * LANES, k1 = block + ((h + 1) / kvGroup) * HD * LANES;
                int q0 = qOff + h * HD, q1 = q0 + HD;
                FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F);
                FloatVector s10 = FloatVector.zero(F), s11 = FloatVector.zero(F);
                for (int d = 0; d < HD; d++) {
                    FloatVector a0 = FloatVector.broadcast(F, q[q0 + d]), a1 = FloatVector.broadcast(F, q[q1 + d]);
                    s00 = madd(a0, FloatVector.fromArray(F, keys, k0 + d * LANES), s00);
                    s01 = madd(a0, FloatVector.fromArray(F, keys, k0 + blockSize + d * LANES), s01);
                    s10 = madd(a1, FloatVector.fromArray(F, keys, k1 + d * LANES), s10);
                    s11 = madd(a1, FloatVector.fromArray(F, keys, k1 + blockSize + d * LANES), s11);
                }
                int o0 = h * stride + b * LANES, o1 = o0 + stride;
                s00.div(scale).intoArray(scores, o0);
                s01.div(scale).intoArray(scores, o0 + LANES);
                s10.div(scale).intoArray(scores, o1);
                s11.div(scale).intoArray(scores, o1 + LANES);
            }
            if (h < heads) {
                int k0 = block + (h / kvGroup) * HD * LANES, q0 = qOff + h * HD;
                FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F);
                for (int d = 0; d < HD; d++) {
                    FloatVector a0 = FloatVector.broadcast(F, q[q0 + d]);
                    s00 = madd(a0, FloatVector.fromArray(F, keys, k0 + d * LANES), s00);
                    s01 = madd(a0, FloatVector.fromArray(F, keys, k0 + blockSize + d * LANES), s01);
                }
                s00.div(scale).intoArray(scores, h * stride + b * LANES);
                s01.div(scale).intoArray(scores, h * stride + b * LANES + LANES);
            }
        }
        if (b < blocks) {
            int block = cache.keyBlock(slot, b);
            for (int h = 0; h < heads; h++) {
                int k0 = block + (h / kvGroup) * HD * LANES, q0 = qOff + h * HD;
                FloatVector s0 = FloatVector.zero(F);
                for (int d = 0; d < HD; d++) {
                    s0 = madd(FloatVector.broadcast(F, q[q0 + d]), FloatVector.fromArray(F, keys, k0 + d * LANES), s0);
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
        java.util.Arrays.fill(out, outOff, outOff + D, 0.0f);
        int t = 0;
        // Two positions per pass over out: half the loads and stores, each lane still adds t then t + 1.
        for (; t + 2 <= T; t += 2) {
            int row0 = cache.valueRow(slot, t), row1 = cache.valueRow(slot, t + 1);
            for (int h = 0; h < heads; h++) {
                float a0 = scores[h * stride + t], a1 = scores[h * stride + t + 1];
                FloatVector w0 = FloatVector.broadcast(F, a0), w1 = FloatVector.broadcast(F, a1);
                int kv = (h / kvGroup) * HD, v0 = row0 + kv, v1 = row1 + kv, o = outOff + h * HD, d = 0;
                for (; d < vector; d += LANES) {
                    FloatVector acc = madd(w0, FloatVector.fromArray(F, values, v0 + d), FloatVector.fromArray(F, out, o + d));
                    madd(w1, FloatVector.fromArray(F, values, v1 + d), acc).intoArray(out, o + d);
                }
                for (; d < HD; d++) {
                    out[o + d] = madd(a1, values[v1 + d], madd(a0, values[v0 + d], out[o + d]));
                }
            }
        }
        for (; t < T; t++) {
            int row = cache.valueRow(slot, t);
            for (int h = 0; h < heads; h++) {
                float a = scores[h * stride + t];
                FloatVector w = FloatVector.broadcast(F, a);
                int v = row + (h / kvGroup) * HD, o = outOff + h * HD, d = 0;
                for (; d < vector; d += LANES) {
                    madd(w, FloatVector.fromArray(F, values, v + d), FloatVector.fromArray(F, out, o + d))
                            .intoArray(out, o + d);
                }
                for (; d < HD; d++) {
                    out[o + d] = madd(a, values[v + d], out[o + d]);
                }
            }
        }
    }

    /**
     * {@link #scores} from a half cache: each int vector holds components d (low halves) and d + 1
     * (high halves) of a block's positions, added to each lane's sum in that order. One block of
     * one head per call, a kernel small enough for C2 to inline every vector operation in it: with
     * two blocks (or {@link #scores}' two blocks of two heads) the widening pushed it past C2's
     * inlining budget and its vectors were boxed (7-44 MB allocated per step in a harness).
     */
    private void halfScores(KvCache cache, int[] keys, int slot, float[] q, int qOff, int T) {
        int blocks = (T + LANES - 1) / LANES, HD = headDim, kvHeadSize = HD / 2 * LANES;
        for (int b = 0; b < blocks; b++) {
            int block = cache.keyBlock(slot, b);
            for (int h = 0; h < heads; h++) {
                halfBlockScores(keys, block + (h / kvGroup) * kvHeadSize, q, qOff + h * HD, h * stride + b * LANES);
            }
        }
    }

    /** The scores of one head over one half key block (at {@code k}), into {@code scores[o, o + LANES)}. */
    private void halfBlockScores(int[] keys, int k, float[] q, int q0, int o) {
        FloatVector s = FloatVector.zero(F);
        for (int p = 0; p < headDim / 2; p++) {
            IntVector x = IntVector.fromArray(I, keys, k + p * LANES);
            s = madd(FloatVector.broadcast(F, q[q0 + 2 * p]), lowHalves(x), s);
            s = madd(FloatVector.broadcast(F, q[q0 + 2 * p + 1]), highHalves(x), s);
        }
        s.div(FloatVector.broadcast(F, sqrtHeadDim)).intoArray(scores, o);
    }

    /**
     * {@link #weightedValues} from a half cache: each int vector holds positions t (low halves)
     * and t + 1 (high halves) of HD components, added to each lane's sum in that order. The
     * per-head kernels are calls of their own, as {@link #halfBlockScores}, to keep C2 inlining them whole.
     */
    private void halfWeightedValues(KvCache cache, int[] values, int slot, int T, float[] out, int outOff) {
        int HD = headDim, D = heads * HD;
        java.util.Arrays.fill(out, outOff, outOff + D, 0.0f);
        int t = 0;
        for (; t + 2 <= T; t += 2) {
            int pair = cache.valuePair(slot, t);
            for (int h = 0; h < heads; h++) {
                addHalfPair(values, pair + (h / kvGroup) * HD, scores[h * stride + t], scores[h * stride + t + 1], out, outOff + h * HD);
            }
        }
        // The last position, even, is the low halves: the high ones (position T, or an older
        // sequence's) get weight 0, and 0 times a finite half adds a zero, which leaves the sum as
        // it is (in run.c's order it is never -0; fused, a -0 sum would become +0).
        if (t < T) {
            int pair = cache.valuePair(slot, t);
            for (int h = 0; h < heads; h++) {
                addHalfPair(values, pair + (h / kvGroup) * HD, scores[h * stride + t], 0.0f, out, outOff + h * HD);
            }
        }
    }

    /** out[o, o + HD) += a0 * (low halves at v) then + a1 * (high halves at v). */
    private void addHalfPair(int[] values, int v, float a0, float a1, float[] out, int o) {
        FloatVector w0 = FloatVector.broadcast(F, a0), w1 = FloatVector.broadcast(F, a1);
        int d = 0;
        for (; d < headDim / LANES * LANES; d += LANES) {
            IntVector x = IntVector.fromArray(I, values, v + d);
            FloatVector acc = madd(w0, lowHalves(x), FloatVector.fromArray(F, out, o + d));
            madd(w1, highHalves(x), acc).intoArray(out, o + d);
        }
        for (; d < headDim; d++) {
            int x = values[v + d];
            out[o + d] = madd(a1, Half.toFloat(x >>> 16), madd(a0, Half.toFloat(x), out[o + d]));
        }
    }

    /** The halves in the low 16 bits of each lane, as floats (exact). */
    static FloatVector lowHalves(IntVector pairs) {
        return highHalves(pairs.lanewise(VectorOperators.LSHL, 16));
    }

    /**
     * The halves in the high 16 bits of each lane, as floats (exact), as {@link Half#toFloat}: an
     * arithmetic shift by 3 puts the exponent and mantissa where a float's bits hold them (the sign
     * stays at bit 31); read as a float and scaled by 2^112 that is the half's value, subnormals
     * included. Exponent 31 is not special-cased (the cache saturates instead of storing infinity,
     * so only a NaN, which the model produced, reads back wrong, as a number of 65536 or more):
     * the three more operations it takes push the kernels past C2's inlining budget (measured:
     * their vectors boxed, 0.5-1.1 MB per step).
     */
    static FloatVector highHalves(IntVector pairs) {
        IntVector bits = pairs.lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000);
        return ((FloatVector) bits.reinterpretAsFloats()).mul(HALF_SCALE);
    }

    private static final float HALF_SCALE = 0x1p112f;
}
