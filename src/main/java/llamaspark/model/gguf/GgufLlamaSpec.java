package llamaspark.model.gguf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import llamaspark.BadInputException;
import llamaspark.model.LlamaConfig;

/**
 * A llama-architecture GGUF file understood as a model: the shape ({@link LlamaConfig}), the
 * numbers the forward pass needs beyond llama2.c's header, and the tensor of every weight with
 * its shape checked. GGUF dims are ggml's ne[]: a weight W[rows=out, cols=in] has ne = {in, out}.
 *
 * @param rmsEps    {@code llama.attention.layer_norm_rms_epsilon}
 * @param ropeTheta {@code llama.rope.freq_base} (10000 when absent)
 * @param ropeDim   {@code llama.rope.dimension_count} (HD when absent)
 * @param output    the classifier [VS, D], or null when it is the token embedding (tied)
 */
public record GgufLlamaSpec(GgufFile file, LlamaConfig config, float rmsEps, float ropeTheta, int ropeDim,
                            GgufTensorInfo tokenEmbedding, List<Layer> layers, GgufTensorInfo outputNorm,
                            GgufTensorInfo output) {

    /** One transformer block's tensors: norms [D], wq [QD, D], wk/wv [KVD, D], wo [D, QD], gate/up [FD, D], down [D, FD]. */
    public record Layer(GgufTensorInfo attnNorm, GgufTensorInfo q, GgufTensorInfo k, GgufTensorInfo v,
                        GgufTensorInfo o, GgufTensorInfo ffnNorm, GgufTensorInfo gate, GgufTensorInfo up,
                        GgufTensorInfo down) {
        public List<GgufTensorInfo> all() {
            return List.of(attnNorm, q, k, v, o, ffnNorm, gate, up, down);
        }
    }

    public static final String ARCH = "llama";

    /** Every weight tensor, classifier last when it is separate. */
    public List<GgufTensorInfo> allTensors() {
        List<GgufTensorInfo> all = new ArrayList<>();
        all.add(tokenEmbedding);
        layers.forEach(l -> all.addAll(l.all()));
        all.add(outputNorm);
        if (output != null) {
            all.add(output);
        }
        return all;
    }

    /** This model run with a context of {@code seqLen} positions instead of the file's (llama.cpp's -c). */
    public GgufLlamaSpec withContext(int seqLen) {
        return new GgufLlamaSpec(file, config.withSeqLen(seqLen).validate(file.path().toString()), rmsEps, ropeTheta,
                ropeDim, tokenEmbedding, layers, outputNorm, output);
    }

    public static GgufLlamaSpec of(GgufFile file) {
        GgufMetadata m = file.metadata();
        String source = m.source();
        String arch = m.string("general.architecture");
        if (!ARCH.equals(arch)) {
            throw new BadInputException(source, "metadata key 'general.architecture' is '" + arch
                    + "', only 'llama' is supported");
        }
        String p = ARCH + ".";
        int dim = m.int32(p + "embedding_length");
        int layers = m.int32(p + "block_count");
        int hidden = m.int32(p + "feed_forward_length");
        int heads = m.int32(p + "attention.head_count");
        int kvHeads = m.int32(p + "attention.head_count_kv", heads);
        int seqLen = m.int32(p + "context_length");
        float rmsEps = m.float32(p + "attention.layer_norm_rms_epsilon");
        float ropeTheta = m.float32(p + "rope.freq_base", 10000f);
        GgufTensorInfo embedding = require(file, "token_embd.weight");
        int vocab = m.has("tokenizer.ggml.tokens") ? m.stringArray("tokenizer.ggml.tokens").length
                : m.int32(p + "vocab_size", (int) Math.min(Integer.MAX_VALUE, embedding.rows()));
        GgufTensorInfo output = file.tensor("output.weight");
        // llama.cpp's n_embd_head_k / _v: HD when it is not D / HN (e.g. Gemma-style shapes)
        int keyLength = m.int32(p + "attention.key_length", heads > 0 ? dim / heads : 0);
        int valueLength = m.int32(p + "attention.value_length", keyLength);
        if (valueLength != keyLength) {
            throw new BadInputException(source, "metadata keys '" + p + "attention.key_length' (" + keyLength + ") and '"
                    + p + "attention.value_length' (" + valueLength + ") differ; the engine needs one head size");
        }
        LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, kvHeads, vocab, seqLen, output == null,
                rmsEps, ropeTheta, keyLength).validate(source);
        int ropeDim = m.int32(p + "rope.dimension_count", c.headDim());
        if (ropeDim != c.headDim()) {
            throw new BadInputException(source, "metadata key '" + p + "rope.dimension_count' is " + ropeDim
                    + ", only full-head rotary embeddings (" + c.headDim() + ") are supported");
        }
        long D = dim, QD = c.qDim(), KVD = c.kvDim(), FD = hidden, VS = vocab;
        check(source, embedding, D, VS);
        List<Layer> blocks = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            String b = "blk." + l + ".";
            blocks.add(new Layer(
                    check(source, require(file, b + "attn_norm.weight"), D),
                    check(source, require(file, b + "attn_q.weight"), D, QD),
                    check(source, require(file, b + "attn_k.weight"), D, KVD),
                    check(source, require(file, b + "attn_v.weight"), D, KVD),
                    check(source, require(file, b + "attn_output.weight"), QD, D),
                    check(source, require(file, b + "ffn_norm.weight"), D),
                    check(source, require(file, b + "ffn_gate.weight"), D, FD),
                    check(source, require(file, b + "ffn_up.weight"), D, FD),
                    check(source, require(file, b + "ffn_down.weight"), FD, D)));
        }
        GgufTensorInfo outputNorm = check(source, require(file, "output_norm.weight"), D);
        if (output != null) {
            check(source, output, D, VS);
        }
        return new GgufLlamaSpec(file, c, rmsEps, ropeTheta, ropeDim, embedding, List.copyOf(blocks), outputNorm,
                output);
    }

    private static GgufTensorInfo require(GgufFile file, String name) {
        GgufTensorInfo t = file.tensor(name);
        if (t == null) {
            throw new BadInputException(file.path().toString(), "tensor '" + name + "' is missing from the tensor table");
        }
        return t;
    }

    /** Checks ne[] against {@code expected} (ne[0] first); trailing 1s are ignored as ggml does. */
    private static GgufTensorInfo check(String source, GgufTensorInfo t, long... expected) {
        long[] dims = t.dims();
        int n = dims.length;
        while (n > expected.length && dims[n - 1] == 1) {
            n--;
        }
        if (!Arrays.equals(Arrays.copyOf(dims, n), expected)) {
            throw new BadInputException(source, "tensor '" + t.name() + "' has shape ne=" + Arrays.toString(dims)
                    + ", expected " + Arrays.toString(expected) + " from the metadata");
        }
        return t;
    }
}
