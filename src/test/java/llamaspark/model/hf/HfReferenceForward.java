package llamaspark.model.hf;

import java.util.ArrayList;
import java.util.List;
import llamaspark.model.RopeScaling;

/**
 * A Llama forward pass in double precision written the way Hugging Face transformers' modeling_llama
 * computes it, on the weights exactly as the directory stores them (no un-permutation): q/k rotated
 * with rotate_half (x * cos + rotate_half(x) * sin, cos/sin of cat(freqs, freqs)), inv_freq from
 * config.json by transformers' {@code _compute_llama3_parameters}, grouped-query attention
 * (repeat_kv), head_dim from config.json, RMSNorm x * rsqrt(mean(x^2) + eps) * w, SwiGLU MLP.
 * Independent of the engine's code: the reference the engine's logits are checked against.
 */
final class HfReferenceForward {
    private final HfConfig c;
    private final double[] invFreq; // [HD/2]
    private final float[] embedding, norm, head;
    private final List<float[][]> layers = new ArrayList<>(); // attnNorm, q, k, v, o, ffnNorm, gate, up, down

    HfReferenceForward(HfLlamaSpec spec) {
        this(spec, true);
    }

    HfReferenceForward(HfLlamaSpec spec, boolean scaled) {
        this.c = spec.hf();
        this.invFreq = invFreq(c, scaled);
        embedding = Safetensors.readAll(spec.tokenEmbedding());
        norm = Safetensors.readAll(spec.norm());
        head = spec.lmHead() == null ? embedding : Safetensors.readAll(spec.lmHead());
        for (HfLlamaSpec.Layer l : spec.layers()) {
            layers.add(new float[][] {Safetensors.readAll(l.attnNorm()), Safetensors.readAll(l.q()), Safetensors.readAll(l.k()),
                Safetensors.readAll(l.v()), Safetensors.readAll(l.o()), Safetensors.readAll(l.ffnNorm()),
                Safetensors.readAll(l.gate()), Safetensors.readAll(l.up()), Safetensors.readAll(l.down())});
        }
    }

    /** transformers' default inv_freq, then _compute_llama3_parameters, in double. */
    static double[] invFreq(HfConfig c, boolean scaled) {
        int hd = c.headDim();
        double[] f = new double[hd / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / hd);
        }
        RopeScaling s = c.ropeScaling();
        if (!scaled || s == null) {
            return f;
        }
        if (!s.type().equals(RopeScaling.LLAMA3)) {
            throw new IllegalArgumentException("reference knows llama3 scaling only");
        }
        double old = s.originalContext(), low = s.lowFreqFactor(), high = s.highFreqFactor(), factor = s.factor();
        double lowWavelen = old / low, highWavelen = old / high;
        for (int i = 0; i < f.length; i++) {
            double wavelen = 2 * Math.PI / f[i];
            double llama = wavelen > lowWavelen ? f[i] / factor : f[i];
            double smooth = (old / wavelen - low) / (high - low);
            double smoothed = (1 - smooth) * llama / factor + smooth * llama;
            boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            f[i] = medium ? smoothed : llama;
        }
        return f;
    }

    /** Logits after each position in {@code at} (ascending) when {@code tokens} are fed from position 0. [at.length][VS] */
    double[][] logits(int[] tokens, int[] at) {
        int D = c.hiddenSize(), HN = c.heads(), KVHN = c.kvHeads(), HD = c.headDim(), FD = c.intermediateSize();
        int VS = c.vocabSize(), T = at[at.length - 1] + 1, n = layers.size();
        double[][][] keys = new double[n][T][], values = new double[n][T][];
        double[][] out = new double[at.length][];
        int next = 0;
        for (int pos = 0; pos < T; pos++) {
            double[] x = new double[D];
            for (int i = 0; i < D; i++) {
                x[i] = embedding[tokens[pos] * D + i];
            }
            for (int l = 0; l < n; l++) {
                float[][] w = layers.get(l);
                double[] h = rmsnorm(x, w[0]);
                double[] q = matvec(w[1], h, HN * HD, D), k = matvec(w[2], h, KVHN * HD, D), v = matvec(w[3], h, KVHN * HD, D);
                rotateHalf(q, HN, HD, pos);
                rotateHalf(k, KVHN, HD, pos);
                keys[l][pos] = k;
                values[l][pos] = v;
                double[] attn = new double[HN * HD];
                for (int hh = 0; hh < HN; hh++) {
                    int kvh = hh / (HN / KVHN); // repeat_kv
                    double[] s = new double[pos + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int t = 0; t <= pos; t++) {
                        double dot = 0;
                        for (int d = 0; d < HD; d++) {
                            dot += q[hh * HD + d] * keys[l][t][kvh * HD + d];
                        }
                        s[t] = dot / Math.sqrt(HD);
                        max = Math.max(max, s[t]);
                    }
                    double sum = 0;
                    for (int t = 0; t <= pos; t++) {
                        s[t] = Math.exp(s[t] - max);
                        sum += s[t];
                    }
                    for (int t = 0; t <= pos; t++) {
                        for (int d = 0; d < HD; d++) {
                            attn[hh * HD + d] += s[t] / sum * values[l][t][kvh * HD + d];
                        }
                    }
                }
                double[] o = matvec(w[4], attn, D, HN * HD);
                for (int i = 0; i < D; i++) {
                    x[i] += o[i];
                }
                double[] h2 = rmsnorm(x, w[5]);
                double[] gate = matvec(w[6], h2, FD, D), up = matvec(w[7], h2, FD, D);
                for (int i = 0; i < FD; i++) {
                    gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                }
                double[] down = matvec(w[8], gate, D, FD);
                for (int i = 0; i < D; i++) {
                    x[i] += down[i];
                }
            }
            if (next < at.length && at[next] == pos) {
                out[next++] = matvec(head, rmsnorm(x, norm), VS, D);
            }
        }
        return out;
    }

    /** Each head's x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x[HD/2:], x[:HD/2]). */
    private void rotateHalf(double[] x, int heads, int hd, int pos) {
        int half = hd / 2;
        for (int h = 0; h < heads; h++) {
            double[] r = new double[hd];
            for (int i = 0; i < hd; i++) {
                double angle = pos * invFreq[i % half];
                double rot = i < half ? -x[h * hd + i + half] : x[h * hd + i - half];
                r[i] = x[h * hd + i] * Math.cos(angle) + rot * Math.sin(angle);
            }
            System.arraycopy(r, 0, x, h * hd, hd);
        }
    }

    private double[] rmsnorm(double[] x, float[] w) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1 / Math.sqrt(ss / x.length + c.rmsEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * w[i];
        }
        return out;
    }

    private static double[] matvec(float[] w, double[] x, int rows, int cols) {
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            int base = r * cols;
            for (int k = 0; k < cols; k++) {
                s += w[base + k] * x[k];
            }
            y[r] = s;
        }
        return y;
    }
}
