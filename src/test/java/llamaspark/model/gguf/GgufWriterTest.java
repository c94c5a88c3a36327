package llamaspark.model.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import llamaspark.Oracles;
import llamaspark.cli.Main;
import llamaspark.model.LlamaConfig;
import llamaspark.model.LlamaWeights;
import llamaspark.model.MatrixLayout;
import llamaspark.model.ModelFiles;
import llamaspark.model.RandomCheckpoint;
import llamaspark.model.quant.GgmlType;
import llamaspark.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GGUF files written by make-checkpoint, checked by the independent reader @huggingface/gguf
 * (same metadata keys, types and values; same tensor table) and against the legacy .bin of the
 * same seeded model.
 */
class GgufWriterTest {
    static final Path NODE_DIR = Path.of("src", "test", "node");
    @TempDir
    Path tmp;

    static JsonNode nodeHeader(Path gguf) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("node", "gguf-header.mjs", gguf.toAbsolutePath().toString())
                .directory(NODE_DIR.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "node gguf-header.mjs failed (run npm ci in src/test/node)");
        return new ObjectMapper().readTree(new String(out, StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k", "q6_k"})
    void independentReaderAgrees(String type) throws Exception {
        Path out = tmp.resolve("m-" + type + ".gguf");
        // 256-wide rows so K-quants apply; hidden 320 is not a multiple of 256, so ffn_down falls back to F32
        int rc = Main.run(new String[] {"make-checkpoint", "--out", out.toString(), "--format", "gguf", "--type", type,
                "--dim", "256", "--hidden-dim", "320", "--layers", "2", "--heads", "4", "--kv-heads", "2",
                "--vocab-size", "512", "--seq-len", "64", "--unshared", "--seed", "7",
                "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString()});
        assertEquals(0, rc);
        GgufFile f = GgufFile.read(out);
        JsonNode node = nodeHeader(out);
        assertEquals(node.get("version").asInt(), f.version());
        List<String> nodeKeys = new ArrayList<>();
        node.get("metadata").fieldNames().forEachRemaining(nodeKeys::add);
        assertEquals(nodeKeys, new ArrayList<>(f.metadata().keys()), "metadata keys in order");
        for (Map.Entry<String, GgufMetadata.Value> e : f.metadata().entries().entrySet()) {
            JsonNode v = node.get("metadata").get(e.getKey());
            assertEquals(v.get("type").asInt(), e.getValue().type().id(), e.getKey());
            assertSame(e.getKey(), e.getValue().type(), e.getValue().value(), v);
        }
        JsonNode tensors = node.get("tensors");
        assertEquals(tensors.size(), f.tensors().size());
        for (int i = 0; i < tensors.size(); i++) {
            GgufTensorInfo t = f.tensors().get(i);
            JsonNode n = tensors.get(i);
            assertEquals(n.get("name").asText(), t.name());
            assertEquals(n.get("type").asInt(), t.type().id(), t.name());
            long[] dims = new long[n.get("dims").size()];
            for (int d = 0; d < dims.length; d++) {
                dims[d] = Long.parseLong(n.get("dims").get(d).asText());
            }
            assertArrayEquals(dims, t.dims(), t.name());
            assertEquals(Long.parseLong(n.get("offset").asText()), t.fileOffset(), t.name());
        }
        GgmlType expected = GgmlType.valueOf(type.toUpperCase());
        assertEquals(expected, f.tensor("blk.1.attn_k.weight").type());
        assertEquals(expected, f.tensor("output.weight").type());
        assertEquals(expected.quantized() && 320 % expected.blockSize() != 0 ? GgmlType.F32 : expected,
                f.tensor("blk.0.ffn_down.weight").type());
        // and the engine's reader takes it as a model with the tokenizer's vocabulary
        GgufLlamaSpec spec = GgufLlamaSpec.of(f);
        assertEquals(new LlamaConfig(256, 320, 2, 4, 2, 512, 64, false), spec.config());
        Tokenizer bin = Tokenizer.load(Oracles.AIDREAMS_TOKENIZER, 512);
        Tokenizer vocab = GgufVocabulary.read(f.metadata());
        assertArrayEquals(bin.encode("Once upon a time, pixels", true, true), vocab.encode("Once upon a time, pixels", true, true));
    }

    @Test
    void unknownTypeIsABadInput() {
        assertEquals(2, Main.run(new String[] {"make-checkpoint", "--out", tmp.resolve("x.gguf").toString(),
                "--format", "gguf", "--type", "q5_1", "--vocab-size", "300"}));
        assertEquals(2, Main.run(new String[] {"make-checkpoint", "--out", tmp.resolve("x.gguf").toString(),
                "--format", "ggml"}));
    }

    private static void assertSame(String key, GgufValueType type, Object java, JsonNode node) {
        JsonNode v = node.get("value");
        if (type == GgufValueType.ARRAY) {
            GgufArray a = (GgufArray) java;
            assertEquals(node.get("subType").asInt(), a.elementType().id(), key + " element type");
            assertEquals(v.size(), a.length(), key + " length");
            for (int i = 0; i < a.length(); i++) {
                assertScalar(key + "[" + i + "]", a.elementType(), Array.get(a.values(), i), v.get(i));
            }
        } else {
            assertScalar(key, type, java, v);
        }
    }

    private static void assertScalar(String key, GgufValueType type, Object java, JsonNode v) {
        switch (type) {
            case STRING -> assertEquals(v.asText(), java, key);
            case FLOAT32 -> assertEquals((float) v.asDouble(), (Float) java, 0f, key); // JSON has no -0
            case FLOAT64 -> assertEquals(v.asDouble(), (Double) java, key);
            case BOOL -> assertEquals(v.asBoolean(), java, key);
            default -> assertEquals(Long.parseLong(v.asText()), ((Number) java).longValue(), key);
        }
    }

    /** GGUF F32 of a seeded model holds exactly the weights of the legacy .bin of the same seed. */
    @Test
    void f32GgufEqualsLegacyBin() throws Exception {
        for (boolean shared : new boolean[] {true, false}) {
            LlamaConfig c = new LlamaConfig(64, 96, 2, 4, 2, 300, 32, shared);
            RandomCheckpoint model = new RandomCheckpoint(c, 42, 0.05f);
            Path bin = tmp.resolve("m.bin"), gguf = tmp.resolve("m.gguf");
            model.write(bin);
            RandomGguf.write(model, GgmlType.F32, null, gguf);
            GgufFile f = GgufFile.read(gguf);
            if (shared) {
                assertNull(f.tensor("output.weight"));
            }
            for (MatrixLayout layout : new MatrixLayout[] {MatrixLayout.ROW_MAJOR, MatrixLayout.panels(8)}) {
                LlamaWeights a = ModelFiles.load(bin, layout, 0, 0);
                LlamaWeights b = ModelFiles.load(gguf, layout, 0, 0);
                TestWeights.assertSameWeights(a, b);
            }
            Tokenizer synthetic = GgufVocabulary.read(f.metadata());
            assertEquals(300, synthetic.vocabSize());
            assertEquals(1, synthetic.bosId());
        }
    }
}
