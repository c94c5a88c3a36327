package llamaspark.sampling;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import llamaspark.model.LlamaMath;
import llamaspark.model.kernel.Simd;
import llamaspark.model.kernel.VectorSoftmax;

/**
 * The vector work of sampling over a distribution of VS values: softmax, its largest value,
 * normalizing and bucketing in one pass, and fetching one probability bucket. Scalar in run.c's order ({@link #scalar}) or SIMD
 * ({@link #vector}, with the softmax of the backend's order). One instance per thread.
 */
abstract class Probabilities {
    /** Values the vector {@link #normalizeAndCount} widens at a time (so they are read back from the first-level cache). */
    static final int CHUNK = 512;

    /** In-place softmax of x[off, off + n). */
    abstract void softmax(float[] x, int off, int n);

    /** The largest of x[off, off + n). */
    abstract float max(float[] x, int off, int n);

    /** Index of the first largest of x[off, off + n): {@link Sampler#argmax}'s answer (run.c's strict '>'). */
    abstract int argmax(float[] x, int off, int n);

    /**
     * {@link #argmax(float[], int, int)} given the row's largest value as {@link Math#max} takes it
     * (the SIMD path starts from it; run.c's scan ignores it).
     */
    abstract int argmax(float[] x, int off, int n, float max);

    /** The first half of {@link #softmax}: x[i] = exp(x[i] - max) in place; returns their sum. */
    abstract float exponentials(float[] x, int off, int n);

    /** {@link #exponentials(float[], int, int)} given the row's largest value as {@link Math#max} takes it (the same bits). */
    abstract float exponentials(float[] x, int off, int n, float max);

    /**
     * The second half of {@link #softmax} without its stores: each probability p = x[i] / sum (the
     * same bits) that is at least the cutoff is added to its bucket's mass in {@code buckets} (set
     * up by {@link NucleusBuckets#reset} for that cutoff and sum), in double precision. x keeps its
     * exponentials: a pick reads back only the probabilities of the few buckets it walks, and
     * {@link NucleusBuckets} divides those again.
     */
    abstract void normalizeAndCount(float[] x, int off, int n, float sum, float cutoff, NucleusBuckets buckets);

    /**
     * Writes to out[outOff...] the indices i < n, in increasing order, whose x[off + i] lies in
     * [lo, hi); returns how many.
     */
    abstract int indicesInRange(float[] x, int off, int n, float lo, float hi, int[] out, int outOff);

    /** The scalar {@link #normalizeAndCount} of x[off + i] for from <= i < n. */
    static void normalizeAndCountFrom(int from, float[] x, int off, int n, float sum, float cutoff, NucleusBuckets buckets) {
        int top = buckets.buckets() - 1, low = buckets.low(), shift = buckets.shift();
        for (int i = from; i < n; i++) {
            float v = x[off + i] / sum;
            int b = v >= cutoff ? top - Math.min(top, (Float.floatToRawIntBits(v) - low) >>> shift) : top + 1;
            buckets.bucketOf[i] = (short) b;
            buckets.mass[b] += v;
        }
    }

    /** Writes to out[0...] the indices i < n, in increasing order, with bucket[i] == b0 or b1; returns how many. */
    abstract int indicesOfBuckets(short[] bucket, int n, int b0, int b1, int[] out);

    static int indicesOfBucketsFrom(int from, int c, short[] bucket, int n, int b0, int b1, int[] out) {
        for (int i = from; i < n; i++) {
            if (bucket[i] == b0 || bucket[i] == b1) {
                out[c++] = i;
            }
        }
        return c;
    }

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
        int argmax(float[] x, int off, int n) {
            return Sampler.argmax(x, off, n);
        }

        @Override
        int argmax(float[] x, int off, int n, float max) {
            return Sampler.argmax(x, off, n);
        }

        @Override
        float exponentials(float[] x, int off, int n, float max) {
            return exponentials(x, off, n);
        }

        @Override
        float exponentials(float[] x, int off, int n) {
            float max = max(x, off, n);
            float sum = 0.0f;
            for (int i = 0; i < n; i++) {
                x[off + i] = (float) Math.exp(x[off + i] - max);
                sum += x[off + i];
            }
            return sum;
        }

        @Override
        void normalizeAndCount(float[] x, int off, int n, float sum, float cutoff, NucleusBuckets buckets) {
            normalizeAndCountFrom(0, x, off, n, sum, cutoff, buckets);
        }

        @Override
        int indicesOfBuckets(short[] bucket, int n, int b0, int b1, int[] out) {
            return indicesOfBucketsFrom(0, 0, bucket, n, b0, b1, out);
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
        private static final VectorSpecies<Float> F = Simd.F;
        private static final VectorSpecies<Integer> I = Simd.I;
        private static final VectorSpecies<Double> D = Simd.D;
        /** Shorts, one per float lane (half the width), for storing a vector of buckets. */
        private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(Simd.BITS / 2));
        /** Shorts at full width (twice the lanes), for scanning buckets. */
        private static final VectorSpecies<Short> S2 = VectorSpecies.of(short.class, VectorShape.forBitSize(Simd.BITS));
        private static final int LANES = Simd.LANES;
        private static final int[] LANE_INDEX = java.util.stream.IntStream.range(0, LANES).toArray();

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

        @Override
        float exponentials(float[] x, int off, int n) {
            return softmax.exponentials(x, off, n);
        }

        @Override
        float exponentials(float[] x, int off, int n, float max) {
            return softmax.exponentials(x, off, n, max);
        }

        @Override
        int argmax(float[] x, int off, int n) {
            return argmax(x, off, n, softmax.max(x, off, n));
        }

        /**
         * The vector max (the one given), then the first index holding it (a vector of values tested at a time): the
         * first index attaining the largest value is what run.c's strict '>' scan keeps, -0 and 0
         * included. A NaN makes the vector max NaN where run.c's scan skips it: run.c's loop then.
         */
        @Override
        int argmax(float[] x, int off, int n, float max) {
            if (max != max) {
                return Sampler.argmax(x, off, n);
            }
            int i = 0;
            for (int bound = F.loopBound(n); i < bound; i += LANES) {
                if (FloatVector.fromArray(F, x, off + i).compare(VectorOperators.EQ, max).anyTrue()) {
                    break;
                }
            }
            for (; i < n; i++) {
                if (x[off + i] == max) {
                    return i;
                }
            }
            return 0;
        }

        /**
         * Two passes: a vector of values at a time divided (as VectorSoftmax.softmax divides), widened to
         * double and their buckets computed in lanes (a value below the cutoff goes to one of
         * the spare buckets past the last, one per lane, so that a sharp distribution does not
         * chain most additions on one bucket); then the masses added one by one without a
         * branch. Widening in lanes matters: a scalar float-to-double conversion writes only part
         * of its register, so each one would wait for the one before. Buckets are shorts: the
         * pass and the later scans of them move half the bytes.
         */
        @Override
        void normalizeAndCount(float[] x, int off, int n, float sum, float cutoff, NucleusBuckets buckets) {
            int top = buckets.buckets() - 1, low = buckets.low(), shift = buckets.shift(), i = 0;
            short[] b = buckets.bucketOf;
            double[] wide = buckets.widened, mass = buckets.mass;
            IntVector spare = IntVector.broadcast(I, top + 1).add(IntVector.fromArray(I, LANE_INDEX, 0));
            IntVector vtop = IntVector.broadcast(I, top);
            FloatVector vsum = FloatVector.broadcast(F, sum);
            int bound = F.loopBound(n);
            for (int chunk = 0; chunk < bound; chunk += CHUNK) {
                int end = Math.min(bound, chunk + CHUNK);
                for (i = chunk; i < end; i += LANES) {
                    FloatVector v = FloatVector.fromArray(F, x, off + i).div(vsum);
                    ((DoubleVector) v.convertShape(VectorOperators.F2D, D, 0)).intoArray(wide, i - chunk);
                    ((DoubleVector) v.convertShape(VectorOperators.F2D, D, 1)).intoArray(wide, i - chunk + LANES / 2);
                    // Probabilities are not negative: their bits order as they do.
                    IntVector bits = (IntVector) v.reinterpretAsInts();
                    VectorMask<Integer> below = bits.compare(VectorOperators.LT, low);
                    ((ShortVector) vtop.sub(bits.sub(low).lanewise(VectorOperators.LSHR, shift).min(top)).blend(spare, below)
                            .convertShape(VectorOperators.I2S, S, 0)).intoArray(b, i);
                }
                for (int j = chunk; j < end; j++) {
                    mass[b[j]] += wide[j - chunk];
                }
            }
            normalizeAndCountFrom(bound, x, off, n, sum, cutoff, buckets);
        }

        /** Tests a vector of buckets at a time; only vectors with a hit are walked one by one. */
        @Override
        int indicesOfBuckets(short[] bucket, int n, int b0, int b1, int[] out) {
            int c = 0, i = 0;
            short s0 = (short) b0, s1 = (short) b1;
            for (int bound = S2.loopBound(n); i < bound; i += S2.length()) {
                ShortVector v = ShortVector.fromArray(S2, bucket, i);
                if (v.compare(VectorOperators.EQ, s0).or(v.compare(VectorOperators.EQ, s1)).anyTrue()) {
                    c = indicesOfBucketsFrom(i, c, bucket, i + S2.length(), b0, b1, out);
                }
            }
            return indicesOfBucketsFrom(i, c, bucket, n, b0, b1, out);
        }

        /** Tests a vector of values at a time; only vectors with a hit are walked one by one. */
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
