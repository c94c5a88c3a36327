package llamaspark.model;

import java.io.Serializable;

/**
 * All parameters of a Llama model, read once and shared (read-only) by every forward pass in
 * the JVM. Projections that read the same input are stored fused: {@code wqkv} is wq, wk, wv
 * stacked ([QD + 2*KVD, D], QD = HN * HD) and {@code w13} is the gate w1 over the up projection w3 ([2*FD, D]),
 * so each is one matrix product per layer. Matrices are in the layout of the kernel that will
 * multiply them; the embedding is only ever read row by row.
 */
public final class LlamaWeights implements Serializable {
    private static final long serialVersionUID = 1L;

    public final LlamaConfig config;
    /** [VS, D]; the same object as {@link #classifier} when the classifier is shared. */
    public final WeightMatrix tokenEmbedding;
    /** Per layer: RMSNorm weights before attention [D] and before the feed-forward [D]. */
    public final float[][] rmsAttention;
    public final float[][] rmsFeedForward;
    public final WeightMatrix[] wqkv;
    public final WeightMatrix[] wo;
    public final WeightMatrix[] w13;
    public final WeightMatrix[] w2;
    public final float[] rmsFinal;
    /** [VS, D]: logits = x * classifier^T. */
    public final WeightMatrix classifier;
    /** Rotary frequency of each pair of a head [HD/2]: the file's (scaled, GGUF rope_freqs) or llama2.c's. */
    public final float[] ropeFrequencies;

    public LlamaWeights(LlamaConfig config, WeightMatrix tokenEmbedding, float[][] rmsAttention,
                        float[][] rmsFeedForward, WeightMatrix[] wqkv, WeightMatrix[] wo,
                        WeightMatrix[] w13, WeightMatrix[] w2, float[] rmsFinal, WeightMatrix classifier) {
        this(config, tokenEmbedding, rmsAttention, rmsFeedForward, wqkv, wo, w13, w2, rmsFinal, classifier,
                RopeFrequencies.plain(config.headDim(), config.ropeTheta()));
    }

    /** @param ropeFrequencies [HD/2] */
    public LlamaWeights(LlamaConfig config, WeightMatrix tokenEmbedding, float[][] rmsAttention,
                        float[][] rmsFeedForward, WeightMatrix[] wqkv, WeightMatrix[] wo,
                        WeightMatrix[] w13, WeightMatrix[] w2, float[] rmsFinal, WeightMatrix classifier,
                        float[] ropeFrequencies) {
        if (ropeFrequencies.length != config.headDim() / 2) {
            throw new IllegalArgumentException(ropeFrequencies.length + " rotary frequencies for head size "
                    + config.headDim());
        }
        this.config = config;
        this.ropeFrequencies = ropeFrequencies;
        this.tokenEmbedding = tokenEmbedding;
        this.rmsAttention = rmsAttention;
        this.rmsFeedForward = rmsFeedForward;
        this.wqkv = wqkv;
        this.wo = wo;
        this.w13 = w13;
        this.w2 = w2;
        this.rmsFinal = rmsFinal;
        this.classifier = classifier;
    }

    /** Empty weights in {@code layout}, for a loader to fill. */
    public static LlamaWeights allocate(LlamaConfig c, MatrixLayout layout) {
        int D = c.dim(), QD = c.qDim(), KVD = c.kvDim(), FD = c.hiddenDim(), n = c.layers();
        WeightMatrix classifier = WeightMatrix.allocate(c.vocabSize(), D, layout);
        WeightMatrix embedding = c.sharedClassifier() ? classifier
                : WeightMatrix.allocate(c.vocabSize(), D, MatrixLayout.ROW_MAJOR);
        WeightMatrix[] wqkv = new WeightMatrix[n], wo = new WeightMatrix[n];
        WeightMatrix[] w13 = new WeightMatrix[n], w2 = new WeightMatrix[n];
        for (int l = 0; l < n; l++) {
            wqkv[l] = WeightMatrix.allocate(QD + 2 * KVD, D, layout);
            wo[l] = WeightMatrix.allocate(D, QD, layout);
            w13[l] = WeightMatrix.allocate(2 * FD, D, layout);
            w2[l] = WeightMatrix.allocate(D, FD, layout);
        }
        return new LlamaWeights(c, embedding, new float[n][D], new float[n][D], wqkv, wo, w13, w2,
                new float[D], classifier);
    }

    /** These weights with rotary frequencies {@code freq} [HD/2] instead. */
    public LlamaWeights withRopeFrequencies(float[] freq) {
        return new LlamaWeights(config, tokenEmbedding, rmsAttention, rmsFeedForward, wqkv, wo, w13, w2, rmsFinal,
                classifier, freq);
    }

    public MatrixLayout layout() {
        return classifier.layout();
    }
}
