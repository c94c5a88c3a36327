package llamaspark.sampling;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import llamaspark.model.LlamaMath;
import llamaspark.model.kernel.VectorSoftmax;

/**
 * The vector work of sampling over a distribution of VS values: softmax, its largest value, and
 * fetching one probability bucket. Scalar in run.c's order ({@link #scalar}) or SIMD
 * ({@link #vector}, with the softmax of the backend's order). One instance per thread.
 */
abstract class Probabilities {

    /** In-place softmax of x[off, off + n). */
    abstract void softmax(float[] x, int off, int n);

    /** The largest of x[off, off + n). */
    abstract float max(float[] x, int off, int n);

    /**
     * Writes to out[outOff...] the indices i < n, in increasing order, whose x[off + i] lies in
     * [lo, hi); returns how many.
     */
    abstract int indicesInRange(float[] x, int off, int n, float lo, float hi, int[] out, int outOff);

    /** run.c's scalar loops. */
    static Probabilities scalar() {
        return new Scalar();
    }

    /** SIMD, with {@code softmax}'s exponentials and sums. */
    static Probabilities vector(VectorSoftmax softmax) {
        return new Vector(softmax);
    }

    private static final class Scalar extends Probabilities {
        @Override
        void softmax(float[] x, int off, int n) {
            LlamaMath.softmax(x, off, n);
        }

        @Override
        float max(float[] x, int off, int n) {
            return x[off + Sampler.argmax(x, off, n)];
        }

        @Override
        int indicesInRange(float[] x, int off, int n, float lo, float hi, int[] out, int outOff) {
            int c = outOff;
            for (int i = 0; i < n; i++) {
                float v = x[off + i];
                if (v >= lo && v < hi) {
                    out[c++] = i;
                }
            }
            return c - outOff;
        }
    }

    private static final class Vector extends Probabilities {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
        private static final int LANES = 8;
        private final VectorSoftmax softmax;

        Vector(VectorSoftmax softmax) {
            this.softmax = softmax;
        }

        @Override
        void softmax(float[] x, int off, int n) {
            softmax.softmax(x, off, n);
        }

        @Override
        float max(float[] x, int off, int n) {
            return softmax.max(x, off, n);
        }

        /** Tests 8 values at a time; only vectors with a hit are walked one by one. */
        @Override
        int indicesInRange(float[] x, int off, int n, float lo, float hi, int[] out, int outOff) {
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
    }
}
