package llamaspark.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import llamaspark.model.kernel.VectorSoftmax;
import org.junit.jupiter.api.Test;

/** The sampler's SIMD helpers against its scalar ones (moved here from VectorOpsTest with them). */
class ProbabilitiesTest {
    private static float[] random(Random r, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * scale);
        }
        return x;
    }

    @Test
    void selectAndMaxAgreeWithScalar() {
        Random r = new Random(3);
        float[] x = random(r, 1001, 1.0);
        int[] a = new int[x.length], b = new int[x.length];
        int na = Probabilities.scalar().indicesInRange(x, 0, x.length, -0.3f, 0.2f, a, 0);
        int nb = Probabilities.vector(VectorSoftmax.fused()).indicesInRange(x, 0, x.length, -0.3f, 0.2f, b, 0);
        assertEquals(na, nb);
        assertTrue(Arrays.equals(Arrays.copyOf(a, na), Arrays.copyOf(b, nb)));
        assertEquals(Probabilities.scalar().max(x, 0, x.length), Probabilities.vector(VectorSoftmax.runCOrder()).max(x, 0, x.length));
    }

    /**
     * The vector argmax gives run.c's scan's index: ties (the first wins), -0 beside 0, -inf, NaN
     * anywhere (run.c's '>' skips it; at index 0 it is kept), at every length up to a few vectors,
     * at offsets, and over a vocabulary-sized row.
     */
    @Test
    void argmaxIsRunCsFirstLargest() {
        Random r = new Random(6);
        float[] special = {0f, -0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 1f, -1f};
        Probabilities[] vectors = {Probabilities.vector(VectorSoftmax.fused()), Probabilities.vector(VectorSoftmax.runCOrder())};
        for (int k = 0; k < 20000; k++) {
            int n = k < 19990 ? 1 + r.nextInt(70) : 32000, off = r.nextInt(3);
            float[] x = new float[off + n + 2];
            int mode = k % 4;
            for (int i = 0; i < x.length; i++) {
                // Few distinct values (ties), special values, or a plain gaussian row.
                x[i] = mode == 0 ? r.nextInt(4) : mode == 1 ? special[r.nextInt(special.length)] : (float) r.nextGaussian();
            }
            if (mode == 3 && r.nextBoolean()) {
                x[off + r.nextInt(n)] = Float.NaN;
            }
            int expected = Sampler.argmax(x, off, n);
            for (Probabilities v : vectors) {
                assertEquals(expected, v.argmax(x, off, n), "case " + k + " n " + n + " off " + off + " " + Arrays.toString(x));
            }
        }
    }

    /**
     * The fused normalize-and-bucket pass against the scalar one: the same buckets, bucket masses to
     * rounding, each the sum of its tokens' x / sum; the exponentials are left as they were.
     */
    @Test
    void normalizeAndCountAgreesWithScalar() {
        Random r = new Random(4);
        int n = 32003;
        float[] x = random(r, n, 0.5);
        Probabilities v = Probabilities.vector(VectorSoftmax.fused());
        float sum = v.exponentials(x, 0, n);
        float[] a = x.clone(), b = x.clone();
        float cutoff = 0.1f / (n - 1);
        NucleusBuckets sa = new NucleusBuckets(n), sb = new NucleusBuckets(n);
        sa.reset(cutoff, 1f / sum, sum);
        sb.reset(cutoff, 1f / sum, sum);
        Probabilities.scalar().normalizeAndCount(a, 0, n, sum, cutoff, sa);
        v.normalizeAndCount(b, 0, n, sum, cutoff, sb);
        assertTrue(Arrays.equals(a, x) && Arrays.equals(b, x), "the exponentials are left in place");
        double[] masses = new double[sb.buckets()];
        for (int i = 0; i < n; i++) {
            if (sb.bucketOf[i] < sb.buckets()) {
                masses[sb.bucketOf[i]] += x[i] / sum;
            }
        }
        double total = 0;
        for (int k = 0; k < sa.buckets(); k++) {
            assertEquals(sa.mass[k], sb.mass[k], 1e-12, "bucket " + k);
            assertEquals(masses[k], sb.mass[k], 1e-12, "bucket " + k + " against its tokens");
            total += sb.mass[k];
        }
        assertTrue(total > 0.9 && total <= 1.0 + 1e-6, "mass " + total);
        for (int i = 0; i < n; i++) {
            if (x[i] / sum >= cutoff) {
                assertEquals(sa.bucketOf[i], sb.bucketOf[i], "bucket of token " + i);
            } else {
                assertTrue(sb.bucketOf[i] >= sb.buckets(), "token " + i + " below the cutoff in a spare bucket");
            }
        }
        int[] ia = new int[n], ib = new int[n];
        int b0 = sa.bucketOf[17], b1 = sa.bucketOf[n - 1];
        int na = Probabilities.scalar().indicesOfBuckets(sa.bucketOf, n, b0, b1, ia);
        int nb = v.indicesOfBuckets(sa.bucketOf, n, b0, b1, ib);
        assertTrue(na >= 2);
        for (int j = 0; j < na; j++) {
            assertTrue(sa.bucketOf[ia[j]] == b0 || sa.bucketOf[ia[j]] == b1);
        }
        assertTrue(Arrays.equals(Arrays.copyOf(ia, na), Arrays.copyOf(ib, nb)));
    }
}
