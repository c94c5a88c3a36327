package llamaspark.model.hf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import llamaspark.BadInputException;
import llamaspark.model.LlamaConfig;
import llamaspark.model.RandomCheckpoint;
import llamaspark.model.RopeScaling;
import llamaspark.model.quant.GgmlType;

/**
 * Writes a {@link RandomCheckpoint}'s model as a Hugging Face Llama directory: config.json,
 * {@code model.safetensors} (or {@code shards} files and their index) of one type (F32, F16 or
 * BF16), and optionally a tokenizer.json (with tokenizer_config.json when one sits beside it)
 * and a generation_config.json. The q/k projections are permuted into Hugging Face's rotate-half
 * order as {@code convert_llama_weights_to_hf.py} does, so the directory holds the same model as
 * the other formats. Tensors stream in the generator's order, one matrix buffered at a time.
 */
public final class RandomHf {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** RoPE, norm and special-id settings of the written model (the shape comes from the checkpoint). */
    public record Settings(GgmlType type, float ropeTheta, RopeScaling ropeScaling, float rmsEps, int bosId,
                           int[] eosIds, int shards) {
    }

    private record Entry(String name, long[] shape, int shard) {
    }

    private RandomHf() {
    }

    /** llama2.c's tensor name to Hugging Face's. */
    static String hfName(String name, int layer) {
        String b = "model.layers." + layer + ".";
        return switch (name) {
            case "tok_embeddings" -> "model.embed_tokens.weight";
            case "output" -> "lm_head.weight";
            case "wq" -> b + "self_attn.q_proj.weight";
            case "wk" -> b + "self_attn.k_proj.weight";
            case "wv" -> b + "self_attn.v_proj.weight";
            case "wo" -> b + "self_attn.o_proj.weight";
            case "w1" -> b + "mlp.gate_proj.weight";
            case "w2" -> b + "mlp.down_proj.weight";
            case "w3" -> b + "mlp.up_proj.weight";
            default -> throw new IllegalArgumentException(name);
        };
    }

    public static void write(RandomCheckpoint model, Settings s, Path tokenizerJson, Path outDir) {
        try {
            Files.createDirectories(outDir);
            writeWeights(model, s, outDir);
            Files.writeString(outDir.resolve("config.json"), config(model.config(), s));
            if (s.eosIds().length > 0) {
                ObjectNode g = JSON.createObjectNode();
                if (s.bosId() >= 0) {
                    g.put("bos_token_id", s.bosId());
                }
                ArrayNode eos = g.putArray("eos_token_id");
                for (int id : s.eosIds()) {
                    eos.add(id);
                }
                Files.writeString(outDir.resolve("generation_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(g));
            }
            if (tokenizerJson != null) {
                Files.copy(tokenizerJson, outDir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
                Path tc = tokenizerJson.toAbsolutePath().resolveSibling("tokenizer_config.json");
                if (Files.exists(tc)) {
                    Files.copy(tc, outDir.resolve("tokenizer_config.json"), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new BadInputException(outDir.toString(), "cannot write the model directory: " + e.getMessage(), e);
        }
    }

    static String config(LlamaConfig c, Settings s) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add("LlamaForCausalLM");
        o.put("model_type", "llama");
        o.put("hidden_act", "silu");
        o.put("hidden_size", c.dim());
        o.put("intermediate_size", c.hiddenDim());
        o.put("num_hidden_layers", c.layers());
        o.put("num_attention_heads", c.heads());
        o.put("num_key_value_heads", c.kvHeads());
        o.put("head_dim", c.headDim());
        o.put("max_position_embeddings", c.seqLen());
        o.put("vocab_size", c.vocabSize());
        o.put("rms_norm_eps", s.rmsEps());
        o.put("rope_theta", s.ropeTheta());
        RopeScaling r = s.ropeScaling();
        if (r == null) {
            o.putNull("rope_scaling");
        } else {
            ObjectNode rs = o.putObject("rope_scaling");
            rs.put("rope_type", r.type());
            rs.put("factor", r.factor());
            if (r.type().equals(RopeScaling.LLAMA3)) {
                rs.put("low_freq_factor", r.lowFreqFactor());
                rs.put("high_freq_factor", r.highFreqFactor());
                rs.put("original_max_position_embeddings", r.originalContext());
            }
        }
        o.put("tie_word_embeddings", c.sharedClassifier());
        if (s.bosId() >= 0) {
            o.put("bos_token_id", s.bosId());
        }
        if (s.eosIds().length == 1) {
            o.put("eos_token_id", s.eosIds()[0]);
        } else if (s.eosIds().length > 1) {
            ArrayNode eos = o.putArray("eos_token_id");
            for (int id : s.eosIds()) {
                eos.add(id);
            }
        }
        o.put("torch_dtype", s.type() == GgmlType.F32 ? "float32" : s.type() == GgmlType.F16 ? "float16" : "bfloat16");
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o);
    }

    private static void writeWeights(RandomCheckpoint model, Settings s, Path dir) throws IOException {
        LlamaConfig c = model.config();
        List<Entry> plan = new ArrayList<>();
        model.forEachMatrix((name, layer, rows, cols, src) -> {
            plan.add(new Entry(hfName(name, layer), new long[] {rows, cols}, 0));
            for (int r = 0; r < rows; r++) {
                src.next(new float[0]); // only the shapes are wanted here
            }
        });
        for (int l = 0; l < c.layers(); l++) {
            plan.add(new Entry("model.layers." + l + ".input_layernorm.weight", new long[] {c.dim()}, 0));
            plan.add(new Entry("model.layers." + l + ".post_attention_layernorm.weight", new long[] {c.dim()}, 0));
        }
        plan.add(new Entry("model.norm.weight", new long[] {c.dim()}, 0));
        int shards = Math.max(1, Math.min(s.shards(), plan.size()));
        List<Entry> placed = new ArrayList<>(); // contiguous groups of about equal tensor counts, none empty
        for (int i = 0; i < plan.size(); i++) {
            placed.add(new Entry(plan.get(i).name, plan.get(i).shape, (int) ((long) i * shards / plan.size())));
        }
        new Streams(dir, placed, s.type(), shards).write(model, c);
    }

    private static long bytes(Entry e, GgmlType t) {
        long n = 1;
        for (long d : e.shape) {
            n *= d;
        }
        return n * t.blockBytes();
    }

    /** The shard files, opened in turn as the tensors stream. */
    private static final class Streams {
        private final Path dir;
        private final List<Entry> plan;
        private final GgmlType type;
        private final int shards;
        private int next;
        private int openShard = -1;
        private OutputStream os;

        Streams(Path dir, List<Entry> plan, GgmlType type, int shards) {
            this.dir = dir;
            this.plan = plan;
            this.type = type;
            this.shards = shards;
        }

        String fileName(int shard) {
            return shards == 1 ? HfLlamaSpec.SINGLE
                    : String.format("model-%05d-of-%05d.safetensors", shard + 1, shards);
        }

        OutputStream begin(String name) throws IOException {
            Entry e = plan.get(next++);
            if (!e.name.equals(name)) {
                throw new IllegalStateException("tensor " + name + " written out of order (expected " + e.name + ")");
            }
            if (e.shard != openShard) {
                close();
                openShard = e.shard;
                SafetensorsWriter w = new SafetensorsWriter();
                for (Entry x : plan) {
                    if (x.shard == openShard) {
                        w.tensor(x.name, type, x.shape);
                    }
                }
                os = new BufferedOutputStream(Files.newOutputStream(dir.resolve(fileName(openShard))), 1 << 20);
                w.writeHeader(os);
            }
            return os;
        }

        void close() throws IOException {
            if (os != null) {
                os.close();
                os = null;
            }
        }

        void write(RandomCheckpoint model, LlamaConfig c) throws IOException {
            int hd = c.headDim();
            model.forEachMatrix((name, layer, rows, cols, src) -> {
                OutputStream out = begin(hfName(name, layer));
                ByteBuffer bytes = ByteBuffer.allocate(cols * type.blockBytes());
                boolean qk = name.equals("wq") || name.equals("wk");
                float[][] held = qk ? new float[rows][cols] : null;
                float[] row = new float[cols];
                for (int r = 0; r < rows; r++) {
                    src.next(qk ? held[r] : row);
                    if (!qk) {
                        SafetensorsWriter.encodeRow(type, row, bytes);
                        out.write(bytes.array());
                    }
                }
                if (qk) {
                    for (int r = 0; r < rows; r++) { // Hugging Face row r holds interleaved row engineRow(r)
                        SafetensorsWriter.encodeRow(type, held[QkPermutation.engineRow(r, hd)], bytes);
                        out.write(bytes.array());
                    }
                }
            });
            float[] ones = new float[c.dim()];
            java.util.Arrays.fill(ones, 1f);
            ByteBuffer bytes = ByteBuffer.allocate(c.dim() * type.blockBytes());
            SafetensorsWriter.encodeRow(type, ones, bytes);
            for (int l = 0; l < c.layers(); l++) {
                begin("model.layers." + l + ".input_layernorm.weight").write(bytes.array());
                begin("model.layers." + l + ".post_attention_layernorm.weight").write(bytes.array());
            }
            begin("model.norm.weight").write(bytes.array());
            close();
            if (shards > 1) {
                ObjectNode index = JSON.createObjectNode();
                long total = 0;
                for (Entry e : plan) {
                    total += bytes(e, type);
                }
                index.putObject("metadata").put("total_size", total);
                ObjectNode map = index.putObject("weight_map");
                for (Entry e : plan) {
                    map.put(e.name, fileName(e.shard));
                }
                Files.writeString(dir.resolve(HfLlamaSpec.INDEX), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index));
            }
        }
    }
}
