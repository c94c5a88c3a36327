package llamaspark.model.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import llamaspark.BadInputException;
import llamaspark.model.quant.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader and writer against the format's own library (python safetensors.numpy), and bad files. */
class SafetensorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode python(String... args) throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "python3";
        cmd[1] = Path.of("src/test/python/safetensors_ref.py").toAbsolutePath().toString();
        System.arraycopy(args, 0, cmd, 2, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "python safetensors reference failed (pip install safetensors): " + text);
        return JSON.readTree(text);
    }

    @Test
    void readsWhatTheReferenceLibraryWrites(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ref.safetensors");
        JsonNode expected = python("write", file.toString());
        Map<String, Safetensors.Tensor> tensors = Safetensors.read(file);
        assertEquals(3, tensors.size());
        for (var e : expected.properties()) {
            Safetensors.Tensor t = tensors.get(e.getKey());
            assertEquals(e.getValue().path("dtype").asText().equals("float16") ? GgmlType.F16 : GgmlType.F32, t.type());
            assertEquals(e.getValue().path("shape").toString(), JSON.valueToTree(t.shape()).toString());
            float[] got = Safetensors.readAll(t);
            JsonNode values = e.getValue().path("values");
            assertEquals(values.size(), got.length);
            for (int i = 0; i < got.length; i++) {
                assertEquals((float) values.get(i).asDouble(), got[i], e.getKey() + "[" + i + "]");
            }
        }
    }

    @Test
    void referenceLibraryReadsWhatTheWriterWrites(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ours.safetensors");
        float[] a = {1.5f, -2.25f, 3e-3f, 65504f, -0f, 7f};
        float[] b = {0.1f, 0.2f, -0.3f, 1e-3f};
        SafetensorsWriter w = new SafetensorsWriter().tensor("a", GgmlType.F32, 2, 3).tensor("b", GgmlType.F16, 4);
        try (OutputStream os = Files.newOutputStream(file)) {
            w.writeHeader(os);
            ByteBuffer bytes = ByteBuffer.allocate(64);
            SafetensorsWriter.encodeRow(GgmlType.F32, a, bytes);
            os.write(bytes.array(), 0, bytes.position());
            SafetensorsWriter.encodeRow(GgmlType.F16, b, bytes);
            os.write(bytes.array(), 0, bytes.position());
        }
        JsonNode got = python("read", file.toString());
        assertEquals("[2,3]", got.path("a").path("shape").toString());
        assertEquals("float16", got.path("b").path("dtype").asText());
        float[] back = Safetensors.readAll(Safetensors.read(file).get("b"));
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], (float) got.path("a").path("values").get(i).asDouble());
        }
        for (int i = 0; i < b.length; i++) {
            assertEquals(back[i], (float) got.path("b").path("values").get(i).asDouble());
            assertEquals(b[i], back[i], Math.abs(b[i]) * 1e-3f);
        }
    }

    private static Path file(Path dir, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, b.array());
        return p;
    }

    private static String fails(Path p) {
        return assertThrows(BadInputException.class, () -> Safetensors.read(p)).getMessage();
    }

    @Test
    void badFilesSayWhatIsWrong(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("short"), new byte[3]);
        assertTrue(fails(dir.resolve("short")).contains("too short"));
        assertTrue(fails(file(dir, "{\"x\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2))
                .contains("tensor 'x' has dtype 'I8'; only F32, F16 and BF16"));
        assertTrue(fails(file(dir, "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4))
                .contains("outside the data section"));
        assertTrue(fails(file(dir, "{\"x\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8))
                .contains("has 8 bytes of data, expected 6"));
        assertTrue(fails(file(dir, "[1, 2]", 0)).contains("not a JSON object"));
        Path p = dir.resolve("len.safetensors");
        Files.write(p, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        assertTrue(fails(p).contains("header length"));
    }

    @Test
    void hfDirectoryErrorsNameTheProblem(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"mistral\"}");
        assertTrue(assertThrows(BadInputException.class, () -> HfLlamaSpec.of(dir)).getMessage()
                .contains("model_type is 'mistral', only 'llama'"));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"llama\",\"hidden_size\":64,"
                + "\"num_attention_heads\":4,\"intermediate_size\":8,\"num_hidden_layers\":1,\"vocab_size\":10,"
                + "\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":4}}");
        assertTrue(assertThrows(BadInputException.class, () -> HfLlamaSpec.of(dir)).getMessage()
                .contains("rope_scaling type 'yarn' is not supported"));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"llama\",\"hidden_size\":64,"
                + "\"num_attention_heads\":4,\"intermediate_size\":8,\"num_hidden_layers\":1,\"vocab_size\":10}");
        assertTrue(assertThrows(BadInputException.class, () -> HfLlamaSpec.of(dir)).getMessage()
                .contains("has neither model.safetensors nor model.safetensors.index.json"));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"llama\",\"hidden_size\":64,\"head_dim\":48,"
                + "\"num_attention_heads\":2,\"intermediate_size\":8,\"num_hidden_layers\":1,\"vocab_size\":10}");
        // head_dim other than hidden_size / heads is a supported shape now (QD = HN * HD): the next problem is reported
        assertTrue(assertThrows(BadInputException.class, () -> HfLlamaSpec.of(dir)).getMessage()
                .contains("has neither model.safetensors nor model.safetensors.index.json"));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"llama\",\"hidden_size\":64,\"head_dim\":7,"
                + "\"num_attention_heads\":2,\"intermediate_size\":8,\"num_hidden_layers\":1,\"vocab_size\":10}");
        assertTrue(assertThrows(BadInputException.class, () -> HfLlamaSpec.of(dir)).getMessage()
                .contains("head_dim=7 must be even"));
    }

    @Test
    void qkPermutationIsLlamaCppsInverse() {
        // llama.cpp's permute (HF -> interleaved): w.reshape(n, 2, HD/2, in).swapaxes(1, 2): interleaved
        // row (h, i, p) = HF row (h, p, i); checked by enumeration for two head sizes
        for (int hd : new int[] {16, 48}) {
            int heads = 3;
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < hd / 2; i++) {
                    for (int p = 0; p < 2; p++) {
                        int interleaved = h * hd + i * 2 + p, hf = h * hd + p * (hd / 2) + i;
                        assertEquals(hf, QkPermutation.hfRow(interleaved, hd));
                        assertEquals(interleaved, QkPermutation.engineRow(hf, hd));
                    }
                }
            }
        }
        assertArrayEquals(new int[] {0, 2, 4, 6, 1, 3, 5, 7},
                java.util.stream.IntStream.range(0, 8).map(r -> QkPermutation.engineRow(r, 8)).toArray());
    }
}
