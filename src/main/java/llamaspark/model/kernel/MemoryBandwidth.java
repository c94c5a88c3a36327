package llamaspark.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One thread's streaming read bandwidth: the best of a few passes summing an array far larger
 * than the caches' share one core gets, as the decode loop reads weights and the KV cache. The
 * floors {@code bench} prints (bytes a step must read over this) come from it.
 */
public final class MemoryBandwidth {
    private static final VectorSpecies<Float> S = Simd.F;

    private MemoryBandwidth() {
    }

    /** Bytes per second reading {@code megabytes} MB front to back, best of {@code passes}. */
    public static double measure(int megabytes, int passes) {
        float[] a = new float[megabytes * (1 << 20) / Float.BYTES];
        for (int i = 0; i < a.length; i += 1024) {
            a[i] = i; // touch every page, so the passes read memory rather than fault it in
        }
        double best = 0;
        float sink = 0;
        for (int p = 0; p < passes; p++) {
            long t0 = System.nanoTime();
            sink += sum(a);
            long dt = System.nanoTime() - t0;
            best = Math.max(best, (double) a.length * Float.BYTES / (dt / 1e9));
        }
        if (sink == 42.4242f) {
            System.out.print(""); // keeps the sums live
        }
        return best;
    }

    /** Four independent vector sums, so the adder never waits and the loads set the pace. */
    private static float sum(float[] a) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
        int n = a.length / 32 * 32, L = S.length();
        for (int i = 0; i < n; i += 4 * L) {
            s0 = s0.add(FloatVector.fromArray(S, a, i));
            s1 = s1.add(FloatVector.fromArray(S, a, i + L));
            s2 = s2.add(FloatVector.fromArray(S, a, i + 2 * L));
            s3 = s3.add(FloatVector.fromArray(S, a, i + 3 * L));
        }
        return s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
    }
}
