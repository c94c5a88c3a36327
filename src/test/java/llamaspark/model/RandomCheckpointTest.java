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
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import llamaspark.BadInputException;
import llamaspark.model.kernel.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RandomCheckpointTest {
    private static final LlamaConfig SMALL = new LlamaConfig(32, 64, 2, 4, 2, 100, 16, true);
    private static final LlamaConfig SMALL_UNSHARED = new LlamaConfig(32, 64, 2, 4, 2, 100, 16, false);

    @TempDir
    Path dir;

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void writesACheckpointTheReaderLoads(boolean shared) throws IOException {
        LlamaConfig c = shared ? SMALL : SMALL_UNSHARED;
        Path p = dir.resolve("small.bin");
        new RandomCheckpoint(c, 42, 0.5f).write(p);
        assertEquals(28 + 4 * c.checkpointFloats(), Files.size(p));
        assertEquals(List.of("small.bin"), names(dir), "no temporary file is left behind");
        assertEquals(c, CheckpointReader.readConfig(p));
        LlamaWeights w = CheckpointReader.read(p, Backend.VECTOR.layout());
        assertEquals(c, w.config);
        if (shared) {
            assertSame(w.tokenEmbedding, w.classifier);
        } else {
            assertNotSame(w.tokenEmbedding, w.classifier);
        }
        CheckpointReaderTest.assertWeightsMatch(w, TestModels.floatsAfterHeader(p));
        float[][] logits = TestModels.forwardSteps(w, Backend.VECTOR, 3, 7, 99);
        for (float[] step : logits) {
            for (float v : step) {
                assertTrue(Float.isFinite(v));
            }
        }
    }

    @Test
    void headerIsLlama2cs() {
        Path p = dir.resolve("u.bin");
        new RandomCheckpoint(SMALL_UNSHARED, 1, 0.02f).write(p);
        byte[] bytes = TestModels.read(p);
        assertArrayEquals(TestModels.header(32, 64, 2, 4, 2, -100, 16), java.util.Arrays.copyOf(bytes, 28),
                "an unshared classifier is a negative vocab_size");
        new RandomCheckpoint(SMALL, 1, 0.02f).write(p);
        assertArrayEquals(TestModels.header(32, 64, 2, 4, 2, 100, 16), java.util.Arrays.copyOf(bytes = TestModels.read(p), 28));
        assertEquals(28 + 4 * SMALL.checkpointFloats(), bytes.length, "rewriting replaces the file");
    }

    @Test
    void seedDecidesTheBytes() {
        Path a = dir.resolve("a.bin"), b = dir.resolve("b.bin"), c = dir.resolve("c.bin");
        new RandomCheckpoint(SMALL_UNSHARED, 7, 0.02f).write(a);
        new RandomCheckpoint(SMALL_UNSHARED, 7, 0.02f).write(b);
        new RandomCheckpoint(SMALL_UNSHARED, 8, 0.02f).write(c);
        byte[] ba = TestModels.read(a), bb = TestModels.read(b), bc = TestModels.read(c);
        assertArrayEquals(ba, bb, "same seed, same bytes");
        assertEquals(ba.length, bc.length);
        assertFalse(java.util.Arrays.equals(ba, bc), "different seed, different bytes");
        // and the difference is in the weights, all through the file (including the final wcls)
        float[] fa = TestModels.floatsAfterHeader(a), fc = TestModels.floatsAfterHeader(c);
        int vocabD = 100 * 32;
        assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOf(fa, vocabD), java.util.Arrays.copyOf(fc, vocabD)));
        assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOfRange(fa, fa.length - vocabD, fa.length),
                java.util.Arrays.copyOfRange(fc, fc.length - vocabD, fc.length)));
    }

    /** Walks the file in run.c's order: random matrices, RMSNorm ones, RoPE tables. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void weightsHaveTheRequestedStatistics(boolean shared) {
        LlamaConfig c = shared ? SMALL : SMALL_UNSHARED;
        float std = 0.5f;
        Path p = dir.resolve("stats.bin");
        new RandomCheckpoint(c, 2024, std).write(p);
        float[] f = TestModels.floatsAfterHeader(p);
        int D = c.dim(), KVD = c.kvDim(), FD = c.hiddenDim(), n = c.layers(), VS = c.vocabSize(), HD = c.headDim();
        int[] at = {0};
        double[] all = new double[3]; // count, sum, sum of squares
        random(f, at, VS * D, std, all, "token_embedding_table");
        ones(f, at, n * D, "rms_att_weight");
        random(f, at, n * D * D, std, all, "wq");
        random(f, at, n * KVD * D, std, all, "wk");
        random(f, at, n * KVD * D, std, all, "wv");
        random(f, at, n * D * D, std, all, "wo");
        ones(f, at, n * D, "rms_ffn_weight");
        random(f, at, n * FD * D, std, all, "w1");
        random(f, at, n * D * FD, std, all, "w2");
        random(f, at, n * FD * D, std, all, "w3");
        ones(f, at, D, "rms_final_weight");
        for (int cos = 1; cos >= 0; cos--) {
            for (int pos = 0; pos < c.seqLen(); pos++) {
                for (int j = 0; j < HD / 2; j++) {
                    double angle = pos / Math.pow(10000.0, 2.0 * j / HD);
                    float expected = (float) (cos == 1 ? Math.cos(angle) : Math.sin(angle));
                    assertEquals(expected, f[at[0]++], 1e-6f, (cos == 1 ? "freq_cis_real" : "freq_cis_imag")
                            + "[" + pos + "," + j + "]");
                }
            }
        }
        if (!shared) {
            random(f, at, VS * D, std, all, "wcls");
        }
        assertEquals(f.length, at[0], "every float accounted for");
        double mean = all[1] / all[0], sd = Math.sqrt(all[2] / all[0] - mean * mean);
        assertEquals(0.0, mean, 5 * std / Math.sqrt(all[0]), "mean of all random weights");
        assertEquals(std, sd, 0.03 * std, "std of all random weights");
    }

    private static void random(float[] f, int[] at, int count, float std, double[] all, String name) {
        double sum = 0, squares = 0;
        for (int i = 0; i < count; i++) {
            double v = f[at[0]++];
            sum += v;
            squares += v * v;
        }
        double mean = sum / count, sd = Math.sqrt(squares / count - mean * mean);
        assertEquals(0.0, mean, 6 * std / Math.sqrt(count), name + " mean");
        assertEquals(std, sd, 0.15 * std, name + " std");
        all[0] += count;
        all[1] += sum;
        all[2] += squares;
    }

    private static void ones(float[] f, int[] at, int count, String name) {
        for (int i = 0; i < count; i++) {
            if (Float.floatToRawIntBits(f[at[0]]) != Float.floatToRawIntBits(1.0f)) {
                fail(name + "[" + i + "] is " + f[at[0]] + ", expected exactly 1");
            }
            at[0]++;
        }
    }

    @Test
    void stdScalesTheWeights() {
        Path a = dir.resolve("a.bin"), b = dir.resolve("b.bin");
        new RandomCheckpoint(SMALL, 3, 1.0f).write(a);
        new RandomCheckpoint(SMALL, 3, 0.25f).write(b);
        float[] fa = TestModels.floatsAfterHeader(a), fb = TestModels.floatsAfterHeader(b);
        for (int i = 0; i < 100 * 32; i++) {
            assertEquals(fa[i] * 0.25f, fb[i], "same draws, scaled exactly: " + i);
        }
    }

    @Test
    void writingIntoAMissingDirectoryFails() throws IOException {
        Path p = dir.resolve("no-such-dir").resolve("x.bin");
        BadInputException e = assertThrows(BadInputException.class, () -> new RandomCheckpoint(SMALL, 1, 0.02f).write(p));
        assertTrue(e.getMessage().startsWith(p + ": cannot write checkpoint: "), e.getMessage());
        assertEquals(List.of(), names(dir));
    }

    @Test
    void failedMoveLeavesNoTemporaryFile() throws IOException {
        // the target is a non-empty directory: the temporary file is written, the move fails
        Path p = dir.resolve("taken.bin");
        Files.createDirectory(p);
        Files.write(p.resolve("inside"), new byte[] {1});
        BadInputException e = assertThrows(BadInputException.class, () -> new RandomCheckpoint(SMALL, 1, 0.02f).write(p));
        assertTrue(e.getMessage().startsWith(p + ": cannot write checkpoint: "), e.getMessage());
        assertEquals(List.of("taken.bin"), names(dir), "the temporary file was removed");
    }

    @Test
    void invalidShapeIsRejected() {
        BadInputException e = assertThrows(BadInputException.class,
                () -> new RandomCheckpoint(new LlamaConfig(30, 64, 2, 4, 2, 100, 16, true), 1, 0.02f));
        assertEquals("make-checkpoint: header field dim=30 is not divisible by n_heads=4", e.getMessage());
    }

    /** stories15M's shape (~61 MB): writes, loads and runs a step in every layout. */
    @Test
    void stories15mShape() throws IOException {
        LlamaConfig c = new LlamaConfig(288, 768, 6, 6, 6, 32000, 256, true);
        Path p = dir.resolve("synth15M.bin");
        new RandomCheckpoint(c, 0, 0.02f).write(p);
        assertEquals(28 + 4 * c.checkpointFloats(), Files.size(p));
        assertTrue(Files.size(p) > 60_000_000L);
        assertEquals(c, CheckpointReader.readConfig(p));
        float[][] reference = null;
        for (Backend b : Backend.values()) {
            LlamaWeights w = CheckpointReader.read(p, b.layout());
            assertEquals(c, w.config);
            float[][] logits = TestModels.forwardSteps(w, b, 1, 9000);
            for (float[] step : logits) {
                for (int v = 0; v < step.length; v++) {
                    if (!Float.isFinite(step[v])) {
                        fail(b.cliName() + " logit " + v + " is " + step[v]);
                    }
                }
            }
            assertFalse(java.util.Arrays.equals(logits[0], logits[1]));
            if (reference == null) {
                reference = logits; // ejml, run.c's order
            } else if (b.layout().width() > 1 && b.newKernel().runcOrder()) {
                for (int s = 0; s < logits.length; s++) {
                    assertArrayEquals(reference[s], logits[s], b.cliName() + " equals ejml bit for bit, step " + s);
                }
            } else {
                for (int s = 0; s < logits.length; s++) {
                    assertArrayEquals(reference[s], logits[s], 1e-3f, b.cliName() + " is close to ejml, step " + s);
                }
            }
        }
        assertEquals(List.of("synth15M.bin"), names(dir));
    }
}
