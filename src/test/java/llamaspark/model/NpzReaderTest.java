package llamaspark.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import llamaspark.BadInputException;
import llamaspark.Oracles;
import llamaspark.model.kernel.Backend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The .npz loader against the .bin loader on the same weights, and its error messages. */
class NpzReaderTest {
    private static final String UP1 = "model.layers.1.mlp.up_proj.weight";
    private static final String O0 = "model.layers.0.self_attn.o_proj.weight";

    @TempDir
    static Path shared;
    /** stories260K.bin and its conversion. */
    static Path storiesNpz;
    /** A random tiny model with a separate classifier: D 32, FD 64, 2 layers, 4 heads, 2 kv heads, VS 100, L 16. */
    static Path tinyBin;
    static Path tinyNpz;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeFiles() {
        storiesNpz = shared.resolve("stories260K.npz");
        TestModels.makeCheckpoint("--convert", Oracles.STORIES260K.toString(), "--npz", storiesNpz.toString());
        tinyBin = shared.resolve("u.bin");
        tinyNpz = shared.resolve("u.npz");
        TestModels.makeCheckpoint("--dim", "32", "--hidden-dim", "64", "--n-layers", "2", "--n-heads", "4",
                "--n-kv-heads", "2", "--vocab-size", "100", "--seq-len", "16", "--unshared", "--seed", "11",
                "--std", "0.1", "--out", tinyBin.toString(), "--npz", tinyNpz.toString());
    }

    // ---- same weights, same logits ----------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Backend.class)
    void stories260kTiedNpzMatchesTheBin(Backend backend) {
        LlamaConfig binConfig = CheckpointReader.readConfig(Oracles.STORIES260K);
        assertTrue(binConfig.sharedClassifier());
        assertTrue(NpzFiles.entries(storiesNpz).containsKey("lm_head.weight.npy"),
                "the converted npz carries lm_head (equal to the embedding)");
        LlamaWeights bin = CheckpointReader.read(Oracles.STORIES260K, backend.layout());
        LlamaWeights npz = NpzReader.read(storiesNpz, binConfig.heads(), binConfig.seqLen(), backend.layout());
        assertEquals(binConfig, npz.config);
        assertSame(npz.tokenEmbedding, npz.classifier, "a tied lm_head must be held once, as the classifier");
        assertSameWeights(bin, npz);
        assertSameLogits(bin, npz, backend, 1, 403, 407, 261, 378, 2, 511);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void unsharedNpzMatchesTheBin(Backend backend) {
        LlamaConfig binConfig = CheckpointReader.readConfig(tinyBin);
        assertEquals(new LlamaConfig(32, 64, 2, 4, 2, 100, 16, false), binConfig);
        LlamaWeights bin = CheckpointReader.read(tinyBin, backend.layout());
        LlamaWeights npz = NpzReader.read(tinyNpz, 4, 16, backend.layout());
        assertEquals(binConfig, npz.config);
        assertNotSame(npz.tokenEmbedding, npz.classifier);
        assertSameWeights(bin, npz);
        assertSameLogits(bin, npz, backend, 5, 99, 0, 42, 42, 17);
    }

    @Test
    void modelFilesTellsTheFormatsApart() {
        assertTrue(NpzReader.isNpz(tinyNpz));
        assertFalse(NpzReader.isNpz(tinyBin));
        assertFalse(NpzReader.isNpz(shared.resolve("absent.npz")));
        LlamaWeights npz = ModelFiles.load(tinyNpz, MatrixLayout.ROW_MAJOR, 4, 16);
        LlamaWeights bin = ModelFiles.load(tinyBin, MatrixLayout.ROW_MAJOR, 0, 0);
        assertEquals(bin.config, npz.config);
        assertSameWeights(bin, npz);
    }

    @Test
    void npzWithoutLmHeadIsTied() {
        Map<String, byte[]> e = NpzFiles.entries(storiesNpz);
        assertTrue(e.remove("lm_head.weight.npy") != null);
        Path p = NpzFiles.write(dir.resolve("nohead.npz"), e);
        LlamaWeights bin = CheckpointReader.read(Oracles.STORIES260K, Backend.VECTOR.layout());
        LlamaWeights npz = NpzReader.read(p, 8, 512, Backend.VECTOR.layout());
        assertEquals(bin.config, npz.config);
        assertSame(npz.tokenEmbedding, npz.classifier);
        assertSameWeights(bin, npz);
        assertSameLogits(bin, npz, Backend.VECTOR, 1, 403, 407);
    }

    /** An lm_head equal to the embedding except one row is a separate classifier, read completely. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void lmHeadDifferingInOneRowIsSeparate(Backend backend) {
        for (int row : new int[] {0, 37, 511}) {
            Map<String, byte[]> e = NpzFiles.entries(storiesNpz);
            float[] embed = NpzFiles.floats(e.get("model.embed_tokens.weight.npy"));
            float[] head = embed.clone();
            head[row * 64 + 5] += 0.25f;
            e.put("lm_head.weight.npy", NpzFiles.f32(new int[] {512, 64}, head));
            Path p = NpzFiles.write(dir.resolve("onerow" + row + ".npz"), e);
            LlamaWeights w = NpzReader.read(p, 8, 512, backend.layout());
            assertFalse(w.config.sharedClassifier(), "row " + row);
            assertNotSame(w.tokenEmbedding, w.classifier);
            for (int r = 0; r < 512; r++) {
                for (int c = 0; c < 64; c++) {
                    if (w.tokenEmbedding.get(r, c) != embed[r * 64 + c] || w.classifier.get(r, c) != head[r * 64 + c]) {
                        fail("changed row " + row + ": embedding/classifier wrong at [" + r + "," + c + "]");
                    }
                }
            }
        }
    }

    static void assertSameWeights(LlamaWeights a, LlamaWeights b) {
        assertEquals(a.config, b.config);
        assertEquals(a.layout(), b.layout());
        assertEquals(a.tokenEmbedding == a.classifier, b.tokenEmbedding == b.classifier, "tied in both or neither");
        int D = a.config.dim();
        float[] ra = new float[D], rb = new float[D];
        for (int r = 0; r < a.config.vocabSize(); r++) {
            a.tokenEmbedding.copyRow(r, ra, 0);
            b.tokenEmbedding.copyRow(r, rb, 0);
            assertArrayEquals(ra, rb, "embedding row " + r);
        }
        assertBits(a.classifier, b.classifier, "classifier");
        for (int l = 0; l < a.config.layers(); l++) {
            assertArrayEquals(a.rmsAttention[l], b.rmsAttention[l], "rms_att " + l);
            assertArrayEquals(a.rmsFeedForward[l], b.rmsFeedForward[l], "rms_ffn " + l);
            assertBits(a.wqkv[l], b.wqkv[l], "wqkv " + l);
            assertBits(a.wo[l], b.wo[l], "wo " + l);
            assertBits(a.w13[l], b.w13[l], "w13 " + l);
            assertBits(a.w2[l], b.w2[l], "w2 " + l);
        }
        assertArrayEquals(a.rmsFinal, b.rmsFinal, "rms_final");
    }

    private static void assertBits(WeightMatrix a, WeightMatrix b, String what) {
        assertEquals(a.rows(), b.rows(), what);
        assertEquals(a.cols(), b.cols(), what);
        assertEquals(a.layout(), b.layout(), what);
        float[] x = a.data(), y = b.data();
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                fail(what + " differs at data index " + i + ": " + x[i] + " vs " + y[i]);
            }
        }
    }

    static void assertSameLogits(LlamaWeights bin, LlamaWeights npz, Backend backend, int... tokens) {
        float[][] a = TestModels.forwardSteps(bin, backend, tokens);
        float[][] b = TestModels.forwardSteps(npz, backend, tokens);
        for (int pos = 0; pos < tokens.length; pos++) {
            for (int v = 0; v < a[pos].length; v++) {
                assertTrue(Float.isFinite(a[pos][v]), "finite logits");
                if (Float.floatToRawIntBits(a[pos][v]) != Float.floatToRawIntBits(b[pos][v])) {
                    fail(backend.cliName() + " pos " + pos + " logit " + v + ": bin " + a[pos][v] + ", npz " + b[pos][v]);
                }
            }
        }
        // the logits really depend on the input, so identical logits mean something
        assertFalse(Arrays.equals(a[0], a[1]), "logits of successive steps differ");
    }

    // ---- bad archives -------------------------------------------------------------------------

    /** The tiny npz with {@code edit} applied to its entries. */
    private Path edited(String name, Consumer<Map<String, byte[]>> edit) {
        Map<String, byte[]> e = new LinkedHashMap<>(NpzFiles.entries(tinyNpz));
        edit.accept(e);
        return NpzFiles.write(dir.resolve(name + ".npz"), e);
    }

    private static String failure(Path p, int heads, int seqLen) {
        BadInputException e = assertThrows(BadInputException.class,
                () -> NpzReader.read(p, heads, seqLen, MatrixLayout.ROW_MAJOR));
        String viaModelFiles = assertThrows(BadInputException.class,
                () -> ModelFiles.load(p, MatrixLayout.panels(16), heads, seqLen)).getMessage();
        assertEquals(e.getMessage(), viaModelFiles);
        assertTrue(e.getMessage().startsWith(p + ": "), () -> "does not name the file: " + e.getMessage());
        return e.getMessage();
    }

    private static String failure(Path p) {
        return failure(p, 4, 16);
    }

    @Test
    void missingTensor() {
        Path p = edited("missing", e -> assertTrue(e.remove(NpzFiles.entry(UP1)) != null));
        assertEquals(p + ": missing tensor " + UP1, failure(p));
    }

    @Test
    void missingEmbedding() {
        Path p = edited("noembed", e -> e.remove("model.embed_tokens.weight.npy"));
        assertEquals(p + ": missing tensor model.embed_tokens.weight", failure(p));
    }

    @Test
    void noLayers() {
        Path p = edited("nolayers", e -> e.keySet().removeIf(k -> k.startsWith("model.layers.0.input_layernorm")));
        assertEquals(p + ": no tensor model.layers.0.input_layernorm.weight: not a Llama checkpoint", failure(p));
    }

    @Test
    void misshapenMatrix() {
        Path p = edited("misshapen", e -> e.put(NpzFiles.entry(UP1), NpzFiles.f32(new int[] {64, 31}, new float[64 * 31])));
        assertEquals(p + ": tensor " + UP1 + " has shape (64, 31), expected (64, 32)", failure(p));
    }

    @Test
    void misshapenLaterLayerGate() {
        String gate1 = "model.layers.1.mlp.gate_proj.weight";
        Path p = edited("gate", e -> e.put(NpzFiles.entry(gate1), NpzFiles.f32(new int[] {48, 32}, new float[48 * 32])));
        assertEquals(p + ": tensor " + gate1 + " has shape (48, 32), expected (64, 32)", failure(p));
    }

    @Test
    void misshapenVector() {
        Path p = edited("norm", e -> e.put("model.norm.weight.npy", NpzFiles.f32(new int[] {31}, new float[31])));
        assertEquals(p + ": tensor model.norm.weight has shape (31,), expected (32,)", failure(p));
    }

    @Test
    void misshapenLmHead() {
        Path p = edited("head", e -> e.put("lm_head.weight.npy", NpzFiles.f32(new int[] {99, 32}, new float[99 * 32])));
        assertEquals(p + ": tensor lm_head.weight has shape (99, 32), expected (100, 32)", failure(p));
    }

    @Test
    void wrongRank() {
        Path p = edited("rank", e -> e.put(NpzFiles.entry(O0), NpzFiles.f32(new int[] {1024}, new float[1024])));
        assertEquals(p + ": tensor " + O0 + " has shape (1024,), expected 2 dimensions", failure(p));
    }

    @Test
    void float64Tensor() {
        Path p = edited("f64", e -> e.put(NpzFiles.entry(O0), NpzFiles.f64(new int[] {32, 32}, new double[32 * 32])));
        assertEquals(p + ": tensor " + O0 + " has dtype '<f8', expected little-endian float32 '<f4'", failure(p));
    }

    @Test
    void bigEndianTensor() {
        Path p = edited("be", e -> e.put(NpzFiles.entry(O0), NpzFiles.npy(">f4", false, new int[] {32, 32}, new byte[4096])));
        assertEquals(p + ": tensor " + O0 + " has dtype '>f4', expected little-endian float32 '<f4'", failure(p));
    }

    @Test
    void fortranOrderTensor() {
        Path p = edited("fortran", e -> e.put(NpzFiles.entry(O0), NpzFiles.npy("<f4", true, new int[] {32, 32}, new byte[4096])));
        assertEquals(p + ": tensor " + O0 + " is stored in Fortran order, expected C order", failure(p));
    }

    @Test
    void tensorDataEndsEarly() {
        Path p = edited("short", e -> {
            byte[] full = e.get(NpzFiles.entry(UP1));
            e.put(NpzFiles.entry(UP1), Arrays.copyOf(full, full.length - 4));
        });
        assertEquals(p + ": tensor " + UP1 + " (64, 32) is truncated: its data ends early", failure(p));
    }

    @Test
    void tensorHeaderEndsEarly() {
        Path p = edited("shorthead", e -> e.put(NpzFiles.entry(UP1), Arrays.copyOf(e.get(NpzFiles.entry(UP1)), 40)));
        assertEquals(p + ": tensor " + UP1 + " is truncated inside its .npy header", failure(p));
    }

    @Test
    void entryThatIsNotNpy() {
        Path p = edited("notnpy", e -> e.put(NpzFiles.entry(UP1), "just some text, not an array".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(p + ": tensor " + UP1 + " is not a .npy array (bad magic)", failure(p));
    }

    @Test
    void notAZip() {
        Path p = TestModels.write(dir.resolve("text.npz"), "this is not a zip archive\n".getBytes(StandardCharsets.US_ASCII));
        String m = assertThrows(BadInputException.class, () -> NpzReader.read(p, 4, 16, MatrixLayout.ROW_MAJOR)).getMessage();
        assertTrue(m.startsWith(p + ": not a readable .npz archive: "), m);
    }

    @Test
    void truncatedZip() {
        byte[] bytes = TestModels.read(tinyNpz);
        Path p = TestModels.write(dir.resolve("cut.npz"), Arrays.copyOf(bytes, bytes.length / 2));
        assertTrue(NpzReader.isNpz(p), "still starts like a zip");
        assertTrue(failure(p).startsWith(p + ": not a readable .npz archive: "), failure(p));
    }

    @Test
    void zipMagicThenGarbage() {
        byte[] bytes = new byte[200];
        bytes[0] = 'P';
        bytes[1] = 'K';
        bytes[2] = 3;
        bytes[3] = 4;
        Path p = TestModels.write(dir.resolve("garbage.npz"), bytes);
        assertTrue(failure(p).startsWith(p + ": not a readable .npz archive: "), failure(p));
    }

    @Test
    void missingFile() {
        Path p = dir.resolve("absent.npz");
        assertEquals(p + ": no such model file",
                assertThrows(BadInputException.class, () -> NpzReader.read(p, 4, 16, MatrixLayout.ROW_MAJOR)).getMessage());
    }

    @Test
    void headsNotDividingDim() {
        for (int heads : new int[] {3, 5, 64}) {
            assertEquals(tinyNpz + ": head count " + heads + " does not divide the model dimension 32 "
                    + "(read from model.embed_tokens.weight)", failure(tinyNpz, heads, 16), "heads " + heads);
        }
        for (int heads : new int[] {0, -4}) { // ModelFiles asks for --heads before the reader sees these
            assertEquals(tinyNpz + ": head count " + heads + " does not divide the model dimension 32 "
                    + "(read from model.embed_tokens.weight)", assertThrows(BadInputException.class,
                    () -> NpzReader.read(tinyNpz, heads, 16, MatrixLayout.ROW_MAJOR)).getMessage());
        }
    }

    @Test
    void kvWidthNotAMultipleOfTheHeadSize() {
        // one head of 32: k_proj's 16 rows are half a head
        assertEquals(tinyNpz + ": self_attn.k_proj.weight has 16 rows, not a multiple of the head size 32",
                failure(tinyNpz, 1, 16));
    }

    @Test
    void oddHeadSize() {
        assertEquals(tinyNpz + ": head size dim/n_heads=1 must be even for rotary embeddings", failure(tinyNpz, 32, 16));
    }

    @Test
    void modelFilesAsksForHeadsAndSeqLen() {
        String expected = tinyNpz + ": an .npz checkpoint does not record n_heads or seq_len: give them (--heads, --seq-len)";
        for (int[] hs : new int[][] {{0, 0}, {0, 16}, {4, 0}, {-1, 16}, {4, -1}}) {
            assertEquals(expected, assertThrows(BadInputException.class,
                    () -> ModelFiles.load(tinyNpz, MatrixLayout.ROW_MAJOR, hs[0], hs[1])).getMessage(),
                    "heads " + hs[0] + " seq_len " + hs[1]);
        }
    }
}
