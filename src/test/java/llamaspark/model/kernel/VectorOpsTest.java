package llamaspark.model.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.IntVector;
import llamaspark.model.Half;
import llamaspark.model.KvCache;
import llamaspark.model.KvPrecision;
import llamaspark.model.LayerOps;
import llamaspark.model.LlamaConfig;
import llamaspark.model.MatrixLayout;
import llamaspark.model.ScalarOps;
import llamaspark.model.WeightMatrix;
import org.junit.jupiter.api.Test;

/**
 * The SIMD layer operations against the scalar run.c ones: bit for bit in run.c order, within
 * float rounding when fused; and the fused ones give the same bits in the interpreter as compiled.
 */
class VectorOpsTest {
    // GQA (8 heads over 4 kv heads), head size 12 (a vector and a half), odd positions.
    private static final LlamaConfig C = new LlamaConfig(96, 40, 1, 8, 4, 300, 37, true);

    private static float[] random(Random r, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * scale);
        }
        return x;
    }

    private static KvCache filledCache(Random r, KvPrecision kv) {
        KvCache cache = new KvCache(C, 3, kv);
        for (int slot = 0; slot < 3; slot++) {
            for (int pos = 0; pos < C.seqLen(); pos++) {
                cache.store(0, slot, pos, random(r, 2 * C.kvDim(), 1.0), 0, C.kvDim());
            }
        }
        return cache;
    }

    /** softmax, swiglu and attention outputs, concatenated. */
    static float[] compute(LayerOps ops, long seed) {
        return compute(ops, seed, KvPrecision.F32);
    }

    /** {@link #compute(LayerOps, long)} with a KV cache of {@code kv} precision. */
    static float[] compute(LayerOps ops, long seed, KvPrecision kv) {
        Random r = new Random(seed);
        KvCache cache = filledCache(r, kv);
        float[] soft = random(r, 1003, 4.0);
        ops.softmax(soft, 0, soft.length);
        float[] h = random(r, 2 * 203, 3.0);
        float[] act = new float[203];
        ops.swiglu(act, 0, h, 0, 203, 203);
        float[] q = random(r, C.dim(), 1.0);
        float[] att = new float[C.dim() * 4];
        int[] positions = {0, 7, 8, 36};
        for (int i = 0; i < positions.length; i++) {
            ops.attend(cache, 0, i % 3, positions[i], q, 0, att, i * C.dim());
        }
        float[] all = new float[soft.length + act.length + att.length];
        System.arraycopy(soft, 0, all, 0, soft.length);
        System.arraycopy(act, 0, all, soft.length, act.length);
        System.arraycopy(att, 0, all, soft.length + act.length, att.length);
        return all;
    }

    @Test
    void runCOrderIsScalarBitForBit() {
        for (long seed = 1; seed <= 5; seed++) {
            float[] scalar = compute(new ScalarOps(C), seed), vector = compute(VectorOps.create(C, false), seed);
            for (int i = 0; i < scalar.length; i++) {
                assertEquals(Float.floatToRawIntBits(scalar[i]), Float.floatToRawIntBits(vector[i]), "seed " + seed + " value " + i);
            }
        }
    }

    @Test
    void runCOrderIsScalarBitForBitFromAHalfCache() {
        for (long seed = 1; seed <= 5; seed++) {
            float[] scalar = compute(new ScalarOps(C), seed, KvPrecision.F16);
            float[] vector = compute(VectorOps.create(C, false), seed, KvPrecision.F16);
            for (int i = 0; i < scalar.length; i++) {
                assertEquals(Float.floatToRawIntBits(scalar[i]), Float.floatToRawIntBits(vector[i]), "seed " + seed + " value " + i);
            }
        }
    }

    /** Attention from a half cache is float32's within the half's rounding (2^-11 relative per value), and does round. */
    @Test
    void halfCacheAttentionIsFloat32sWithinHalfRounding() {
        int attention = C.dim() * 4;
        for (boolean fused : new boolean[] {false, true}) {
            float[] f32 = compute(VectorOps.create(C, fused), 4), f16 = compute(VectorOps.create(C, fused), 4, KvPrecision.F16);
            int from = f32.length - attention;
            for (int i = 0; i < from; i++) {
                assertEquals(Float.floatToRawIntBits(f32[i]), Float.floatToRawIntBits(f16[i]), "softmax and swiglu do not use the cache");
            }
            double worst = 0;
            for (int i = from; i < f32.length; i++) {
                worst = Math.max(worst, Math.abs(f32[i] - f16[i]));
            }
            assertTrue(worst > 0 && worst < 5e-3, "fused " + fused + ": largest difference " + worst);
        }
    }

    @Test
    void fusedFromAHalfCacheIsWithinRounding() {
        float[] scalar = compute(new ScalarOps(C), 9, KvPrecision.F16), fused = compute(VectorOps.create(C, true), 9, KvPrecision.F16);
        for (int i = 0; i < scalar.length; i++) {
            assertEquals(scalar[i], fused[i], 2e-5 * Math.max(1, Math.abs(scalar[i])), "value " + i);
        }
    }

    /** The vector widening gives {@link Half#toFloat}'s bits for every finite half, in either half of a lane. */
    @Test
    void halvesWidenExactly() {
        int[] pairs = new int[Simd.LANES];
        float[] low = new float[Simd.LANES], high = new float[Simd.LANES];
        for (int base = 0; base < 0x10000; base += Simd.LANES) {
            for (int j = 0; j < Simd.LANES; j++) {
                int h = base + j, other = (h * 7919) & 0xFFFF;
                pairs[j] = (h & 1) == 0 ? h | other << 16 : other | h << 16;
            }
            IntVector v = IntVector.fromArray(Simd.I, pairs, 0);
            VectorOps.lowHalves(v).intoArray(low, 0);
            VectorOps.highHalves(v).intoArray(high, 0);
            for (int j = 0; j < Simd.LANES; j++) {
                int h = base + j;
                if ((h & 0x7C00) == 0x7C00) {
                    continue; // infinity and NaN: never stored (the cache saturates), not special-cased
                }
                float got = (h & 1) == 0 ? low[j] : high[j];
                assertEquals(Float.floatToRawIntBits(Half.toFloat(h)), Float.floatToRawIntBits(got), "half " + Integer.toHexString(h));
            }
        }
    }

    /** Past the half's range the cache keeps the largest half, not infinity; values within it round to the nearest half. */
    @Test
    void halfCacheSaturatesAndRounds() {
        KvCache cache = new KvCache(C, 2, KvPrecision.F16);
        float[] src = new float[2 * C.kvDim()];
        for (int i = 0; i < src.length; i++) {
            src[i] = i % 4 == 0 ? 70000f * (i % 8 == 0 ? 1 : -1) : i % 4 == 1 ? Float.NEGATIVE_INFINITY : (i - 50) * 0.37f;
        }
        for (int pos = 0; pos < 3; pos++) {
            cache.store(0, 1, pos, src, 0, C.kvDim());
        }
        for (int pos = 0; pos < 3; pos++) {
            for (int i = 0; i < C.kvDim(); i++) {
                float k = src[i], v = src[C.kvDim() + i];
                assertEquals(Half.toFloat(Half.fromFloat(Math.max(-65504f, Math.min(65504f, k)))), cache.key(0, 1, pos, i), "key " + i);
                assertEquals(Half.toFloat(Half.fromFloat(Math.max(-65504f, Math.min(65504f, v)))), cache.value(0, 1, pos, i), "value " + i);
            }
        }
        assertEquals(65504f, cache.key(0, 1, 2, 0));
        assertEquals(-65504f, cache.key(0, 1, 2, 1));
        assertEquals(0f, cache.key(0, 0, 2, 0), "another slot is untouched");
    }

    @Test
    void fusedIsWithinRounding() {
        float[] scalar = compute(new ScalarOps(C), 9), fused = compute(VectorOps.create(C, true), 9);
        for (int i = 0; i < scalar.length; i++) {
            assertEquals(scalar[i], fused[i], 2e-5 * Math.max(1, Math.abs(scalar[i])), "value " + i);
        }
        assertTrue(!Arrays.equals(scalar, fused), "fused arithmetic does round differently somewhere");
    }

    /** Every length's last partial vector (fastExp's scalar twin) lands in place, and nothing beside the row moves. */
    @Test
    void fusedSoftmaxOfEveryShortLengthStaysInItsRow() {
        Random r = new Random(3);
        VectorSoftmax fused = VectorSoftmax.fused();
        for (int n = 1; n <= 41; n++) {
            for (int off = 0; off < 3; off++) {
                float[] x = random(r, off + n + 9, 3.0), before = x.clone();
                fused.softmax(x, off, n);
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int i = off; i < off + n; i++) {
                    max = Math.max(max, before[i]);
                }
                for (int i = off; i < off + n; i++) {
                    sum += Math.exp(before[i] - max);
                }
                for (int i = 0; i < x.length; i++) {
                    if (i < off || i >= off + n) {
                        assertEquals(Float.floatToRawIntBits(before[i]), Float.floatToRawIntBits(x[i]), "n " + n + " off " + off + " outside value " + i);
                    } else {
                        double expected = Math.exp(before[i] - max) / sum;
                        assertEquals(expected, x[i], 1e-6 * Math.max(expected, 1e-3), "n " + n + " off " + off + " value " + i);
                    }
                }
            }
        }
    }

    /** The scalar twin of the polynomial exponential (a row's tail) gives a vector lane's bits, extremes included. */
    @Test
    void fusedTailGivesTheBitsOfAWholeVector() {
        Random r = new Random(8);
        VectorSoftmax fused = VectorSoftmax.fused();
        float[] special = {0f, -0f, 1e-30f, -87.3f, -87.4f, -200f, 88.3f, 88.4f, 300f, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, 0.5f};
        for (int k = 0; k < 2000; k++) {
            int lanes = Simd.LANES;
            float[] whole = new float[lanes];
            for (int i = 0; i < lanes; i++) {
                whole[i] = k < special.length ? special[(k + i) % special.length] : (float) (r.nextGaussian() * 40);
            }
            float[] tail = whole.clone();
            fused.expShifted(whole, 0, lanes, 0.0f, false);    // one vector
            fused.expShifted(tail, 0, lanes - 1, 0.0f, false); // no whole vector: all through the tail
            for (int i = 0; i < lanes - 1; i++) {
                assertEquals(Float.floatToRawIntBits(whole[i]), Float.floatToRawIntBits(tail[i]), "case " + k + " lane " + i);
            }
        }
    }

    /** Prints a digest of the fused results; run in a JVM without JIT by the test below. */
    public static void main(String[] args) {
        float[] ops = compute(VectorOps.create(C, true), 21);
        Random r = new Random(4);
        WeightMatrix w = WeightMatrix.allocate(40, 33, MatrixLayout.panels(VectorKernel.PANEL));
        w.layout().fill(java.nio.FloatBuffer.wrap(random(r, 40 * 33, 1.0)), w.data(), 0, 40, 33);
        float[] out = new float[7 * 40];
        VectorKernel.create(true, null).matmul(out, random(r, 7 * 33, 1.0), 7, w);
        System.out.println(Arrays.hashCode(ops) + " " + Arrays.hashCode(out));
    }

    @Test
    void fusedGivesTheSameBitsInterpretedAndCompiled() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(java, "-Xint", "--add-modules=jdk.incubator.vector",
                "-Dllamaspark.vector.bits=" + Simd.BITS, "-cp",
                System.getProperty("java.class.path"), VectorOpsTest.class.getName())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String interpreted = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        // Compiled: warm the code up until the JIT has compiled it, then compare.
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        try {
            for (int i = 0; i < 300; i++) {
                compute(VectorOps.create(C, true), 21);
            }
            System.setOut(new java.io.PrintStream(buf, true));
            main(new String[0]);
        } finally {
            System.setOut(old);
        }
        assertEquals(interpreted, buf.toString(StandardCharsets.UTF_8).strip());
    }
}
