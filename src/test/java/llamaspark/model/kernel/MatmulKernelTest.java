package llamaspark.model.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import llamaspark.model.MatrixLayout;
import llamaspark.model.WeightMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The matrix kernels against plain Java loops in run.c's order (and its fused-multiply-add twin). */
class MatmulKernelTest {
    private static final int[] NS = {1, 3, 4, 5, 32};
    private static final int[] OS = {1, 15, 16, 17, 40};
    private static final int[] KS = {1, 7, 64};
    /** Written past the N x O result; a kernel must leave it alone. */
    private static final float SENTINEL = Float.intBitsToFloat(0x7fc0_1234);
    private static final int SLACK = 20;

    static Stream<Arguments> shapes() {
        List<Arguments> all = new ArrayList<>();
        for (int n : NS) {
            for (int o : OS) {
                for (int k : KS) {
                    all.add(Arguments.of(n, o, k));
                }
            }
        }
        return all.stream();
    }

    /** run.c's matmul: each dot product summed in order, multiply then add, from +0. */
    static float[] reference(float[] x, float[] w, int n, int o, int k) {
        float[] out = new float[n * o];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < o; i++) {
                float acc = 0f;
                for (int j = 0; j < k; j++) {
                    acc += x[r * k + j] * w[i * k + j];
                }
                out[r * o + i] = acc;
            }
        }
        return out;
    }

    /** The same order with one rounding per step. */
    static float[] referenceFma(float[] x, float[] w, int n, int o, int k) {
        float[] out = new float[n * o];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < o; i++) {
                float acc = 0f;
                for (int j = 0; j < k; j++) {
                    acc = Math.fma(x[r * k + j], w[i * k + j], acc);
                }
                out[r * o + i] = acc;
            }
        }
        return out;
    }

    static float[] random(long seed, int count) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] a = new float[count];
        for (int i = 0; i < count; i++) {
            a[i] = (float) rng.nextGaussian();
        }
        return a;
    }

    /** W from row-major floats through MatrixLayout.fill, as the loaders build it. */
    static WeightMatrix weights(float[] rowMajor, int rows, int cols, MatrixLayout layout) {
        WeightMatrix m = WeightMatrix.allocate(rows, cols, layout);
        layout.fill(FloatBuffer.wrap(rowMajor), m.data(), 0, rows, cols);
        return m;
    }

    /** Runs the kernel into an output with a sentinel tail and checks the tail survived. */
    static float[] run(MatmulKernel kernel, float[] x, int n, WeightMatrix w) {
        float[] out = new float[n * w.rows() + SLACK];
        java.util.Arrays.fill(out, SENTINEL);
        kernel.matmul(out, x, n, w);
        for (int i = n * w.rows(); i < out.length; i++) {
            if (Float.floatToRawIntBits(out[i]) != Float.floatToRawIntBits(SENTINEL)) {
                fail(kernel.name() + " wrote past its " + n + "x" + w.rows() + " output, at " + i);
            }
        }
        return java.util.Arrays.copyOf(out, n * w.rows());
    }

    static void assertBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            int e = Float.floatToRawIntBits(expected[i]), a = Float.floatToRawIntBits(actual[i]);
            if (e != a) {
                fail(what + ": element " + i + " is " + actual[i] + " (0x" + Integer.toHexString(a)
                        + "), expected " + expected[i] + " (0x" + Integer.toHexString(e) + ")");
            }
        }
    }

    private static long seed(int n, int o, int k) {
        return 1_000_003L * n + 1009L * o + k;
    }

    @ParameterizedTest(name = "N={0} O={1} K={2}")
    @MethodSource("shapes")
    void ejmlIsRunCOrderBitForBit(int n, int o, int k) {
        float[] x = random(seed(n, o, k), n * k), w = random(~seed(n, o, k), o * k);
        float[] got = run(new EjmlKernel(), x, n, weights(w, o, k, MatrixLayout.ROW_MAJOR));
        assertBits(reference(x, w, n, o, k), got, "ejml");
    }

    @ParameterizedTest(name = "N={0} O={1} K={2}")
    @MethodSource("shapes")
    void vectorIsRunCOrderBitForBit(int n, int o, int k) {
        float[] x = random(seed(n, o, k), n * k), w = random(~seed(n, o, k), o * k);
        WeightMatrix m = weights(w, o, k, MatrixLayout.panels(VectorKernel.PANEL));
        assertBits(reference(x, w, n, o, k), run(VectorKernel.create(false, null), x, n, m), "vector");
    }

    @ParameterizedTest(name = "N={0} O={1} K={2}")
    @MethodSource("shapes")
    void vectorFmaIsTheFusedLoopBitForBitAndCloseToRunC(int n, int o, int k) {
        float[] x = random(seed(n, o, k), n * k), w = random(~seed(n, o, k), o * k);
        WeightMatrix m = weights(w, o, k, MatrixLayout.panels(VectorKernel.PANEL));
        float[] got = run(VectorKernel.create(true, null), x, n, m);
        assertBits(referenceFma(x, w, n, o, k), got, "vector-fma");

        float[] plain = reference(x, w, n, o, k);
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < o; i++) {
                double magnitude = 0;
                for (int j = 0; j < k; j++) {
                    magnitude += Math.abs((double) x[r * k + j] * w[i * k + j]);
                }
                // both sums err by at most ~k ulps of the sum of magnitudes
                double bound = 2.0 * k * Math.ulp(1.0f) * magnitude;
                double diff = Math.abs((double) got[r * o + i] - plain[r * o + i]);
                assertTrue(diff <= bound, "vector-fma [" + r + "," + i + "] = " + got[r * o + i]
                        + " is " + diff + " from run.c's " + plain[r * o + i] + ", bound " + bound);
            }
        }
    }

    /** A fused kernel over these sizes must differ from run.c somewhere, or the test above proves nothing. */
    @Test
    void vectorFmaActuallyFuses() {
        int n = 32, o = 40, k = 64;
        float[] x = random(7, n * k), w = random(8, o * k);
        float[] got = run(VectorKernel.create(true, null), x, n, weights(w, o, k, MatrixLayout.panels(VectorKernel.PANEL)));
        float[] plain = reference(x, w, n, o, k);
        boolean differs = false;
        for (int i = 0; i < got.length; i++) {
            differs |= Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(plain[i]);
        }
        assertTrue(differs, "vector-fma gave run.c's unfused sums for all " + got.length + " outputs");
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aRowDoesNotDependOnTheBatch(Backend backend) {
        for (int o : OS) {
            for (int k : KS) {
                int n = 7;
                float[] x = random(seed(n, o, k), n * k), w = random(~seed(n, o, k), o * k);
                WeightMatrix m = weights(w, o, k, backend.layout());
                MatmulKernel kernel = backend.newKernel();
                float[] batched = run(kernel, x, n, m);
                for (int r = 0; r < n; r++) {
                    float[] alone = run(backend.newKernel(), java.util.Arrays.copyOfRange(x, r * k, (r + 1) * k), 1, m);
                    assertBits(alone, java.util.Arrays.copyOfRange(batched, r * o, (r + 1) * o),
                            backend.cliName() + " row " + r + " of 7, O=" + o + " K=" + k);
                }
            }
        }
    }

    /**
     * run.c starts every sum at +0, so a dot product whose terms are all -0 is +0. A kernel that
     * starts from the first product instead returns -0.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void allNegativeZeroProductsSumToPositiveZero(Backend backend) {
        for (int o : OS) {
            for (int k : KS) {
                int n = 3;
                float[] x = new float[n * k];
                java.util.Arrays.fill(x, -1.5f);
                float[] w = new float[o * k]; // +0: every product is -0
                float[] got = run(backend.newKernel(), x, n, weights(w, o, k, backend.layout()));
                assertBits(new float[n * o], got, backend.cliName() + " O=" + o + " K=" + k);
            }
        }
    }

    @Test
    void kernelsRejectTheOtherLayout() {
        float[] w = random(1, 17 * 7);
        WeightMatrix rowMajor = weights(w, 17, 7, MatrixLayout.ROW_MAJOR);
        WeightMatrix panels = weights(w, 17, 7, MatrixLayout.panels(VectorKernel.PANEL));
        float[] x = random(2, 7), out = new float[17];
        assertThrows(IllegalArgumentException.class, () -> new EjmlKernel().matmul(out, x, 1, panels));
        assertThrows(IllegalArgumentException.class, () -> VectorKernel.create(false, null).matmul(out, x, 1, rowMajor));
        assertThrows(IllegalArgumentException.class, () -> VectorKernel.create(true, null).matmul(out, x, 1, rowMajor));
    }

    @Test
    void backendsDescribeTheirKernels() {
        assertEquals(MatrixLayout.ROW_MAJOR, Backend.EJML.layout());
        // Two vectors of the JVM's width: 16 floats at 256 bits, 32 at 512.
        assertEquals(new MatrixLayout(2 * Simd.LANES), Backend.VECTOR.layout());
        assertEquals(new MatrixLayout(2 * Simd.LANES), Backend.VECTOR_FMA.layout());
        for (Backend b : Backend.values()) {
            MatmulKernel k = b.newKernel();
            assertEquals(b.layout(), k.layout(), b.cliName());
            assertEquals(b.cliName(), k.name());
            assertEquals(b != Backend.VECTOR_FMA, k.runcOrder(), b.cliName());
            assertEquals(b, Backend.parse(" " + b.cliName().toUpperCase() + " "));
        }
        assertFalse(VectorKernel.create(true, null).runcOrder());
    }

    /**
     * matmulWithRowMax: the same outputs as matmul, and each row's largest output as a plain
     * Math.max fold over them takes it (NaN rows, zero rows, partial panels, one row, several
     * worker threads each taking panels of their own).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void rowMaximaAreEachRowsLargestOutput(Backend backend) {
        for (int threads = 1; threads <= 3; threads++) {
            try (llamaspark.model.Workers workers = new llamaspark.model.Workers(threads)) {
                for (int n : new int[] {1, 2, 3, 8, 9, 32, 33}) {
                    for (int o : new int[] {1, 17, 40, 1000, 1001}) {
                        int k = 7;
                        float[] x = random(seed(n, o, k), n * k), w = random(~seed(n, o, k), o * k);
                        if (n >= 3) {
                            java.util.Arrays.fill(x, 0, k, 0f); // row 0: every output +0
                            x[k + 3] = Float.NaN; // row 1: every output NaN
                        }
                        WeightMatrix m = weights(w, o, k, backend.layout());
                        MatmulKernel kernel = backend == Backend.EJML ? backend.newKernel()
                                : VectorKernel.create(backend == Backend.VECTOR_FMA, workers);
                        float[] plain = run(kernel, x, n, m);
                        float[] out = new float[n * o];
                        float[] max = new float[n + 1];
                        max[n] = 42f;
                        kernel.matmulWithRowMax(out, x, n, m, max);
                        String what = backend.cliName() + " threads=" + threads + " N=" + n + " O=" + o;
                        assertBits(plain, out, what);
                        for (int r = 0; r < n; r++) {
                            float expected = Float.NEGATIVE_INFINITY;
                            for (int i = 0; i < o; i++) {
                                expected = Math.max(expected, out[r * o + i]);
                            }
                            assertBits(new float[] {expected}, new float[] {max[r]}, what + " row " + r);
                        }
                        assertEquals(42f, max[n], what + ": wrote past its rows");
                    }
                }
            }
        }
    }
}
