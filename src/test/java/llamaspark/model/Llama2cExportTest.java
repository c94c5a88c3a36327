package llamaspark.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import llamaspark.BadInputException;
import llamaspark.generate.BatchGenerator;
import llamaspark.generate.EndTokens;
import llamaspark.generate.GenerationRequest;
import llamaspark.generate.GenerationResult;
import llamaspark.generate.GeneratorOptions;
import llamaspark.model.gguf.TestWeights;
import llamaspark.model.kernel.Backend;
import llamaspark.profile.StageProfile;
import llamaspark.sampling.SamplingParams;
import llamaspark.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama2.c's version-1 (float32) and version-2 (int8 groups) exports of a seeded model, against
 * the legacy .bin of the same seed: v1 holds the same weights and gives the same tokens; v2 holds
 * export.py's quantize_q80 of them (recomputed here from the legacy weights, in the file's
 * flattened group order).
 */
class Llama2cExportTest {
    @TempDir
    Path tmp;

    // GQA, separate classifier, dim 48 (export.py backs the group size 64 off to 16), hidden 80
    static final LlamaConfig C = new LlamaConfig(48, 80, 2, 4, 2, 300, 32, false);

    @Test
    void version1EqualsLegacy() throws IOException {
        for (LlamaConfig c : new LlamaConfig[] {C, shared(C)}) {
            RandomCheckpoint model = new RandomCheckpoint(c, 3, 0.1f);
            Path legacy = tmp.resolve("legacy.bin"), v1 = tmp.resolve("v1.bin");
            model.write(legacy);
            Llama2cExport.writeVersion1(model, v1);
            ByteBuffer h = ByteBuffer.wrap(Files.readAllBytes(v1)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals("24ka", new String(Arrays.copyOf(h.array(), 4))); // uint32 0x616b3432, little-endian
            assertEquals(1, h.getInt(4));
            assertEquals(c.sharedClassifier() ? 1 : 0, h.get(36));
            for (MatrixLayout layout : new MatrixLayout[] {MatrixLayout.ROW_MAJOR, MatrixLayout.panels(8)}) {
                TestWeights.assertSameWeights(ModelFiles.load(legacy, layout, 0, 0), ModelFiles.load(v1, layout, 0, 0));
            }
            Tokenizer tok = Tokenizer.load(llamaspark.Oracles.AIDREAMS_TOKENIZER, 512);
            for (Backend b : Backend.values()) {
                assertArrayEquals(generate(ModelFiles.load(legacy, b.layout(), 0, 0), b),
                        generate(ModelFiles.load(v1, b.layout(), 0, 0), b), "tokens on " + b);
            }
        }
    }

    @Test
    void version2IsQ80OfLegacy() throws IOException {
        for (LlamaConfig c : new LlamaConfig[] {C, shared(C)}) {
            RandomCheckpoint model = new RandomCheckpoint(c, 5, 0.1f);
            Path legacy = tmp.resolve("legacy.bin"), v2 = tmp.resolve("v2.bin");
            model.write(legacy);
            Llama2cExport.writeVersion2(model, 64, v2);
            assertEquals(16, Llama2cExportReader.readHeader(v2).groupSize());
            LlamaWeights w = ModelFiles.load(legacy, MatrixLayout.ROW_MAJOR, 0, 0);
            LlamaWeights expected = LlamaWeights.allocate(c, MatrixLayout.ROW_MAJOR);
            int D = c.dim(), KVD = c.kvDim(), FD = c.hiddenDim();
            q80(w.tokenEmbedding.data(), expected.tokenEmbedding.data(), 0, c.vocabSize() * D);
            for (int l = 0; l < c.layers(); l++) {
                // each file tensor (wq, wk, wv separately) is flattened into groups of 16
                q80(w.wqkv[l].data(), expected.wqkv[l].data(), 0, D * D);
                q80(w.wqkv[l].data(), expected.wqkv[l].data(), D * D, KVD * D);
                q80(w.wqkv[l].data(), expected.wqkv[l].data(), D * D + KVD * D, KVD * D);
                q80(w.wo[l].data(), expected.wo[l].data(), 0, D * D);
                q80(w.w13[l].data(), expected.w13[l].data(), 0, FD * D);
                q80(w.w13[l].data(), expected.w13[l].data(), FD * D, FD * D);
                q80(w.w2[l].data(), expected.w2[l].data(), 0, D * FD);
                expected.rmsAttention[l] = w.rmsAttention[l];
                expected.rmsFeedForward[l] = w.rmsFeedForward[l];
            }
            System.arraycopy(w.rmsFinal, 0, expected.rmsFinal, 0, D);
            if (!c.sharedClassifier()) {
                q80(w.classifier.data(), expected.classifier.data(), 0, c.vocabSize() * D);
            }
            LlamaWeights got = ModelFiles.load(v2, MatrixLayout.ROW_MAJOR, 0, 0);
            TestWeights.assertSameWeights(expected, got);
            // and in a panel layout the same values land in the same places
            LlamaWeights panels = ModelFiles.load(v2, MatrixLayout.panels(8), 0, 0);
            assertEquals(got.wqkv[1].get(D + 3, 7), panels.wqkv[1].get(D + 3, 7));
        }
    }

    @Test
    void truncatedExportIsReported() throws IOException {
        Path v1 = tmp.resolve("v1.bin");
        Llama2cExport.writeVersion1(new RandomCheckpoint(C, 1, 0.1f), v1);
        byte[] b = Files.readAllBytes(v1);
        Files.write(v1, Arrays.copyOf(b, b.length - 4));
        BadInputException e = assertThrows(BadInputException.class, () -> ModelFiles.load(v1, MatrixLayout.ROW_MAJOR, 0, 0));
        assertEquals(v1 + ": truncated: expected " + b.length + " bytes for a version-1 export of " + C
                + ", but the file has " + (b.length - 4) + " bytes", e.getMessage());
        b[4] = 3;
        Files.write(v1, b);
        assertEquals(v1 + ": llama2.c export version 3 is not supported, expected 1 or 2",
                assertThrows(BadInputException.class, () -> ModelFiles.load(v1, MatrixLayout.ROW_MAJOR, 0, 0)).getMessage());
    }

    /** export.py quantize_q80 over src[off, off+n) in groups of 16: round-half-even(w / (max|w| / 127)) * scale. */
    private static void q80(float[] src, float[] dst, int off, int n) {
        int gs = 16;
        for (int g = off; g < off + n; g += gs) {
            float max = 0;
            for (int i = g; i < g + gs; i++) {
                max = Math.max(max, Math.abs(src[i]));
            }
            float scale = max / 127.0f;
            for (int i = g; i < g + gs; i++) {
                dst[i] = (byte) Math.rint(src[i] / scale) * scale; // stored as int8: no -0
            }
        }
    }

    private static LlamaConfig shared(LlamaConfig c) {
        return new LlamaConfig(c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.vocabSize(), c.seqLen(), true);
    }

    private static int[] generate(LlamaWeights w, Backend b) {
        List<GenerationResult> out = new ArrayList<>();
        BatchGenerator.create(w, Tokenizer.fromPieces(pieces(w.config.vocabSize()), new float[w.config.vocabSize()]),
                        GeneratorOptions.of(b, 1).withEnds(EndTokens.NONE), StageProfile.disabled())
                .run(List.of(new GenerationRequest("r", null, new int[] {1, 5, 9}, SamplingParams.greedy(), 20, List.of()))
                        .iterator(), out::add);
        return out.get(0).completionTokens();
    }

    private static String[] pieces(int n) {
        String[] p = new String[n];
        for (int i = 0; i < n; i++) {
            p[i] = i == 3 ? " " : "p" + i;
        }
        return p;
    }
}
