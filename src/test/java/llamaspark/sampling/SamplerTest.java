package llamaspark.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import llamaspark.profile.StageProfile;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final int VS = 64;
    private final Sampler sampler = new Sampler(VS);

    /** Values from the xorshift64* of llama2.c, computed by ../shared/bench/np_llama.py's random_u32. */
    @Test
    void randomMatchesRunC() {
        RunCRandom rng = new RunCRandom(42);
        long[] expected = {1456360119L, 3359763283L, 3393612768L, 4054632243L, 3283045847L};
        for (long e : expected) {
            assertEquals(e, rng.nextU32());
        }
        RunCRandom f = new RunCRandom(42);
        assertEquals(0.3390852212905884f, f.nextFloat());
        assertEquals(0.7822558283805847f, f.nextFloat());
    }

    private static float[] logits(long seed) {
        Random r = new Random(seed);
        float[] x = new float[VS];
        for (int i = 0; i < VS; i++) {
            x[i] = (float) r.nextGaussian() * 2f;
        }
        return x;
    }

    private int sample(float[] logits, SamplingParams p, RunCRandom rng) {
        return sampler.sample(logits.clone(), 0, p, rng, StageProfile.disabled());
    }

    /**
     * Given the row's largest logit (as the classifier's matmulWithRowMax gives it), every
     * backend's sampler picks what it picks without it and leaves the same values in the row:
     * greedy, seeded top-p at two temperatures, min-p, top-k; ties, -0 beside 0, -inf, NaN rows.
     */
    @Test
    void aKnownMaximumPicksTheSameTokens() {
        int V = 32000;
        Random r = new Random(13);
        for (llamaspark.model.kernel.Backend backend : llamaspark.model.kernel.Backend.values()) {
            Sampler a = Sampler.forBackend(V, backend), b = Sampler.forBackend(V, backend);
            for (int trial = 0; trial < 40; trial++) {
                float[] logits = new float[V];
                double spread = new double[] {0.3, 1.0, 4.0}[trial % 3];
                for (int i = 0; i < V; i++) {
                    logits[i] = (float) (r.nextGaussian() * spread);
                }
                if (trial % 5 == 1) { // a tie for the largest, -0 and 0 as the largest
                    java.util.Arrays.fill(logits, -2f);
                    logits[r.nextInt(V)] = -0f;
                    logits[r.nextInt(V)] = 0f;
                    logits[r.nextInt(V)] = 0f;
                }
                if (trial % 7 == 2) {
                    logits[r.nextInt(V)] = Float.NEGATIVE_INFINITY;
                }
                if (trial % 11 == 3) {
                    logits[r.nextInt(V)] = Float.NaN;
                }
                float max = Float.NEGATIVE_INFINITY;
                for (float v : logits) {
                    max = Math.max(max, v);
                }
                SamplingParams[] params = {SamplingParams.greedy(), new SamplingParams(1f, 0.9f, 0, 0f, trial),
                        new SamplingParams(0.7f, 0.8f, 0, 0f, trial), new SamplingParams(1f, 1f, 0, 0.05f, trial),
                        new SamplingParams(1.3f, 1f, 40, 0f, trial)};
                for (SamplingParams p : params) {
                    float[] x = logits.clone(), y = logits.clone();
                    int without = a.sample(x, 0, p, new RunCRandom(trial + 1), StageProfile.disabled());
                    int with = b.sample(y, 0, max, p, new RunCRandom(trial + 1), StageProfile.disabled());
                    String what = backend.cliName() + " trial " + trial + " " + p;
                    assertEquals(without, with, what);
                    for (int i = 0; i < V; i++) {
                        assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), what + " value " + i);
                    }
                }
            }
        }
    }

    @Test
    void greedyTakesTheFirstLargest() {
        float[] x = new float[VS];
        x[5] = 3f;
        x[9] = 3f;
        assertEquals(5, sample(x, SamplingParams.greedy(), new RunCRandom(1)));
    }

    @Test
    void topKOfOneAndMinPOfOneAreGreedy() {
        for (int s = 0; s < 50; s++) {
            float[] x = logits(s);
            int best = Sampler.argmax(x, 0, VS);
            assertEquals(best, sample(x, new SamplingParams(1f, 1f, 1, 0f, 0), new RunCRandom(s + 1)));
            assertEquals(best, sample(x, new SamplingParams(1f, 1f, 0, 1f, 0), new RunCRandom(s + 1)));
        }
    }

    @Test
    void topKOnlyEverPicksTheKMostLikely() {
        float[] x = logits(7);
        int k = 5;
        float kth = sortedDescending(x)[k - 1];
        RunCRandom rng = new RunCRandom(3);
        int[] hits = new int[VS];
        for (int i = 0; i < 4000; i++) {
            int t = sample(x, new SamplingParams(1.5f, 1f, k, 0f, 0), rng);
            assertTrue(x[t] >= kth, "picked a token outside the top " + k);
            hits[t]++;
        }
        int distinct = 0;
        for (int h : hits) {
            distinct += h > 0 ? 1 : 0;
        }
        assertEquals(k, distinct, "all top-k tokens get picked at temperature 1.5");
    }

    @Test
    void minPDropsUnlikelyTokens() {
        float[] x = logits(11);
        float max = sortedDescending(x)[0];
        // p_i >= minP * p_max  <=>  logit_i >= logit_max + ln(minP) at temperature 1
        float minP = 0.2f;
        double floor = max + Math.log(minP);
        RunCRandom rng = new RunCRandom(5);
        for (int i = 0; i < 2000; i++) {
            int t = sample(x, new SamplingParams(1f, 1f, 0, minP, 0), rng);
            assertTrue(x[t] >= floor - 1e-4, "token below min-p");
        }
    }

    @Test
    void frequenciesFollowTheProbabilities() {
        float[] x = {2f, 1f, 0f, -1f};
        Sampler s4 = new Sampler(4);
        RunCRandom rng = new RunCRandom(99);
        int[] hits = new int[4];
        int n = 40000;
        for (int i = 0; i < n; i++) {
            hits[s4.sample(x.clone(), 0, new SamplingParams(1f, 1f, 0, 0f, 0), rng, StageProfile.disabled())]++;
        }
        double z = Math.exp(2) + Math.exp(1) + 1 + Math.exp(-1);
        for (int i = 0; i < 4; i++) {
            double p = Math.exp(x[i]) / z;
            assertEquals(p, hits[i] / (double) n, 0.01, "token " + i);
        }
    }

    @Test
    void nucleusExcludesTheTail() {
        // probabilities ~ 0.64, 0.24, 0.09, 0.03: top-p 0.8 keeps the first two only
        float[] x = {2f, 1f, 0f, -1f};
        Sampler s4 = new Sampler(4);
        RunCRandom rng = new RunCRandom(7);
        boolean sawSecond = false;
        for (int i = 0; i < 5000; i++) {
            int t = s4.sample(x.clone(), 0, new SamplingParams(1f, 0.8f, 0, 0f, 0), rng, StageProfile.disabled());
            assertTrue(t <= 1, "token " + t + " is outside the nucleus");
            sawSecond |= t == 1;
        }
        assertTrue(sawSecond);
    }

    private static float[] sortedDescending(float[] x) {
        float[] s = x.clone();
        java.util.Arrays.sort(s);
        for (int i = 0; i < s.length / 2; i++) {
            float t = s[i];
            s[i] = s[s.length - 1 - i];
            s[s.length - 1 - i] = t;
        }
        return s;
    }

    /**
     * The sampler against a line-by-line reading of run.c's sample_topp (full stable sort of the
     * candidates, sequential sums, linear scan), extended the same way for top-k and min-p: same
     * token for every coin, on flat, peaked and tied distributions.
     */
    @Test
    void bucketedRankingPicksWhatAFullSortPicks() {
        Random r = new Random(5);
        int V = 3000;
        Sampler fast = new Sampler(V);
        for (int trial = 0; trial < 300; trial++) {
            float[] logits = new float[V];
            double spread = trial % 3 == 0 ? 0.05 : trial % 3 == 1 ? 1.0 : 6.0;
            for (int i = 0; i < V; i++) {
                logits[i] = trial % 7 == 0 ? (float) Math.floor(r.nextGaussian() * 3) : (float) (r.nextGaussian() * spread);
            }
            SamplingParams p = new SamplingParams(1f, trial % 5 == 0 ? 1f : 0.5f + 0.49f * r.nextFloat(),
                    trial % 4 == 0 ? 1 + r.nextInt(50) : 0, trial % 6 == 0 ? 0.05f * r.nextFloat() : 0f, trial);
            float[] probs = logits.clone();
            llamaspark.model.LlamaMath.softmax(probs, 0, V);
            for (int c = 0; c < 20; c++) {
                long seed = trial * 1000L + c;
                float coin = new RunCRandom(seed).nextFloat();
                int expected = referenceSample(probs, p, coin);
                int got = fast.sample(logits.clone(), 0, p, new RunCRandom(seed), StageProfile.disabled());
                assertEquals(expected, got, "trial " + trial + " coin " + coin);
            }
        }
    }

    private static int referenceSample(float[] probs, SamplingParams p, float coin) {
        int n = probs.length;
        boolean filtered = p.nucleus() || p.topK() > 0 || p.minP() > 0f;
        if (!filtered) {
            float cdf = 0f;
            for (int i = 0; i < n; i++) {
                cdf += probs[i];
                if (coin < cdf) {
                    return i;
                }
            }
            return n - 1;
        }
        float cutoff = p.nucleus() ? (1.0f - p.topP()) / (n - 1) : 0f;
        if (p.minP() > 0f) {
            float max = probs[Sampler.argmax(probs, 0, n)];
            cutoff = Math.max(cutoff, p.minP() * max);
        }
        java.util.List<Integer> cand = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (probs[i] >= cutoff) {
                cand.add(i);
            }
        }
        cand.sort((a, b) -> Float.compare(probs[b], probs[a])); // stable: ties keep index order
        int n0 = p.topK() > 0 ? Math.min(cand.size(), p.topK()) : cand.size();
        float cumulative = 0f;
        int last = n0 - 1;
        for (int i = 0; i < n0; i++) {
            cumulative += probs[cand.get(i)];
            if (p.nucleus() && cumulative > p.topP()) {
                last = i;
                break;
            }
        }
        float rr = coin * cumulative;
        float cdf = 0f;
        for (int i = 0; i <= last; i++) {
            cdf += probs[cand.get(i)];
            if (rr < cdf) {
                return cand.get(i);
            }
        }
        return cand.get(last);
    }

    /**
     * The fused backend's sampler sums the nucleus bucket by bucket in double precision instead of
     * token by token in float: it must pick run.c's token almost always (they differ only where
     * float rounding moves a boundary) and never a token outside the nucleus.
     */
    @Test
    void bucketSumsPickWhatRunCPicksUpToRounding() {
        int V = 4000;
        Sampler fast = Sampler.forBackend(V, llamaspark.model.kernel.Backend.VECTOR_FMA);
        Random r = new Random(11);
        int same = 0, total = 0;
        for (int trial = 0; trial < 200; trial++) {
            float[] logits = new float[V];
            double spread = trial % 2 == 0 ? 0.3 : 4.0;
            for (int i = 0; i < V; i++) {
                logits[i] = (float) (r.nextGaussian() * spread);
            }
            float topP = 0.5f + 0.45f * r.nextFloat();
            SamplingParams p = new SamplingParams(1f, topP, 0, 0f, 0);
            float[] probs = logits.clone();
            llamaspark.model.LlamaMath.softmax(probs, 0, V);
            float[] sorted = probs.clone();
            java.util.Arrays.sort(sorted);
            for (int k = 0; k < 10; k++) {
                long seed = trial * 100L + k + 1;
                int got = fast.sample(logits.clone(), 0, p, new RunCRandom(seed), StageProfile.disabled());
                int expected = referenceSample(probs, p, new RunCRandom(seed).nextFloat());
                total++;
                same += got == expected ? 1 : 0;
                // Everything strictly more probable than the pick, plus the pick, fits in the nucleus.
                double above = 0;
                for (int i = V - 1; i >= 0 && sorted[i] > probs[got]; i--) {
                    above += sorted[i];
                }
                assertTrue(above <= topP + 1e-4, "picked outside the nucleus");
            }
        }
        assertTrue(same >= 0.95 * total, same + " of " + total + " agree with run.c's order");
    }

    /**
     * The fused backend's nucleus by buckets against run.c's semantics on the very same
     * probabilities (the fused softmax's), over a 32000-token vocabulary: flat (as a random model
     * gives), moderate and sharp distributions, top-p from 0.5 to 0.99, min-p, temperatures. It
     * must pick exactly what a full stable sort with the running sums in double precision picks
     * (run.c's steps in exact arithmetic), and what run.c's float sums in rank order pick
     * (Sampler on the same probabilities, run.c's order) except where their rounding moves a
     * boundary: on a flat 32000-token distribution run.c's float running sum over ~30000 terms
     * drifts by about 1e-5, enough to move a pick to a neighbouring rank now and then (1.5% of
     * these picks).
     */
    @Test
    void bucketNucleusPicksWhatRunCOrderPicksOnTheSameProbabilities() {
        int V = 32000;
        Probabilities fused = Probabilities.vector(llamaspark.model.kernel.VectorSoftmax.fused());
        Sampler fast = Sampler.forBackend(V, llamaspark.model.kernel.Backend.VECTOR_FMA);
        Sampler runCOrder = new Sampler(V, fused, false);
        Random r = new Random(12);
        int total = 0, sameAsRunC = 0;
        for (int trial = 0; trial < 80; trial++) {
            double spread = new double[] {0.34, 0.05, 1.0, 3.0, 8.0}[trial % 5];
            float[] logits = new float[V];
            for (int i = 0; i < V; i++) {
                logits[i] = (float) (r.nextGaussian() * spread);
            }
            float temperature = trial % 4 == 3 ? 0.7f : 1f;
            float topP = trial % 6 == 5 ? 1f : 0.5f + 0.49f * r.nextFloat();
            float minP = trial % 6 == 5 || trial % 7 == 0 ? 0.02f * r.nextFloat() : 0f;
            SamplingParams p = new SamplingParams(temperature, topP, 0, minP, trial);
            float[] probs = logits.clone();
            for (int i = 0; i < V; i++) {
                probs[i] /= temperature;
            }
            fused.softmax(probs, 0, V);
            for (int k = 0; k < 25; k++) {
                long seed = trial * 1000L + k;
                float coin = new RunCRandom(seed).nextFloat();
                int got = fast.sample(logits.clone(), 0, p, new RunCRandom(seed), StageProfile.disabled());
                assertEquals(exactSample(probs, p, coin), got, "trial " + trial + " coin " + coin);
                int runC = runCOrder.sample(logits.clone(), 0, p, new RunCRandom(seed), StageProfile.disabled());
                total++;
                sameAsRunC += got == runC ? 1 : 0;
            }
        }
        System.out.printf("bucket nucleus: %d of %d picks as run.c's order on the same probabilities%n", sameAsRunC, total);
        assertTrue(sameAsRunC >= 0.97 * total, sameAsRunC + " of " + total + " agree with run.c's order");
    }

    /** run.c's sample_topp (with min-p's cutoff) in exact arithmetic: stable full sort, running sums in double. */
    private static int exactSample(float[] probs, SamplingParams p, float coin) {
        int n = probs.length;
        float cutoff = p.nucleus() ? (1.0f - p.topP()) / (n - 1) : 0f;
        if (p.minP() > 0f) {
            cutoff = Math.max(cutoff, p.minP() * probs[Sampler.argmax(probs, 0, n)]);
        }
        java.util.List<Integer> cand = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (probs[i] >= cutoff) {
                cand.add(i);
            }
        }
        cand.sort((a, b) -> Float.compare(probs[b], probs[a]));
        double cumulative = 0;
        int last = cand.size() - 1;
        for (int i = 0; i < cand.size(); i++) {
            cumulative += probs[cand.get(i)];
            if (p.nucleus() && cumulative > p.topP()) {
                last = i;
                break;
            }
        }
        double rr = coin * cumulative, cdf = 0;
        for (int i = 0; i <= last; i++) {
            cdf += probs[cand.get(i)];
            if (rr < cdf) {
                return cand.get(i);
            }
        }
        return cand.get(last);
    }
}
