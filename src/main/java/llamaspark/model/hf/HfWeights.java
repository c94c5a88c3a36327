package llamaspark.model.hf;

import java.nio.FloatBuffer;
import llamaspark.model.LlamaConfig;
import llamaspark.model.LlamaWeights;
import llamaspark.model.MatrixLayout;
import llamaspark.model.WeightMatrix;

/**
 * A Hugging Face directory's weights as {@link LlamaWeights}, like {@code GgufWeights}: mapped in
 * their stored type (F32/F16/BF16) for the vector kernels, or float32 in a kernel's layout. Rows
 * come through {@link HfLlamaSpec#matrix}/{@link HfLlamaSpec#floats}, so q and k are in the
 * engine's adjacent-pair order; the rotary frequencies are the model's (theta, rope_scaling).
 */
public final class HfWeights {
    private HfWeights() {
    }

    /** Every matrix a read-only map of its tensor (q/k un-permuted copies); norms on the heap. */
    public static LlamaWeights map(HfLlamaSpec spec) {
        LlamaConfig c = spec.config();
        int n = c.layers();
        WeightMatrix embedding = WeightMatrix.quantized(spec.matrix(spec.tokenEmbedding()));
        WeightMatrix classifier = spec.lmHead() == null ? embedding : WeightMatrix.quantized(spec.matrix(spec.lmHead()));
        float[][] rmsAttention = new float[n][], rmsFeedForward = new float[n][]; // [L][D] each
        WeightMatrix[] wqkv = new WeightMatrix[n], wo = new WeightMatrix[n];
        WeightMatrix[] w13 = new WeightMatrix[n], w2 = new WeightMatrix[n];
        for (int l = 0; l < n; l++) {
            HfLlamaSpec.Layer b = spec.layers().get(l);
            rmsAttention[l] = spec.floats(b.attnNorm());
            rmsFeedForward[l] = spec.floats(b.ffnNorm());
            wqkv[l] = WeightMatrix.quantized(spec.matrix(b.q()), spec.matrix(b.k()), spec.matrix(b.v()));
            wo[l] = WeightMatrix.quantized(spec.matrix(b.o()));
            w13[l] = WeightMatrix.quantized(spec.matrix(b.gate()), spec.matrix(b.up()));
            w2[l] = WeightMatrix.quantized(spec.matrix(b.down()));
        }
        float[] rmsFinal = spec.floats(spec.norm());
        return new LlamaWeights(c, embedding, rmsAttention, rmsFeedForward, wqkv, wo, w13, w2, rmsFinal, classifier,
                spec.ropeFrequencies());
    }

    /** Float32 weights in {@code layout} (the ejml backend). */
    public static LlamaWeights read(HfLlamaSpec spec, MatrixLayout layout) {
        LlamaConfig c = spec.config();
        LlamaWeights w = LlamaWeights.allocate(c, layout);
        int QD = c.qDim(), KVD = c.kvDim(), FD = c.hiddenDim();
        rows(spec, spec.tokenEmbedding(), w.tokenEmbedding, 0);
        for (int l = 0; l < c.layers(); l++) {
            HfLlamaSpec.Layer b = spec.layers().get(l);
            copy(spec.floats(b.attnNorm()), w.rmsAttention[l]);
            rows(spec, b.q(), w.wqkv[l], 0);
            rows(spec, b.k(), w.wqkv[l], QD);
            rows(spec, b.v(), w.wqkv[l], QD + KVD);
            rows(spec, b.o(), w.wo[l], 0);
            copy(spec.floats(b.ffnNorm()), w.rmsFeedForward[l]);
            rows(spec, b.gate(), w.w13[l], 0);
            rows(spec, b.up(), w.w13[l], FD);
            rows(spec, b.down(), w.w2[l], 0);
        }
        copy(spec.floats(spec.norm()), w.rmsFinal);
        if (spec.lmHead() != null) {
            rows(spec, spec.lmHead(), w.classifier, 0);
        }
        return w.withRopeFrequencies(spec.ropeFrequencies());
    }

    private static void rows(HfLlamaSpec spec, Safetensors.Tensor t, WeightMatrix m, int row0) {
        m.layout().fill(FloatBuffer.wrap(spec.floats(t)), m.data(), row0, (int) t.rows(), m.cols());
    }

    private static void copy(float[] src, float[] dst) {
        System.arraycopy(src, 0, dst, 0, dst.length);
    }
}
