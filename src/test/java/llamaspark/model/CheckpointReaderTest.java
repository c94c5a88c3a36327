package llamaspark.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import llamaspark.BadInputException;
import llamaspark.Oracles;
import llamaspark.model.kernel.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class CheckpointReaderTest {
    /** dim 8, hidden 16, 2 layers, 2 heads, 1 kv head, vocab 10, seq 4. */
    private static final LlamaConfig TINY = new LlamaConfig(8, 16, 2, 2, 1, 10, 4, true);
    private static final String TINY_TEXT =
            "dim=8 hidden_dim=16 n_layers=2 n_heads=2 n_kv_heads=1 vocab_size=10 seq_len=4 (shared classifier)";

    @TempDir
    Path dir;

    private Path tinyCheckpoint() {
        Path p = dir.resolve("tiny.bin");
        new RandomCheckpoint(TINY, 5, 0.1f).write(p);
        return p;
    }

    /** Both entry points fail the same way; returns the message. */
    private static String failure(Path p) {
        String m = assertThrows(BadInputException.class, () -> CheckpointReader.read(p, MatrixLayout.ROW_MAJOR))
                .getMessage();
        assertEquals(m, assertThrows(BadInputException.class, () -> CheckpointReader.readConfig(p)).getMessage());
        assertEquals(m, assertThrows(BadInputException.class,
                () -> CheckpointReader.read(p, MatrixLayout.panels(16))).getMessage());
        assertTrue(m.startsWith(p + ": "), () -> "message does not start with the file name: " + m);
        return m;
    }

    @Test
    void tinyExpectedSize() {
        // 10*8 + 2*(8 + 64 + 2*4*8 + 64 + 8 + 3*16*8) + 8 + 4*4 = 80 + 2*592 + 24
        assertEquals(1288, TINY.checkpointFloats());
        assertEquals(1368, new LlamaConfig(8, 16, 2, 2, 1, 10, 4, false).checkpointFloats());
    }

    @Test
    void truncatedFile() throws IOException {
        Path p = tinyCheckpoint();
        long expected = 28 + 4 * 1288;
        assertEquals(expected, Files.size(p));
        byte[] bytes = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(bytes, bytes.length - 6));
        assertEquals(p + ": truncated: expected 5180 bytes for a checkpoint of " + TINY_TEXT
                + ", but the file has 5174 bytes (6 missing)", failure(p));
    }

    @Test
    void truncatedToTheHeader() throws IOException {
        Path p = tinyCheckpoint();
        Files.write(p, Arrays.copyOf(Files.readAllBytes(p), 28));
        assertEquals(p + ": truncated: expected 5180 bytes for a checkpoint of " + TINY_TEXT
                + ", but the file has 28 bytes (5152 missing)", failure(p));
    }

    @Test
    void oversizedFile() throws IOException {
        Path p = tinyCheckpoint();
        byte[] bytes = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(bytes, bytes.length + 8));
        assertEquals(p + ": oversized: expected 5180 bytes for a checkpoint of " + TINY_TEXT
                + ", but the file has 5188 bytes (8 extra)", failure(p));
    }

    @Test
    void unsharedFileTooShortByItsClassifier() throws IOException {
        // a shared-size body under an unshared header: the classifier is missing
        Path p = TestModels.writeBin(dir.resolve("noclassifier.bin"), TestModels.header(8, 16, 2, 2, 1, -10, 4), 1288);
        assertEquals(p + ": truncated: expected 5500 bytes for a checkpoint of dim=8 hidden_dim=16 n_layers=2 "
                + "n_heads=2 n_kv_heads=1 vocab_size=10 seq_len=4 (separate classifier), but the file has 5180 bytes "
                + "(320 missing)", failure(p));
    }

    @Test
    void fileShorterThanTheHeader() {
        Path p = TestModels.write(dir.resolve("short.bin"), Arrays.copyOf(TestModels.header(8, 16, 2, 2, 1, 10, 4), 27));
        assertEquals(p + ": file is 27 bytes, too short for the 28-byte llama2.c checkpoint header", failure(p));
    }

    @Test
    void emptyFile() {
        Path p = TestModels.write(dir.resolve("empty.bin"), new byte[0]);
        assertEquals(p + ": file is 0 bytes, too short for the 28-byte llama2.c checkpoint header", failure(p));
    }

    @Test
    void missingFile() {
        Path p = dir.resolve("absent.bin");
        assertEquals(p + ": no such model file", failure(p));
        assertEquals(p + ": no such model file", assertThrows(BadInputException.class,
                () -> ModelFiles.load(p, MatrixLayout.ROW_MAJOR, 0, 0)).getMessage());
    }

    @ParameterizedTest(name = "{7}")
    @CsvSource(delimiter = '|', value = {
        "0|16|2|2|1|10|4|header field dim=0 must be positive",
        "-8|16|2|2|1|10|4|header field dim=-8 must be positive",
        "8|0|2|2|1|10|4|header field hidden_dim=0 must be positive",
        "8|-16|2|2|1|10|4|header field hidden_dim=-16 must be positive",
        "8|16|0|2|1|10|4|header field n_layers=0 must be positive",
        "8|16|-2|2|1|10|4|header field n_layers=-2 must be positive",
        "8|16|2|0|1|10|4|header field n_heads=0 must be positive",
        "8|16|2|-2|1|10|4|header field n_heads=-2 must be positive",
        "8|16|2|2|0|10|4|header field n_kv_heads=0 must be positive",
        "8|16|2|2|-1|10|4|header field n_kv_heads=-1 must be positive",
        "8|16|2|2|1|0|4|header field vocab_size=0 must be positive",
        "8|16|2|2|1|-2147483648|4|header field vocab_size=-2147483648 must be positive",
        "8|16|2|2|1|10|0|header field seq_len=0 must be positive",
        "8|16|2|2|1|10|-4|header field seq_len=-4 must be positive",
        "30|16|2|4|2|10|4|header field dim=30 is not divisible by n_heads=4",
        "16|16|2|4|3|10|4|header field n_heads=4 is not a multiple of n_kv_heads=3",
        "16|16|2|2|4|10|4|header field n_heads=2 is not a multiple of n_kv_heads=4",
        "12|16|2|4|2|10|4|head size dim/n_heads=3 must be even for rotary embeddings",
    })
    void badHeader(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen, String problem) {
        // a body of the right size for the valid tiny model, so only the header is wrong
        Path p = TestModels.writeBin(dir.resolve("bad.bin"),
                TestModels.header(dim, hidden, layers, heads, kvHeads, vocab, seqLen), 1288);
        assertEquals(p + ": " + problem, failure(p));
    }

    @Test
    void headerAloneIsReadForTheConfig() {
        Path p = tinyCheckpoint();
        assertEquals(TINY, CheckpointReader.readConfig(p));
    }

    @Test
    void realModelsConfig() {
        assertEquals(new LlamaConfig(64, 172, 5, 8, 4, 512, 512, true), CheckpointReader.readConfig(Oracles.STORIES260K));
        assertEquals(new LlamaConfig(64, 172, 4, 4, 4, 512, 128, true), CheckpointReader.readConfig(Oracles.AIDREAMS260K));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void everyTensorLandsInItsPlace(Backend backend) {
        Path p = tinyCheckpoint();
        LlamaWeights w = CheckpointReader.read(p, backend.layout());
        assertEquals(TINY, w.config);
        assertSame(w.tokenEmbedding, w.classifier, "a shared classifier is the embedding itself");
        assertEquals(backend.layout(), w.layout());
        assertWeightsMatch(w, TestModels.floatsAfterHeader(p));
    }

    /** A separate classifier from the shared Python generator. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void unsharedCheckpointFromPython(Backend backend) {
        Path p = dir.resolve("u.bin");
        TestModels.makeCheckpoint("--dim", "32", "--hidden-dim", "64", "--n-layers", "2", "--n-heads", "4",
                "--n-kv-heads", "2", "--vocab-size", "100", "--seq-len", "16", "--unshared", "--seed", "3",
                "--out", p.toString());
        LlamaConfig c = CheckpointReader.readConfig(p);
        assertEquals(new LlamaConfig(32, 64, 2, 4, 2, 100, 16, false), c);
        LlamaWeights w = CheckpointReader.read(p, backend.layout());
        assertEquals(c, w.config);
        assertFalse(w.config.sharedClassifier());
        assertNotSame(w.tokenEmbedding, w.classifier);
        assertEquals(MatrixLayout.ROW_MAJOR, w.tokenEmbedding.layout(), "the embedding is only read by rows");
        assertEquals(backend.layout(), w.classifier.layout());
        float[] e = new float[32], k = new float[32];
        int differing = 0;
        for (int r = 0; r < 100; r++) {
            w.tokenEmbedding.copyRow(r, e, 0);
            w.classifier.copyRow(r, k, 0);
            differing += Arrays.equals(e, k) ? 0 : 1;
        }
        assertEquals(100, differing, "every classifier row differs from its embedding row");
        assertWeightsMatch(w, TestModels.floatsAfterHeader(p));
    }

    /** Checks every loaded value against the file's floats in run.c's order (freq_cis skipped). */
    static void assertWeightsMatch(LlamaWeights w, float[] f) {
        LlamaConfig c = w.config;
        int D = c.dim(), KVD = c.kvDim(), FD = c.hiddenDim(), n = c.layers(), VS = c.vocabSize();
        int[] at = {0};
        matrix(f, at, "token_embedding_table", w.tokenEmbedding, 0, VS);
        for (int l = 0; l < n; l++) vector(f, at, "rms_att_weight", w.rmsAttention[l]);
        for (int l = 0; l < n; l++) matrix(f, at, "wq", w.wqkv[l], 0, D);
        for (int l = 0; l < n; l++) matrix(f, at, "wk", w.wqkv[l], D, KVD);
        for (int l = 0; l < n; l++) matrix(f, at, "wv", w.wqkv[l], D + KVD, KVD);
        for (int l = 0; l < n; l++) matrix(f, at, "wo", w.wo[l], 0, D);
        for (int l = 0; l < n; l++) vector(f, at, "rms_ffn_weight", w.rmsFeedForward[l]);
        for (int l = 0; l < n; l++) matrix(f, at, "w1", w.w13[l], 0, FD);
        for (int l = 0; l < n; l++) matrix(f, at, "w2", w.w2[l], 0, D);
        for (int l = 0; l < n; l++) matrix(f, at, "w3", w.w13[l], FD, FD);
        vector(f, at, "rms_final_weight", w.rmsFinal);
        at[0] += c.seqLen() * c.headDim();
        if (!c.sharedClassifier()) {
            matrix(f, at, "wcls", w.classifier, 0, VS);
        }
        assertEquals(f.length, at[0], "all floats accounted for");
        for (int l = 0; l < n; l++) {
            assertEquals(D + 2 * KVD, w.wqkv[l].rows());
            assertEquals(2 * FD, w.w13[l].rows());
            assertEquals(D, w.w2[l].rows());
            assertEquals(FD, w.w2[l].cols());
        }
    }

    private static void matrix(float[] f, int[] at, String name, WeightMatrix m, int row0, int rows) {
        for (int r = 0; r < rows; r++) {
            for (int col = 0; col < m.cols(); col++) {
                float expected = f[at[0]++];
                if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(m.get(row0 + r, col))) {
                    fail(name + "[" + r + "," + col + "] (matrix row " + (row0 + r) + ") is "
                            + m.get(row0 + r, col) + ", the file has " + expected);
                }
            }
        }
    }

    private static void vector(float[] f, int[] at, String name, float[] v) {
        for (int i = 0; i < v.length; i++) {
            assertEquals(f[at[0]++], v[i], name + "[" + i + "]");
        }
    }
}
