package llamaspark.model;

import java.io.Serializable;
import llamaspark.BadInputException;

/**
 * The shape of a Llama model, as in llama2.c's checkpoint header. The dimension names of the
 * forward pass derive from it: D = dim, FD = hiddenDim, HN = heads, KVHN = kvHeads,
 * HD = headDim (D / HN unless the model says otherwise), VS = vocabSize, L = seqLen.
 *
 * @param rmsEps    RMSNorm epsilon (GGUF {@code layer_norm_rms_epsilon}; llama2.c's 1e-5 otherwise)
 * @param ropeTheta rotary base frequency (GGUF {@code rope.freq_base}; llama2.c's 10000 otherwise)
 * @param headDim   HD: Hugging Face {@code head_dim}, GGUF {@code attention.key_length}; D / HN by default
 */
public record LlamaConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads,
                          int vocabSize, int seqLen, boolean sharedClassifier,
                          float rmsEps, float ropeTheta, int headDim) implements Serializable {

    /** llama2.c's RMSNorm epsilon. */
    public static final float LLAMA2C_RMS_EPS = 1e-5f;
    /** llama2.c's rotary base. */
    public static final float LLAMA2C_ROPE_THETA = 10000f;

    /** A llama2.c shape: epsilon 1e-5, rotary base 10000. */
    public LlamaConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads,
                       int vocabSize, int seqLen, boolean sharedClassifier) {
        this(dim, hiddenDim, layers, heads, kvHeads, vocabSize, seqLen, sharedClassifier,
                LLAMA2C_RMS_EPS, LLAMA2C_ROPE_THETA);
    }

    /** A shape with HD = D / HN. */
    public LlamaConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads,
                       int vocabSize, int seqLen, boolean sharedClassifier, float rmsEps, float ropeTheta) {
        this(dim, hiddenDim, layers, heads, kvHeads, vocabSize, seqLen, sharedClassifier, rmsEps, ropeTheta,
                heads > 0 ? dim / heads : 0);
    }

    /** This shape with context length {@code seqLen} (the KV cache and rotary table size). */
    public LlamaConfig withSeqLen(int seqLen) {
        return new LlamaConfig(dim, hiddenDim, layers, heads, kvHeads, vocabSize, seqLen, sharedClassifier, rmsEps,
                ropeTheta, headDim);
    }

    /** This shape with another epsilon and rotary base. */
    public LlamaConfig withNorms(float eps, float theta) {
        return new LlamaConfig(dim, hiddenDim, layers, heads, kvHeads, vocabSize, seqLen, sharedClassifier, eps, theta,
                headDim);
    }

    /** This shape with head size {@code hd} (which may differ from D / HN). */
    public LlamaConfig withHeadDim(int hd) {
        return new LlamaConfig(dim, hiddenDim, layers, heads, kvHeads, vocabSize, seqLen, sharedClassifier, rmsEps,
                ropeTheta, hd);
    }

    /** Width of one token's queries, and of the attention output before wo: HN * HD (= D unless HD is explicit). */
    public int qDim() {
        return heads * headDim;
    }

    /** Width of one token's keys (or values): KVHN * HD. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Query heads that share one key/value head (grouped-query attention). */
    public int kvGroup() {
        return heads / kvHeads;
    }

    /** Rejects shapes the forward pass cannot run, naming the source and the field. */
    public LlamaConfig validate(String source) {
        requirePositive(source, "dim", dim);
        requirePositive(source, "hidden_dim", hiddenDim);
        requirePositive(source, "n_layers", layers);
        requirePositive(source, "n_heads", heads);
        requirePositive(source, "n_kv_heads", kvHeads);
        requirePositive(source, "vocab_size", vocabSize);
        requirePositive(source, "seq_len", seqLen);
        // HD = D / HN needs D divisible by HN; a head size the model states (head_dim) does not.
        if (headDim == dim / heads && dim % heads != 0) {
            throw new BadInputException(source, "header field dim=" + dim
                    + " is not divisible by n_heads=" + heads);
        }
        requirePositive(source, "head_dim", headDim);
        if (heads % kvHeads != 0) {
            throw new BadInputException(source, "header field n_heads=" + heads
                    + " is not a multiple of n_kv_heads=" + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new BadInputException(source, "head size " + (headDim * heads == dim ? "dim/n_heads=" : "head_dim=") + headDim
                    + " must be even for rotary embeddings");
        }
        return this;
    }

    /** Number of float32 values in the checkpoint after the header (run.c's tensor order). */
    public long checkpointFloats() {
        try {
            long d = dim, fd = hiddenDim, n = layers, kv = kvDim();
            long perLayer = Math.addExact(2 * d + 2 * d * d + 2 * kv * d, Math.multiplyExact(3 * fd, d));
            long floats = Math.addExact(Math.addExact((long) vocabSize * d, Math.multiplyExact(n, perLayer)),
                    d + (long) seqLen * headDim());
            return sharedClassifier ? floats : Math.addExact(floats, (long) vocabSize * d);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 8; // no file is this large: the size check reports the header as nonsense
        }
    }

    private static void requirePositive(String source, String field, int value) {
        if (value <= 0) {
            throw new BadInputException(source, "header field " + field + "=" + value
                    + " must be positive");
        }
    }

    @Override
    public String toString() {
        return "dim=" + dim + " hidden_dim=" + hiddenDim + " n_layers=" + layers + " n_heads=" + heads
                + " n_kv_heads=" + kvHeads + " vocab_size=" + vocabSize + " seq_len=" + seqLen
                + (sharedClassifier ? " (shared classifier)" : " (separate classifier)")
                + (rmsEps != LLAMA2C_RMS_EPS || ropeTheta != LLAMA2C_ROPE_THETA
                        ? " rms_eps=" + rmsEps + " rope_theta=" + ropeTheta : "")
                + (headDim * heads != dim ? " head_dim=" + headDim : "");
    }
}
