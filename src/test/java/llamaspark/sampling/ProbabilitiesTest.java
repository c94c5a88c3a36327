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
}
