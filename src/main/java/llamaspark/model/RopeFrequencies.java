package llamaspark.model;

import llamaspark.BadInputException;

/**
 * The rotary frequency of each pair (x[2j], x[2j+1]) of a head, j in [0, HD/2): the angle at
 * position pos is {@code pos * freq[j]} (float32, as run.c). The base is llama2.c's float formula
 * {@code 1 / theta^(2j / HD)}; scaling divides it by a per-pair factor, exactly as ggml's rope does
 * with a GGUF {@code rope_freqs} tensor ({@code theta / freq_factors[j]}). Llama 3 scaling is
 * computed as the factor llama.cpp's converter stores in {@code rope_freqs}, so a Hugging Face
 * model and its GGUF conversion get bit-identical frequencies; the value equals Meta's
 * {@code apply_scaling} up to float rounding (RopeFrequenciesTest checks it against the formula).
 */
public final class RopeFrequencies {
    private RopeFrequencies() {
    }

    /** llama2.c's frequencies: {@code 1 / theta^(2j / HD)} in float32. [HD/2] */
    public static float[] plain(int headDim, float theta) {
        float[] freq = new float[headDim / 2];
        for (int j = 0; j < freq.length; j++) {
            freq[j] = 1.0f / (float) Math.pow(theta, (2 * j) / (float) headDim);
        }
        return freq;
    }

    /** The frequencies for {@code scaling} (null: unscaled). [HD/2] */
    public static float[] of(int headDim, float theta, RopeScaling scaling) {
        float[] base = plain(headDim, theta);
        if (scaling == null) {
            return base;
        }
        return divide(base, scaling.type().equals(RopeScaling.LLAMA3)
                ? llama3Factors(headDim, theta, scaling) : constant(base.length, scaling.factor()));
    }

    /**
     * Llama 3.1's per-pair divisors, as llama.cpp's {@code convert_hf_to_gguf.py} writes them to
     * {@code rope_freqs}: 1 for wavelengths below originalContext / highFreqFactor, {@code factor}
     * above originalContext / lowFreqFactor, and 1 / ((1 - smooth) / factor + smooth) between,
     * smooth = (originalContext / wavelength - low) / (high - low). [HD/2]
     */
    public static float[] llama3Factors(int headDim, float theta, RopeScaling s) {
        float[] base = plain(headDim, theta);
        double lowWavelen = s.originalContext() / (double) s.lowFreqFactor();
        double highWavelen = s.originalContext() / (double) s.highFreqFactor();
        float[] factors = new float[base.length];
        for (int j = 0; j < base.length; j++) {
            double wavelen = 2 * Math.PI / base[j];
            if (wavelen < highWavelen) {
                factors[j] = 1f;
            } else if (wavelen > lowWavelen) {
                factors[j] = s.factor();
            } else {
                double smooth = (s.originalContext() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                factors[j] = (float) (1 / ((1 - smooth) / s.factor() + smooth));
            }
        }
        return factors;
    }

    /** {@code base[j] / factors[j]}, ggml's use of {@code rope_freqs}; factors must be positive. [HD/2] */
    public static float[] divide(float[] base, float[] factors) {
        if (factors.length != base.length) {
            throw new BadInputException("rope_freqs", "has " + factors.length + " values, expected HD/2 = " + base.length);
        }
        float[] freq = new float[base.length];
        for (int j = 0; j < base.length; j++) {
            if (!(factors[j] > 0) || Float.isInfinite(factors[j])) {
                throw new BadInputException("rope_freqs", "value " + j + " is " + factors[j] + ", expected a positive factor");
            }
            freq[j] = base[j] / factors[j];
        }
        return freq;
    }

    private static float[] constant(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
