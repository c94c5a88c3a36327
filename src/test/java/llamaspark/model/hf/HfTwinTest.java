package llamaspark.model.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import llamaspark.NodeReference;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.IntStream;
import llamaspark.model.RopeFrequencies;
import llamaspark.model.gguf.GgufFile;
import llamaspark.model.gguf.GgufLlamaSpec;
import llamaspark.model.gguf.GgufRope;
import llamaspark.model.gguf.GgufTensorInfo;
import llamaspark.model.gguf.GgufVocabulary;
import llamaspark.model.gguf.TensorRows;
import llamaspark.model.quant.GgmlType;
import llamaspark.model.quant.Halfs;
import llamaspark.model.quant.QuantMatrix;
import llamaspark.tokenizer.HfTokenizerFiles;
import llamaspark.tokenizer.TextTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same seeded Llama 3 shaped model as GGUF and as a Hugging Face directory reads the same. */
class HfTwinTest {

    @Test
    void f32ShardedTiedReadsLikeGguf(@TempDir Path dir) throws IOException {
        Llama3Twin twin = Llama3Twin.write(dir, GgmlType.F32, true, 3, 11);
        assertTrue(Files.exists(twin.hfDir().resolve(HfLlamaSpec.INDEX)));
        assertTrue(Files.exists(twin.hfDir().resolve("model-00003-of-00003.safetensors")));
        assertTwins(twin, GgmlType.F32);
    }

    @Test
    void bf16UntiedReadsLikeGguf(@TempDir Path dir) throws IOException {
        Llama3Twin twin = Llama3Twin.write(dir, GgmlType.BF16, false, 1, 12);
        assertTrue(Files.exists(twin.hfDir().resolve(HfLlamaSpec.SINGLE)));
        assertTwins(twin, GgmlType.BF16);
        assertIndependentReaderSeesLlama3Gguf(twin);
    }

    /** @huggingface/gguf reads the GGUF twin as llama.cpp's converter lays out a Llama 3.1 file. */
    private static void assertIndependentReaderSeesLlama3Gguf(Llama3Twin twin) throws IOException {
        Process p = new ProcessBuilder("node", "gguf-header.mjs", twin.gguf().toAbsolutePath().toString())
                .directory(NodeReference.DIR.toFile()).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        assertEquals(0, p.exitValue(), "node gguf-header.mjs failed (run npm ci in src/test/node)");
        JsonNode h = new ObjectMapper().readTree(out);
        JsonNode m = h.path("metadata");
        assertEquals("gpt2", m.path("tokenizer.ggml.model").path("value").asText());
        assertEquals("llama-bpe", m.path("tokenizer.ggml.pre").path("value").asText());
        JsonNode tokens = m.path("tokenizer.ggml.tokens").path("value");
        JsonNode json = new ObjectMapper().readTree(Llama3Twin.TOKENIZER_JSON.toFile());
        assertEquals(128256, tokens.size());
        assertEquals(json.path("model").path("merges").size(), m.path("tokenizer.ggml.merges").path("value").size());
        assertEquals(json.path("model").path("vocab").path("Ġthe").asInt(), indexOf(tokens, "Ġthe"));
        assertEquals("<|eot_id|>", tokens.get(Llama3Twin.EOT).asText());
        assertEquals(Llama3Twin.EOT, m.path("tokenizer.ggml.eot_token_id").path("value").asInt());
        assertEquals(Llama3Twin.THETA, (float) m.path("llama.rope.freq_base").path("value").asDouble());
        boolean ropeFreqs = false;
        for (JsonNode t : h.path("tensors")) {
            if (t.path("name").asText().equals("rope_freqs.weight")) {
                ropeFreqs = true;
                assertEquals("[\"8\"]", t.path("dims").toString());
                assertEquals(0, t.path("type").asInt(), "F32");
            }
        }
        assertTrue(ropeFreqs, "rope_freqs.weight is in the tensor table");
    }

    private static int indexOf(JsonNode array, String text) {
        for (int i = 0; i < array.size(); i++) {
            if (array.get(i).asText().equals(text)) {
                return i;
            }
        }
        return -1;
    }

    private static void assertTwins(Llama3Twin twin, GgmlType type) throws IOException {
        HfLlamaSpec hf = HfLlamaSpec.of(twin.hfDir());
        GgufLlamaSpec gg = GgufLlamaSpec.of(GgufFile.read(twin.gguf()));

        // configuration
        assertEquals(gg.config(), hf.config());
        // The seeded model's shape with the twin's norm epsilon and RoPE theta.
        assertEquals(twin.model().config().withNorms(Llama3Twin.RMS_EPS, Llama3Twin.THETA), hf.config());
        assertEquals(gg.rmsEps(), hf.rmsEps());
        assertEquals(gg.ropeTheta(), hf.ropeTheta());
        assertEquals(Llama3Twin.SCALING, hf.hf().ropeScaling());
        float[] hfFreq = hf.ropeFrequencies();
        assertArrayEquals(GgufRope.frequencies(gg), hfFreq, "rope frequencies bit for bit");
        float[] plain = RopeFrequencies.plain(16, Llama3Twin.THETA);
        assertEquals(plain[0], hfFreq[0]);
        assertEquals(plain[7] / 8, hfFreq[7]);
        assertTrue(hfFreq[1] < plain[1] && hfFreq[1] > plain[1] / 8, "pair 1 lies in the smooth band");
        assertEquals(Llama3Twin.BOS, hf.hf().bosId());
        assertArrayEquals(new int[] {Llama3Twin.EOS, Llama3Twin.EOT}, hf.hf().eosIds());
        assertEquals(type == GgmlType.F32 ? 20 : 21, hf.tensorTypes().get(type.name()));

        // weights: GGUF == HF un-permuted == the generator's values (rounded to the type), bit for bit
        List<float[]> source = new ArrayList<>();
        twin.model().forEachMatrix((name, layer, rows, cols, src) -> {
            float[] all = new float[rows * cols];
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                src.next(row);
                for (int i = 0; i < cols; i++) {
                    all[r * cols + i] = type == GgmlType.BF16 ? Halfs.bf16ToFloat(Halfs.floatToBf16(row[i])) : row[i];
                }
            }
            source.add(all);
        });
        List<Safetensors.Tensor> hfMatrices = new ArrayList<>();
        List<GgufTensorInfo> ggMatrices = new ArrayList<>();
        hfMatrices.add(hf.tokenEmbedding());
        ggMatrices.add(gg.tokenEmbedding());
        for (int pick = 1; pick <= 7; pick++) { // the generator's order: wq, wk, wv, wo, w1, w2, w3
            for (int l = 0; l < 2; l++) {
                HfLlamaSpec.Layer h = hf.layers().get(l);
                GgufLlamaSpec.Layer g = gg.layers().get(l);
                hfMatrices.add(List.of(h.q(), h.k(), h.v(), h.o(), h.gate(), h.down(), h.up()).get(pick - 1));
                ggMatrices.add(List.of(g.q(), g.k(), g.v(), g.o(), g.gate(), g.down(), g.up()).get(pick - 1));
            }
        }
        if (hf.lmHead() != null) {
            hfMatrices.add(hf.lmHead());
            ggMatrices.add(gg.output());
        } else {
            assertNull(gg.output());
        }
        assertEquals(source.size(), hfMatrices.size());
        try (FileChannel ch = FileChannel.open(twin.gguf(), StandardOpenOption.READ)) {
            for (int i = 0; i < hfMatrices.size(); i++) {
                Safetensors.Tensor t = hfMatrices.get(i);
                float[] fromHf = hf.floats(t);
                assertArrayEquals(TensorRows.readAll(ch, ggMatrices.get(i)), fromHf, t.name() + " equals the GGUF tensor");
                assertArrayEquals(source.get(i), fromHf, t.name() + " equals the generated values");
                QuantMatrix m = hf.matrix(t);
                assertEquals(type, m.type());
                float[] row = new float[m.cols()];
                for (int r : new int[] {0, 1, m.rows() / 2 + 1, m.rows() - 1}) {
                    m.dequantizeRow(r, row, 0);
                    assertArrayEquals(Arrays.copyOfRange(fromHf, r * m.cols(), (r + 1) * m.cols()), row, t.name() + " row " + r);
                }
                if (hf.isQk(t)) {
                    assertNotEquals(Arrays.toString(Safetensors.readAll(t)), Arrays.toString(fromHf),
                            t.name() + " is stored permuted");
                }
            }
            for (int l = 0; l < 2; l++) {
                assertArrayEquals(TensorRows.readAll(ch, gg.layers().get(l).attnNorm()), hf.floats(hf.layers().get(l).attnNorm()));
                assertArrayEquals(TensorRows.readAll(ch, gg.layers().get(l).ffnNorm()), hf.floats(hf.layers().get(l).ffnNorm()));
            }
            assertArrayEquals(TensorRows.readAll(ch, gg.outputNorm()), hf.floats(hf.norm()));
        }
        assertRotateHalfScoresEqualInterleaved(hf, hfFreq);

        // tokenizers: GGUF gpt2 vocabulary == tokenizer.json
        TextTokenizer fromGguf = GgufVocabulary.readText(gg.file().metadata());
        TextTokenizer fromHf = HfTokenizerFiles.load(twin.hfDir());
        assertEquals(fromHf.vocabSize(), fromGguf.vocabSize());
        assertEquals(Llama3Twin.BOS, fromGguf.bosId());
        assertEquals(fromHf.bosId(), fromGguf.bosId());
        assertEquals(fromHf.eosId(), fromGguf.eosId());
        assertEquals(set(fromHf.endOfGenerationIds()), set(fromGguf.endOfGenerationIds()));
        assertTrue(set(fromGguf.endOfGenerationIds()).containsAll(List.of(Llama3Twin.EOS, Llama3Twin.EOT)));
        for (String text : List.of("Hello world!", "  indented\n\tcode() { return 12345; }", "naïve café — 日本語 🙂",
                "I'm sure they'll've done it", "<|eot_id|> stays text")) {
            assertArrayEquals(fromHf.encode(text, true, false), fromGguf.encode(text, true, false), text);
        }
    }

    private static TreeSet<Integer> set(int[] ids) {
        return new TreeSet<>(IntStream.of(ids).boxed().toList());
    }

    /**
     * The un-permutation is the one that makes the engine's adjacent-pair RoPE equal Hugging Face's
     * (transformers' apply_rotary_pos_emb: x * cos + rotate_half(x) * sin, rotate_half(x) =
     * cat(-x[HD/2:], x[:HD/2]), cos/sin of cat(freqs, freqs)): the attention score of every query
     * head with its KV head, computed from the stored (permuted) weights the Hugging Face way and
     * from the un-permuted weights the engine's way, agree.
     */
    private static void assertRotateHalfScoresEqualInterleaved(HfLlamaSpec hf, float[] freq) {
        int D = 64, HD = 16, HN = 4, KVHN = 2;
        SplittableRandom rng = new SplittableRandom(5);
        double[] x1 = new double[D], x2 = new double[D];
        for (int i = 0; i < D; i++) {
            x1[i] = rng.nextGaussian();
            x2[i] = rng.nextGaussian();
        }
        int checked = 0;
        for (HfLlamaSpec.Layer layer : hf.layers()) {
            float[] wqHf = Safetensors.readAll(layer.q()), wkHf = Safetensors.readAll(layer.k());
            float[] wq = hf.floats(layer.q()), wk = hf.floats(layer.k());
            for (int[] pos : new int[][] {{3, 1}, {200, 70}, {255, 0}}) {
                double[] qh = matvec(wqHf, x1, HN * HD, D), kh = matvec(wkHf, x2, KVHN * HD, D);
                double[] qe = matvec(wq, x1, HN * HD, D), ke = matvec(wk, x2, KVHN * HD, D);
                for (int h = 0; h < HN; h++) {
                    int kvh = h / (HN / KVHN);
                    double[] q1 = rotateHalf(qh, h * HD, HD, pos[0], freq), k1 = rotateHalf(kh, kvh * HD, HD, pos[1], freq);
                    double[] q2 = interleaved(qe, h * HD, HD, pos[0], freq), k2 = interleaved(ke, kvh * HD, HD, pos[1], freq);
                    double s1 = 0, s2 = 0;
                    for (int i = 0; i < HD; i++) {
                        s1 += q1[i] * k1[i];
                        s2 += q2[i] * k2[i];
                    }
                    assertEquals(s1, s2, 1e-9 * (1 + Math.abs(s1)), "head " + h + " positions " + Arrays.toString(pos));
                    checked++;
                }
            }
        }
        assertEquals(2 * 3 * HN, checked);
        // and the stored order is not already interleaved: without un-permuting, the scores differ
        HfLlamaSpec.Layer l0 = hf.layers().get(0);
        double[] qh = matvec(Safetensors.readAll(l0.q()), x1, HN * HD, D), kh = matvec(Safetensors.readAll(l0.k()), x2, KVHN * HD, D);
        double[] a = rotateHalf(qh, 0, HD, 200, freq), b = rotateHalf(kh, 0, HD, 70, freq);
        double[] c = interleaved(qh, 0, HD, 200, freq), d = interleaved(kh, 0, HD, 70, freq);
        double s1 = 0, s2 = 0;
        for (int i = 0; i < HD; i++) {
            s1 += a[i] * b[i];
            s2 += c[i] * d[i];
        }
        assertTrue(Math.abs(s1 - s2) > 1e-6, "rotate-half and interleaved RoPE differ on the stored rows");
    }

    private static double[] matvec(float[] w, double[] x, int rows, int cols) {
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += w[r * cols + c] * x[c];
            }
            y[r] = s;
        }
        return y;
    }

    private static double[] rotateHalf(double[] v, int off, int hd, int pos, float[] freq) {
        int half = hd / 2;
        double[] out = new double[hd];
        for (int i = 0; i < hd; i++) {
            double angle = pos * (double) freq[i % half];
            double rot = i < half ? -v[off + i + half] : v[off + i - half];
            out[i] = v[off + i] * Math.cos(angle) + rot * Math.sin(angle);
        }
        return out;
    }

    private static double[] interleaved(double[] v, int off, int hd, int pos, float[] freq) {
        double[] out = new double[hd];
        for (int j = 0; j < hd / 2; j++) {
            double angle = pos * (double) freq[j];
            double a = v[off + 2 * j], b = v[off + 2 * j + 1];
            out[2 * j] = a * Math.cos(angle) - b * Math.sin(angle);
            out[2 * j + 1] = a * Math.sin(angle) + b * Math.cos(angle);
        }
        return out;
    }
}
