package llamaspark.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import llamaspark.BadInputException;
import llamaspark.model.LlamaConfig;
import llamaspark.model.RopeFrequencies;
import llamaspark.model.quant.QuantMatrix;

/**
 * A Hugging Face Llama model directory understood as a model, like {@code GgufLlamaSpec}: the
 * shape, the numbers beyond llama2.c's header (RMS epsilon, RoPE theta and scaling) and the
 * safetensors tensor of every weight with its shape checked. Weights are read in the engine's
 * (llama2.c/GGUF) form: q/k rows un-permuted from Hugging Face's rotate-half order
 * ({@link QkPermutation}), so the engine's adjacent-pair RoPE gives Hugging Face's outputs.
 *
 * @param config engine shape; its seqLen is max_position_embeddings
 * @param lmHead the classifier [VS, D], or null when tied to the embedding
 */
public record HfLlamaSpec(Path dir, HfConfig hf, LlamaConfig config, Safetensors.Tensor tokenEmbedding,
                          List<Layer> layers, Safetensors.Tensor norm, Safetensors.Tensor lmHead) {

    /** One block: norms [D], q [HN*HD, D], k/v [KVHN*HD, D], o [D, HN*HD], gate/up [FD, D], down [D, FD]. */
    public record Layer(Safetensors.Tensor attnNorm, Safetensors.Tensor q, Safetensors.Tensor k,
                        Safetensors.Tensor v, Safetensors.Tensor o, Safetensors.Tensor ffnNorm,
                        Safetensors.Tensor gate, Safetensors.Tensor up, Safetensors.Tensor down) {
        public List<Safetensors.Tensor> all() {
            return List.of(attnNorm, q, k, v, o, ffnNorm, gate, up, down);
        }
    }

    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    /** True when {@code path} is a directory holding a config.json (a Hugging Face model). */
    public static boolean isHfDir(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve("config.json"));
    }

    public static HfLlamaSpec of(Path dir) {
        HfConfig hf = HfConfig.read(dir.resolve("config.json"));
        String source = dir.toString();
        Map<String, Safetensors.Tensor> t = tensors(dir);
        Safetensors.Tensor embedding = require(source, t, "model.embed_tokens.weight");
        Safetensors.Tensor head = hf.tieWordEmbeddings() ? null : require(source, t, "lm_head.weight");
        if (embedding.shape().length == 2 && embedding.shape()[0] != hf.vocabSize()) {
            throw new BadInputException(source, "model.embed_tokens.weight has " + embedding.shape()[0]
                    + " rows but config.json's vocab_size is " + hf.vocabSize());
        }
        LlamaConfig c = new LlamaConfig(hf.hiddenSize(), hf.intermediateSize(), hf.layers(), hf.heads(),
                hf.kvHeads(), hf.vocabSize(), hf.maxPositions(), hf.tieWordEmbeddings(), hf.rmsEps(), hf.ropeTheta(),
                hf.headDim()).validate(source);
        long D = c.dim(), QD = (long) hf.heads() * hf.headDim(), KVD = (long) hf.kvHeads() * hf.headDim(),
                FD = c.hiddenDim(), VS = c.vocabSize();
        check(source, embedding, VS, D);
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String b = "model.layers." + l + ".";
            layers.add(new Layer(
                    check(source, require(source, t, b + "input_layernorm.weight"), D),
                    check(source, require(source, t, b + "self_attn.q_proj.weight"), QD, D),
                    check(source, require(source, t, b + "self_attn.k_proj.weight"), KVD, D),
                    check(source, require(source, t, b + "self_attn.v_proj.weight"), KVD, D),
                    check(source, require(source, t, b + "self_attn.o_proj.weight"), D, QD),
                    check(source, require(source, t, b + "post_attention_layernorm.weight"), D),
                    check(source, require(source, t, b + "mlp.gate_proj.weight"), FD, D),
                    check(source, require(source, t, b + "mlp.up_proj.weight"), FD, D),
                    check(source, require(source, t, b + "mlp.down_proj.weight"), D, FD)));
        }
        Safetensors.Tensor norm = check(source, require(source, t, "model.norm.weight"), D);
        if (head != null) {
            check(source, head, VS, D);
        }
        return new HfLlamaSpec(dir, hf, c, embedding, List.copyOf(layers), norm, head);
    }

    /** This model run with a context of {@code seqLen} positions (the KV cache size) instead of max_position_embeddings. */
    public HfLlamaSpec withContext(int seqLen) {
        return new HfLlamaSpec(dir, hf, config.withSeqLen(seqLen).validate(dir.toString()), tokenEmbedding, layers, norm,
                lmHead);
    }

    public float rmsEps() {
        return hf.rmsEps();
    }

    public float ropeTheta() {
        return hf.ropeTheta();
    }

    /** The per-pair rotary frequencies (theta and rope_scaling applied). [HD/2] */
    public float[] ropeFrequencies() {
        return RopeFrequencies.of(hf.headDim(), hf.ropeTheta(), hf.ropeScaling());
    }

    /** Every weight tensor, classifier last when it is separate. */
    public List<Safetensors.Tensor> allTensors() {
        List<Safetensors.Tensor> all = new ArrayList<>();
        all.add(tokenEmbedding);
        layers.forEach(l -> all.addAll(l.all()));
        all.add(norm);
        if (lmHead != null) {
            all.add(lmHead);
        }
        return all;
    }

    /** Stored dtypes and how many weight tensors have each (e.g. BF16 -> 21). */
    public Map<String, Integer> tensorTypes() {
        Map<String, Integer> types = new TreeMap<>();
        allTensors().forEach(x -> types.merge(x.type().name(), 1, Integer::sum));
        return types;
    }

    /**
     * Weight {@code t} as a [rows, cols] matrix of its stored type in the engine's row order: a
     * memory map, except q/k projections, whose rows are copied un-permuted to the heap.
     */
    public QuantMatrix matrix(Safetensors.Tensor t) {
        QuantMatrix m = Safetensors.map(t);
        if (!isQk(t)) {
            return m;
        }
        int rowBytes = m.rowBytes();
        ByteBuffer heap = ByteBuffer.allocate(m.rows() * rowBytes);
        for (int r = 0; r < m.rows(); r++) {
            int src = QkPermutation.hfRow(r, hf.headDim());
            ByteBuffer chunk = m.chunk(src).duplicate();
            chunk.position(m.offset(src)).limit(m.offset(src) + rowBytes);
            heap.position(r * rowBytes);
            heap.put(chunk);
        }
        heap.clear();
        return QuantMatrix.of(m.type(), m.rows(), m.cols(), heap);
    }

    /** Weight {@code t} as float32, row-major in the engine's row order (see {@link #matrix}). */
    public float[] floats(Safetensors.Tensor t) {
        if (!isQk(t)) {
            return Safetensors.readAll(t);
        }
        QuantMatrix m = Safetensors.map(t);
        float[] all = new float[Math.multiplyExact(m.rows(), m.cols())];
        for (int r = 0; r < m.rows(); r++) {
            m.dequantizeRow(QkPermutation.hfRow(r, hf.headDim()), all, r * m.cols());
        }
        return all;
    }

    /** True for a layer's q or k projection (stored in rotate-half order). */
    public boolean isQk(Safetensors.Tensor t) {
        for (Layer l : layers) {
            if (l.q() == t || l.k() == t) {
                return true;
            }
        }
        return false;
    }

    /** Tensors by name over model.safetensors, or over the shards model.safetensors.index.json names. */
    static Map<String, Safetensors.Tensor> tensors(Path dir) {
        Path index = dir.resolve(INDEX);
        if (!Files.exists(index)) {
            Path single = dir.resolve(SINGLE);
            if (!Files.exists(single)) {
                throw new BadInputException(dir.toString(), "has neither " + SINGLE + " nor " + INDEX);
            }
            return Safetensors.read(single);
        }
        JsonNode map;
        try {
            map = new ObjectMapper().readTree(Files.readAllBytes(index)).path("weight_map");
        } catch (IOException e) {
            throw new BadInputException(index.toString(), "cannot read as JSON (" + e.getMessage() + ")", e);
        }
        if (!map.isObject()) {
            throw new BadInputException(index.toString(), "'weight_map' is missing or not an object");
        }
        Map<String, Map<String, Safetensors.Tensor>> shards = new LinkedHashMap<>();
        Map<String, Safetensors.Tensor> all = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().asText("");
            if (shard.isEmpty() || shard.contains("/") || shard.contains("\\")) {
                throw new BadInputException(index.toString(), "weight_map[" + e.getKey() + "] is " + e.getValue()
                        + ", expected a file name in the same directory");
            }
            Safetensors.Tensor t = shards.computeIfAbsent(shard, s -> Safetensors.read(dir.resolve(s))).get(e.getKey());
            if (t == null) {
                throw new BadInputException(dir.resolve(shard).toString(), "has no tensor '" + e.getKey()
                        + "', which " + INDEX + " places there");
            }
            all.put(e.getKey(), t);
        }
        return all;
    }

    private static Safetensors.Tensor require(String source, Map<String, Safetensors.Tensor> t, String name) {
        Safetensors.Tensor x = t.get(name);
        if (x == null) {
            throw new BadInputException(source, "tensor '" + name + "' is missing from the safetensors files");
        }
        return x;
    }

    private static Safetensors.Tensor check(String source, Safetensors.Tensor t, long... expected) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new BadInputException(source, "tensor '" + t.name() + "' (" + t.file().getFileName() + ") has shape "
                    + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(expected) + " from config.json");
        }
        return t;
    }
}
